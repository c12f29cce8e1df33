"""Videos as matrices: background/foreground separation and its scoring.

A video of ``n`` frames becomes a matrix with one frame per row (``n x H*W``, or
``n x H*W*3`` in colour). A static background is (nearly) the same row
repeated -- low rank -- and moving objects are sparse: robust PCA separates them.

:func:`foreground_masks` is the whole pipeline, built for long videos in bounded
memory (frames are processed in chunks; the working arrays never depend on the
clip's length):

1. **Temporal structure** -- :class:`~mflib.rpca.RobustPCA` on a subsample: about
   80 evenly spaced frames, and at most 8,192 random pixel values of each. Its
   low-rank part gives the background's coefficients over time; its rank is the
   number of singular values above the noise edge ``sigma (sqrt(m) + sqrt(n))``
   (a Marchenko-Pastur bound), at most 9 (the dimension that captures a
   Lambertian scene under any distant lighting, Basri and Jacobs 2003).
2. **Full-resolution background** -- every pixel's loadings on those
   coefficients, fitted robustly over the sampled frames (a temporal median
   for the first, then least squares with outliers skipped), and every pixel's
   noise scale (median absolute deviation of its residual).
3. **Every frame's background** -- its coefficients are fitted on the pixel
   subsample, skipping pixels more than 3 noise scales off, so moving objects do
   not pull the fit.
4. **Threshold** -- grayscale: foreground where ``|residual| > 5`` noise
   scales. Colour: the residual is split along the background's colour (a
   brightness change) and across it (a chromaticity change, Horprasert et al.
   1999), each in units of its own noise scale; foreground where their squared
   sum exceeds the chi-square(3) quantile with the tail of 5 sigmas. An optional
   shadow rule (``shadow_ratio``) calls "darker, same chromaticity" a shadow.
5. **Clean-up** -- a 5 x 5 median filter and a 5 x 5 closing per frame.
"""

import itertools
import math
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from threadpoolctl import threadpool_limits

from ._validation import check_positive_int
from .rpca import RobustPCA

MAD_TO_SIGMA = 1.4826          # median absolute deviation -> standard deviation (Gaussian noise)
RAYLEIGH_MEDIAN = math.sqrt(2 * math.log(2))   # median of the norm of 2-D standard Gaussian noise
MAX_ROWS = 8192                # pixel values robust PCA sees per sampled frame
MAX_RANK = 9                   # Basri-Jacobs: 9 harmonics capture Lambertian shading
WORK_BYTES = 2 ** 28           # working budget for one chunk's float32 arrays (256 MB)


# -- input checks ---------------------------------------------------------------

def check_frames(frames, name="frames", min_frames=2):
    """Validate a video array: (n, H, W) grayscale or (n, H, W, 3) RGB, uint8 or float, finite."""
    if isinstance(frames, (list, tuple)):
        shapes = {np.shape(f) for f in frames}
        if len(shapes) > 1:
            raise ValueError(f"{name} have mixed shapes {sorted(shapes)}; resize them to one shape "
                             "(e.g. mflib.io.load_video(..., size=(W, H))).")
    arr = np.asarray(frames)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
    if arr.ndim == 4 and arr.shape[-1] != 3:
        raise ValueError(f"{name} have {arr.shape[-1]} channels {arr.shape}; pass RGB (n, H, W, 3) or "
                         "grayscale (n, H, W) -- drop an alpha channel with frames[..., :3].")
    if arr.ndim not in (3, 4):
        raise ValueError(f"{name} must have shape (n_frames, H, W) or (n_frames, H, W, 3), got {arr.shape}.")
    if arr.shape[0] < min_frames:
        raise ValueError(f"{name} hold {arr.shape[0]} frame(s); separating a background needs at "
                         f"least {min_frames} (in practice dozens).")
    if arr.size == 0:
        raise ValueError(f"{name} are empty: shape {arr.shape}.")
    if arr.dtype not in (np.uint8, np.float32, np.float64, bool):
        raise TypeError(f"{name} have dtype {arr.dtype}; pass uint8, or floats in [0, 1] (a 16-bit "
                        "video: frames / 65535).")
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ValueError(f"{name} contain NaN or infinite values; fix or drop those frames.")
    return arr


