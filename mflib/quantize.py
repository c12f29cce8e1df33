"""8- and 16-bit storage of SVD factors, and the 8-bit levels a screen shows: one home for both.

A term ``sigma_i u_i v_i^T`` is stored as integer vectors ``u_i``, ``v_i``,
each divided by its largest absolute value and rounded to ``2**(bits-1) - 1``
levels, and one float32 scale that absorbs ``sigma_i`` and both divisors.
Chapter 2 counts these bytes; the every-k slider ships exactly these integers
to the browser.
"""

import numpy as np

from ._validation import check_matrix


def _levels(bits):
    if bits not in (8, 16):
        raise ValueError(f"bits={bits!r}: choose 8 or 16.")
    return 2 ** (bits - 1) - 1


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

    Rank ``k`` then costs ``k (m + n) bits / 8 + 4 k`` bytes: with 8 bits,
    about one byte per stored number, like the image's own pixels.

    Parameters
    ----------
    U : ndarray, shape (m, k)
    s : ndarray, shape (k,)
    Vt : ndarray, shape (k, n)
    bits : {8, 16}

    Returns
    -------
    dict
        ``U`` and ``Vt`` as int8/int16, ``scale`` (float32, shape (k,)), and
        ``nbytes``, the bytes of the three arrays.

    Examples
    --------
    >>> U, s, Vt = np.linalg.svd(np.arange(12.0).reshape(3, 4), full_matrices=False)
    >>> q = quantize_factors(U[:, :1], s[:1], Vt[:1])
    >>> q["nbytes"], q["U"].dtype                  # 3 + 4 int8 values and one float32
    (11, dtype('int8'))
    """
    U, Vt = check_matrix(U, "U"), check_matrix(Vt, "Vt")
    s = check_matrix(s, "s", ndim=1)
    if U.shape[1] != s.size or Vt.shape[0] != s.size:
        raise ValueError(f"shapes do not fit: U {U.shape}, s {s.shape}, Vt {Vt.shape}; pass one truncated SVD.")
    _levels(bits)
    terms = [quantize_term(U[:, i], Vt[i], s[i], bits) for i in range(s.size)]
    itype = np.int8 if bits == 8 else np.int16
    qU = np.array([t[0] for t in terms], dtype=itype).reshape(s.size, U.shape[0]).T.copy()
    qVt = np.array([t[1] for t in terms], dtype=itype).reshape(s.size, Vt.shape[1])
    scale = np.array([t[2] for t in terms], dtype=np.float32)
    return {"U": qU, "Vt": qVt, "scale": scale, "nbytes": qU.nbytes + qVt.nbytes + scale.nbytes}


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
    return (q["U"].astype(np.float64) * q["scale"].astype(np.float64)) @ q["Vt"].astype(np.float64)


def display_levels(x, clip):
    """The 8-bit levels a canvas shows for values ``x`` (round half to even, clamped, as Uint8ClampedArray)."""
    lo, hi = clip
    return np.clip(np.rint((np.asarray(x, dtype=np.float64) - lo) * (255 / (hi - lo))), 0, 255).astype(np.uint8)


def from_levels(levels, clip):
    """Values in ``clip`` units that 8-bit ``levels`` stand for (inverse of :func:`display_levels`)."""
    lo, hi = clip
    return lo + levels.astype(np.float64) * ((hi - lo) / 255)
