"""Argument checks shared by every public function.

Each check raises an exception whose message names the problem *and* the fix,
so a reader never gets a silent wrong answer or a crashed kernel.
"""

from numbers import Integral

import numpy as np


def check_matrix(X, name="X", *, ndim=2, dtype=np.float64, nonnegative=False,
                 allow_empty=False, copy=False):
    """Return ``X`` as a finite floating-point array with ``ndim`` dimensions.

    Parameters
    ----------
    X : array-like
        The input.
    name : str
        How the argument is called in error messages.
    ndim : int or tuple of int
        Accepted number(s) of dimensions.
    dtype : numpy dtype or None
        Floating dtype to convert to; ``None`` keeps a floating input's dtype
        (and converts anything else to float64).
    nonnegative : bool
        Refuse negative entries (NMF).
    allow_empty : bool
        Accept arrays with a zero-length axis.
    copy : bool
        Always return a copy.

    Returns
    -------
    ndarray
    """
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be turned into a NumPy array ({exc}); "
                         "pass a rectangular array of numbers.") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                   or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}; "
                        "convert it with np.asarray(..., dtype=float).")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} is complex; this course works with real matrices.")
    ndims = (ndim,) if isinstance(ndim, Integral) else tuple(ndim)
    if arr.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {want}, got shape {arr.shape}; "
                         + ("reshape it, e.g. X.reshape(n_rows, -1)." if 2 in ndims
                            else "check how it was built."))
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); pass at least one row "
                         "and one column.")
    if dtype is None:
        target = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64
    else:
        target = dtype
    out = np.array(arr, dtype=target, copy=True) if copy else arr.astype(target, copy=False)
    if not np.isfinite(out).all():
        bad = np.count_nonzero(~np.isfinite(out))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); remove or "
                         "impute them (e.g. np.nan_to_num) before factorizing.")
    if nonnegative and out.size and out.min() < 0:
        raise ValueError(f"{name} has negative entries (min {out.min():.4g}); NMF needs "
                         "X >= 0 -- shift or clip the data, e.g. X - X.min().")
    return out


def check_rank(k, shape, name="k"):
    """Return ``k`` as an int in ``1 .. min(shape)``, or raise a clear error."""
    if isinstance(k, bool) or not isinstance(k, Integral):
        raise TypeError(f"{name} must be a whole number, got {k!r}.")
    kmax = int(min(shape))
    if not 1 <= k <= kmax:
        raise ValueError(f"{name}={k} is out of range for a matrix of shape "
                         f"{tuple(shape)}: choose 1 <= {name} <= {kmax}.")
    return int(k)


def check_positive_int(value, name):
    """Return ``value`` as a positive int, or raise."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
    return int(value)
