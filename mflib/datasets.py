"""The course's data: Olivetti faces, CDnet 2014 videos, video files and images.

Where the files come from, in order:

1. ``MFLIB_DATA`` -- when this environment variable names a folder, files are
   read from there and nothing is downloaded (offline machines, CI);
2. the cache (``MFLIB_CACHE``, or the system cache folder ``.../mflib``);
3. a download from the original source, with pooch, into the cache.

Every file is checked against the SHA-256 sums kept in ``data/registry.txt``
(and, for the CDnet folders, ``data/checksums/``), so a corrupt or changed
file is reported instead of silently giving wrong numbers.
"""

import hashlib
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from sklearn.utils import Bunch

from ._validation import check_positive_int
from .imaging import to_gray

REPO_DATA = Path(__file__).resolve().parent.parent / "data"
DOWNLOAD_TIMEOUT = 8  # seconds per connection attempt: offline must fail fast


class DataNotFoundError(FileNotFoundError):
    """A data file is neither in ``MFLIB_DATA``, nor cached, nor downloadable."""


class DataCorruptError(ValueError):
    """A data file exists but its checksum or content is wrong."""


# -- registry and checksums ----------------------------------------------------

def _registry():
    """``{path: (url, [accepted sha256 or 'manifest:...'])}`` from data/registry.txt."""
    entries = {}
    for line in (REPO_DATA / "registry.txt").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            path, digest, url = line.split()
            entries.setdefault(path, (url, []))[1].append(digest)
    return entries


def is_registered(name):
    """Whether ``name`` (e.g. ``"videos/escalator.avi"``) is a file the course can fetch with :func:`fetch`."""
    return str(name) in _registry()


_hash_memo = {}


def sha256(path):
    """SHA-256 of a file, remembered per (path, size, mtime) within the session."""
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _hash_memo:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _hash_memo[key] = h.hexdigest()
    return _hash_memo[key]


def _verify_file(path, accepted, url):
    digest = sha256(path)
    if digest not in accepted:
        raise DataCorruptError(
            f"{path} is corrupt or has been changed: its SHA-256 is {digest}, expected "
            f"{' or '.join(accepted)}. Delete it and load again to fetch a fresh copy "
            f"(or restore it from {url}).")


def _verify_folder(folder, manifest, url):
    """Check every file listed in ``data/checksums/<manifest>`` under ``folder``."""
    for line in (REPO_DATA / "checksums" / manifest).read_text().splitlines():
        digest, rel = line.split(maxsplit=1)
        parts = Path(rel).parts   # a manifest may name files from an outer folder ("baseline/highway/...")
        inner = parts[parts.index(folder.name) + 1:] if folder.name in parts[:-1] else parts
        path = folder.joinpath(*inner)
        if not path.is_file():
            raise DataNotFoundError(
                f"{path} is missing from {folder}: the folder is incomplete. Restore it from {url} "
                "(unzip the whole archive) or point MFLIB_DATA at a complete copy.")
        _verify_file(path, [digest], url)


def data_home():
    """The folder used for data: ``MFLIB_DATA`` if set, else the download cache.

    A relative ``MFLIB_DATA`` is taken from the current folder, or else from the
    repository's root -- so ``MFLIB_DATA=../shared/data`` set at the root still
    works in a kernel running inside ``notebooks/``.
    """
    if os.environ.get("MFLIB_DATA"):
        path = Path(os.environ["MFLIB_DATA"]).expanduser()
        from_root = REPO_DATA.parent / path
        return from_root if not path.is_absolute() and not path.exists() and from_root.exists() else path
    import pooch
    return Path(os.environ.get("MFLIB_CACHE") or pooch.os_cache("mflib"))


def fetch(relpath):
    """Return the local path of a registered data file or folder, verified.

    Parameters
    ----------
    relpath : str
        A path listed in ``data/registry.txt``, e.g. ``"olivettifaces.mat"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataNotFoundError
        Not in ``MFLIB_DATA`` (when set), or not cached and the download failed.
    DataCorruptError
        The file's checksum does not match.
    """
    registry = _registry()
    if relpath not in registry:
        raise KeyError(f"{relpath!r} is not a registered data set; known: {sorted(registry)}.")
    url, accepted = registry[relpath]
    local = data_home() / relpath
    if not local.exists():
        if os.environ.get("MFLIB_DATA"):
            raise DataNotFoundError(
                f"{relpath} was not found: looked for {local} because MFLIB_DATA="
                f"{os.environ['MFLIB_DATA']}. Put the data there (download it from {url}), or "
                "unset MFLIB_DATA to let mflib download and cache it.")
        _download(relpath, url, local, accepted)
    else:
        _verify(local, accepted, url)
    return local


