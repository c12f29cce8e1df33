"""Truncated SVD, the numbers of SVD compression, and a compressor that factors once.

Plain functions for the numerics, and :class:`SVDCompressor`, which caches the
factors of an image so that each new rank only costs a matrix product -- what
makes a slider step for k fast.
"""

import numpy as np

from ._validation import check_matrix, check_rank


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
    >>> round(eckart_young_error([3.0, 4.0], 1), 3)
    0.8
    """
    s = check_matrix(s, "s", ndim=1)
    if np.any(s < 0):
        raise ValueError("singular values cannot be negative; pass the s of an SVD.")
    k = check_rank(k, (s.size, s.size))
    total = np.sum(s ** 2)
    return float(np.sqrt(np.sum(s[k:] ** 2) / total)) if total > 0 else 0.0


def _shape2(shape):
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape must be (m, n) with m, n >= 1, got {shape}.")
    return int(shape[0]), int(shape[1])


def storage_cost(shape, k):
    """Numbers stored for a rank-``k`` SVD of an ``m x n`` matrix: ``k (m + n + 1)``.

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

    Examples
    --------
    >>> breakeven_rank((512, 512))
    255
    """
    m, n = _shape2(shape)
    return (m * n - 1) // (m + n + 1)


def relative_error(A, B):
    """``||A - B||_F / ||A||_F`` (arrays of any matching shape, e.g. RGB images)."""
    A = check_matrix(A, "A", ndim=(1, 2, 3))
    B = check_matrix(B, "B", ndim=(1, 2, 3))
    if A.shape != B.shape:
        raise ValueError(f"A {A.shape} and B {B.shape} differ in shape; compare like with like.")
    norm = np.linalg.norm(A)
    if norm == 0:
        raise ValueError("A is all zeros, so a relative error is undefined.")
    return float(np.linalg.norm(A - B) / norm)


def psnr(A, B, peak=1.0):
    """Peak signal-to-noise ratio ``10 log10(peak^2 / MSE)`` in decibels (``inf`` if equal).

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
    mse = float(np.mean((A - B) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(peak ** 2 / mse))


class SVDCompressor:
    """Compress a grayscale or RGB image with a truncated SVD, factoring once.

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
        Singular values of each factored matrix.
    max_rank_ : int
        Largest k that :meth:`reconstruct` accepts.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((32, 48))
    >>> comp = SVDCompressor().fit(img)
    >>> comp.reconstruct(32).shape
    (32, 48)
    >>> np.allclose(comp.reconstruct(32), img)
    True
    """

    def __init__(self, mode="channels"):
        self.mode = mode

    def fit(self, image):
        """Factor ``image`` (H, W) or (H, W, 3), floats in [0, 1]."""
        if self.mode not in ("channels", "stacked"):
            raise ValueError(f"mode={self.mode!r}: choose 'channels' or 'stacked'.")
        img = check_matrix(image, "image", ndim=(2, 3))
        if img.ndim == 3 and img.shape[2] != 3:
            raise ValueError(f"image has {img.shape[2]} channels; pass grayscale (H, W) or RGB "
                             "(H, W, 3) -- mflib.datasets.load_image converts RGBA and 16-bit files.")
        self.shape_ = img.shape
        mats = self._to_matrices(img)
        factors = [np.linalg.svd(M, full_matrices=False) for M in mats]
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
            return [img[..., c] for c in range(3)]
        return [np.concatenate([img[..., c] for c in range(3)], axis=1)]

    def reconstruct(self, k, clip=True):
        """The rank-``k`` image, same shape as the fitted one (clipped to [0, 1] by default)."""
        if not hasattr(self, "shape_"):
            raise RuntimeError("call fit(image) before reconstruct(k).")
        k = check_rank(k, (self.max_rank_, self.max_rank_))
        mats = [Us[:, :k] @ Vt[:k] for Us, Vt in zip(self._Us, self._Vt)]
        if len(self.shape_) == 2:
            out = mats[0]
        elif self.mode == "channels":
            out = np.stack(mats, axis=2)
        else:
            out = np.stack(np.split(mats[0], 3, axis=1), axis=2)
        return np.clip(out, 0, 1, out=out) if clip else out

    def storage(self, k):
        """Numbers stored at rank ``k``, over all factored matrices."""
        k = check_rank(k, (self.max_rank_, self.max_rank_))
        h, w = self.shape_[:2]
        if len(self.shape_) == 2:
            return storage_cost((h, w), k)
        if self.mode == "channels":
            return 3 * storage_cost((h, w), k)
        return storage_cost((h, 3 * w), k)

    def compression_ratio(self, k):
        """Stored numbers at rank ``k`` as a fraction of the image's pixel values."""
        return self.storage(k) / float(np.prod(self.shape_))
