"""The course's data: Olivetti faces, CDnet 2014 videos, video files, images, MovieLens, text corpora.

Where the files come from, in order:

1. ``MFLIB_DATA`` -- when this environment variable names a folder, files are
   read from there and nothing is downloaded (offline machines, CI);
2. the cache (``MFLIB_CACHE``, or the system cache folder ``.../mflib``);
3. a download from the original source into the cache (or from
   ``MFLIB_MIRROR_URL``, a server that serves the original URL paths).

Every file is checked against the SHA-256 sums of the registry shipped inside
the package (``mflib/data/registry.txt`` and, for folders,
``mflib/data/checksums/``), so a corrupt or changed file is reported instead of
silently giving wrong numbers. A download

- has a total deadline scaled to its expected size, so a stalled server cannot
  hang a notebook (besides a short timeout for each connection and read);
- lands in a staging folder beside its place in the cache and enters the cache
  only once verified, by a rename: nobody ever sees half a data set;
- holds a lock for its data set in the cache (``.locks/``), so two processes
  fetching the same data set for the first time download it once: the second
  waits and uses the first one's copy. A staging folder left behind by a
  killed download is removed by the next download into the same folder.
"""

from .cache import data_home, fetch, resolve
from .loaders import (
    ML100K_GENRES,
    brown,
    cdnet,
    movie_reviews,
    movielens_100k,
    olivetti_faces,
    sample_image,
    state_union,
)
from .registry import (
    CacheNotWritableError,
    DataCorruptError,
    DataNotFoundError,
    DownloadTimeoutError,
    UnknownDataSetError,
    is_registered,
    registered,
    sha256,
)

__all__ = ["CacheNotWritableError", "DataCorruptError", "DataNotFoundError", "DownloadTimeoutError",
           "UnknownDataSetError", "ML100K_GENRES", "brown", "cdnet", "data_home", "fetch", "is_registered",
           "movie_reviews", "movielens_100k", "olivetti_faces", "registered", "resolve", "sample_image", "sha256",
           "state_union"]
