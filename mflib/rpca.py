"""Robust PCA by principal component pursuit (PCP).

Split a matrix into low-rank plus sparse, ``M = L + S``, by solving the convex
problem (principal component pursuit, Candes, Li, Ma and Wright, 2011)

    minimize ||L||_* + lam ||S||_1   subject to   L + S = M

with an algorithm: the inexact augmented Lagrange multiplier method (Lin, Chen
and Ma, 2010), i.e. ADMM on the augmented Lagrangian

    l(L, S, Y; mu) = ||L||_* + lam ||S||_1 + <Y, M - L - S> + mu/2 ||M - L - S||_F^2.

Its two proximal steps are :func:`shrink` (soft thresholding, for the l1 norm)
and :func:`svt` (singular value thresholding, for the nuclear norm).

Speed comes from never computing a full SVD: the rank of ``L`` is predicted
from the previous iteration and only that many singular triplets (plus a
margin) are computed by a randomized SVD, so ``RobustPCA`` approximates the
exact PCP solution (the chapter measures how closely).
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.extmath import randomized_svd
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import check_finite, check_int, check_matrix, check_number, refuse_bool_params, refuse_text

FLOATS = (np.float32, np.float64)


def shrink(X, tau, out=None):
    """Soft thresholding ``sign(x) max(|x| - tau, 0)``, the proximal map of ``tau ||.||_1``.

    ``tau`` may be an array that broadcasts against ``X`` (one threshold per
    column, say). ``out`` may be ``X`` itself (in place): the signs are read
    before it is overwritten.

    Examples
    --------
    >>> shrink(np.array([-3.0, -0.5, 0.0, 2.0]), 1.0)
    array([-2., -0.,  0.,  1.])
    >>> x = np.array([-3.0, -0.5, 2.0])
    >>> shrink(x, 1.0, out=x) is x, x
    (True, array([-2., -0.,  1.]))
    """
    X = check_finite(X, "X")                # NaN in, NaN out: refuse it here rather than return it
    try:
        tau_values = np.asarray(tau, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"tau must be a number or an array of numbers, got {tau!r}.") from None
    if not np.all(tau_values >= 0):
        raise ValueError(f"tau must be >= 0 (a number, or an array broadcasting against X), got {tau}.")
    return _soft_threshold(X, tau, out)


def _soft_threshold(X, tau, out=None):
    """:func:`shrink` without the checks, for loops whose input is known to be finite."""
    sign = np.sign(X)                       # before `out` (possibly X) is overwritten
    if out is None:                         # a new float array (also for 0-d and integer input)
        out = np.asarray(np.abs(X.astype(np.result_type(X, 1.0), copy=False)))
    else:
        np.abs(X, out=out)
    out -= tau
    np.maximum(out, 0, out=out)
    out *= sign
    return out


def svt(X, tau, rank=None, random_state=0, n_iter=4):
    """Singular value thresholding ``U shrink(Sigma, tau) V^T``, the proximal map of ``tau ||.||_*``.

    Parameters
    ----------
    X : ndarray, shape (m, n)
    tau : float
        Threshold subtracted from every singular value.
    rank : int, optional
        ``None``: a full SVD (LAPACK), exact up to round-off. An int: only the
        ``rank`` leading singular triplets, by a randomized SVD with ``n_iter``
        power iterations (Halko, Martinsson and Tropp, 2011). That is an
        approximation: exact (up to round-off) only when ``X`` has rank at most
        ``rank``, otherwise accurate to roughly ``(sigma_{rank+1}/sigma_i)^(2 n_iter + 1)``
        relative to each ``sigma_i``; and if all ``rank`` values exceed ``tau``,
        further values above ``tau`` are missed (``n_kept == rank`` signals it).
    random_state : int
    n_iter : int
        Power iterations of the randomized SVD.

    Returns
    -------
    L : ndarray, shape (m, n)
    n_kept : int
        Number of computed singular values above ``tau``.

    Examples
    --------
    >>> L, r = svt(np.diag([3.0, 1.0, 0.5]), 0.8)
    >>> np.round(np.diag(L), 6), r
    (array([2.2, 0.2, 0. ]), 2)
    """
    X = check_matrix(X, "X", dtype=None)
    tau = check_number(tau, "tau", 0)     # a negative tau would grow the singular values
    rank = None if rank is None else check_int(rank, "rank", 1)
    n_iter = check_int(n_iter, "n_iter", 0)
    top = float(np.abs(X).max())
    if top > 1e150:       # LAPACK's sums of squares would overflow: svt(c X, c tau) = c svt(X, tau)
        L, kept = svt(X / top, tau / top, rank, random_state, n_iter)
        with np.errstate(over="ignore"):
            L = (L * top).astype(X.dtype, copy=False)
        if not np.isfinite(L).all():
            raise ValueError("the thresholded matrix has entries beyond float64's range (1.8e308); rescale X "
                             "and tau by the same factor first, e.g. X / np.abs(X).max().")
        return L, kept
    if rank is None or rank >= min(X.shape):
        U, s, Vt = np.linalg.svd(X, full_matrices=False)
    else:
        U, s, Vt = randomized_svd(X, n_components=rank, n_oversamples=10, n_iter=n_iter,
                                  random_state=random_state)
    kept = int(np.sum(s > tau))
    L = (U[:, :kept] * (s[:kept] - tau).astype(X.dtype)) @ Vt[:kept]
    return L.astype(X.dtype, copy=False), kept


def _spectral_norm(X, random_state=0):
    return float(randomized_svd(X, n_components=1, n_oversamples=5, n_iter=4,
                                random_state=random_state)[1][0])


def _check_dtype(dtype):
    """The working float dtype, or a clear error (``None``: keep float32 input, else float64)."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in [np.dtype(f) for f in FLOATS]:
        raise ValueError(f"dtype={dtype!r} is not supported: robust PCA works in floating point; "
                         "pass dtype=np.float32, np.float64 or None (keep float32 input, else float64).")
    return dt.type


class RobustPCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Principal component pursuit: ``X = L + S`` with ``L`` low-rank and ``S`` sparse.

    Solved by the inexact augmented Lagrange multiplier method (ADMM) with
    partial SVDs. Rows of ``X`` are samples (for a video: frames), columns are
    features (pixels). After fitting, :meth:`transform` gives the coefficients of
    new rows on the row space of ``L`` (least squares, like PCA without centring).

    Parameters
    ----------
    lam : float, optional
        Weight of ``||S||_1``; default ``1 / sqrt(max(m, n))``, the value of
        Candes et al.'s recovery theorem.
    tol : float, optional
        Stop when ``||X - L - S||_F / ||X||_F < tol``; default 1e-7 in float64
        and 1e-5 in float32 (about what its precision allows).
    max_iter : int
        Maximum number of iterations; a :class:`~sklearn.exceptions.ConvergenceWarning`
        is issued if it is reached before ``tol``.
    rho : float
        Growth factor of the penalty ``mu`` per iteration (> 1).
    dtype : {None, numpy.float32, numpy.float64}
        Working precision. ``None`` keeps float32 input in float32 and works in
        float64 otherwise; float32 halves memory and time on large matrices.
    random_state : int, RandomState instance or None
        Seed of the randomized partial SVDs.

    Attributes
    ----------
    low_rank_ : ndarray, shape (n_samples, n_features)
    sparse_ : ndarray, shape (n_samples, n_features)
    components_ : ndarray, shape (rank, n_features)
        Orthonormal basis of the row space of ``low_rank_``.
    n_iter_ : int
    rank_ : int
        Rank of ``low_rank_``.
    lam_ : float
        The ``lam`` used.
    n_features_in_ : int
    loss_curve_ : list of float
        Per iteration: the relative constraint violation ``||X - L - S||_F / ||X||_F``.
    rank_curve_ : list of int
        Per iteration: the rank of ``L``.
    nnz_curve_ : list of float
        Per iteration: the fraction of non-zeros in ``S``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> L0 = rng.standard_normal((100, 3)) @ rng.standard_normal((3, 80))
    >>> S0 = np.where(rng.random((100, 80)) < 0.05, 10.0, 0.0)
    >>> model = RobustPCA().fit(L0 + S0)
    >>> model.rank_, bool(np.allclose(model.low_rank_, L0, atol=1e-3))
    (3, True)
    >>> model.transform(L0[:2]).shape
    (2, 3)
    """

    _parameter_constraints = {
        "lam": [None, Interval(Real, 0, None, closed="neither")],
        "tol": [None, Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "rho": [Interval(Real, 1, None, closed="neither")],
        "dtype": "no_validation",       # checked by _check_dtype, with a message naming the fix
        "random_state": ["random_state"],
    }

    def __init__(self, lam=None, *, tol=None, max_iter=200, rho=1.5, dtype=None, random_state=0):
        self.lam = lam
        self.tol = tol
        self.max_iter = max_iter
        self.rho = rho
        self.dtype = dtype
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Decompose ``X``; sets ``low_rank_``, ``sparse_``, ``components_``, ``n_iter_`` and the curves.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
            At least 2 x 2, finite, not all zero.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        refuse_bool_params(self)
        dtype = _check_dtype(self.dtype)
        X = validate_data(self, refuse_text(X), dtype=dtype or [np.float64, np.float32], ensure_min_samples=2,
                          ensure_min_features=2)
        seed = (self.random_state if isinstance(self.random_state, Integral)
                else check_random_state(self.random_state).randint(2 ** 31 - 1))
        L, S, lam, history = self._pcp(X, seed)
        self.low_rank_, self.sparse_, self.lam_ = L, S, lam
        self.loss_curve_, self.rank_curve_, self.nnz_curve_ = history["residual"], history["rank"], history["nnz"]
        self.n_iter_, self.rank_ = len(self.loss_curve_), self.rank_curve_[-1]
        self.components_ = np.linalg.svd(L, full_matrices=False)[2][:self.rank_].astype(X.dtype)
        self._n_features_out = self.rank_
        return self

    def _pcp(self, M, seed):
        m, n = M.shape
        lam = 1 / np.sqrt(max(m, n)) if self.lam is None else float(self.lam)
        tol = self.tol if self.tol is not None else (1e-7 if M.dtype == np.float64 else 1e-5)
        norm_M = float(np.linalg.norm(M))
        if norm_M == 0:
            raise ValueError("X is all zeros: there is nothing to decompose.")
        norm2 = _spectral_norm(M, seed)
        Y = M / max(norm2, float(np.abs(M).max()) / lam)      # dual start (Lin et al.)
        mu, mu_max = 1.25 / norm2, 1.25 / norm2 * 1e7
        S, work = np.zeros_like(M), np.empty_like(M)
        sv = min(10, m, n)                                      # predicted rank (+ margin)
        history = {"residual": [], "rank": [], "nnz": []}
        for _ in range(self.max_iter):
            np.subtract(M, S, out=work)                         # L-step: SVT of M - S + Y/mu
            work += Y * (1 / mu)
            L, rank = svt(work, 1 / mu, rank=sv, random_state=seed)
            # next time: one more than needed, or grow by 5% while every computed value survives
            sv = min(rank + 1 if rank < sv else rank + max(1, round(0.05 * min(m, n))), m, n)
            np.subtract(M, L, out=work)                         # S-step: shrink M - L + Y/mu
            work += Y * (1 / mu)
            _soft_threshold(work, lam / mu, out=S)
            np.subtract(M, L, out=work)                         # dual ascent on M = L + S
            work -= S
            history["residual"].append(float(np.linalg.norm(work)) / norm_M)
            history["rank"].append(rank)
            history["nnz"].append(np.count_nonzero(S) / S.size)
            Y += mu * work
            mu = min(mu * self.rho, mu_max)
            if history["residual"][-1] < tol:
                break
        else:
            warnings.warn(f"RobustPCA stopped at max_iter={self.max_iter} with residual "
                          f"{history['residual'][-1]:.2g} > tol={tol:.2g}; increase max_iter or tol.",
                          ConvergenceWarning, stacklevel=3)
        return L, S, lam, history

    def transform(self, X):
        """Coefficients of the rows of ``X`` on ``components_`` (least squares), shape (n, ``rank_``)."""
        check_is_fitted(self)
        X = validate_data(self, refuse_text(X), dtype=self.components_.dtype, reset=False)
        return X @ self.components_.T

    def inverse_transform(self, X):
        """Rows in feature space from coefficients: ``X @ components_``, shape (n, ``n_features_in_``)."""
        check_is_fitted(self)
        X = check_matrix(X, "X", dtype=self.components_.dtype)
        if X.shape[1] != self.rank_:
            raise ValueError(f"X has {X.shape[1]} columns but the model has rank_ = {self.rank_} components; "
                             "pass the output of transform.")
        return X @ self.components_