class _Progress:
    """A download progress line for notebooks: updated in place, removed when done.

    pooch drives it like a tqdm bar (``total``, ``update``, ``reset``, ``close``).
    It writes through IPython's display system, never to stderr (the book build
    treats stderr as an error); outside IPython it stays silent.
    """

    def __init__(self, name):
        self.name, self.total, self.done, self._handle, self._shown = name, 0, 0, None, -1
        try:
            from IPython import get_ipython
            from IPython.display import display
            if get_ipython() is not None:
                self._handle = display(self._text(), display_id=True)
        except ImportError:
            pass

    def _text(self):
        from IPython.display import HTML
        size = f"{self.done / 1e6:.1f} of {self.total / 1e6:.1f} MB" if self.total else f"{self.done / 1e6:.1f} MB"
        return HTML(f"<small>Downloading {self.name}: {size}</small>")

    def update(self, n):
        self.done += n
        percent = int(100 * self.done / self.total) if self.total else self.done >> 20
        if self._handle is not None and percent != self._shown:   # redraw about 100 times at most
            self._shown = percent
            self._handle.update(self._text())

    def reset(self):
        self.done = 0

    def close(self):
        if self._handle is not None:
            from IPython.display import HTML
            self._handle.update(HTML(""))


def _source_url(url):
    """``url``, or the same path on ``MFLIB_MIRROR_URL`` (a server with the original URL paths)."""
    mirror = os.environ.get("MFLIB_MIRROR_URL")
    if not mirror:
        return url
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(url)
    return mirror.rstrip("/") + urlunsplit(("", "", parts.path, parts.query, ""))


def _download(relpath, url, local, accepted):
    """Download ``url`` into the cache at ``local``, verified before it enters the cache.

    The file (or the unzipped folder) lands in a staging folder first; only a
    copy whose checksums match is moved into place, so a corrupt or changed
    download never poisons the cache. Offline, it fails within seconds.
    """
    import logging
    import shutil

    import pooch
    source = _source_url(url)
    is_zip = url.endswith(".zip")
    local.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=local.parent))
    # pooch can check one hash itself; with several accepted copies we check after it.
    known = accepted[0] if len(accepted) == 1 and not accepted[0].startswith("manifest:") else None
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)          # pooch logs "Downloading ..." to stderr at INFO
    try:
        try:
            pooch.retrieve(source, known_hash=known and f"sha256:{known}",
                           fname=local.name + (".zip" if is_zip else ""), path=staging,
                           downloader=pooch.HTTPDownloader(progressbar=_Progress(relpath),
                                                           timeout=DOWNLOAD_TIMEOUT),
                           processor=pooch.Unzip(extract_dir=".") if is_zip else None)
        except ValueError as exc:             # pooch's hash mismatch
            raise DataCorruptError(
                f"the download of {relpath} from {source} is corrupt or has been changed ({exc}); "
                "nothing was cached. Try again later, or download it by hand and set MFLIB_DATA.") from None
        except Exception as exc:
            raise DataNotFoundError(
                f"{relpath} is not available: it is not in the cache {local.parent} and downloading "
                f"{source} failed ({type(exc).__name__}: {exc}). Connect to the internet and try again, "
                f"or download it by hand to {local}, or set MFLIB_DATA to a folder that holds "
                f"{relpath} (e.g. the course's offline mirror: MFLIB_DATA=../shared/data).") from None
        staged = staging / local.name
        if not staged.exists():
            raise DataCorruptError(f"the download from {source} did not contain {relpath}; "
                                   "the source may have changed its layout.")
        _verify(staged, accepted, url)
        os.replace(staged, local)
    finally:
        logger.setLevel(level)
        shutil.rmtree(staging, ignore_errors=True)


def _verify(local, accepted, url):
    if accepted[0].startswith("manifest:"):
        _verify_folder(local, accepted[0].split(":", 1)[1], url)
    else:
        _verify_file(local, accepted, url)


# -- Olivetti faces -----------------------------------------------------------

