"""Videos as matrices: background/foreground separation and its scoring.

A grayscale video of ``n`` frames of ``H x W`` pixels becomes a tall matrix with
one frame per column (``H*W x n``). A static background is (nearly) the same
column repeated -- low rank -- and moving objects are sparse: robust PCA
separates the two.

:func:`foreground_masks` is the whole pipeline, built to be fast on long videos:

1. **Background subspace** -- :class:`~mflib.rpca.RobustPCA` on a temporal
   subsample of the frames (about 80 columns): a static or slowly changing
   background is seen just as well in 80 frames as in 1,000.
2. **Every frame's background** -- each frame is projected onto that subspace
   robustly: coefficients estimated on a pixel subsample, alternating with
   soft thresholding so moving objects do not pull the background.
3. **Threshold** -- a pixel is foreground when its residual exceeds ``k``
   times its own noise scale, a robust estimate (median absolute deviation over
   time) never smaller than the typical pixel's. Ground truth is never used.
4. **Clean-up** -- a median filter and a morphological closing per frame.
"""

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import cv2
import numpy as np

from ._validation import check_positive_int
from .rpca import RobustPCA, shrink

MAD_TO_SIGMA = 1.4826  # median absolute deviation -> standard deviation for Gaussian noise


def check_frames(frames, name="frames"):
    """Validate a grayscale video: an array (n, H, W) of numbers, n >= 2, finite."""
    if isinstance(frames, (list, tuple)):
        shapes = {np.shape(f) for f in frames}
        if len(shapes) > 1:
            raise ValueError(f"{name} have mixed shapes {sorted(shapes)}; resize them to one shape "
                             "(e.g. mflib.io.load_video(..., size=(W, H))).")
    arr = np.asarray(frames)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
    if arr.ndim == 4 and arr.shape[-1] == 3:
        raise ValueError(f"{name} look like colour video {arr.shape}; convert to grayscale first "
                         "(load_video(..., grayscale=True) or mflib.imaging.to_gray).")
    if arr.ndim != 3:
        raise ValueError(f"{name} must have shape (n_frames, H, W), got {arr.shape}.")
    if arr.shape[0] < 2:
        raise ValueError(f"{name} hold {arr.shape[0]} frame(s); separating a background needs at "
                         "least 2 (in practice dozens).")
    if arr.size == 0:
        raise ValueError(f"{name} are empty: shape {arr.shape}.")
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ValueError(f"{name} contain NaN or infinite values; fix or drop those frames.")
    return arr


def frames_to_matrix(frames):
    """Stack frames as the columns of a float32 matrix (pixels x frames), scaled to [0, 1] for uint8.

    Examples
    --------
    >>> frames_to_matrix(np.zeros((5, 4, 3), np.uint8)).shape
    (12, 5)
    """
    arr = check_frames(frames)
    M = arr.reshape(arr.shape[0], -1).T.astype(np.float32)
    return M / 255 if arr.dtype == np.uint8 else M


def matrix_to_frames(M, frame_shape):
    """Inverse of :func:`frames_to_matrix`: columns back to frames (n, H, W)."""
    M = np.asarray(M)
    h, w = frame_shape
    if M.ndim != 2 or M.shape[0] != h * w:
        raise ValueError(f"M has shape {M.shape}; with frames of {h}x{w} it needs {h * w} rows.")
    return M.T.reshape(-1, h, w)


class Decomposition(NamedTuple):
    """Background (low rank) and residual (sparse) of a video, both (n, H, W) float32, plus the scale."""
    background: np.ndarray
    residual: np.ndarray
    scale: np.ndarray       # per-pixel noise scale (H, W)
    rank: int


