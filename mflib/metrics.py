"""How good an approximation is, in one place: relative error, PSNR, and CDnet's F-measure.

Every chapter, slider and benchmark scores with these; none writes its own.
"""

from typing import NamedTuple

import numpy as np

from ._threads import one_blas_thread
from ._validation import check_matrix, check_number


def _pair(A, B):
    A = check_matrix(A, "A", ndim=(1, 2, 3))
    B = check_matrix(B, "B", ndim=(1, 2, 3))
    if A.shape != B.shape:
        raise ValueError(f"A {A.shape} and B {B.shape} differ in shape; compare like with like.")
    return A, B


def relative_error(A, B):
    """Relative error ``||A - B||_F / ||A||_F`` of an approximation ``B`` of ``A``.

    Parameters
    ----------
    A, B : array-like of the same shape
        1-D, 2-D or 3-D (RGB images).

    Returns
    -------
    float

    Examples
    --------
    >>> relative_error([3.0, 4.0], [3.0, 0.0])
    0.8
    """
    A, B = _pair(A, B)
    with one_blas_thread(), np.errstate(over="ignore", under="ignore"):  # called at every slider step
        norm = np.linalg.norm(A)
        if not 1e-150 < norm < 1e150:   # the sum of squares may have underflowed or overflowed: rescale
            if not A.any():
                raise ValueError("A is all zeros, so a relative error is undefined.")
            top = np.abs(A).max()
            A, B = A / top, B / top
            return float(_scaled_norm(A - B) / _scaled_norm(A))
        return float(np.linalg.norm(A - B) / norm)


def _scaled_norm(x):
    """``||x||_F`` computed as ``m ||x / m||_F`` with ``m = max |x|``: no square overflows or underflows."""
    m = np.abs(x).max()
    return m * np.linalg.norm(x / m) if 0 < m < np.inf else m


def psnr_from_mse(mse, peak=1.0):
    """``10 log10(peak^2 / mse)`` in decibels; ``inf`` for ``mse = 0``.

    Examples
    --------
    >>> psnr_from_mse(0.01)
    20.0
    """
    mse = check_number(mse, "mse", 0)
    peak = check_number(peak, "peak", 0, low_open=True)
    # in logarithms: peak ** 2 overflows for peak > 1e154
    return float("inf") if mse == 0 else float(10 * (2 * np.log10(peak) - np.log10(mse)))


def psnr(A, B, peak=1.0):
    """Peak signal-to-noise ratio ``10 log10(peak^2 / MSE)`` in decibels.

    Parameters
    ----------
    A, B : array-like of the same shape
        Original and approximation (1-D, 2-D or 3-D).
    peak : float
        Largest possible value: 1 for images in ``[0, 1]``, 255 for ``uint8``.

    Returns
    -------
    float
        ``inf`` if ``A`` and ``B`` are equal. Raises if ``A`` exceeds ``peak``.

    Examples
    --------
    >>> round(psnr(np.zeros(4), np.full(4, 0.1)), 2)
    20.0
    """
    A, B = _pair(A, B)
    peak = check_number(peak, "peak (1 for images in [0, 1], 255 for uint8)", 0, low_open=True)
    if np.abs(A).max() > 1.001 * peak:  # e.g. a 0..255 image with the default peak of 1
        raise ValueError(f"A has values up to {np.abs(A).max():.4g}, above peak={peak}; pass the "
                         "largest possible value, e.g. peak=255 for 8-bit images.")
    return psnr_from_mse(np.mean(np.square((A - B) / peak)), 1.0)    # in units of peak: no overflow


class FMeasure(NamedTuple):
    """CDnet scores: F-measure, precision and recall."""
    f: float
    precision: float
    recall: float


CDNET_LABELS = {0, 50, 85, 170, 255}


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
    if not labels <= CDNET_LABELS:
        raise ValueError(f"groundtruth has labels {sorted(labels - CDNET_LABELS)} that CDnet "
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
