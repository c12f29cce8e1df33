"""What storing SVD factors costs: bytes per dtype, integer storage (2 to 16 bits per entry), and 8-bit levels.

:func:`storage_bytes` and :func:`breakeven_rank` count the bytes of float factors
in a named dtype; the rest stores them as integers.

A term ``sigma_i u_i v_i^T`` is stored as integer vectors ``u_i``, ``v_i``,
each divided by its largest absolute value and rounded to ``2**(bits-1) - 1``
levels, and one float32 scale that absorbs ``sigma_i`` and both divisors.
Chapter 2 counts these bytes, and gives the terms different numbers of bits;
the every-k slider ships 8- and 16-bit integers to the browser.
"""

from numbers import Real

import numpy as np

from ._validation import check_int, check_matrix, check_rank


def _levels(bits):
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 2 <= bits <= 16:
        raise ValueError(f"bits={bits!r}: choose a whole number of bits from 2 to 16 (8 is one byte per entry).")
    return 2 ** (int(bits) - 1) - 1


def _bits_per_term(bits, k):
    """``bits`` as one whole number per term (an int applies to all ``k``), each checked."""
    per = np.full(k, bits, dtype=object) if np.ndim(bits) == 0 else np.asarray(bits, dtype=object)
    if per.shape != (k,):
        raise ValueError(f"bits has {per.size} entries for {k} terms; give one int, or one number of bits per term.")
    for b in per:
        _levels(b)
    return per.astype(int)


