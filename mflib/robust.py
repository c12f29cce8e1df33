"""High-breakdown location and scale of many small samples at once (one sample per row).

The background model estimates, for every pixel, where its values cluster and how
widely they scatter there, from about 80 sampled frames of which moving objects may
cover *most*. The median and the median absolute deviation (MAD) break down at 50 %
contamination: where traffic covers a pixel in more than half of the frames, they
describe the traffic. The estimators here survive more:

* :func:`half_sample_mode` -- the densest cluster of each row (Bickel and Fruehwirth
  2006): repeatedly keep the shortest window holding half of the remaining values.
  It stays on the background as long as the background's values are the densest
  cluster, however many scattered foreground values there are.
* :func:`deviation_scale` -- a Gaussian-consistent scale from the ``coverage``-quantile
  of the absolute deviations from a centre (``coverage=0.5`` is the MAD); a small
  coverage tolerates a foreground share up to ``1 - coverage``.
* :func:`reweighted_scale` -- the efficiency back: the mean square of the deviations
  within ``cut`` scales, corrected for the truncation, iterated (a reweighting step
  after a high-breakdown start).
"""

import math

import numpy as np


def half_sample_mode(Y):
    """The half-sample mode of each row of ``Y`` (p, n).

    Sort the row; keep the shortest window holding ``ceil(m / 2)`` of the ``m``
    values left; repeat until three or fewer remain; the mode is the mean of the
    closer two of three (or of the two left).

    Examples
    --------
    >>> half_sample_mode(np.array([[1.0, 1.1, 1.2, 1.3, 5, 7, 9, 11, 13]]))   # 4 of 9 values cluster
    array([1.15])
    """
    S = np.sort(np.asarray(Y), axis=-1)
    if S.ndim != 2 or S.shape[1] == 0:
        raise ValueError(f"Y must be a non-empty 2-D array (one sample per row), got shape {S.shape}.")
    lo, m = np.zeros((len(S), 1), np.intp), S.shape[1]
    while m > 3:
        k = math.ceil(m / 2)
        starts = lo + np.arange(m - k + 1)
        widths = np.take_along_axis(S, starts + k - 1, 1) - np.take_along_axis(S, starts, 1)
        lo = np.take_along_axis(starts, widths.argmin(axis=1)[:, None], 1)
        m = k
    w = np.take_along_axis(S, lo + np.arange(m), 1)
    if m < 3:
        return w.mean(axis=1)
    left, right = w[:, 1] - w[:, 0], w[:, 2] - w[:, 1]
    return np.where(left < right, (w[:, 0] + w[:, 1]) / 2, np.where(left > right, (w[:, 1] + w[:, 2]) / 2, w[:, 1]))


def _gaussian_quantile(p):
    """Standard normal quantile (no SciPy import on the hot path)."""
    from statistics import NormalDist
    return NormalDist().inv_cdf(p)


def deviation_scale(absdev, coverage=0.5):
    """Gaussian-consistent scale of each row of absolute deviations ``absdev`` (p, n).

    The ``ceil(coverage * n)``-th smallest deviation divided by the standard normal's
    ``(1 + coverage) / 2`` quantile: ``coverage=0.5`` is the MAD; the estimate breaks
    down only when more than ``1 - coverage`` of a row is foreground.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(0, 2, (1, 100_000))
    >>> deviation_scale(np.abs(x), 0.1).round(1)
    array([2.])
    """
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}.")
    absdev = np.asarray(absdev)
    k = max(1, math.ceil(coverage * absdev.shape[1])) - 1
    q = np.partition(absdev, k, axis=1)[:, k]
    return (q / np.float32(_gaussian_quantile((1 + coverage) / 2))).astype(absdev.dtype, copy=False)


def truncated_chi2_mean(cut, dof):
    """Threshold and correction of a cut at ``cut`` sigmas for a chi-square(dof) squared deviation.

    Returns ``(k, f)``: ``k`` is the chi-square(dof) quantile with the two-sided
    Gaussian tail of ``cut`` sigmas, ``f = E[X | X <= k] / dof``, the share of the
    variance a cut keeps (``E[X 1{X <= k}] = dof * P(chi2(dof + 2) <= k)``).
    """
    from scipy.stats import chi2
    tail = math.erfc(cut / math.sqrt(2))
    k = float(chi2.isf(tail, dof))
    return k, float(chi2.cdf(k, dof + 2) / (1 - tail))


def reweighted_scale(sq, start, dof=1, cut=3.0, n_iter=3):
    """Scale of each row from its squared deviations ``sq`` (p, n), started at ``start`` (p,).

    Each step keeps the deviations within ``cut`` current scales (a chi-square(dof)
    cut with the same tail) and sets the scale from their mean square, divided by
    the share of a Gaussian's variance that the cut keeps; rows with fewer than
    three values kept keep their scale. The start's breakdown carries over; the
    steps recover the efficiency a low-coverage start loses and widen the scale
    of a genuinely wide background (leaves, water) towards its true spread.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.where(rng.random((1, 80)) < 0.3, rng.normal(0, 2, (1, 80)), rng.uniform(20, 200, (1, 80)))
    >>> start = deviation_scale(np.abs(x), 0.1)          # 70 % of the row is far away
    >>> bool(1 < reweighted_scale(x * x, start)[0] < 3)
    True
    """
    k, f = truncated_chi2_mean(cut, dof)
    s2 = np.square(np.asarray(start, np.float32))
    for _ in range(n_iter):
        kept = sq <= np.float32(k) * s2[:, None]
        count = np.count_nonzero(kept, axis=1)
        total = np.where(kept, sq, 0).sum(axis=1)
        s2 = np.where(count >= 3, total / np.maximum(count, 1) / np.float32(dof * f), s2).astype(np.float32)
    return np.sqrt(s2)
