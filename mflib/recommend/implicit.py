"""Implicit-feedback matrix factorization: ALS on every cell, weighted by confidence (Hu, Koren and Volinsky, 2008).

Every (user, item) cell has a preference ``p_ui`` -- 1 where the user
interacted with the item, 0 elsewhere -- trusted with confidence
``c_ui = 1 + alpha * y_ui`` (``y_ui`` the interaction's weight, 1 by default;
``c_ui = 1`` where there is none). The model ``x_u . y_i`` minimizes

.. math::

    \\sum_{u, i} c_{ui} (p_{ui} - x_u^\\top y_i)^2
    + \\lambda \\Big(\\sum_u \\lVert x_u \\rVert^2 + \\sum_i \\lVert y_i \\rVert^2\\Big)

over **all** cells. With the items fixed, user ``u``'s vector solves
``(Y^T C^u Y + lambda I) x_u = Y^T C^u p(u)``, and
``Y^T C^u Y = Y^T Y + Y^T (C^u - I) Y`` where ``C^u - I`` is nonzero only on the
user's items: one shared ``Y^T Y`` plus a sum over the user's interactions.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from .._threads import one_blas_thread
from .ranking import PairRanker


class ImplicitALS(PairRanker):
    """Matrix factorization for implicit feedback, by alternating least squares (Hu, Koren and Volinsky, 2008).

    ``fit(X)`` takes the (user id, item id) pairs a user interacted with, and
    optionally a weight ``y`` per pair (plays, clicks, a rating) that raises
    the pair's confidence to ``1 + alpha * y``; ``recommend(user, n)`` lists the
    ``n`` items with the largest ``x_u . y_i`` that the user has not interacted
    with. Unlike ``MatrixFactorization``, the loss counts every cell: a movie
    a user did not watch is weak evidence against it.

    Parameters
    ----------
    n_components : int, default=32
        Length of each user's and item's factor vector.
    reg : float >= 0, default=1.0
        ``lambda``, the L2 penalty on every vector (not weighted by counts, as
        in the paper).
    alpha : float >= 0, default=10.0
        Confidence gained per unit of weight: ``c_ui = 1 + alpha * y_ui``. With
        ``alpha = 0`` the model is a weighted-nothing low-rank fit of the 0/1
        matrix.
    max_iter : int, default=15
        ALS sweeps (a user step and an item step each); Hu et al. report that
        about 10 suffice.
    tol : float, default=1e-4
        Stop when the loss decreased by less than ``tol`` times its value in one
        sweep; a ``ConvergenceWarning`` says when ``max_iter`` ran out first
        (not raised for ``tol=0``).
    init_std : float, default=0.01
        Standard deviation of the normal initial factors.
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users, n_components)
    item_factors_ : ndarray of shape (n_items, n_components)
    user_ids_, item_ids_ : ndarray of int64
        Sorted ids seen in training; row ``j`` of the factors belongs to ``user_ids_[j]``.
    seen_ : sparse array of bool, shape (n_users, n_items)
        Who interacted with what in training (never recommended back).
    loss_curve_ : list of float
        The loss above after each sweep.
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> X = np.array([[1, 10], [1, 11], [2, 10], [2, 11], [3, 12], [4, 12], [4, 10]])
    >>> model = ImplicitALS(n_components=2, reg=0.1, max_iter=200, random_state=0).fit(X)
    >>> model.recommend(4, n=1)[0]
    array([11])
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "reg": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "init_std": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=32, *, reg=1.0, alpha=10.0, max_iter=15, tol=1e-4, init_std=0.01,
                 random_state=None):
        self.n_components = n_components
        self.reg = reg
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.init_std = init_std
        self.random_state = random_state

    def _fit(self, M):
        rng = check_random_state(self.random_state)
        k = self.n_components
        extra = M.copy()
        extra.data = self.alpha * M.data            # c_ui - 1, nonzero only where u interacted with i
        conf = extra.copy()
        conf.data = conf.data + 1.0                 # c_ui p_ui: the right-hand sides
        extra_t, conf_t = extra.T.tocsr(), conf.T.tocsr()
        self.user_factors_ = rng.normal(0, self.init_std, (M.shape[0], k))
        self.item_factors_ = rng.normal(0, self.init_std, (M.shape[1], k))
        self.loss_curve_ = []
        with one_blas_thread():   # small systems: BLAS threads cost more than they give
            for sweep in range(1, self.max_iter + 1):
                self.n_iter_ = sweep
                self.user_factors_ = self._solve(extra, conf, self.item_factors_)
                self.item_factors_ = self._solve(extra_t, conf_t, self.user_factors_)
                self.loss_curve_.append(self._loss(M, extra))
                if sweep > 1 and self.loss_curve_[-2] - self.loss_curve_[-1] <= self.tol * self.loss_curve_[-2]:
                    break
            else:
                if self.tol > 0 and self.max_iter > 1:
                    warnings.warn(f"ImplicitALS stopped after max_iter={self.max_iter} sweeps before the loss "
                                  f"settled to within tol={self.tol}; raise max_iter or tol.",
                                  ConvergenceWarning, stacklevel=4)

    def _solve(self, extra, conf, F):
        """Every row's ``(F^T F + F^T (C - I) F + reg I) x = F^T C p``, all at once."""
        k = F.shape[1]
        gram = _weighted_grams(extra, F)             # sum over the row's interactions of (c - 1) f f^T
        gram += F.T @ F + (self.reg + 1e-9) * np.eye(k)
        rhs = conf @ F
        return np.linalg.solve(gram, rhs[..., None])[..., 0]

    def _loss(self, M, extra):
        """The loss over all cells, from the interactions only: sum_all s^2 + sum_obs [c (1 - s)^2 - s^2] + penalty."""
        X, Y = self.user_factors_, self.item_factors_
        coo = M.tocoo()
        s = np.einsum("nk,nk->n", X[coo.row], Y[coo.col])
        c = 1.0 + extra.tocoo().data
        every = float(np.sum((X.T @ X) * (Y.T @ Y)))
        observed = float(np.sum(c * (1 - s) ** 2 - s ** 2))
        return every + observed + self.reg * float(np.sum(X * X) + np.sum(Y * Y))

    def _scores(self, rows):
        return self.user_factors_[rows] @ self.item_factors_.T


def _weighted_grams(weights, F):
    """``sum_c w_rc f_c f_c^T`` for every row ``r`` of the sparse ``weights``, shape (n_rows, k, k).

    One sparse product of the weights with the upper triangles of the outer
    products ``f_c f_c^T``, then mirrored.
    """
    k = F.shape[1]
    iu, ju = np.triu_indices(k)
    sym = np.zeros((k, k), dtype=np.intp)        # entry (a, b) of f f^T is upper-triangle column sym[a, b]
    sym[iu, ju] = sym[ju, iu] = np.arange(len(iu))
    upper = weights @ (np.take(F, iu, axis=1) * np.take(F, ju, axis=1))
    return np.take(upper, sym.ravel(), axis=1).reshape(-1, k, k)
