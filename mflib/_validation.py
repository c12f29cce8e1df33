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
    check_finite(out, name)
    if nonnegative and out.size and out.min() < 0:
        raise ValueError(f"{name} has negative entries (min {out.min():.4g}); NMF needs "
                         "X >= 0 -- shift or clip the data, e.g. X - X.min().")
    return out


def check_rank(k, shape, name="k"):
    """Return ``k`` as an int in ``1 .. min(shape)``, or raise a clear error."""
    kmax = int(min(shape))
    if isinstance(k, Integral) and not isinstance(k, bool) and not 1 <= k <= kmax:
        raise ValueError(f"{name}={k} is out of range for a matrix of shape "
                         f"{tuple(shape)}: choose 1 <= {name} <= {kmax}.")
    return check_int(k, name, 1, kmax)


def check_positive_int(value, name):
    """Return ``value`` as a positive int, or raise."""
    if isinstance(value, Integral) and not isinstance(value, bool) and value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
    return check_int(value, name, 1)


def check_int(value, name, low=None, high=None):
    """Return ``value`` as an int in ``low .. high`` (either bound optional), or raise.

    A float, even ``3.0``, is refused rather than truncated: ``1.5`` frames or
    ranks have no meaning, and silently using ``1`` would be a wrong answer.
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a whole number (an int), got {value!r}; "
                        f"pass e.g. {name}=int(...) if it is a whole-number float.")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        span = (f"{low} <= {name} <= {high}" if low is not None and high is not None
                else f"{name} >= {low}" if low is not None else f"{name} <= {high}")
        raise ValueError(f"{name}={value} is out of range: choose {span}.")
    return value


def check_number(value, name, low=None, high=None, *, low_open=False):
    """Return ``value`` as a finite float in ``[low, high]`` (``(low, high]`` with ``low_open``), or raise."""
    if isinstance(value, (bool, str, bytes)):
        raise TypeError(f"{name} must be a number, got {value!r}.")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}.") from None
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if (low is not None and (out < low or (low_open and out == low))) or (high is not None and out > high):
        lo = "" if low is None else f"{low} {'<' if low_open else '<='} "
        hi = "" if high is None else f" <= {high}"
        raise ValueError(f"{name}={value!r} is out of range: choose {lo}{name}{hi}.")
    return out


def check_finite(arr, name):
    """Raise a clear error naming the fix if the floating array ``arr`` holds NaN or inf."""
    arr = np.asarray(arr)
    if np.issubdtype(arr.dtype, np.inexact) and not np.isfinite(arr).all():
        bad = np.count_nonzero(~np.isfinite(arr))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); remove or impute them "
                         "(e.g. np.nan_to_num) first.")
    return arr


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
    arr = check_finite(arr, name)
    if arr.dtype.kind == "f" and (arr.min() < 0 or arr.max() > 1):
        # float frames are read as [0, 1]; 0-255 floats would be taken as 255 times too bright, silently
        raise ValueError(f"{name} are floats from {arr.min():.3g} to {arr.max():.3g}, outside the range [0, 1] "
                         "float frames must lie in; divide 0-255 values by 255, or pass uint8.")
    return arr


def refuse_bool_params(estimator):
    """Raise if a parameter is ``True``/``False``: scikit-learn's ``Interval(Integral)`` lets a bool pass as 1/0."""
    from sklearn.utils._param_validation import Interval

    constraints = getattr(estimator, "_parameter_constraints", {})
    for name, value in estimator.get_params(deep=False).items():
        allowed = constraints.get(name, [])
        if (isinstance(value, (bool, np.bool_)) and isinstance(allowed, list) and "boolean" not in allowed
                and bool not in allowed and any(isinstance(c, Interval) for c in allowed)):
            raise TypeError(f"{name}={value!r}: {type(estimator).__name__} takes a number here, not a bool.")


def refuse_text(X, name="X"):
    """Raise a clear error if ``X`` holds text, before scikit-learn's "could not convert string to float".

    An object array of numbers passes (scikit-learn converts it); any other
    object (a dict, say) is left to scikit-learn's own TypeError.
    """
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} is a string ({X[:40]!r}), not an array; pass an array of numbers "
                        "(an image file: read it with mflib.io.load_image).")
    dtype = getattr(X, "dtype", None)
    if not isinstance(dtype, np.dtype):              # a list, or a DataFrame: what NumPy makes of it
        try:
            dtype = np.asarray(X).dtype
        except (ValueError, TypeError):              # ragged: scikit-learn says so
            return X
    if dtype.kind in "USa":
        raise TypeError(f"{name} holds text (dtype {dtype}); pass numbers -- map labels to numbers first, "
                        "e.g. np.unique(labels, return_inverse=True).")
    if dtype.kind == "O":
        try:
            np.asarray(X, dtype=np.float64)
        except ValueError:
            raise ValueError(f"{name} holds entries that are not numbers (text, say); convert them first, "
                             f"e.g. np.asarray({name}, dtype=float) after mapping labels to numbers.") from None
    return X
