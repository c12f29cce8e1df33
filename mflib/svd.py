"""Randomized SVD, the bytes of SVD compression, and a compressor that factors once.

Plain functions for the numerics, a from-scratch randomized SVD (Halko, Martinsson and Tropp, 2011), and
:class:`SVDCompressor`, a scikit-learn style transformer that factors an image
(or any matrix) once and then rebuilds any rank with one product of at most
``r / 2`` terms. Storage in bytes and quantized factors live in :mod:`mflib.quantize`, error
measures in :mod:`mflib.metrics`, the image-to-matrix layouts in :mod:`mflib.layout`.
"""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._threads import one_blas_thread
from ._validation import check_finite, check_int, check_matrix, check_rank, refuse_bool_params, refuse_text
from .layout import image_to_matrices, matrices_to_image
from .quantize import storage_bytes


def _check_sparse(A):
    """A scipy.sparse matrix as float64 CSR with finite entries (only products with it are needed)."""
    A = sparse.csr_matrix(A, dtype=np.float64)
    if not np.isfinite(A.data).all():
        raise ValueError("A contains NaN or infinite value(s); remove them before factorizing.")
    return A


def randomized_svd(A, k, *, oversample=10, n_iter=2, random_state=0):
    """The ``k`` leading singular triplets of ``A``, approximately, by random projection.

    Halko, Martinsson and Tropp (2011), algorithms 4.4 and 5.1: multiply ``A``
    by ``k + oversample`` Gaussian vectors, sharpen the captured range with
    ``n_iter`` power iterations (``Y = (A A^T)^q A Omega``, re-orthonormalized
    after each product so small singular values are not lost in round-off),
    then take an exact SVD of the small matrix ``Q^T A``.

    Parameters
    ----------
    A : array-like or scipy.sparse matrix, shape (m, n)
        A sparse matrix is never densified: only products with it are formed.
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
    A = _check_sparse(A) if sparse.issparse(A) else check_matrix(A, "A")
    k = check_rank(k, A.shape)
    oversample, n_iter = check_int(oversample, "oversample", 0), check_int(n_iter, "n_iter", 0)
    # the stored values bound the entries (far below HUGE's margin even where duplicates add up); abs(A) of a
    # sparse A would sort its indices in place, which fails on a read-only (memory-mapped) matrix
    top = float(np.abs(A.data).max(initial=0.0)) if sparse.issparse(A) else float(np.abs(A).max())
    if top > HUGE:       # LAPACK's sums of squares would overflow: the SVD of A / top, singular values * top
        U, s, Vt = randomized_svd(A / top, k, oversample=oversample, n_iter=n_iter, random_state=random_state)
        return U, _unscale(s, top), Vt
    rng = np.random.default_rng(random_state)
    width = min(k + oversample, min(A.shape))
    Q, _ = np.linalg.qr(A @ rng.standard_normal((A.shape[1], width)))
    for _ in range(n_iter):
        Z, _ = np.linalg.qr(A.T @ Q)
        Q, _ = np.linalg.qr(A @ Z)
    Ub, s, Vt = np.linalg.svd(Q.T @ A, full_matrices=False)
    return (Q @ Ub)[:, :k], s[:k], Vt[:k]


HUGE = 1e150    # above this, squares overflow float64: factor a scaled copy


def _unscale(s, top):
    """Singular values ``s`` of ``A / top`` as those of ``A``, or a clear error if they exceed float64."""
    with np.errstate(over="ignore"):
        out = s * top
    if not np.isfinite(out).all():
        raise ValueError(f"the largest singular value of A is about {s[0]:.3g} * {top:.3g}, beyond "
                         "float64's range (1.8e308); rescale A first, e.g. A / np.abs(A).max().")
    return out


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
    layout : {"channels", "wide", "tall"}
        How an RGB image (H, W, 3) becomes matrices (see :mod:`mflib.layout`):
        ``"channels"`` factors each channel (three SVDs); ``"wide"`` the H x 3W
        matrix of channels side by side; ``"tall"`` the 3H x W matrix of
        channels stacked. Ignored for 2-D input.
    clip : tuple (low, high) or None
        Range of valid values, e.g. ``(0.0, 1.0)`` for images: :meth:`fit`
        refuses data outside it (an 8-bit image passed unscaled, say), and
        :meth:`reconstruct` clips to it. ``None``: any real matrix, no clipping.

    Attributes
    ----------
    singular_values_ : ndarray, shape (n_matrices, r)
        Singular values of each factored matrix, largest first.
    layout_ : str
        The layout used: ``"gray"`` for 2-D input, else ``layout``.
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
        "layout": [StrOptions({"channels", "wide", "tall"})],
        "clip": [None, tuple],
    }

    def __init__(self, n_components=None, *, layout="channels", clip=None):
        self.n_components = n_components
        self.layout = layout
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
        refuse_bool_params(self)
        check_finite(refuse_text(X), "X")
        X = validate_data(self, X, dtype=[np.float64, np.float32], allow_nd=True)
        if X.ndim > 3 or (X.ndim == 3 and X.shape[2] != 3):
            raise ValueError(f"X has shape {X.shape}; pass a matrix or grayscale image (H, W) or an RGB image "
                             "(H, W, 3) -- mflib.io.load_image converts RGBA, single-channel and 16-bit files.")
        self._check_range(X)
        self.image_shape_ = X.shape
        self.layout_ = "gray" if X.ndim == 2 else self.layout
        mats = image_to_matrices(X, self.layout_)
        with one_blas_thread():
            self._factors = [np.linalg.svd(M, full_matrices=False) for M in mats]
        self._mats = mats
        self._Us = [U * s for U, s, _ in self._factors]     # U * s: one product per reconstruction
        self.singular_values_ = np.array([s for _, s, _ in self._factors])
        self.max_rank_ = self.singular_values_.shape[1]
        if self.n_components is not None and self.n_components > self.max_rank_:
            raise ValueError(f"n_components={self.n_components} exceeds the rank limit min(m, n) = "
                             f"{self.max_rank_} of this input; choose 1 <= n_components <= {self.max_rank_}.")
        self.n_components_ = self.n_components or self.max_rank_
        self.components_ = self._factors[0][2][:self.n_components_] if X.ndim == 2 else None
        return self

    def _check_range(self, X):
        if self.clip is None:
            return
        if (len(self.clip) != 2 or not all(isinstance(c, Real) and not isinstance(c, bool) for c in self.clip)
                or not self.clip[0] < self.clip[1]):
            raise ValueError(f"clip must be two numbers (low, high) with low < high, e.g. (0.0, 1.0); "
                             f"got {self.clip!r}.")
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
        check_finite(refuse_text(X), "X")
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
        with one_blas_thread():
            mats = [_rank_k(M, Us, Vt, k) for M, Us, (_, _, Vt) in zip(self._mats, self._Us, self._factors)]
        out = matrices_to_image(mats, self.layout_)
        if clip and self.clip is not None:
            np.clip(out, *self.clip, out=out)
        return out

    def factors(self, k=None):
        """The rank-``k`` factors ``(U, s, Vt)`` in the form :func:`mflib.sliders.lowrank_slider` takes.

        Parameters
        ----------
        k : int, optional
            Terms kept (default: all ``max_rank_``).

        Returns
        -------
        U, s, Vt : ndarray
            (m, k), (k,), (k, n) for one factored matrix; for ``layout_ ==
            "channels"`` the three channels' factors stacked on a first axis:
            (3, m, k), (3, k), (3, k, n). Pass them with ``layout=layout_``.

        Examples
        --------
        >>> comp = SVDCompressor(layout="wide").fit(np.random.default_rng(0).random((8, 6, 3)))
        >>> [x.shape for x in comp.factors(2)], comp.layout_
        ([(8, 2), (2,), (2, 18)], 'wide')
        """
        check_is_fitted(self)
        k = self.max_rank_ if k is None else check_rank(k, (self.max_rank_, self.max_rank_))
        U, s, Vt = (np.array(x) for x in zip(*[(U[:, :k], s[:k], Vt[:k]) for U, s, Vt in self._factors]))
        return (U, s, Vt) if self.layout_ == "channels" else (U[0], s[0], Vt[0])

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


def _rank_k(M, Us, Vt, k):
    """``Us[:, :k] @ Vt[:k]``, summed over the fewer terms.

    The first ``k`` terms equal ``M`` minus the other ``r - k``, so no rank costs
    more than ``r / 2`` terms (and the full rank is ``M`` itself).
    """
    if 2 * k <= Us.shape[1]:
        return Us[:, :k] @ Vt[:k]
    return M - Us[:, k:] @ Vt[k:]
