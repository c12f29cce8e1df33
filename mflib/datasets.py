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
    base = folder.parent.parent  # manifest paths start at "<category>/<video>/"
    for line in (REPO_DATA / "checksums" / manifest).read_text().splitlines():
        digest, rel = line.split(maxsplit=1)
        path = base / rel
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
        _download(relpath, url, local)
    if accepted[0].startswith("manifest:"):
        _verify_folder(local, accepted[0].split(":", 1)[1], url)
    else:
        _verify_file(local, accepted, url)
    return local


def _download(relpath, url, local):
    """Download ``url`` into the cache at ``local`` (unzipping folders), failing fast offline."""
    import pooch
    local.parent.mkdir(parents=True, exist_ok=True)
    is_zip = url.endswith(".zip")
    try:
        pooch.retrieve(url, known_hash=None, fname=local.name + (".zip" if is_zip else ""),
                       path=local.parent, progressbar=False,
                       downloader=pooch.HTTPDownloader(timeout=DOWNLOAD_TIMEOUT),
                       processor=pooch.Unzip(extract_dir=".") if is_zip else None)
    except Exception as exc:
        raise DataNotFoundError(
            f"{relpath} is not available: it is not in the cache {local.parent} and downloading "
            f"{url} failed ({type(exc).__name__}: {exc}). Connect to the internet and try again, "
            f"or download it by hand to {local}, or set MFLIB_DATA to a folder that holds "
            f"{relpath} (e.g. the course's offline mirror: MFLIB_DATA=../shared/data).") from None
    if not local.exists():
        raise DataCorruptError(f"the download from {url} did not contain {relpath}; "
                               "the source may have changed its layout.")


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
