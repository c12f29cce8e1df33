"""Truncated and randomized SVD, the bytes of SVD compression, and a compressor that factors once.

Plain functions for the numerics (every storage figure in bytes, with its
dtype), a from-scratch randomized SVD (Halko, Martinsson and Tropp, 2011), 8-bit
quantized factors, and :class:`SVDCompressor`, a scikit-learn style
transformer that factors an image (or any matrix) once and then rebuilds any
rank with one product of at most ``r / 2`` terms.
"""

from functools import cache
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import check_matrix, check_rank


@cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController  # installed with scikit-learn

    return ThreadpoolController()


def _one_blas_thread():
    """Context in which BLAS runs on one thread.

    For the small products of a slider step, BLAS threads cost more in start-up
    and, on a busy machine, in waiting for a free core than they save (measured:
    a 512 x 100 x 512 product took 24 ms with two threads, 1.2 ms with one).
    """
    return _blas_controller().limit(limits=1, user_api="blas")


def truncated_svd(A, k):
    """The ``k`` leading singular triplets of ``A`` (an exact, thin SVD cut to rank ``k``).

    Parameters
    ----------
    A : array-like, shape (m, n)
    k : int
        Rank kept, ``1 <= k <= min(m, n)``.

    Returns
    -------
    U : ndarray, shape (m, k)
    s : ndarray, shape (k,)
        Singular values, largest first.
    Vt : ndarray, shape (k, n)

    Examples
    --------
    >>> U, s, Vt = truncated_svd([[3.0, 0.0], [0.0, 1.0]], 1)
    >>> s
    array([3.])
    """
    A = check_matrix(A, "A")
    k = check_rank(k, A.shape)
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return U[:, :k], s[:k], Vt[:k]


def randomized_svd(A, k, *, oversample=10, n_iter=2, random_state=0):
    """The ``k`` leading singular triplets of ``A``, approximately, by random projection.

    Halko, Martinsson and Tropp (2011), algorithms 4.4 and 5.1: multiply ``A``
    by ``k + oversample`` Gaussian vectors, sharpen the captured range with
    ``n_iter`` power iterations (``Y = (A A^T)^q A Omega``, re-orthonormalized
    after each product so small singular values are not lost in round-off),
    then take an exact SVD of the small matrix ``Q^T A``.

    Parameters
    ----------
    A : array-like, shape (m, n)
    k : int
        Rank, ``1 <= k <= min(m, n)``.
    oversample : int
        Extra random vectors; 5 to 10 make failure unlikely (Halko et al., 4.2).
    n_iter : int
        Power iterations ``q``. Each raises the singular values to the power
        ``2q + 1``, which separates the wanted directions from the rest when the
        spectrum decays slowly, as a photograph's does; 1 or 2 is the usual
        choice (Halko et al., 1.6), more for slower decay.
    random_state : int or numpy.random.Generator
        Seed of the random test matrix.

    Returns
    -------
    U : ndarray, shape (m, k)
    s : ndarray, shape (k,)
    Vt : ndarray, shape (k, n)

    Examples
    --------
    >>> A = np.random.default_rng(0).standard_normal((60, 8)) @ np.random.default_rng(1).standard_normal((8, 40))
    >>> U, s, Vt = randomized_svd(A, 8)
    >>> np.allclose((U * s) @ Vt, A)          # rank 8 exactly: the range is found exactly
    True
    """
    A = check_matrix(A, "A")
    k = check_rank(k, A.shape)
    for name, v in (("oversample", oversample), ("n_iter", n_iter)):
        if isinstance(v, bool) or not isinstance(v, Integral) or v < 0:
            raise ValueError(f"{name} must be a whole number >= 0, got {v!r}.")
    rng = np.random.default_rng(random_state)
    width = min(k + oversample, min(A.shape))
    Q, _ = np.linalg.qr(A @ rng.standard_normal((A.shape[1], width)))
    for _ in range(n_iter):
        Z, _ = np.linalg.qr(A.T @ Q)
        Q, _ = np.linalg.qr(A @ Z)
    Ub, s, Vt = np.linalg.svd(Q.T @ A, full_matrices=False)
    return (Q @ Ub)[:, :k], s[:k], Vt[:k]