def olivetti_faces():
    """The Olivetti (AT&T) faces, exactly as scikit-learn's ``fetch_olivetti_faces``.

    400 grayscale images of 64 x 64 pixels: 10 each of 40 people, in order.

    Returns
    -------
    Bunch
        ``data`` float32 (400, 4096) in [0, 1]; ``images`` float32
        (400, 64, 64); ``target`` int (400,) with the person 0..39.

    Examples
    --------
    >>> faces = olivetti_faces()  # doctest: +SKIP
    >>> faces.data.shape, faces.images.shape  # doctest: +SKIP
    ((400, 4096), (400, 64, 64))
    """
    from scipy.io import loadmat
    path = fetch("olivettifaces.mat")
    try:
        raw = loadmat(path)["faces"]
    except Exception as exc:
        raise DataCorruptError(f"{path} cannot be read as a MATLAB file with 'faces' ({exc}); "
                               "delete it and load again.") from None
    # Same steps as scikit-learn: columns are images stored column-major.
    faces = np.float32(raw.T)
    faces -= faces.min()
    faces /= faces.max()
    images = faces.reshape((400, 64, 64)).transpose(0, 2, 1)
    return Bunch(data=images.reshape(400, -1).copy(), images=images.copy(),
                 target=np.repeat(np.arange(40), 10),
                 DESCR="Olivetti faces (AT&T Laboratories Cambridge), 40 people x 10 images, 64x64.")


# -- CDnet 2014 -----------------------------------------------------------------

def _read_images(paths, flag):
    """Decode many image files in threads (OpenCV releases the GIL)."""
    def read(p):
        img = cv2.imread(str(p), flag)
        if img is None:
            raise DataCorruptError(f"{p} cannot be decoded as an image; the file is corrupt.")
        return img if flag == cv2.IMREAD_GRAYSCALE else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    with ThreadPoolExecutor(max_workers=min(4, (os.cpu_count() or 1) + 1)) as pool:
        return np.stack(list(pool.map(read, paths)))


def _frame_numbers(frames, n_total, temporal_roi, step):
    if frames is None:
        numbers = np.arange(1, n_total + 1)
    elif isinstance(frames, str):
        if frames != "scored":
            raise ValueError(f"frames={frames!r}: use None (all), 'scored' (the temporal ROI) "
                             "or a list of 1-based frame numbers.")
        numbers = np.arange(temporal_roi[0], temporal_roi[1] + 1)
    else:
        numbers = np.asarray(list(frames))
        if numbers.size == 0 or not np.issubdtype(numbers.dtype, np.integer):
            raise ValueError("frames must be a non-empty list of whole 1-based frame numbers.")
        if numbers.min() < 1 or numbers.max() > n_total:
            raise ValueError(f"frame numbers must lie in 1..{n_total} for this video, got "
                             f"{numbers.min()}..{numbers.max()}.")
    return numbers[::check_positive_int(step, "step")]


def cdnet(name="baseline/highway", *, frames=None, grayscale=False, step=1):
    """A CDnet 2014 change-detection video with its ground truth.

    Parameters
    ----------
    name : str
        ``"category/video"``, e.g. ``"baseline/highway"``.
    frames : None, "scored" or iterable of int
        ``None`` loads every frame; ``"scored"`` only the temporal ROI (the
        frames the benchmark scores); or the 1-based frame numbers to load.
    grayscale : bool
        Decode the input frames as grayscale.
    step : int
        Keep every ``step``-th of the selected frames.

    Returns
    -------
    Bunch
        ``frames`` uint8 (n, H, W, 3) or (n, H, W); ``groundtruth`` uint8
        (n, H, W) with labels 0 static, 50 shadow, 85 outside ROI, 170 unknown,
        255 moving; ``roi`` bool (H, W); ``temporal_roi`` (first, last) 1-based
        inclusive; ``frame_numbers`` int (n,).
    """
    relpath = f"cdnet2014/{name}"
    if relpath not in _registry():
        known = [p.split("/", 1)[1] for p in _registry() if p.startswith("cdnet2014/")]
        raise ValueError(f"unknown CDnet video {name!r}; available: {known}.")
    folder = fetch(relpath)
    first, last = map(int, (folder / "temporalROI.txt").read_text().split()[:2])
    n_total = len(list((folder / "input").glob("in*.jpg")))
    numbers = _frame_numbers(frames, n_total, (first, last), step)
    flag = cv2.IMREAD_GRAYSCALE if grayscale else cv2.IMREAD_COLOR
    inputs = _read_images([folder / "input" / f"in{i:06d}.jpg" for i in numbers], flag)
    truth = _read_images([folder / "groundtruth" / f"gt{i:06d}.png" for i in numbers],
                         cv2.IMREAD_GRAYSCALE)
    roi = cv2.imread(str(folder / "ROI.bmp"), cv2.IMREAD_GRAYSCALE) > 0
    return Bunch(frames=inputs, groundtruth=truth, roi=roi, temporal_roi=(first, last),
                 frame_numbers=numbers, name=name)


