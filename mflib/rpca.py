"""Robust PCA by principal component pursuit (PCP).

Split a matrix into low-rank plus sparse, ``M = L + S``, by solving

    minimize ||L||_* + lam ||S||_1   subject to   L + S = M

(Candes, Li, Ma and Wright, 2011) with the inexact augmented Lagrange
multiplier method (Lin, Chen and Ma, 2010). The two proximal steps are
:func:`shrink` (soft thresholding, for the l1 norm) and :func:`svt`
(singular value thresholding, for the nuclear norm).

Speed comes from never computing a full SVD: the rank of ``L`` is predicted
from the previous iteration and only that many singular triplets (plus a
margin) are computed, by a randomized SVD. Everything runs in float32 with
in-place updates, so a 76,800 x 1,231 video matrix fits in a few arrays.
"""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.extmath import randomized_svd

from ._validation import check_matrix, check_positive_int


def shrink(X, tau, out=None):
    """Soft thresholding ``sign(x) max(|x| - tau, 0)``, the proximal map of ``tau ||.||_1``.

    Examples
    --------
    >>> shrink(np.array([-3.0, -0.5, 0.0, 2.0]), 1.0)
    array([-2., -0.,  0.,  1.])
    """
    X = np.asarray(X)
    if tau < 0:
        raise ValueError(f"tau must be >= 0, got {tau}.")
    out = np.abs(X, out=out)
    out -= tau
    np.maximum(out, 0, out=out)
    out *= np.sign(X)
    return out


def svt(X, tau, rank=None, random_state=0):
    """Singular value thresholding ``U shrink(Sigma, tau) V^T``, the proximal map of ``tau ||.||_*``.

    Parameters
    ----------
    X : ndarray, shape (m, n)
    tau : float
        Threshold subtracted from every singular value.
    rank : int, optional
        Compute only this many leading singular triplets (randomized); exact
        when ``rank`` exceeds the number of singular values above ``tau``.
    random_state : int

    Returns
    -------
    L : ndarray, shape (m, n)
    n_kept : int
        Number of singular values above ``tau``.

    Examples
    --------
    >>> L, r = svt(np.diag([3.0, 1.0, 0.5]), 0.8)
    >>> np.round(np.diag(L), 6), r
    (array([2.2, 0.2, 0. ]), 2)
    """
    if rank is None or rank >= min(X.shape):
        U, s, Vt = np.linalg.svd(X, full_matrices=False)
    else:
        U, s, Vt = randomized_svd(X, n_components=rank, n_oversamples=10, n_iter=2,
                                  random_state=random_state)
    kept = int(np.sum(s > tau))
    L = (U[:, :kept] * (s[:kept] - tau).astype(X.dtype)) @ Vt[:kept]
    return L.astype(X.dtype, copy=False), kept


def _spectral_norm(X, random_state=0):
    return float(randomized_svd(X, n_components=1, n_oversamples=5, n_iter=4,
                                random_state=random_state)[1][0])


class RobustPCA(BaseEstimator):
    """Principal component pursuit: ``M = L + S`` with ``L`` low-rank and ``S`` sparse.

    Parameters
    ----------
    lam : float, optional
        Weight of ``||S||_1``; default ``1 / sqrt(max(m, n))``, the value for
        which Candes et al. prove exact recovery.
    tol : float, optional
        Stop when ``||M - L - S||_F / ||M||_F < tol``; default 1e-7 in float64
        and 1e-5 in float32 (about what its precision allows).
    max_iter : int
        Maximum number of iterations.
    rho : float
        Growth factor of the penalty ``mu`` per iteration (> 1).
    dtype : numpy dtype
        Working precision; float32 halves memory and time on large matrices.
    random_state : int
        Seed of the randomized partial SVDs.

    Attributes
    ----------
    low_rank_ : ndarray, shape (m, n)
    sparse_ : ndarray, shape (m, n)
    n_iter_ : int
    rank_ : int
        Rank of ``low_rank_``.
    history_ : dict of lists
        Per iteration: ``"residual"`` (relative constraint violation),
        ``"rank"`` (of L) and ``"nnz"`` (fraction of non-zeros in S).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> L0 = rng.standard_normal((100, 3)) @ rng.standard_normal((3, 80))
    >>> S0 = np.where(rng.random((100, 80)) < 0.05, 10.0, 0.0)
    >>> model = RobustPCA(dtype=np.float64).fit(L0 + S0)
    >>> model.rank_, bool(np.allclose(model.low_rank_, L0, atol=1e-3))
    (3, True)
    """

    def __init__(self, lam=None, *, tol=None, max_iter=200, rho=1.5, dtype=np.float32,
                 random_state=0):
        self.lam = lam
        self.tol = tol
        self.max_iter = max_iter
        self.rho = rho
        self.dtype = dtype
        self.random_state = random_state

    def fit(self, M, y=None):
        """Decompose ``M``; sets ``low_rank_``, ``sparse_``, ``n_iter_`` and ``history_``."""
        M = check_matrix(M, "M", dtype=self.dtype)
        if min(M.shape) < 2:
            raise ValueError(f"M has shape {M.shape}: robust PCA needs at least 2 rows and 2 columns "
                             "(for a video: at least two frames).")
        m, n = M.shape
        lam = 1 / np.sqrt(max(m, n)) if self.lam is None else float(self.lam)
        if not lam > 0:
            raise ValueError(f"lam must be positive, got {self.lam}.")
        if not self.rho > 1:
            raise ValueError(f"rho must be > 1, got {self.rho}.")
        check_positive_int(self.max_iter, "max_iter")
        tol = self.tol if self.tol is not None else (1e-7 if M.dtype == np.float64 else 1e-5)
        norm_M = float(np.linalg.norm(M))
        if norm_M == 0:
            raise ValueError("M is all zeros: there is nothing to decompose.")

        norm2 = _spectral_norm(M, self.random_state)
        Y = M / max(norm2, float(np.abs(M).max()) / lam)      # dual start (Lin et al.)
        mu, mu_max = 1.25 / norm2, 1.25 / norm2 * 1e7
        S = np.zeros_like(M)
        work = np.empty_like(M)
        sv = min(10, min(m, n))                                 # predicted rank (+ margin)
        history = {"residual": [], "rank": [], "nnz": []}
        for it in range(1, self.max_iter + 1):  # noqa: B007 (n_iter_ below)
            # L-step: singular value thresholding of M - S + Y/mu
            np.subtract(M, S, out=work)
            work += Y * (1 / mu)
            L, rank = svt(work, 1 / mu, rank=sv, random_state=self.random_state)
            # Predict the rank needed next time: grow while every computed value survives.
            sv = min(rank + 1, min(m, n)) if rank < sv else min(rank + max(1, round(0.05 * min(m, n))), min(m, n))
            # S-step: soft thresholding of M - L + Y/mu
            np.subtract(M, L, out=work)
            work += Y * (1 / mu)
            shrink(work, lam / mu, out=S)
            # dual ascent on the constraint M = L + S
            np.subtract(M, L, out=work)
            work -= S
            residual = float(np.linalg.norm(work)) / norm_M
            Y += mu * work
            mu = min(mu * self.rho, mu_max)
            history["residual"].append(residual)
            history["rank"].append(rank)
            history["nnz"].append(float(np.count_nonzero(S)) / S.size)
            if residual < tol:
                break
        self.low_rank_, self.sparse_ = L, S
        self.n_iter_, self.rank_, self.lam_ = it, rank, lam
        self.history_ = history
        return self

    def fit_transform(self, M, y=None):
        """Decompose ``M`` and return the low-rank part."""
        return self.fit(M).low_rank_
