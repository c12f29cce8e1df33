"""Soft-Impute (Mazumder, Hastie and Tibshirani, 2010): fill the gaps, take the SVD, shrink, repeat.

Chapters 1 and 2 took the SVD of a complete matrix. Soft-Impute fills the
missing cells of the (centred) rating matrix with the current low-rank guess
``Z``, takes the SVD of the filled matrix, shrinks every singular value by
``lambda`` (and drops those that reach 0), and repeats:

.. math::

    Z \\leftarrow S_\\lambda\\big(P_\\Omega(R) + P_\\Omega^\\perp(Z)\\big),
    \\qquad S_\\lambda(U \\Sigma V^\\top) = U \\max(\\Sigma - \\lambda, 0) V^\\top .

Each step does not increase ``1/2 |P_Omega(R - Z)|_F^2 + lambda |Z|_*`` -- a loss
over the **known** entries only, with the nuclear norm (sum of singular values)
as the penalty -- and the iterates converge to its minimizer: the fill is
revised until it no longer matters.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from .._threads import one_blas_thread
from .ids import check_ids, index_of, item_keys


class SoftImpute(RegressorMixin, BaseEstimator):
    """Rating prediction by Soft-Impute: iterated fill, SVD and soft-thresholding of the singular values.

    The ratings minus their mean ``mu`` form a sparse matrix ``R``; the model
    is ``mu + Z`` with ``Z`` the minimizer of
    ``1/2 sum_known (r_ui - z_ui)^2 + lambda |Z|_*``. The filled matrix
    ``P_Omega(R) + P_Omega^perp(Z) = P_Omega(R - Z) + Z`` is sparse plus low
    rank, so its top singular triplets come from matrix-vector products that
    never form the dense matrix (Mazumder et al.'s own trick).

    Parameters
    ----------
    shrinkage : float > 0, default=0.05
        ``lambda`` as a fraction of the largest singular value of ``R`` (with
        ``lambda`` at or above it, ``Z = 0``), so the value does not depend on
        the rating scale or the matrix size. No value suits every data set:
        choose it on validation ratings (Mazumder et al. compute a whole path).
    max_rank : int, default=50
        Singular triplets computed per step; ``rank_`` reports how many
        survived the shrinkage (if all did, raise ``max_rank`` or ``shrinkage``).
    max_iter : int, default=100
    tol : float, default=1e-4
        Stop when ``|Z_new - Z|_F^2 / |Z|_F^2 < tol`` (Mazumder et al.'s criterion);
        a ``ConvergenceWarning`` says when ``max_iter`` ran out first.
    random_state : int, RandomState instance or None, default=None
        Seeds the first start vector of the iterative SVD.

    Attributes
    ----------
    global_mean_ : float
    user_factors_ : ndarray of shape (n_users, ``rank_``)
        ``U max(Sigma - lambda, 0)``.
    item_factors_ : ndarray of shape (n_items, ``rank_``)
        ``V``.
    singular_values_ : ndarray of shape (``rank_``,)
        The shrunk singular values of ``Z``.
    rank_ : int
    user_ids_, item_ids_ : ndarray of int64
    rating_range_ : tuple of float
        Predictions are clipped to it.
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> full = rng.normal(size=(30, 2)) @ rng.normal(size=(2, 20))
    >>> u, i = np.nonzero(rng.random(full.shape) < 0.6)
    >>> model = SoftImpute(shrinkage=0.1, random_state=0).fit(np.column_stack([u, i]), full[u, i])
    >>> model.rank_
    2
    """

    _parameter_constraints: dict = {
        "shrinkage": [Interval(Real, 0, None, closed="neither")],
        "max_rank": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, shrinkage=0.05, *, max_rank=50, max_iter=100, tol=1e-4, random_state=None):
        self.shrinkage = shrinkage
        self.max_rank = max_rank
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True   # X holds ids, not measurements
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit ``mu + Z`` to the ratings ``y`` of the (user id, item id) pairs ``X``.

        Parameters
        ----------
        X : array-like of shape (n_ratings, 2)
        y : array-like of shape (n_ratings,)

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, dtype="numeric", y_numeric=True)
        X = check_ids(X)
        y = np.asarray(y, dtype=np.float64)
        self.user_ids_, users = np.unique(X[:, 0], return_inverse=True)
        self.item_ids_, items = np.unique(item_keys(X), return_inverse=True)
        self.global_mean_ = float(y.mean())
        self.rating_range_ = (float(y.min()), float(y.max()))
        shape = (len(self.user_ids_), len(self.item_ids_))
        R = sp.csr_array((y - self.global_mean_, (users, items)), shape=shape)
        R.sum_duplicates()
        coo = R.tocoo()
        rows, cols, r = coo.row, coo.col, coo.data
        rank = min(self.max_rank, min(shape) - 1)
        rng = check_random_state(self.random_state)
        v0 = rng.uniform(-1, 1, min(shape))
        if rank < 1 or not np.any(r):
            return self._set(np.zeros((shape[0], 0)), np.zeros((shape[1], 0)), np.zeros(0), 0)
        with one_blas_thread():   # thin products and QRs: BLAS threads cost more than they give
            return self._iterate(R, rows, cols, r, rank, v0, rng)

    def _iterate(self, R, rows, cols, r, rank, v0, rng):
        shape = R.shape
        lam = self.shrinkage * svds(R, k=1, v0=v0, return_singular_vectors=False)[0]
        A, s, B = np.zeros((shape[0], 0)), np.zeros(0), np.zeros((shape[1], 0))   # Z = A diag(s) B^T
        V0 = rng.standard_normal((shape[1], min(rank + 5, min(shape))))      # start of the subspace iteration
        for step in range(1, self.max_iter + 1):
            n_iter = step
            z = np.einsum("nk,nk->n", A[rows] * s, B[cols])
            resid = R.copy()                                              # P_Omega(R - Z): R's pattern, in its order
            resid.data = r - z
            U, sv, Vt, V0 = _top_svd(resid, A, s, B, V0)
            keep = np.arange(len(sv)) < rank                       # at most max_rank triplets ...
            keep &= sv > lam                                       # ... and only those above the shrinkage
            A_new, s_new, B_new = U[:, keep], sv[keep] - lam, Vt[keep].T
            change = _frob2_diff(A, s, B, A_new, s_new, B_new)
            norm = float(np.sum(s ** 2))
            A, s, B = A_new, s_new, B_new
            if change == 0 or change < self.tol * norm:
                break
        else:
            if self.tol > 0:
                warnings.warn(f"SoftImpute stopped after max_iter={self.max_iter} steps before the change fell "
                              f"below tol={self.tol}; raise max_iter or tol.", ConvergenceWarning, stacklevel=4)
        return self._set(A * s, B, s, n_iter)

    def _set(self, user_factors, item_factors, s, n_iter):
        order = np.argsort(-s)
        self.user_factors_, self.item_factors_ = user_factors[:, order], item_factors[:, order]
        self.singular_values_, self.rank_, self.n_iter_ = s[order], len(s), n_iter
        return self

    def predict(self, X):
        """Predicted ratings ``mu + z_ui``, clipped to the training range; an unknown id gets ``mu``.

        Parameters
        ----------
        X : array-like of shape (n_ratings, 2)

        Returns
        -------
        ndarray of shape (n_ratings,)
        """
        check_is_fitted(self)
        X = check_ids(validate_data(self, X, dtype="numeric", reset=False, ensure_min_samples=0))
        u, i = index_of(X[:, 0], self.user_ids_), index_of(item_keys(X), self.item_ids_)
        ok = (u >= 0) & (i >= 0)
        z = np.einsum("nk,nk->n", self.user_factors_[u], self.item_factors_[i]) * ok
        return np.clip(self.global_mean_ + z, *self.rating_range_)


def _top_svd(S, A, s, B, V0):
    """Top singular triplets of ``S + A diag(s) B^T`` by one step of subspace iteration started at ``V0``.

    The filled matrix is sparse plus low rank, so each product costs
    ``nnz(S) + (m + n) rank`` and the dense matrix is never formed. Started
    from the previous step's right singular vectors, one power step per
    Soft-Impute step suffices: the subspace converges along with ``Z``.
    Returns ``U, sigma, V^T`` (descending) and the next start.
    """
    mul = lambda V: S @ V + A @ (s[:, None] * (B.T @ V))
    rmul = lambda U: S.T @ U + B @ (s[:, None] * (A.T @ U))
    Q, _ = np.linalg.qr(mul(V0))
    W, _ = np.linalg.qr(rmul(Q))
    Q, _ = np.linalg.qr(mul(W))
    Ub, sv, Vt = np.linalg.svd(rmul(Q).T, full_matrices=False)
    return Q @ Ub, sv, Vt, Vt.T


def _frob2_diff(A, s, B, A2, s2, B2):
    """``|A diag(s) B^T - A2 diag(s2) B2^T|_F^2`` from the thin factors (orthonormal A, B)."""
    cross = np.sum((A.T @ A2) * np.outer(s, s2) * (B.T @ B2))
    return float(np.sum(s ** 2) + np.sum(s2 ** 2) - 2 * cross)