def _as_float(chunk):
    """A chunk as float32 rows (one frame per row), uint8 scaled to [0, 1]."""
    X = np.asarray(chunk).reshape(len(chunk), -1).astype(np.float32)
    if chunk.dtype == np.uint8:
        X *= np.float32(1 / 255)
    return X


def frames_to_matrix(frames):
    """Stack frames as the columns of a float32 matrix (values x frames), scaled to [0, 1] for uint8.

    Examples
    --------
    >>> frames_to_matrix(np.zeros((5, 4, 3), np.uint8)).shape
    (12, 5)
    """
    return _as_float(check_frames(frames)).T


def matrix_to_frames(M, frame_shape):
    """Inverse of :func:`frames_to_matrix`: columns back to frames, shape ``(n, *frame_shape)``."""
    M = np.asarray(M)
    size = math.prod(frame_shape)
    if M.ndim != 2 or M.shape[0] != size:
        raise ValueError(f"M has shape {M.shape}; with frames of shape {tuple(frame_shape)} it needs {size} rows.")
    return M.T.reshape(-1, *frame_shape)


# -- the background model -------------------------------------------------------

def _temporal_basis(sample, lam, max_rank, random_state):
    """Robust PCA on a row subsample of the sampled frames: (coefficients (ns, r), rows)."""
    flat = sample.reshape(len(sample), -1)
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(flat.shape[1], min(flat.shape[1], MAX_ROWS), replace=False))
    Xs = _as_float(np.ascontiguousarray(flat[:, rows]))         # the row sample only: bounded memory
    with threadpool_limits(1, "blas"):      # small matrices: threads only add overhead
        L = RobustPCA(lam=lam, tol=1e-4, max_iter=500, random_state=random_state).fit(Xs).low_rank_
        U, s, Vt = np.linalg.svd(L, full_matrices=False)
    # rank: singular values above the largest one pure noise of this size would give
    sigma = MAD_TO_SIGMA * float(np.median(np.abs(Xs - np.outer(U[:, 0] * s[0], Vt[0]))))
    edge = sigma * (math.sqrt(Xs.shape[0]) + math.sqrt(Xs.shape[1]))
    rank = int(np.clip(np.sum(s > edge), 1, max_rank))
    A = U[:, :rank] * s[:rank]
    if A[:, 0].sum() < 0:
        A[:, 0] *= -1
    return A.astype(np.float32)


def _robust_fit(Z, A, tau=None, n_refine=2, relative=False):
    """Robust ``Z ~ u @ A.T`` for every row of Z (p, n) float32: returns (u (p, r), residual).

    Start: the first coefficient as a median of ratios (50% breakdown: up to
    half of a pixel's sampled values may be moving objects), or with
    ``relative`` (a frame's coefficients from thousands of pixels, a few per
    cent of them moving) plain least squares, which also starts the other
    components. Then least squares with every entry more than 3 noise scales
    off the current fit replaced by the fit itself -- a skipped mean. The noise
    scale is the MAD of the starting residual per row; with ``relative``,
    ``tau`` gives each column's scale and that MAD (in those units, never below
    1) rescales it, so a poor start does not freeze the fit.
    """
    At, pinv = A.T.astype(np.float32), np.linalg.pinv(A).T.astype(np.float32)
    if relative:            # many values, few outliers: least squares is a fair start
        u = Z @ pinv
        R = Z - u @ At
    else:                   # few values, possibly half outliers: a median of ratios
        a0 = A[:, 0]
        a0 = np.where(np.abs(a0) > 1e-12, a0, 1e-12).astype(np.float32)
        u = np.zeros((Z.shape[0], A.shape[1]), np.float32)
        u[:, 0] = np.median(Z / a0, axis=1)
        R = Z - u[:, :1] * a0
    if relative:
        spread = MAD_TO_SIGMA * np.median(np.abs(R) / tau, axis=1, keepdims=True)
        tau = np.float32(3) * tau * np.maximum(spread, 1)
    else:
        tau = np.float32(3 * MAD_TO_SIGMA) * np.median(np.abs(R), axis=1, keepdims=True)
    for _ in range(n_refine):
        fit = u @ At
        u = np.where(np.abs(Z - fit) > tau, fit, Z) @ pinv
    return u, Z - u @ At