def decompose(frames, *, n_sample_frames=80, lam=None, pixel_step=7, n_refine=3):
    """Split a grayscale video into background and residual with robust PCA.

    Parameters
    ----------
    frames : array (n, H, W)
        uint8 (scaled to [0, 1]) or float.
    n_sample_frames : int
        Frames, evenly spaced, that robust PCA sees to learn the background subspace.
    lam : float, optional
        Sparsity weight of robust PCA (default ``1/sqrt(H*W)``).
    pixel_step : int
        Every ``pixel_step``-th pixel estimates a frame's background coefficients.
    n_refine : int
        Alternations between coefficients and soft thresholding.

    Returns
    -------
    Decomposition
    """
    arr = check_frames(frames)
    n, h, w = arr.shape
    X = arr.reshape(n, -1).astype(np.float32)      # frames x pixels: one frame per row
    if arr.dtype == np.uint8:
        X *= np.float32(1 / 255)
    step = max(1, n // check_positive_int(n_sample_frames, "n_sample_frames"))
    sample = np.ascontiguousarray(X[::step].T)      # pixels x sampled frames
    pcp = RobustPCA(lam=lam, tol=1e-3, max_iter=100).fit(sample)
    rank = max(pcp.rank_, 1)
    U = np.linalg.svd(pcp.low_rank_, full_matrices=False)[0][:, :rank]          # pixels x r
    # Robust coefficients of every frame on the subspace, from a pixel subsample:
    # alternate a fit with soft-thresholding the misfit, so moving objects do not pull it.
    pick = slice(None, None, check_positive_int(pixel_step, "pixel_step"))
    Xs, Us = X[:, pick], U[pick]
    P = Us @ np.linalg.inv(Us.T @ Us)             # least squares on the subsample (not orthonormal)
    C = Xs @ P
    for _ in range(n_refine):
        R = Xs - C @ Us.T
        tau = 3 * MAD_TO_SIGMA * np.median(np.abs(R))
        C = (Xs - shrink(R, tau)) @ P
    background = C @ U.T                          # frames x pixels
    residual = np.subtract(X, background, out=X)
    # Per-pixel noise scale: MAD of the residual over the sampled frames, never below the
    # typical pixel's (a pixel that never changed would otherwise get a zero scale).
    scale = MAD_TO_SIGMA * np.median(np.abs(residual[::step]), axis=0)
    scale = np.maximum(scale, max(float(np.median(scale)), 1e-6)).astype(np.float32)
    return Decomposition(background.reshape(n, h, w), residual.reshape(n, h, w),
                         scale.reshape(h, w), rank)


def _clean(mask, median, close):
    m = mask.view(np.uint8) * np.uint8(255)
    if median:
        m = cv2.medianBlur(m, median)
    if close:
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close, close)))
    return m > 0


def clean_masks(masks, median=5, close=5):
    """Median filter then morphological closing of each boolean mask (n, H, W); 0 turns a step off."""
    for name, size in (("median", median), ("close", close)):
        if size and (size < 3 or size % 2 == 0):
            raise ValueError(f"{name}={size}: use 0 (off) or an odd size >= 3.")
    masks = np.ascontiguousarray(masks, dtype=bool)
    if not (median or close):
        return masks
    with ThreadPoolExecutor(max_workers=2) as pool:      # OpenCV releases the GIL
        return np.stack(list(pool.map(lambda m: _clean(m, median, close), masks)))


def masks_from_residual(residual, scale, *, threshold=5.0, median=5, close=5):
    """Foreground where ``|residual| > threshold * scale``, then :func:`clean_masks`."""
    if not threshold > 0:
        raise ValueError(f"threshold must be positive (in noise-scale units), got {threshold}.")
    return clean_masks(np.abs(residual) > (np.float32(threshold) * scale), median, close)


def foreground_masks(frames, *, threshold=5.0, median=5, close=5, n_sample_frames=80,
                     return_decomposition=False):
    """Boolean foreground masks of a grayscale video, by robust PCA.

    Parameters
    ----------
    frames : array (n_frames, H, W)
        Grayscale video, uint8 or float.
    threshold : float
        A pixel is foreground when its residual exceeds ``threshold`` times its
        noise scale. The default 5 is a conventional "five sigma" outlier rule:
        under Gaussian noise a background pixel crosses it with probability
        6e-7, so what crosses it is almost surely change, not noise.
    median, close : int
        Sizes of the median filter and of the closing (0 turns each off). Five
        pixels: removes isolated specks and fills pinholes smaller than a few
        pixels, far smaller than the objects of interest.
    n_sample_frames : int
        Frames robust PCA sees to learn the background (see :func:`decompose`).
    return_decomposition : bool
        Also return the :class:`Decomposition`.

    Returns
    -------
    masks : ndarray of bool, shape (n_frames, H, W)
    decomposition : Decomposition, only if ``return_decomposition``
    """
    parts = decompose(frames, n_sample_frames=n_sample_frames)
    masks = masks_from_residual(parts.residual, parts.scale, threshold=threshold, median=median, close=close)
    return (masks, parts) if return_decomposition else masks


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