def reconstruct(U, s, Vt, k=None):
    """Rebuild the rank-``k`` approximation ``U[:, :k] diag(s[:k]) Vt[:k]``.

    Parameters
    ----------
    U : ndarray, shape (m, r)
    s : ndarray, shape (r,)
    Vt : ndarray, shape (r, n)
    k : int, optional
        Rank, ``1 <= k <= r`` (default ``r``).

    Returns
    -------
    ndarray, shape (m, n)

    Examples
    --------
    >>> U, s, Vt = np.linalg.svd([[2.0, 0.0], [0.0, 1.0]])
    >>> np.allclose(reconstruct(U, s, Vt, 1), [[2.0, 0.0], [0.0, 0.0]])
    True
    """
    U, Vt = check_matrix(U, "U", dtype=None), check_matrix(Vt, "Vt", dtype=None)
    s = check_matrix(s, "s", ndim=1, dtype=None)
    if U.shape[1] != s.size or Vt.shape[0] != s.size:
        raise ValueError(f"shapes do not fit: U {U.shape}, s {s.shape}, Vt {Vt.shape}; "
                         "pass the factors of one SVD.")
    k = s.size if k is None else check_rank(k, (s.size, s.size))
    return (U[:, :k] * s[:k]) @ Vt[:k]


def eckart_young_error(s, k):
    """Relative Frobenius error of the truncated SVD ``A_k``, from the singular values.

    ``sqrt(sum_{i>k} s_i^2) / sqrt(sum_i s_i^2)``. That ``A_k`` has this error is
    Pythagoras: the terms ``s_i u_i v_i^T`` are orthogonal in the Frobenius inner
    product, so ``||A - A_k||_F^2`` is the sum of the dropped ``s_i^2``. That no
    matrix of rank ``k`` does better is the Eckart-Young theorem.

    Parameters
    ----------
    s : array-like, shape (r,)
        All singular values of the matrix.
    k : int
        ``1 <= k <= r``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(eckart_young_error([4.0, 3.0], 1), 3)    # sqrt(3**2) / sqrt(4**2 + 3**2)
    0.6
    """
    s = check_matrix(s, "s", ndim=1)
    if np.any(s < 0):
        raise ValueError("singular values cannot be negative; pass the s of an SVD.")
    if np.any(np.diff(s) > 0):
        raise ValueError("singular values must be sorted largest first, as np.linalg.svd "
                         "returns them; pass np.sort(s)[::-1].")
    k = check_rank(k, (s.size, s.size))
    total = np.sum(s ** 2)
    return float(np.sqrt(np.sum(s[k:] ** 2) / total)) if total > 0 else 0.0