def _tail_quantile(threshold, dof):
    """The chi-square(dof) quantile with the two-sided Gaussian tail of ``threshold`` sigmas."""
    if dof == 1:
        return float(threshold) ** 2
    from scipy.stats import chi2
    return float(chi2.isf(math.erfc(threshold / math.sqrt(2)), dof))


def _triplet_sum(V):
    """Sum over the colour channels of rows laid out as r, g, b, r, g, b, ..."""
    out = V[:, 0::3] + V[:, 1::3]
    out += V[:, 2::3]
    return out


@dataclass
class BackgroundModel:
    """A low-rank background learned from sampled frames, and its noise model.

    Attributes
    ----------
    basis : ndarray (rank, P) float32
        Loadings of each pixel value (P = H*W or H*W*3) on the temporal coefficients.
    frame_shape : tuple
        (H, W) or (H, W, 3).
    scale : ndarray (P,) float32
        Noise scale of each pixel value (MAD of the sampled residual), floored at the median.
    brightness_scale, chroma_scale : ndarray (H*W,) float32 or None
        Colour only: noise scales of the residual along and across the background's colour.
    direction : ndarray (H*W*3,) float32 or None
        Colour only: the unit colour vector of each pixel's background (r, g, b, r, g, b, ...).
    level : ndarray (rank, H*W) float32 or None
        Colour only: the basis projected on ``direction`` (background brightness = coefficients @ level).
    rows : ndarray of int
        The pixel values on which each frame's coefficients are fitted.
    """
    basis: np.ndarray
    frame_shape: tuple
    scale: np.ndarray
    brightness_scale: np.ndarray | None
    chroma_scale: np.ndarray | None
    direction: np.ndarray | None
    level: np.ndarray | None
    rows: np.ndarray

    @property
    def rank(self):
        return self.basis.shape[0]

    @property
    def colour(self):
        return len(self.frame_shape) == 3

    def coefficients(self, X):
        """Each row's coefficients, fitted robustly on the pixel values ``rows`` only."""
        Z, A, sigma = X[:, self.rows], self.basis[:, self.rows].T, self.scale[self.rows]
        return _robust_fit(Z, A, tau=sigma, n_refine=3, relative=True)[0]

    def background(self, frames):
        """The background of each frame, float32 in [0, 1] units, shape of ``frames``."""
        arr = check_frames(frames, min_frames=1)
        X = _as_float(arr)
        return (self.coefficients(X) @ self.basis).reshape(arr.shape)

    def _residual(self, frames):
        arr = check_frames(frames, min_frames=1)
        if arr.shape[1:] != self.frame_shape:
            raise ValueError(f"frames of shape {arr.shape[1:]} do not match the model's {self.frame_shape}.")
        k, X = len(arr), arr.reshape(len(arr), -1).astype(np.float32)
        unit = np.float32(255 if arr.dtype == np.uint8 else 1)      # uint8 stays in 0..255: one pass less
        C = self.coefficients(X / unit if unit != 1 else X) * unit
        if not self.colour:
            R = np.subtract(X, C @ self.basis, out=X)
            R /= self.scale * unit
            return k, R * R, C, None, None, unit
        # With the background's colour fixed per pixel (unit vector d), no background image is needed:
        # brightness change = x.d - level, chromaticity change^2 = |x|^2 - (x.d)^2.
        xd = _triplet_sum(X * self.direction)
        X *= X
        across2 = _triplet_sum(X)
        across2 -= xd * xd
        along = np.subtract(xd, C @ self.level, out=xd)
        # Gaussian noise model: along/sigma_b ~ N(0, 1), across/sigma_c ~ 2-D N(0, I), so their squared
        # sum is chi-square with 3 degrees of freedom.
        d2 = np.square(along / (self.brightness_scale * unit))
        d2 += across2 / np.square(self.chroma_scale * unit)
        return k, d2, C, along, across2, unit

    @property
    def dof(self):
        """Degrees of freedom of the squared distance: 1 (grayscale) or 3 (colour)."""
        return 3 if self.colour else 1

    def distance2(self, frames):
        """Squared distance of each pixel from its background in noise units: chi-square(dof) under noise."""
        k, d2 = self._residual(frames)[:2]
        return d2.reshape(k, *self.frame_shape[:2])

    def detect(self, frames, threshold=5.0, shadow_ratio=1.0):
        """Raw foreground (no clean-up) of a chunk of frames: bool (k, H, W).

        Foreground where :meth:`distance2` exceeds the chi-square(dof) quantile with the
        two-sided Gaussian tail of ``threshold`` sigmas (``threshold**2`` in grayscale).
        """
        k, d2, C, along, across2, unit = self._residual(frames)
        fg = d2 > np.float32(_tail_quantile(threshold, self.dof))
        if self.colour and shadow_ratio < 1:   # darker by at most 1/shadow_ratio, same chroma: a shadow
            level = C @ self.level
            shadow = (along < 0) & (level + along >= np.float32(shadow_ratio) * level)
            shadow &= across2 <= np.square(self.chroma_scale * unit) * np.float32(_tail_quantile(threshold, 2))
            fg &= ~shadow
        return fg.reshape(k, *self.frame_shape[:2])