def packed_bytes(m, n, bits):
    """Bytes of quantized terms stored packed: per term ``ceil(m b / 8) + ceil(n b / 8)`` integers' bytes and a float32.

    Parameters
    ----------
    m, n : int
        Lengths of ``u_i`` and ``v_i``.
    bits : array-like of int
        Bits per entry of each term.

    Returns
    -------
    int

    Examples
    --------
    >>> packed_bytes(427, 640, [8, 8, 6])         # two 8-bit terms, one 6-bit term
    2947
    """
    bits = np.asarray(bits, dtype=int)
    return int(np.sum(-(-m * bits // 8) - (-n * bits // 8) + 4))


def quantize_term(u, v, sigma, bits=8):
    """One term as integers: ``(qu, qv, scale, noise)`` with ``sigma u v^T ~ scale qu qv^T``.

    ``noise`` is the squared Frobenius error of the stored term, computed exactly
    from inner products (no m x n matrix is formed).
    """
    top = _levels(bits)
    su = np.abs(u).max() / top or 1.0
    sv = np.abs(v).max() / top or 1.0
    qu, qv = np.rint(u / su), np.rint(v / sv)
    scale = np.float32(sigma * su * sv)
    noise = (sigma ** 2 * (u @ u) * (v @ v) + float(scale) ** 2 * (qu @ qu) * (qv @ qv)
             - 2 * sigma * float(scale) * (u @ qu) * (v @ qv))
    return qu, qv, scale, max(noise, 0.0)


def quantize_factors(U, s, Vt, bits=8):
    """Store a truncated SVD as integers: ``bits`` per entry of ``u_i`` and ``v_i``, one float32 scale per term.

    With 8 bits, rank ``k`` costs ``k (m + n + 4)`` bytes: about one byte per
    stored number, like the image's own pixels. ``bits`` may differ per term:
    the squared rounding error of a term is about proportional to
    ``sigma_i**2 * 4**-bits``, so the small terms of the tail can take fewer bits.

    Parameters
    ----------
    U : ndarray, shape (m, k)
    s : ndarray, shape (k,)
    Vt : ndarray, shape (k, n)
    bits : int or array-like of int, shape (k,)
        Bits per entry, from 2 to 16: one for every term, or one per term.

    Returns
    -------
    dict
        ``U`` and ``Vt`` (int8 for terms up to 8 bits, else int16), ``scale``
        (float32, shape (k,)), ``bits`` (shape (k,)) and ``nbytes``: the bytes
        with each vector's integers packed at its ``bits`` (see
        :func:`packed_bytes`; for 8 or 16 bits exactly the arrays' size).

    Examples
    --------
    >>> U, s, Vt = np.linalg.svd(np.arange(12.0).reshape(3, 4), full_matrices=False)
    >>> q = quantize_factors(U[:, :1], s[:1], Vt[:1])
    >>> q["nbytes"], q["U"].dtype                  # 3 + 4 int8 values and one float32
    (11, dtype('int8'))
    >>> quantize_factors(U[:, :2], s[:2], Vt[:2], bits=[8, 4])["nbytes"]   # 11 + (2 + 2 + 4) packed
    19
    """
    U, Vt = check_matrix(U, "U"), check_matrix(Vt, "Vt")
    s = check_matrix(s, "s", ndim=1)
    if U.shape[1] != s.size or Vt.shape[0] != s.size:
        raise ValueError(f"shapes do not fit: U {U.shape}, s {s.shape}, Vt {Vt.shape}; pass one truncated SVD.")
    per = _bits_per_term(bits, s.size)
    with np.errstate(over="ignore", invalid="ignore"):     # an overflow is reported below
        terms = [quantize_term(U[:, i], Vt[i], s[i], b) for i, b in enumerate(per)]
    if not all(np.isfinite(t[2]) and np.isfinite(t[3]) for t in terms):    # the float32 scale holds < 3.4e38
        raise ValueError(f"a term's scale sigma * max|u| * max|v| (largest s = {np.abs(s).max():.3g}) is beyond "
                         "float32's range (3.4e38); rescale the matrix before factoring, e.g. A / np.abs(A).max().")
    itype = np.int8 if per.max(initial=8) <= 8 else np.int16
    qU = np.array([t[0] for t in terms], dtype=itype).reshape(s.size, U.shape[0]).T.copy()
    qVt = np.array([t[1] for t in terms], dtype=itype).reshape(s.size, Vt.shape[1])
    scale = np.array([t[2] for t in terms], dtype=np.float32)
    return {"U": qU, "Vt": qVt, "scale": scale, "bits": per,
            "nbytes": packed_bytes(U.shape[0], Vt.shape[1], per)}


def dequantize(q):
    """The matrix that :func:`quantize_factors` output stands for: ``U diag(scale) Vt``.

    Examples
    --------
    >>> A = np.outer([1.0, 2.0], [3.0, 4.0])                 # rank 1
    >>> U, s, Vt = np.linalg.svd(A)
    >>> q = quantize_factors(U[:, :1], s[:1], Vt[:1])
    >>> bool(np.abs(dequantize(q) - A).max() < 0.05)         # 8-bit rounding, on entries up to 8
    True
    """
    if not isinstance(q, dict) or not {"U", "Vt", "scale"} <= set(q):
        raise ValueError("q must be what quantize_factors returned: a dict with 'U', 'Vt' and 'scale'.")
    return (q["U"].astype(np.float64) * q["scale"].astype(np.float64)) @ q["Vt"].astype(np.float64)


def check_clip(clip):
    """``clip`` as ``(low, high)`` floats, the values a screen shows as black and white, or a clear error."""
    if (np.ndim(clip) != 1 or len(clip) != 2
            or not all(isinstance(c, Real) and not isinstance(c, bool) for c in clip)
            or not np.all(np.isfinite(clip)) or not clip[0] < clip[1]):
        raise ValueError(f"clip must be two finite numbers (low, high) with low < high, got {clip!r}; "
                         "use (0, 1) for images in [0, 1].")
    return float(clip[0]), float(clip[1])


def display_levels(x, clip):
    """The 8-bit levels a canvas shows for values ``x`` (round half to even, clamped, as Uint8ClampedArray)."""
    lo, hi = check_clip(clip)
    return np.clip(np.rint((np.asarray(x, dtype=np.float64) - lo) * (255 / (hi - lo))), 0, 255).astype(np.uint8)


def from_levels(levels, clip):
    """Values in ``clip`` units that 8-bit ``levels`` stand for (inverse of :func:`display_levels`)."""
    lo, hi = check_clip(clip)
    return lo + levels.astype(np.float64) * ((hi - lo) / 255)


# -- what storing the factors costs, in bytes ------------------------------------------------

def _itemsize(dtype):
    try:
        return np.dtype(dtype).itemsize
    except TypeError:
        raise TypeError(f"dtype={dtype!r} is not a NumPy data type; use e.g. 'float64', 'float32' or "
                        "'float16'.") from None


def _shape2(shape):
    if np.ndim(shape) != 1 or len(shape) != 2:
        raise ValueError(f"shape must be a pair (m, n) of whole numbers >= 1, got {shape!r}; "
                         "pass A.shape, not A.")
    return check_int(shape[0], "shape[0]", 1), check_int(shape[1], "shape[1]", 1)


def storage_bytes(shape, k, dtype="float64"):
    """Bytes of a rank-``k`` SVD of an ``m x n`` matrix stored in ``dtype``: ``k (m + n + 1) * itemsize``.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)``, e.g. ``A.shape``.
    k : int
        ``1 <= k <= min(m, n)``.
    dtype : numpy dtype or name
        What the factors are stored in; NumPy's SVD returns float64.

    Returns
    -------
    int

    Examples
    --------
    >>> storage_bytes((15, 25), 3)                # 3 * (15 + 25 + 1) numbers of 8 bytes
    984
    >>> storage_bytes((15, 25), 3, "float16")
    246
    """
    m, n = _shape2(shape)
    return check_rank(k, (m, n)) * (m + n + 1) * _itemsize(dtype)


def breakeven_rank(shape, dtype="float64", pixel_bytes=1):
    """The largest rank whose factors, in ``dtype``, take fewer bytes than the pixels.

    ``k (m + n + 1) * itemsize < m n * pixel_bytes``; from the next rank on,
    storing the SVD costs at least as much as the image.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)``.
    dtype : numpy dtype or name
        Storage of the factors (float64 is what ``np.linalg.svd`` returns).
    pixel_bytes : int
        Bytes per pixel value of the image (1 for 8-bit images).

    Returns
    -------
    int
        0 if even rank 1 costs more than the image.

    Examples
    --------
    >>> [breakeven_rank((427, 640), d) for d in ("float64", "float32", "float16")]
    [31, 63, 127]
    """
    m, n = _shape2(shape)
    pixel_bytes = check_int(pixel_bytes, "pixel_bytes", 1)
    return min((m * n * pixel_bytes - 1) // ((m + n + 1) * _itemsize(dtype)), min(m, n))