def _shape2(shape):
    if (np.ndim(shape) != 1 or len(shape) != 2
            or not all(isinstance(d, Integral) and not isinstance(d, bool) and d >= 1 for d in shape)):
        raise ValueError(f"shape must be a pair (m, n) of whole numbers >= 1, got {shape!r}; "
                         "pass A.shape, not A.")
    return int(shape[0]), int(shape[1])


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
    return check_rank(k, (m, n)) * (m + n + 1) * np.dtype(dtype).itemsize


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
    if isinstance(pixel_bytes, bool) or not isinstance(pixel_bytes, Integral) or pixel_bytes < 1:
        raise ValueError(f"pixel_bytes must be a whole number >= 1, got {pixel_bytes!r}.")
    return min((m * n * pixel_bytes - 1) // ((m + n + 1) * np.dtype(dtype).itemsize), min(m, n))


def quantize_factors(U, s, Vt, bits=8):
    """Store a truncated SVD as integers: ``bits`` per entry of ``u_i`` and ``v_i``, one float32 scale per term.

    Each vector is divided by its largest absolute value and rounded to
    ``2**(bits-1) - 1`` levels; the two scales and ``s_i`` make one float32.
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
    if bits not in (8, 16):
        raise ValueError(f"bits={bits!r}: choose 8 or 16.")
    top = 2 ** (bits - 1) - 1
    su = np.abs(U).max(axis=0) / top
    sv = np.abs(Vt).max(axis=1) / top
    su[su == 0], sv[sv == 0] = 1.0, 1.0
    itype = np.int8 if bits == 8 else np.int16
    qU = np.rint(U / su).astype(itype)
    qVt = np.rint(Vt / sv[:, None]).astype(itype)
    scale = (s * su * sv).astype(np.float32)
    return {"U": qU, "Vt": qVt, "scale": scale, "nbytes": qU.nbytes + qVt.nbytes + scale.nbytes}


def dequantize(q):
    """The matrix that :func:`quantize_factors` output stands for: ``U diag(scale) Vt``.

    Parameters
    ----------
    q : dict
        What :func:`quantize_factors` returned.

    Returns
    -------
    ndarray, shape (m, n)

    Examples
    --------
    >>> A = np.outer([1.0, 2.0], [3.0, 4.0])                 # rank 1
    >>> U, s, Vt = np.linalg.svd(A)
    >>> q = quantize_factors(U[:, :1], s[:1], Vt[:1])
    >>> bool(np.abs(dequantize(q) - A).max() < 0.05)         # 8-bit rounding, on entries up to 8
    True
    """
    return (q["U"].astype(np.float64) * q["scale"].astype(np.float64)) @ q["Vt"].astype(np.float64)


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
    A = check_matrix(A, "A", ndim=(1, 2, 3))
    B = check_matrix(B, "B", ndim=(1, 2, 3))
    if A.shape != B.shape:
        raise ValueError(f"A {A.shape} and B {B.shape} differ in shape; compare like with like.")
    with _one_blas_thread():  # called at every slider step
        norm = np.linalg.norm(A)
        if norm == 0:
            raise ValueError("A is all zeros, so a relative error is undefined.")
        return float(np.linalg.norm(A - B) / norm)


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
    A = check_matrix(A, "A", ndim=(1, 2, 3))
    B = check_matrix(B, "B", ndim=(1, 2, 3))
    if A.shape != B.shape:
        raise ValueError(f"A {A.shape} and B {B.shape} differ in shape; compare like with like.")
    if not peak > 0:
        raise ValueError(f"peak must be positive (1 for images in [0, 1], 255 for uint8), got {peak}.")
    if np.abs(A).max() > 1.001 * peak:  # e.g. a 0..255 image with the default peak of 1
        raise ValueError(f"A has values up to {np.abs(A).max():.4g}, above peak={peak}; pass the "
                         "largest possible value, e.g. peak=255 for 8-bit images.")
    mse = float(np.mean((A - B) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(peak ** 2 / mse))


def _image_matrices(X, mode):
    """The matrices an image is factored as: itself, its three channels, or the channels side by side / stacked."""
    if X.ndim == 2:
        return [X]
    channels = [np.ascontiguousarray(X[..., c]) for c in range(3)]
    if mode == "channels":
        return channels
    return [np.concatenate(channels, axis=1 if mode == "wide" else 0)]


def _image_from(mats, shape, mode):
    if len(shape) == 2:
        return mats[0]
    if mode == "channels":
        return np.stack(mats, axis=2)
    return np.stack(np.split(mats[0], 3, axis=1 if mode == "wide" else 0), axis=2)


def _refuse_nonfinite(X):
    """A clear message for NaN/inf before scikit-learn's generic one."""
    arr = np.asarray(X) if not hasattr(X, "toarray") else None
    if arr is not None and np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        bad = np.count_nonzero(~np.isfinite(arr))
        raise ValueError(f"X contains {bad} NaN or infinite value(s); fill or drop them (e.g. np.nan_to_num, "
                         "or inpaint the image) before compressing.")


class SVDCompressor(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Compress a matrix or an image with a truncated SVD, factoring once.

    :meth:`fit` computes one thin SVD per factored matrix and keeps every
    singular triplet, so :meth:`reconstruct` can rebuild *any* rank ``k`` with
    one matrix product (of at most ``r / 2`` terms: for ``k > r / 2`` it
    subtracts the tail from the original). For a 2-D matrix it is also a
    transformer in scikit-learn's sense, like ``TruncatedSVD`` without
    centring: :meth:`transform` gives the coordinates ``X V_k`` of the rows,
    :meth:`inverse_transform` maps them back.

    Parameters
    ----------
    n_components : int or None
        Rank used by :meth:`transform`, :meth:`inverse_transform` and the
        default of :meth:`reconstruct`; ``None`` keeps all ``min(m, n)``.
    mode : {"channels", "wide", "tall"}
        How an RGB image (H, W, 3) becomes matrices: ``"channels"`` factors each
        channel (three SVDs); ``"wide"`` factors the H x 3W matrix of channels
        side by side (shared left singular vectors); ``"tall"`` the 3H x W
        matrix of channels stacked (shared right singular vectors). Ignored for
        2-D input.
    clip : tuple (low, high) or None
        Range of valid values, e.g. ``(0.0, 1.0)`` for images: :meth:`fit`
        refuses data outside it (an 8-bit image passed unscaled, say), and
        :meth:`reconstruct` clips to it. ``None``: any real matrix, no clipping.

    Attributes
    ----------
    singular_values_ : ndarray, shape (n_matrices, r)
        Singular values of each factored matrix, largest first.
    factors_ : list of (U, s, Vt)
        The thin SVD of each factored matrix (e.g. for
        :func:`mflib.sliders.lowrank_slider`).
    components_ : ndarray, shape (``n_components_``, ``n_features_in_``)
        Right singular vectors used by :meth:`transform` (2-D input only;
        ``None`` for an RGB image).
    max_rank_ : int
        ``r``, the largest ``k`` that :meth:`reconstruct` accepts.
    n_components_ : int
    n_features_in_ : int
        Columns of the fitted matrix (image width for an image).
    image_shape_ : tuple
        Shape of the fitted input.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((32, 48))
    >>> comp = SVDCompressor(clip=(0.0, 1.0)).fit(img)
    >>> comp.max_rank_
    32
    >>> comp.reconstruct(5).shape
    (32, 48)
    >>> np.allclose(comp.reconstruct(32), img)
    True
    >>> comp.storage_bytes(5)                      # 5 * (32 + 48 + 1) float64 numbers
    3240
    >>> comp.storage_bytes(5, "float16") / comp.image_bytes()    # vs 8-bit pixels
    0.52734375
    """

    _parameter_constraints = {
        "n_components": [None, Interval(Integral, 1, None, closed="left")],
        "mode": [StrOptions({"channels", "wide", "tall"})],
        "clip": [None, tuple],
    }

    def __init__(self, n_components=None, *, mode="channels", clip=None):
        self.n_components = n_components
        self.mode = mode
        self.clip = clip

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Factor ``X``.

        Parameters
        ----------
        X : array-like, shape (m, n) or (H, W, 3)
            A matrix, a grayscale image, or an RGB image (floats in ``[0, 1]``
            as :func:`mflib.io.load_image` returns; pass ``clip=(0.0, 1.0)`` to
            have that checked).
        y : None
            Ignored.

        Returns
        -------
        self
        """
        _refuse_nonfinite(X)
        X = validate_data(self, X, dtype=[np.float64, np.float32], allow_nd=True)
        if X.ndim > 3 or (X.ndim == 3 and X.shape[2] != 3):
            raise ValueError(f"X has shape {X.shape}; pass a matrix or grayscale image (H, W) or an RGB image "
                             "(H, W, 3) -- mflib.io.load_image converts RGBA, single-channel and 16-bit files.")
        self._check_range(X)
        self.image_shape_ = X.shape
        mats = _image_matrices(X, self.mode)
        with _one_blas_thread():
            self.factors_ = [np.linalg.svd(M, full_matrices=False) for M in mats]
        self._mats = mats
        self._Us = [U * s for U, s, _ in self.factors_]     # U * s: one product per reconstruction
        self.singular_values_ = np.array([s for _, s, _ in self.factors_])
        self.max_rank_ = self.singular_values_.shape[1]
        if self.n_components is not None and self.n_components > self.max_rank_:
            raise ValueError(f"n_components={self.n_components} exceeds the rank limit min(m, n) = "
                             f"{self.max_rank_} of this input; choose 1 <= n_components <= {self.max_rank_}.")
        self.n_components_ = self.n_components or self.max_rank_
        self.components_ = self.factors_[0][2][:self.n_components_] if X.ndim == 2 else None
        return self

    def _check_range(self, X):
        if self.clip is None:
            return
        if len(self.clip) != 2 or not self.clip[0] < self.clip[1]:
            raise ValueError(f"clip must be (low, high) with low < high, e.g. (0.0, 1.0); got {self.clip!r}.")
        lo, hi = self.clip
        tol = 1e-3 * (hi - lo)   # a float32 resize can overshoot by rounding (1 + 6e-8); a 0..255 image cannot
        if X.min() < lo - tol or X.max() > hi + tol:
            hint = (" -- an 8-bit image? divide by 255 (or read files with mflib.io.load_image)"
                    if X.max() > 1 and (hi - lo) <= 1 else "")
            raise ValueError(f"X values run from {X.min():.4g} to {X.max():.4g}, outside clip={self.clip}{hint}; "
                             "rescale or clip the input, or pass clip=None for a general matrix.")

    def _check_k(self, k):
        check_is_fitted(self)
        k = self.n_components_ if k is None else k
        return check_rank(k, (self.max_rank_, self.max_rank_))

    def transform(self, X):
        """Coordinates of the rows of ``X`` on the first ``n_components_`` right singular vectors.

        Parameters
        ----------
        X : array-like, shape (n_samples, ``n_features_in_``)

        Returns
        -------
        ndarray, shape (n_samples, ``n_components_``)
        """
        check_is_fitted(self)
        if self.components_ is None:
            raise ValueError("this compressor was fitted to an RGB image; transform projects the rows of a 2-D "
                             "matrix. Use reconstruct(k) for the image, or fit a 2-D matrix.")
        _refuse_nonfinite(X)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return X @ self.components_.T.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Map coordinates back: ``X V_k^T`` (for the fitted matrix's rows, its rank-k approximation).

        Parameters
        ----------
        X : array-like, shape (n_samples, ``n_components_``)

        Returns
        -------
        ndarray, shape (n_samples, ``n_features_in_``)
        """
        check_is_fitted(self)
        if self.components_ is None:
            raise ValueError("this compressor was fitted to an RGB image; use reconstruct(k).")
        X = check_matrix(X, "X", dtype=None)
        if X.shape[1] != self.n_components_:
            raise ValueError(f"X has {X.shape[1]} columns but n_components_ = {self.n_components_}; pass the "
                             "output of transform.")
        return X @ self.components_.astype(X.dtype, copy=False)

    @property
    def _n_features_out(self):
        return self.n_components_

    def reconstruct(self, k=None, clip=True):
        """The rank-``k`` approximation of the fitted input, in its shape.

        Parameters
        ----------
        k : int, optional
            Rank, ``1 <= k <= max_rank_`` (default ``n_components_``).
        clip : bool
            Clip to the ``clip`` range given to the constructor (a truncated SVD
            can overshoot it); ``False`` for the exact rank-``k`` approximation.

        Returns
        -------
        ndarray
        """
        k = self._check_k(k)
        with _one_blas_thread():
            mats = [_rank_k(M, Us, Vt, k) for M, Us, (_, _, Vt) in zip(self._mats, self._Us, self.factors_)]
        out = _image_from(mats, self.image_shape_, self.mode)
        if clip and self.clip is not None:
            np.clip(out, *self.clip, out=out)
        return out

    def storage_bytes(self, k=None, dtype="float64"):
        """Bytes of the rank-``k`` factors of every factored matrix, stored in ``dtype``.

        Parameters
        ----------
        k : int, optional
        dtype : numpy dtype or name

        Returns
        -------
        int
        """
        k = self._check_k(k)
        return sum(storage_bytes(M.shape, k, dtype) for M in self._mats)

    def image_bytes(self, pixel_bytes=1):
        """Bytes of the input as pixels (1 byte per value for an 8-bit image)."""
        check_is_fitted(self)
        return int(np.prod(self.image_shape_)) * pixel_bytes

    def compression_ratio(self, k=None, dtype="float64"):
        """:meth:`storage_bytes` over :meth:`image_bytes` (8-bit pixels); above 1 the factors are larger."""
        return self.storage_bytes(k, dtype) / self.image_bytes()


def _rank_k(M, Us, Vt, k):
    """``Us[:, :k] @ Vt[:k]``, summed over the fewer terms.

    The first ``k`` terms equal ``M`` minus the other ``r - k``, so no rank costs
    more than ``r / 2`` terms (and the full rank is ``M`` itself).
    """
    if 2 * k <= Us.shape[1]:
        return Us[:, :k] @ Vt[:k]
    return M - Us[:, k:] @ Vt[k:]
