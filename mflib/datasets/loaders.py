"""The course's data sets as arrays: Olivetti faces, CDnet 2014, sample images, MovieLens, text corpora."""

import os
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
from sklearn.utils import Bunch

from .._validation import check_positive_int
from ..imaging import to_gray
from .cache import fetch
from .registry import DataCorruptError, registered

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
    if relpath not in registered():
        known = [p.split("/", 1)[1] for p in registered() if p.startswith("cdnet2014/")]
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


# -- NLTK's text corpora (read by mflib.corpora) ------------------------------------


def brown():
    """The Brown corpus: 500 documents of about 2,000 words, each in one of 15 genres.

    NLTK's ``brown.zip`` (non-commercial use); see :func:`mflib.corpora.read_brown`
    for what the Bunch holds (``documents``, ``sentences``, ``target``, ``ids``).

    Examples
    --------
    >>> b = brown()  # doctest: +SKIP
    >>> len(b.documents), b.target[0], b.ids[0]  # doctest: +SKIP
    (500, 'news', 'ca01')
    """
    from ..corpora import read_brown
    return read_brown(fetch("nltk_data/corpora/brown.zip"))


def state_union():
    """The 65 State of the Union addresses 1945-2006 with year and president (public domain).

    See :func:`mflib.corpora.read_state_union`.
    """
    from ..corpora import read_state_union
    return read_state_union(fetch("nltk_data/corpora/state_union.zip"))


def movie_reviews():
    """2,000 movie reviews, tokenized, labelled pos/neg (Pang and Lee; CC BY 4.0).

    See :func:`mflib.corpora.read_movie_reviews`.
    """
    from ..corpora import read_movie_reviews
    return read_movie_reviews(fetch("nltk_data/corpora/movie_reviews.zip"))