def learn_background(sample, *, lam=None, max_rank=MAX_RANK, random_state=0):
    """Learn a :class:`BackgroundModel` from sampled frames (n, H, W) or (n, H, W, 3).

    Parameters
    ----------
    sample : array
        Frames spread over the clip (e.g. 80 evenly spaced), uint8 or float in [0, 1].
    lam : float, optional
        Sparsity weight of robust PCA (default ``1/sqrt(number of pixel values it sees)``).
    max_rank : int
        Upper bound on the background's rank (bounds the work per frame).
    random_state : int
        Seed of the pixel subsample and of the randomized SVDs.

    Returns
    -------
    BackgroundModel
    """
    arr = check_frames(sample, "sample")
    max_rank = check_positive_int(max_rank, "max_rank")
    A = _temporal_basis(arr, lam, max_rank, random_state)
    n, P = len(arr), math.prod(arr.shape[1:])
    colour = arr.ndim == 4
    basis, scale = np.empty((A.shape[1], P), np.float32), np.empty(P, np.float32)
    brightness, chroma, direction = (np.empty(P // 3, np.float32), np.empty(P // 3, np.float32),
                                     np.empty(P, np.float32)) if colour else (None, None, None)
    flat = arr.reshape(n, P)
    block = max(3, (WORK_BYTES // (16 * n * 4)) // 3 * 3)                 # pixel values per block
    for a in range(0, P, block):
        Z = _as_float(flat[:, a:a + block].T)
        u, R = _robust_fit(Z, A)
        basis[:, a:a + block] = u.T
        scale[a:a + block] = MAD_TO_SIGMA * np.median(np.abs(R), axis=1)
        if colour:      # residual along the background's colour (brightness) and across it (chroma)
            p = slice(a // 3, (a + len(u)) // 3)
            d = u[:, 0].reshape(-1, 3)
            d = (d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-6)).ravel()
            along = _triplet_sum(R.T * d)
            xd, Zt = _triplet_sum(Z.T * d), Z.T               # as `detect` measures it: from x alone
            across = np.sqrt(np.maximum(_triplet_sum(Zt * Zt) - xd * xd, 0))
            direction[a:a + block], brightness[p] = d, MAD_TO_SIGMA * np.median(np.abs(along), axis=0)
            chroma[p] = np.median(across, axis=0) / RAYLEIGH_MEDIAN
    # a pixel that never changed in the sample would get a zero scale: floor at the typical pixel's
    floor = lambda s: np.maximum(s, max(float(np.median(s)), 1e-4)).astype(np.float32)  # noqa: E731
    rows = np.sort(np.random.default_rng(random_state).choice(P, min(P, MAX_ROWS), replace=False))
    if colour:
        brightness, chroma = floor(brightness), floor(chroma)
        level = _triplet_sum(basis * direction)
    else:
        level = None
    return BackgroundModel(basis, arr.shape[1:], floor(scale), brightness, chroma, direction, level, rows)


# -- clean-up -------------------------------------------------------------------

def _clean(mask, median, close):
    m = mask.view(np.uint8) * np.uint8(255)
    if median:
        m = cv2.medianBlur(m, median)
    if close:
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close, close)))
    return m > 0