# -- images shipped with scikit-learn ------------------------------------------


def sample_image(name="china", *, grayscale=False):
    """A photograph shipped inside scikit-learn's wheel: no download needed.

    Parameters
    ----------
    name : {"china", "flower"}
        ``"china"`` (a temple, 427 x 640) or ``"flower"`` (427 x 640).
    grayscale : bool

    Returns
    -------
    ndarray of float64 in [0, 1], shape (427, 640, 3) or (427, 640)
    """
    from sklearn.datasets import load_sample_image
    if name not in ("china", "flower"):
        raise ValueError(f"sample image {name!r} does not exist; choose 'china' or 'flower'.")
    img = load_sample_image(f"{name}.jpg").astype(np.float64) / 255.0
    return to_gray(img) if grayscale else img


# -- MovieLens 100k ---------------------------------------------------------------

ML100K_GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                 "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
                 "Romance", "Sci-Fi", "Thriller", "War", "Western")


def _read_ratings(path):
    """A GroupLens ratings file: tab-separated user, item, rating, timestamp -> int64 (n, 4)."""
    raw = path.read_bytes()
    try:
        values = np.array(raw.split(), dtype=np.int64)   # whitespace-split: 10x faster than loadtxt
    except ValueError as exc:
        raise DataCorruptError(f"{path} cannot be read as tab-separated ratings ({exc}); "
                               "delete the folder and load again.") from None
    if values.size % 4 or values.size // 4 != raw.count(b"\n"):
        raise DataCorruptError(f"{path} does not have 4 numbers (user, item, rating, timestamp) "
                               "on every line; the file is damaged: delete it and load again.")
    return values.reshape(-1, 4)


def movielens_100k():
    """MovieLens 100k (GroupLens; Harper and Konstan, 2015): 100,000 ratings of 1,682 movies.

    943 users each rated at least 20 movies with a whole number of stars from 1
    to 5, between September 1997 and April 1998. Ids are GroupLens's, from 1.

    Returns
    -------
    Bunch
        ``data`` int64 (100000, 2): (user id, item id) of each rating;
        ``target`` float64 (100000,): the ratings; ``timestamp`` int64
        (100000,): seconds since 1970; ``titles`` str array (1682,) with the
        title of item ``i`` at ``titles[i - 1]``; ``genres`` bool (1682, 19),
        columns named by ``genre_names``; ``folds``: the five official splits
        ``u1`` ... ``u5`` (disjoint test sets of 20,000 ratings, each with the
        other 80,000 for training), a list of Bunches with ``X_train``,
        ``y_train``, ``X_test``, ``y_test``; ``splits``: the same for
        ``"ua"`` and ``"ub"`` (10 test ratings per user) besides ``"u1"``...

    Examples
    --------
    >>> ml = movielens_100k()  # doctest: +SKIP
    >>> ml.data.shape, ml.folds[0].X_test.shape  # doctest: +SKIP
    ((100000, 2), (20000, 2))
    """
    folder = fetch("movielens/ml-100k")
    ratings = _read_ratings(folder / "u.data")
    # u.item is Latin-1 text: id|title|release date|video date|IMDb URL|19 genre flags
    rows = [line.split("|") for line in (folder / "u.item").read_text(encoding="latin-1").splitlines() if line]
    if any(len(r) != 5 + len(ML100K_GENRES) for r in rows):
        raise DataCorruptError(f"{folder / 'u.item'} does not have 24 '|'-separated fields on every line.")
    titles = np.array([r[1] for r in rows])
    genres = np.array([[f == "1" for f in r[5:]] for r in rows])
    splits = {}
    for name in ("u1", "u2", "u3", "u4", "u5", "ua", "ub"):
        train, test = (_read_ratings(folder / f"{name}.{part}") for part in ("base", "test"))
        splits[name] = Bunch(X_train=train[:, :2], y_train=train[:, 2].astype(np.float64),
                             X_test=test[:, :2], y_test=test[:, 2].astype(np.float64), name=name)
    return Bunch(data=ratings[:, :2], target=ratings[:, 2].astype(np.float64), timestamp=ratings[:, 3],
                 titles=titles, genres=genres, genre_names=list(ML100K_GENRES),
                 folds=[splits[f"u{k}"] for k in range(1, 6)], splits=splits,
                 DESCR="MovieLens 100k (GroupLens): 100,000 ratings 1-5 by 943 users of 1,682 movies.")
