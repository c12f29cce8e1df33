"""The beta-divergence, the loss family NMF minimizes (Frobenius, Kullback-Leibler, Itakura-Saito)."""

import numpy as np

from .._validation import check_matrix

EPS = np.finfo(np.float64).eps
NAMED_BETA = {"frobenius": 2.0, "kullback-leibler": 1.0, "itakura-saito": 0.0}


def beta_value(beta):
    if isinstance(beta, str):
        if beta not in NAMED_BETA:
            raise ValueError(f"beta={beta!r}: use a number >= 0 or one of {sorted(NAMED_BETA)}.")
        return NAMED_BETA[beta]
    if isinstance(beta, bool) or not np.isscalar(beta) or not np.isfinite(beta) or beta < 0:
        raise ValueError(f"beta must be a finite number >= 0, got {beta!r}.")
    return float(beta)


def beta_divergence(X, Y, beta, *, square_root=False):
    """The beta-divergence ``D_beta(X | Y) = sum_ij d_beta(x_ij | y_ij)``.

    .. math::

        d_\\beta(x \\mid y) = \\frac{x^\\beta + (\\beta - 1) y^\\beta - \\beta x y^{\\beta - 1}}{\\beta(\\beta - 1)}

    with the limits ``beta = 2``: ``(x - y)^2 / 2`` (half the squared Frobenius
    norm); ``beta = 1``: ``x log(x / y) - x + y`` (generalized Kullback-Leibler);
    ``beta = 0``: ``x / y - log(x / y) - 1`` (Itakura-Saito). The values equal
    scikit-learn's NMF objective.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        Data, non-negative (positive for ``beta = 0``).
    Y : array-like, same shape
        Approximation, e.g. ``W @ H``; non-negative, and positive wherever the
        divergence needs ``1 / y`` or ``log y`` (``beta <= 1``).
    beta : float >= 0 or {"frobenius", "kullback-leibler", "itakura-saito"}
    square_root : bool
        Return ``sqrt(2 D)``, scikit-learn's ``reconstruction_err_`` (the
        Frobenius norm for ``beta = 2``).

    Returns
    -------
    float

    Notes
    -----
    Zeros follow the limits: an entry with ``x = 0`` contributes
    ``y^beta / beta`` for ``beta > 0`` (so ``0 log 0 = 0`` for Kullback-Leibler),
    as in scikit-learn. Where the divergence is infinite -- ``y = 0 < x`` with
    ``beta <= 1``, or ``x = 0`` with ``beta = 0`` -- this function raises,
    whereas scikit-learn returns a finite stand-in (it clips ``y`` to machine
    epsilon and skips ``x = 0`` terms).

    Examples
    --------
    >>> X = np.array([[1.0, 2.0]])
    >>> beta_divergence(X, np.array([[1.0, 4.0]]), 2)
    2.0
    >>> round(beta_divergence(X, X, "kullback-leibler"), 12)
    0.0
    """
    b = beta_value(beta)
    X = check_matrix(X, "X", nonnegative=True)
    Y = check_matrix(Y, "Y", nonnegative=True)
    if X.shape != Y.shape:
        raise ValueError(f"X {X.shape} and Y {Y.shape} must have the same shape; Y is the "
                         "approximation of X, e.g. W @ H.")
    res = divergence(X, Y, b)
    return float(np.sqrt(2 * res)) if square_root else res


def divergence(X, Y, b):
    """``D_b(X | Y)`` for validated arrays of one shape.

    ``D_b(c X | c Y) = c^b D_b(X | Y)``: inputs so large that their powers would
    overflow are scaled to at most 1 first; the result is ``inf`` only when the
    divergence itself exceeds the float64 range.
    """
    c = max(float(X.max(initial=0)), float(Y.max(initial=0)))
    if c > 1e100:
        with np.errstate(over="ignore"):
            return float(divergence(X / c, Y / c, b) * np.float64(c) ** b)
    if b == 2:
        res = 0.5 * float(np.sum((X - Y) ** 2))
    else:
        pos = X > 0
        if b <= 1 and np.any(Y[pos] <= 0):
            raise ValueError(f"Y has zeros where X > 0: the beta={b:g} divergence is infinite there. "
                             "Keep the approximation positive (e.g. Y + 1e-12).")
        if b == 0 and not np.all(pos):
            raise ValueError("the Itakura-Saito divergence (beta=0) is infinite where X = 0; "
                             "add a small positive offset to X.")
        x, y = X[pos], Y[pos]
        if b == 1:
            res = float(np.sum(x * np.log(x / y)) - x.sum() + Y.sum())   # 0 log 0 = 0
        elif b == 0:
            ratio = x / y
            res = float(np.sum(ratio - np.log(ratio) - 1))
        else:  # x = 0 entries contribute y^b / b, included in the sum over Y
            res = float((np.sum(x ** b) + (b - 1) * np.sum(Y ** b) - b * np.sum(x * y ** (b - 1)))
                        / (b * (b - 1)))
    return max(res, 0.0)  # rounding can leave -1e-16