def _check_filters(median, close):
    for name, size in (("median", median), ("close", close)):
        if size and (size < 3 or size % 2 == 0):
            raise ValueError(f"{name}={size}: use 0 (off) or an odd size >= 3.")


def clean_masks(masks, median=5, close=5):
    """Median filter then morphological closing of each boolean mask (n, H, W); 0 turns a step off."""
    _check_filters(median, close)
    masks = np.ascontiguousarray(masks, dtype=bool)
    if not (median or close):
        return masks
    with ThreadPoolExecutor(max_workers=2) as pool:      # OpenCV releases the GIL
        return np.stack(list(pool.map(lambda m: _clean(m, median, close), masks)))


def masks_from_residual(residual, scale, *, threshold=5.0, median=5, close=5):
    """Foreground where ``|residual| > threshold * scale`` (grayscale), then :func:`clean_masks`."""
    if not threshold > 0:
        raise ValueError(f"threshold must be positive (in noise-scale units), got {threshold}.")
    return clean_masks(np.abs(residual) > (np.float32(threshold) * scale), median, close)


# -- sources: arrays, files, iterators ------------------------------------------

def _chunk_size(frame_values):
    """Frames per chunk so that about ten float32 working copies fit in WORK_BYTES."""
    return max(1, WORK_BYTES // (10 * 4 * frame_values))


def _sample_from_stream(make_chunks, n_sample):
    """Exactly the frames ``_evenly(n, n_sample)`` of a re-readable stream: one pass to count, one to pick."""
    n = sum(len(chunk) for chunk in make_chunks())
    if n == 0:
        raise ValueError("the video holds no frame.")
    wanted, picked, index = set(_evenly(n, n_sample).tolist()), [], 0
    for chunk in make_chunks():
        picked += [np.array(f) for i, f in enumerate(chunk, start=index) if i in wanted]
        index += len(chunk)
    return np.stack(picked)


def _check_chunk(chunk, shape):
    arr = check_frames(chunk, "a chunk of frames", min_frames=1)
    if shape is not None and arr.shape[1:] != shape:
        raise ValueError(f"frames change shape from {shape} to {arr.shape[1:]}; resize them to one shape.")
    return arr


def _first_frames(iterator, n):
    """Buffer chunks from a one-shot iterator until ``n`` frames: (list of chunks, iterator)."""
    pending, buffered = [], 0
    for item in iterator:
        pending.append(_check_chunk(_as_chunk(item), pending[0].shape[1:] if pending else None))
        buffered += len(pending[-1])
        if buffered >= n:
            break
    if not pending:
        raise ValueError("the frame iterator is empty.")
    return pending, iterator


def _as_chunk(item):
    """One frame (H, W) or (H, W, 3) becomes a chunk of one; a chunk stays as it is."""
    item = np.asarray(item)
    return item[None] if item.ndim == 2 or (item.ndim == 3 and item.shape[-1] == 3) else item


def _evenly(n, k):
    return np.unique(np.linspace(0, n - 1, min(n, k)).round().astype(int))


def iter_foreground_masks(source, *, threshold=5.0, shadow_ratio=1.0, median=5, close=5,
                          n_sample_frames=80, grayscale=False, chunk_size=None, lam=None,
                          random_state=0):
    """Foreground masks in chunks, in bounded memory: the generator behind :func:`foreground_masks`.

    ``source`` is an array, a video path (decoded three times, in a guarded
    child process: to count the frames, to pick the sample, for the masks) or an iterator of frames
    or of chunks of frames (one pass: the background is learned from the first
    ``4 * n_sample_frames`` frames). Yields ``(model, masks)`` with ``masks``
    bool (k, H, W); parameters as in :func:`foreground_masks`.
    """
    _check_filters(median, close)
    if not threshold > 0:
        raise ValueError(f"threshold must be positive (in noise-scale units), got {threshold}.")
    if not 0 < shadow_ratio <= 1:
        raise ValueError(f"shadow_ratio must be in (0, 1] (1 turns shadow removal off), got {shadow_ratio}.")
    n_sample = check_positive_int(n_sample_frames, "n_sample_frames")
    checked = False
    if isinstance(source, (str, Path)):
        from .io import iter_video
        make = lambda: iter_video(source, chunk_size=16, grayscale=grayscale)  # noqa: E731
        sample, chunks = _sample_from_stream(make, n_sample), make()
    elif not isinstance(source, Iterator):
        arr, checked = check_frames(source), True
        sample, chunks = arr[_evenly(len(arr), n_sample)], [arr]
    else:                                   # one pass: learn from the first frames
        pending, rest = _first_frames(source, 4 * n_sample)
        head = np.concatenate(pending)
        sample, chunks = head[_evenly(len(head), n_sample)], itertools.chain(pending, rest)
    with threadpool_limits(1, "blas"):      # thin products: threads cost more than they save
        model = learn_background(check_frames(sample, "the sampled frames"), lam=lam, random_state=random_state)
    step = chunk_size or _chunk_size(math.prod(model.frame_shape))
    for item in chunks:
        item = item if checked else _check_chunk(_as_chunk(item), model.frame_shape)
        for i in range(0, len(item), step):
            with threadpool_limits(1, "blas"):
                raw = model.detect(item[i:i + step], threshold, shadow_ratio)
            yield model, clean_masks(raw, median, close)


def foreground_masks(source, *, threshold=5.0, shadow_ratio=1.0, median=5, close=5, n_sample_frames=80,
                     grayscale=False, out=None, return_model=False, lam=None):
    """Boolean foreground masks of a video, by robust PCA, in bounded memory.

    Parameters
    ----------
    source : array, path or iterator
        Frames (n, H, W) grayscale or (n, H, W, 3) RGB, uint8 or float in [0, 1]
        (a memory-mapped array works); a video file path; or an iterator of
        frames or of chunks of frames.
    threshold : float
        Foreground where the residual exceeds ``threshold`` noise scales. The
        default 5 is the "five sigma" outlier rule: Gaussian noise crosses it
        with probability 6e-7 per pixel. In colour, the residual is split into
        a brightness part (1-D) and a chromaticity part (2-D), each divided by
        its own noise scale; their squared sum is chi-square with 3 degrees of
        freedom under the noise model, thresholded at the same tail probability.
    shadow_ratio : float
        Colour only: with ``shadow_ratio < 1``, a pixel darker than its
        background by a factor between ``shadow_ratio`` and 1 with unchanged
        chromaticity is called a cast shadow (background), as in Horprasert et
        al. (OpenCV uses 0.5: "at most twice darker"). Off (1) by default:
        outdoors a shadow is lit by the blue sky alone, so its chromaticity
        changes (Nadimi and Bhanu 2004) while a dark gray car's does not -- the
        rule would remove cars and keep shadows.
    median, close : int
        Sizes of the median filter and of the closing (0 turns each off); five
        pixels removes specks and fills pinholes far smaller than the objects.
    n_sample_frames : int
        Frames robust PCA sees to learn the background.
    grayscale : bool
        For a path: decode as grayscale.
    out : path, optional
        Write the masks to this new ``.npy`` file (memory-mapped; never
        overwritten) instead of holding them in memory.
    return_model : bool
        Also return the :class:`BackgroundModel`.

    Returns
    -------
    masks : ndarray of bool, shape (n, H, W) (memory-mapped if ``out``)
    model : BackgroundModel, only if ``return_model``
    """
    if out is not None:
        out = Path(out).expanduser()
        if out.suffix != ".npy":
            raise ValueError(f"out={out}: write masks to a .npy file.")
        if out.exists():
            raise FileExistsError(f"{out} exists; choose another name or delete it first.")
        if not out.parent.is_dir():
            raise FileNotFoundError(f"the folder {out.parent} does not exist; create it first.")
    chunks = iter_foreground_masks(source, threshold=threshold, shadow_ratio=shadow_ratio, median=median,
                                   close=close, n_sample_frames=n_sample_frames, grayscale=grayscale, lam=lam)
    model = None
    if out is None:
        n = len(source) if isinstance(source, np.ndarray) else None
        result, parts, i = None, [], 0
        for model, masks in chunks:  # noqa: B007 (the model is returned)
            if n is not None:            # length known: fill one array, no second copy
                result = np.empty((n, *masks.shape[1:]), bool) if result is None else result
                result[i:i + len(masks)] = masks
                i += len(masks)
            else:
                parts.append(masks)
        result = result if n is not None else np.concatenate(parts)
    else:
        raw = out.with_name(out.name + ".part")
        try:
            with open(raw, "xb") as handle:              # stream to disk: length unknown in advance
                for model, masks in chunks:  # noqa: B007 (the model is returned)
                    handle.write(masks.tobytes())
            hw = model.frame_shape[:2]
            shape = (raw.stat().st_size // math.prod(hw), *hw)
            with open(out, "xb") as handle, open(raw, "rb") as body:   # header, then the bytes: no mapping
                np.lib.format.write_array_header_1_0(handle, {"descr": "|b1", "fortran_order": False,
                                                              "shape": shape})
                shutil.copyfileobj(body, handle, 2 ** 24)
        finally:
            raw.unlink(missing_ok=True)
        result = np.load(out, mmap_mode="r")
    return (result, model) if return_model else result


class Decomposition(NamedTuple):
    """Background (low rank) and residual of a video, float32 like the frames, plus the noise scale."""
    background: np.ndarray
    residual: np.ndarray
    scale: np.ndarray       # per-value noise scale, shape of one frame
    rank: int


def decompose(frames, *, n_sample_frames=80, lam=None):
    """Background and residual of a whole (small) video held in memory, for plots.

    Costs two float32 copies of the video; :func:`foreground_masks` never does.
    """
    arr = check_frames(frames)
    idx = np.unique(np.linspace(0, len(arr) - 1, min(len(arr), n_sample_frames)).round().astype(int))
    model = learn_background(arr[idx], lam=lam)
    background = model.background(arr)
    residual = _as_float(arr).reshape(arr.shape) - background
    return Decomposition(background, residual, model.scale.reshape(arr.shape[1:]), model.rank)


# -- scoring --------------------------------------------------------------------

class FMeasure(NamedTuple):
    """CDnet scores: F-measure, precision and recall."""
    f: float
    precision: float
    recall: float


def cdnet_fmeasure(masks, groundtruth, roi=None):
    """Score foreground masks by CDnet 2014's rules.

    Ground-truth 255 (moving) is positive; 0 (static) and 50 (hard shadow)
    negative; 85 (outside the region of interest) and 170 (unknown motion) are
    ignored, as are pixels where ``roi`` is False. Counts are summed over all
    frames given (pass only the temporal-ROI frames).

    Parameters
    ----------
    masks : bool array (n, H, W)
    groundtruth : uint8 array (n, H, W)
    roi : bool array (H, W), optional

    Returns
    -------
    FMeasure
        ``(f, precision, recall)``; F = 2 P R / (P + R).

    Examples
    --------
    >>> gt = np.array([[[255, 255, 0, 50, 85, 170]]], np.uint8)
    >>> cdnet_fmeasure(np.array([[[1, 0, 1, 0, 1, 1]]], bool), gt)
    FMeasure(f=0.5, precision=0.5, recall=0.5)
    """
    masks = np.asarray(masks)
    gt = np.asarray(groundtruth)
    if masks.shape != gt.shape:
        raise ValueError(f"masks {masks.shape} and groundtruth {gt.shape} must have the same shape.")
    if masks.dtype != bool:
        raise TypeError(f"masks must be boolean, got {masks.dtype}; threshold them first.")
    labels = set(np.unique(gt).tolist())
    if not labels <= {0, 50, 85, 170, 255}:
        raise ValueError(f"groundtruth has labels {sorted(labels - {0, 50, 85, 170, 255})} that CDnet "
                         "does not use (0, 50, 85, 170, 255).")
    valid = (gt == 0) | (gt == 50) | (gt == 255)
    if roi is not None:
        roi = np.asarray(roi, bool)
        if roi.shape != gt.shape[1:]:
            raise ValueError(f"roi {roi.shape} must match the frame size {gt.shape[1:]}.")
        valid &= roi
    pos = gt == 255
    tp = int(np.count_nonzero(masks & pos & valid))
    fp = int(np.count_nonzero(masks & ~pos & valid))
    fn = int(np.count_nonzero(~masks & pos & valid))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return FMeasure(f, precision, recall)
