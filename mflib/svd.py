"""Truncated SVD, the numbers of SVD compression, and a compressor that factors once.

Plain functions for the numerics, and :class:`SVDCompressor`, which caches the
factors of an image so that each new rank only costs one matrix product of at
most ``r / 2`` terms -- what makes a slider step for k fast.
"""

from functools import cache
from numbers import Integral

import numpy as np

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
    """Relative Frobenius error of the best rank-``k`` approximation, from the singular values.

    ``sqrt(sum_{i>k} s_i^2) / sqrt(sum_i s_i^2)`` -- by the Eckart-Young theorem
    no matrix of rank ``k`` does better, and the truncated SVD attains it.

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


def storage_cost(shape, k):
    """Numbers stored for a rank-``k`` SVD of an ``m x n`` matrix: ``k (m + n + 1)``.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)``, e.g. ``A.shape``.
    k : int
        ``1 <= k <= min(m, n)``.

    Returns
    -------
    int

    Examples
    --------
    >>> storage_cost((15, 25), 3)
    123
    """
    m, n = _shape2(shape)
    return check_rank(k, (m, n)) * (m + n + 1)


def breakeven_rank(shape):
    """The largest rank whose SVD is still smaller than the matrix: ``floor((mn - 1) / (m + n + 1))``.

    Above it, ``k (m + n + 1) >= m n``: storing the factors costs at least as
    much as storing the matrix.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)``.

    Returns
    -------
    int
        0 if even rank 1 costs more than the matrix (a single row or column).

    Examples
    --------
    >>> breakeven_rank((512, 512))
    255
    """
    m, n = _shape2(shape)
    return (m * n - 1) // (m + n + 1)


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


def _check_image(image):
    """Return ``image`` as float64 (H, W) or (H, W, 3) in [0, 1], or raise saying how to fix it."""
    dtype = getattr(image, "dtype", None)
    img = check_matrix(image, "image", ndim=(2, 3))
    if img.ndim == 3 and img.shape[2] != 3:
        raise ValueError(f"image has {img.shape[2]} channel(s), shape {img.shape}; pass grayscale "
                         "(H, W) or RGB (H, W, 3) -- mflib.io.load_image converts RGBA, "
                         "single-channel and 16-bit files.")
    if dtype is not None and np.issubdtype(dtype, np.integer) and img.max() > 1:
        peak = np.iinfo(dtype).max if dtype in (np.uint8, np.uint16) else "its maximum"
        raise ValueError(f"image has dtype {dtype} with values up to {img.max():.0f}; pass floats "
                         f"in [0, 1], e.g. image / {peak}, or read files with "
                         "mflib.io.load_image.")
    # Resizing in float32 can overshoot by rounding (1 + 6e-8): tolerate that, not a 0..255 image.
    tol = 1e-3
    if img.min() < -tol or img.max() > 1 + tol:
        raise ValueError(f"image values run from {img.min():.4g} to {img.max():.4g}, outside "
                         "[0, 1]; rescale (e.g. image / 255) or clip (np.clip(image, 0, 1)).")
    return img


class SVDCompressor:
    """Compress a grayscale or RGB image with a truncated SVD, factoring once.

    :meth:`fit` computes one full SVD per matrix; :meth:`reconstruct` then
    rebuilds any rank from the cached factors with one matrix product, which is
    what keeps a slider step for ``k`` fast.

    Parameters
    ----------
    mode : {"channels", "stacked"}
        How an RGB image becomes matrices: ``"channels"`` factors each colour
        channel (H x W) separately; ``"stacked"`` factors one H x 3W matrix, the
        channels side by side, so they share their left singular vectors.
        Ignored for grayscale images.

    Attributes
    ----------
    shape_ : tuple
        Shape of the fitted image.
    singular_values_ : ndarray, shape (n_matrices, r)
        Singular values of each factored matrix, largest first.
    max_rank_ : int
        Largest k that :meth:`reconstruct` accepts (``r``, the full rank of the
        factorization).

    Examples
    --------
    >>> img = np.random.default_rng(0).random((32, 48))
    >>> comp = SVDCompressor().fit(img)
    >>> comp.max_rank_
    32
    >>> comp.reconstruct(5).shape
    (32, 48)
    >>> np.allclose(comp.reconstruct(32), img)
    True
    >>> round(comp.compression_ratio(5), 4)      # 5 * (32 + 48 + 1) / (32 * 48)
    0.2637
    """

    def __init__(self, mode="channels"):
        self.mode = mode

    def fit(self, image):
        """Factor ``image``.

        Parameters
        ----------
        image : array-like, shape (H, W) or (H, W, 3)
            Floats in ``[0, 1]``, as :func:`mflib.io.load_image` returns.
            Integer images (e.g. ``uint8`` from OpenCV) and 4-channel images are
            refused with a message saying how to convert them.

        Returns
        -------
        self
        """
        if self.mode not in ("channels", "stacked"):
            raise ValueError(f"mode={self.mode!r}: choose 'channels' or 'stacked'.")
        img = _check_image(image)
        self.shape_ = img.shape
        self._mats = self._to_matrices(img)
        factors = [np.linalg.svd(M, full_matrices=False) for M in self._mats]
        # Cache U * s: a reconstruction is then one product per matrix.
        self._Us = [U * s for U, s, _ in factors]
        self._Vt = [Vt for _, _, Vt in factors]
        self.singular_values_ = np.array([s for _, s, _ in factors])
        self.max_rank_ = self.singular_values_.shape[1]
        return self

    def _to_matrices(self, img):
        if img.ndim == 2:
            return [img]
        if self.mode == "channels":
            return [np.ascontiguousarray(img[..., c]) for c in range(3)]
        return [np.concatenate([img[..., c] for c in range(3)], axis=1)]

    def _check_k(self, k):
        if not hasattr(self, "shape_"):
            raise RuntimeError("this SVDCompressor is not fitted yet; call fit(image) first.")
        return check_rank(k, (self.max_rank_, self.max_rank_))

    def reconstruct(self, k, clip=True):
        """The rank-``k`` image.

        Parameters
        ----------
        k : int
            Rank, ``1 <= k <= max_rank_``.
        clip : bool
            Clip to ``[0, 1]`` (a truncated SVD can overshoot slightly); pass
            ``False`` for the exact rank-``k`` approximation.

        Returns
        -------
        ndarray
            Same shape as the fitted image, float64.
        """
        k = self._check_k(k)
        with _one_blas_thread():
            mats = [_rank_k(M, Us, Vt, k) for M, Us, Vt in zip(self._mats, self._Us, self._Vt)]
        if len(self.shape_) == 2:
            out = mats[0]
        elif self.mode == "channels":
            out = np.stack(mats, axis=2)
        else:
            out = np.stack(np.split(mats[0], 3, axis=1), axis=2)
        return np.clip(out, 0, 1, out=out) if clip else out

    def storage(self, k):
        """Numbers stored at rank ``k``, over all factored matrices.

        Parameters
        ----------
        k : int

        Returns
        -------
        int
            ``k (m + n + 1)`` per factored ``m x n`` matrix.
        """
        k = self._check_k(k)
        h, w = self.shape_[:2]
        if len(self.shape_) == 2:
            return storage_cost((h, w), k)
        if self.mode == "channels":
            return 3 * storage_cost((h, w), k)
        return storage_cost((h, 3 * w), k)

    def compression_ratio(self, k):
        """Numbers stored at rank ``k`` as a fraction of the image's pixel values.

        Parameters
        ----------
        k : int

        Returns
        -------
        float
            Above 1 the factors are larger than the image.
        """
        return self.storage(k) / float(np.prod(self.shape_))


def _rank_k(M, Us, Vt, k):
    """``Us[:, :k] @ Vt[:k]``, summed over the fewer terms.

    The first ``k`` terms equal ``M`` minus the other ``r - k``, so no rank costs
    more than ``r / 2`` terms (and the full rank is ``M`` itself).
    """
    if 2 * k <= Us.shape[1]:
        return Us[:, :k] @ Vt[:k]
    return M - Us[:, k:] @ Vt[k:]
