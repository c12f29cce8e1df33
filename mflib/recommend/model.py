"""Matrix factorization for rating prediction: biases plus latent factors.

The model (Koren, Bell and Volinsky, 2009) predicts user ``u``'s rating of item ``i`` as
``mu + b_u + b_i + p_u . q_i`` and is fitted to the known ratings ``K`` by minimizing

.. math::

    L = \\sum_{(u, i) \\in K} \\Big[(r_{ui} - \\hat r_{ui})^2
        + \\lambda \\big(\\lVert p_u \\rVert^2 + \\lVert q_i \\rVert^2\\big)\\Big]
        + \\lambda_b \\Big(\\sum_u b_u^2 + \\sum_i b_i^2\\Big).

The factors' penalty sits inside the sum over ratings, so a user with ``n_u``
ratings is penalized ``lambda n_u |p_u|^2``: the "weighted-lambda" of ALS-WR
(Zhou et al., 2008), which Spark's ALS also uses. The biases' penalty
``lambda_b`` (``bias_reg``) is not weighted: ``b_i`` is the mean residual of
item ``i`` shrunk by ``n_i / (n_i + lambda_b)``, so a movie with one enthusiastic
rating does not get a large bias.

Two solvers minimize ``L``: alternating least squares (``"als"``: with the items
fixed, every user's ``(b_u, p_u)`` is a small ridge regression, all solved at
once; then the same for items) and stochastic gradient descent (``"sgd"``).
The default, Bayesian probabilistic matrix factorization (``"bpmf"``,
Salakhutdinov and Mnih, 2008), puts a Gaussian-Wishart prior on the rows
``(b_u, p_u)`` and Gamma priors on the noise precisions (by default a scale per
user and per item), and averages the prediction over Gibbs draws of the posterior.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._threads import one_blas_thread
from .._validation import check_int, refuse_bool_params, refuse_text
from .ids import check_ids, index_of, item_keys, key_rows, one_id
from .solvers import JITTER, csr_pattern, gibbs, ridge_all, rowdot


class MatrixFactorization(RegressorMixin, BaseEstimator):
    """Biased matrix factorization for explicit ratings (Koren, Bell and Volinsky, 2009).

    Predicts ``mu + b_u + b_i + p_u . q_i``. By default the prediction is the
    posterior mean of Bayesian matrix factorization (``solver="bpmf"``,
    Salakhutdinov and Mnih, 2008), averaged over ``n_draws`` Gibbs draws; or
    the model is fitted by alternating least squares or stochastic gradient
    descent on the squared error with the per-rating L2 penalty ``reg`` (see the
    module's docstring).

    Why BPMF is the default: its hyperpriors take the place of ``lambda`` and
    ``lambda_b``, and the sampler's own settings -- a start near zero, 50
    discarded sweeps, 200 averaged draws, ``k = 10``, a noise scale per user and
    per item -- have the lowest mean validation RMSE among the settings whose
    fit takes at most 3 CPU seconds on the course's machine (one BLAS thread),
    on a held-out tenth of each of MovieLens 100k's five base folds (training
    ratings only): ``python benchmarks/bench_recommend.py --select-bpmf``
    prints that table (k of 10, 20 and 30; burn-in 0 to 50; 50 to 200 draws;
    both noise models). Its 5-fold test RMSE, and ALS's with a validated
    ``lambda``, are printed by ``benchmarks/bench_recommend.py``.
    BPMF ignores ``reg``, ``bias_reg``, ``max_iter``, ``tol``,
    ``learning_rate`` and ``batch_size``; ALS and SGD ignore ``n_draws``,
    ``burn_in`` and ``noise``; only SGD uses ``learning_rate`` and ``batch_size``.

    Parameters
    ----------
    n_components : int, default=10
        Length ``k`` of each user's and item's factor vector (Spark ALS's default rank).
    reg : float >= 0, default=0.15
        ``lambda``: the L2 penalty on the factors per rating (ALS-WR's weighted
        lambda; Spark ALS's ``regParam`` means the same), chosen on validation
        ratings held out from MovieLens 100k's ``u1.base``.
    bias_reg : float >= 0, default=5.0
        ``lambda_b``: the L2 penalty on each bias, not weighted by counts -- a
        bias is shrunk as if it had ``bias_reg`` extra ratings at the mean. The
        value is the ratio of the rating noise's variance to the spread of the
        biases (about 1 / 0.2 on a 1-5 star scale), a Gaussian prior's ridge.
    max_iter : int, default=50
        Most sweeps over the data: ALS iterations (a user step and an item step) or
        SGD epochs.
    solver : {"bpmf", "als", "sgd"}, default="bpmf"
    n_draws : int, default=200
        Gibbs sweeps of ``"bpmf"`` whose predictions are averaged; the
        average's Monte Carlo error shrinks like ``1/sqrt(n_draws)``.
    burn_in : int, default=50
        Gibbs sweeps discarded before the draws.
    noise : {"user-item", "global"}, default="user-item"
        ``"bpmf"``'s noise model. ``"user-item"``: rating ``(u, i)`` has the
        noise precision ``s_u c_i``, a scale per user and per item, each
        Gamma(1, 1) a priori (row- and column-specific noise variances, as
        Lakshminarayanan, Bouchard and Archambeau, 2011, advocate; some users
        rate more consistently than others). ``"global"``: one precision for
        every rating, Gamma(1, 1) a priori (Salakhutdinov and Mnih's model).
    learning_rate : float, default=0.005
        SGD step size (Surprise's default; Funk's program used 0.001).
    batch_size : int, default=256
        SGD ratings per vectorized step; ``1`` is Funk's sequential algorithm,
        larger batches update with the gradients summed over the batch.
    init_std : float, default=0.1
        Standard deviation of the normal initial factors (biases start at 0).
    tol : float, default=1e-4
        Stop when the loss decreased by less than ``tol`` times its value in one
        sweep -- so also when it rose, which ALS never does but SGD can; with
        ``tol=0`` only a rise stops early. A ``ConvergenceWarning`` says when
        ``max_iter`` ran out first (not raised for ``tol=0``).
    random_state : int, RandomState instance or None, default=None
        Seeds the initial factors, the SGD order and the Gibbs draws.

    Attributes
    ----------
    global_mean_ : float
        ``mu``, the mean training rating.
    user_ids_, item_ids_ : ndarray of int64
        The sorted ids seen in training; row ``j`` of the factor and bias
        arrays belongs to ``user_ids_[j]`` (``item_ids_[j]``). When ``X`` has
        more than two columns, an item is the combination of columns 1..:
        ``item_ids_`` then has one row of key values per item.
    user_bias_, item_bias_ : ndarray of float64
        For ``"bpmf"``, the mean over the draws.
    user_factors_ : ndarray of shape (n_users, n_components)
        For ``"bpmf"``, shape (n_users, n_draws * n_components): the draws side
        by side, each scaled by ``1/sqrt(n_draws)``, so that ``p_u . q_i`` is
        the average of the draws' dot products (the posterior-mean prediction).
    item_factors_ : ndarray of shape (n_items, n_components)
        Likewise.
    rating_range_ : tuple of float
        ``(min, max)`` training rating; predictions are clipped to it.
    loss_curve_ : list of float
        The training loss ``L`` after each sweep; for ``"bpmf"``, the squared
        training error of each sweep, burn-in included.
    n_iter_ : int
        Sweeps run (for ``"bpmf"``, Gibbs sweeps: ``burn_in + n_draws``).
    noise_precision_ : float
        ``"bpmf"`` only: the last draw's noise precision, averaged over the
        training ratings (for ``noise="global"``, the drawn ``alpha`` itself).
    n_features_in_ : int
        Always 2 (user id, item id).

    Examples
    --------
    >>> X = np.array([[1, 10], [1, 11], [2, 10], [2, 12], [3, 11]])
    >>> y = np.array([5.0, 3.0, 4.0, 1.0, 2.0])
    >>> mf = MatrixFactorization(n_components=2, random_state=0).fit(X, y)
    >>> mf.predict([[3, 10], [99, 10]]).round(2)   # user 99 is unknown: mu + b_i
    array([3.17, 3.36])
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "reg": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions({"als", "sgd", "bpmf"})],
        "n_draws": [Interval(Integral, 1, None, closed="left")],
        "burn_in": [Interval(Integral, 0, None, closed="left")],
        "noise": [StrOptions({"user-item", "global"})],
        "bias_reg": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "init_std": [Interval(Real, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=10, *, reg=0.15, bias_reg=5.0, max_iter=50, solver="bpmf", n_draws=200,
                 burn_in=50, noise="user-item", learning_rate=0.005, batch_size=256, init_std=0.1, tol=1e-4,
                 random_state=None):
        self.n_components = n_components
        self.reg = reg
        self.bias_reg = bias_reg
        self.burn_in = burn_in
        self.noise = noise
        self.max_iter = max_iter
        self.solver = solver
        self.n_draws = n_draws
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.init_std = init_std
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True   # X holds ids, not measurements
        return tags

    # -- fitting -------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the biases and factors to the ratings ``y`` of the pairs ``X``.

        Parameters
        ----------
        X : array-like of shape (n_ratings, 2)
            Whole-number (user id, item id) pairs, any ids (not necessarily 0..n-1).
        y : array-like of shape (n_ratings,)
            The ratings, finite.

        Returns
        -------
        self
        """
        refuse_bool_params(self)
        X, y = validate_data(self, refuse_text(X), refuse_text(y, "y"), dtype="numeric", y_numeric=True)
        X = check_ids(X)
        y = np.asarray(y, dtype=np.float64)
        if np.abs(y).max() > 1e100:     # the squared errors and Gram matrices would overflow float64
            raise ValueError(f"y has ratings up to {np.abs(y).max():.3g}; rescale them first (e.g. to a 1-5 "
                             "scale: y / np.abs(y).max() * 5) and scale the predictions back.")
        self.user_ids_, users = np.unique(X[:, 0], return_inverse=True)
        self._item_keys, items = np.unique(item_keys(X), return_inverse=True)
        self.item_ids_ = key_rows(self._item_keys, X.shape[1] - 1)
        # sorted by user, then item: the CSR order ALS uses. A pair rated twice counts twice.
        order = np.argsort(users * len(self._item_keys) + items, kind="stable")
        users, items, y = users[order], items[order], y[order]
        rng = check_random_state(self.random_state)
        n_users, n_items, k = len(self.user_ids_), len(self.item_ids_), self.n_components
        self.global_mean_ = float(y.mean())
        self.rating_range_ = (float(y.min()), float(y.max()))
        self.user_bias_, self.item_bias_ = np.zeros(n_users), np.zeros(n_items)
        self.user_factors_ = rng.normal(0, self.init_std, (n_users, k))
        self.item_factors_ = rng.normal(0, self.init_std, (n_items, k))
        with one_blas_thread():   # tiny matrices: BLAS threads cost more than they give
            if self.solver == "bpmf":
                self._bpmf(users, items, y, rng)
            else:
                step = (self._als_step(users, items, y) if self.solver == "als"
                        else self._sgd_step(users, items, y, rng))
                self._run(step, users, items, y)
        return self

    def _bpmf(self, users, items, y, rng):
        """Gibbs sampling of BPMF (Salakhutdinov and Mnih, 2008) from the initial factors and zero biases.

        The first ``burn_in`` sweeps are discarded; the prediction averages the next ``n_draws``. The noise
        precision starts at 1 / variance of the ratings for every rating.
        """
        U = np.column_stack([self.user_bias_, self.user_factors_])
        V = np.column_stack([self.item_bias_, self.item_factors_])
        # the noise precision starts at 1 / variance of the ratings
        alpha = len(y) / max(float(np.sum((y - self.global_mean_) ** 2)), JITTER)
        gen = np.random.default_rng(rng.randint(2 ** 31))   # a Generator: its normals are several times faster
        self.user_bias_, self.item_bias_, draws_u, draws_i, self.loss_curve_, alpha = gibbs(
            users, items, y, self.global_mean_, U, V, alpha, self.burn_in, self.n_draws, gen, self.noise)
        # the posterior-mean prediction averages p.q over the draws: the draws side by side, scaled by
        # 1/sqrt(S), give exactly that average as one dot product
        scale = 1 / np.sqrt(self.n_draws)
        self.user_factors_ = np.hstack(draws_u) * scale
        self.item_factors_ = np.hstack(draws_i) * scale
        self.noise_precision_ = float(alpha)
        self.n_iter_ = self.burn_in + self.n_draws

    def _run(self, step, users, items, y):
        n_u = np.bincount(users, minlength=len(self.user_ids_))
        n_i = np.bincount(items, minlength=len(self.item_ids_))
        self.loss_curve_ = []
        for sweep in range(1, self.max_iter + 1):
            self.n_iter_ = sweep
            sse = next(step)   # ALS knows its squared error; SGD gives None
            self.loss_curve_.append(self._loss(users, items, y, n_u, n_i, sse))
            if len(self.loss_curve_) > 1 and (self.loss_curve_[-2] - self.loss_curve_[-1]
                                              <= self.tol * self.loss_curve_[-2]):
                # ALS never rises (beyond round-off, at convergence); SGD does when its step is too large
                if self.solver == "sgd" and self.loss_curve_[-1] > self.loss_curve_[-2]:
                    warnings.warn(f"MatrixFactorization ({self.solver}) stopped at sweep {sweep} because the "
                                  f"training loss rose ({self.loss_curve_[-2]:.6g} -> {self.loss_curve_[-1]:.6g}); "
                                  "lower learning_rate.", ConvergenceWarning, stacklevel=3)
                break
        else:
            if self.tol > 0 and self.max_iter > 1:
                warnings.warn(f"MatrixFactorization ({self.solver}) stopped after max_iter={self.max_iter} sweeps "
                              f"before the loss settled to within tol={self.tol}; raise max_iter or tol.",
                              ConvergenceWarning, stacklevel=3)

    def _loss(self, users, items, y, n_u, n_i, sse=None):
        """The training loss L: squared error, the per-rating L2 penalty on the factors, ``bias_reg`` on the biases."""
        if sse is None:
            err = y - self._raw(users, items)
            sse = float(err @ err)
        p, q = self.user_factors_, self.item_factors_
        penalty = n_u @ np.einsum("uk,uk->u", p, p) + n_i @ np.einsum("ik,ik->i", q, q)
        biases = float(self.user_bias_ @ self.user_bias_ + self.item_bias_ @ self.item_bias_)
        return sse + self.reg * float(penalty) + self.bias_reg * biases

    def _raw(self, users, items):
        return (self.global_mean_ + np.take(self.user_bias_, users) + np.take(self.item_bias_, items)
                + rowdot(self.user_factors_, self.item_factors_, users, items))

    def _als_step(self, users, items, y):
        """Generator: each ``next`` runs one ALS sweep (all users, then all items)."""
        n_users, n_items = len(self.user_ids_), len(self.item_ids_)
        # ratings arrive sorted by (user, item): CSR by user in that order, and a permutation to CSR by item
        by_user = csr_pattern(users, items, n_users, n_items)
        to_item = np.argsort(items, kind="stable")
        by_item = csr_pattern(items[to_item], users[to_item], n_items, n_users)
        while True:
            by_user.data = y - self.global_mean_ - np.take(self.item_bias_, items)
            self.user_bias_, self.user_factors_, _ = ridge_all(by_user, self.item_factors_, self.reg, self.bias_reg)
            by_item.data = (y - self.global_mean_ - np.take(self.user_bias_, users))[to_item]
            self.item_bias_, self.item_factors_, sse = ridge_all(by_item, self.user_factors_, self.reg, self.bias_reg)
            yield sse

    def _sgd_step(self, users, items, y, rng):
        """Generator: each ``next`` runs one SGD epoch over the ratings in random order."""
        lr, lam, mu = self.learning_rate, self.reg, self.global_mean_
        bu, bi, P, Q = self.user_bias_, self.item_bias_, self.user_factors_, self.item_factors_
        # the bias penalty bias_reg b^2 is spread over the bias's ratings: bias_reg / n per rating
        lam_u = self.bias_reg / np.bincount(users, minlength=len(bu))
        lam_i = self.bias_reg / np.bincount(items, minlength=len(bi))
        while True:
            order = rng.permutation(len(y))
            for start in range(0, len(y), self.batch_size):
                idx = order[start:start + self.batch_size]
                u, i = users[idx], items[idx]
                pu, qi = P[u], Q[i]
                err = y[idx] - (mu + bu[u] + bi[i] + np.einsum("nk,nk->n", pu, qi))
                # Funk's updates, all from the same (old) values; repeated users/items add up
                np.add.at(bu, u, lr * (err - lam_u[u] * bu[u]))
                np.add.at(bi, i, lr * (err - lam_i[i] * bi[i]))
                np.add.at(P, u, lr * (err[:, None] * qi - lam * pu))
                np.add.at(Q, i, lr * (err[:, None] * pu - lam * qi))
            yield None

    # -- predicting ------------------------------------------------------------

    def predict(self, X):
        """Predicted ratings of the (user id, item id) pairs ``X``, clipped to the training range.

        An id not seen in training (cold start) contributes no bias and no
        factors: an unknown user gets ``mu + b_i``, an unknown item ``mu + b_u``.

        Parameters
        ----------
        X : array-like of shape (n_ratings, 2)

        Returns
        -------
        ndarray of shape (n_ratings,)
        """
        check_is_fitted(self)
        X = check_ids(validate_data(self, X, dtype="numeric", reset=False, ensure_min_samples=0))
        u, i = index_of(X[:, 0], self.user_ids_), index_of(item_keys(X), self._item_keys)
        bu = np.where(u >= 0, self.user_bias_[u], 0.0)
        bi = np.where(i >= 0, self.item_bias_[i], 0.0)
        dot = np.einsum("nk,nk->n", self.user_factors_[u], self.item_factors_[i]) * ((u >= 0) & (i >= 0))
        return np.clip(self.global_mean_ + bu + bi + dot, *self.rating_range_)

    def score_users(self, users):
        """Predicted ratings (not clipped) of every item, in the order of ``item_ids_``, per user id.

        An unknown user gets ``mu + b_i``. ``ranking_metrics`` ranks with it.

        Returns
        -------
        ndarray of shape (len(users), n_items)
        """
        check_is_fitted(self)
        rows = index_of(np.asarray(users, dtype=np.int64).ravel(), self.user_ids_)
        known = rows >= 0
        out = np.tile(self.global_mean_ + self.item_bias_, (len(rows), 1))
        out[known] += self.user_bias_[rows[known], None] + self.user_factors_[rows[known]] @ self.item_factors_.T
        return out

    def recommend(self, user, n=10, *, exclude=None):
        """The ``n`` items with the highest predicted rating for ``user``.

        Parameters
        ----------
        user : int
            A user id (an unknown one gets the items with the highest ``b_i``).
        n : int
            How many items, at least 1.
        exclude : array-like of int, optional
            Item ids to leave out, typically those the user already rated
            (rows of item keys if ``X`` had more than two columns).

        Returns
        -------
        items : ndarray of int64, shape (n,)
        scores : ndarray of float64, shape (n,)
            Predicted ratings before clipping, best first.
        """
        check_is_fitted(self)
        n = check_int(n, "n", 1)
        j = index_of(np.array([one_id(user, "user")], dtype=np.int64), self.user_ids_)[0]
        scores = self.global_mean_ + self.item_bias_
        if j >= 0:
            scores = scores + self.user_bias_[j] + self.item_factors_ @ self.user_factors_[j]
        if exclude is not None:
            width = 1 if self.item_ids_.ndim == 1 else self.item_ids_.shape[1]
            keys = check_ids(np.column_stack([np.zeros(len(np.atleast_1d(exclude)), np.int64),
                                              np.asarray(exclude).reshape(-1, width)]), "exclude")
            scores = np.where(np.isin(self._item_keys, item_keys(keys)), -np.inf, scores)
        best = np.argsort(-scores, kind="stable")[:n]
        best = best[np.isfinite(scores[best])]
        return self.item_ids_[best], scores[best]

    def similar_items(self, item, n=10):
        """The ``n`` items whose factor vectors point closest to ``item``'s (cosine).

        For ``"bpmf"`` the vectors are the draws side by side (see ``item_factors_``),
        so the cosine compares the items across all draws at once.

        Parameters
        ----------
        item : int
            An item id seen in training (a row of key values if ``X`` had more than two columns).
        n : int
            How many items, at least 1.

        Returns
        -------
        items : ndarray of int64
        similarity : ndarray of float64, in [-1, 1], best first
        """
        check_is_fitted(self)
        n = check_int(n, "n", 1)
        if self.item_ids_.ndim == 1:
            key = np.array([one_id(item, "item")], dtype=np.int64)
        else:
            row = np.asarray(item).reshape(1, -1)
            if row.shape[1] != self.item_ids_.shape[1]:
                raise ValueError(f"item must be a row of {self.item_ids_.shape[1]} key values, as in item_ids_; "
                                 f"got {item!r}.")
            key = item_keys(check_ids(np.column_stack([[0], row]), "item"))
        j = index_of(key, self._item_keys)[0]
        if j < 0:
            raise ValueError(f"item {item} was not in the training data: it has no factors to compare.")
        Q = self.item_factors_ / np.maximum(np.linalg.norm(self.item_factors_, axis=1, keepdims=True), 1e-300)
        sim = Q @ Q[j]
        best = np.argsort(-sim, kind="stable")
        best = best[best != j][:n]              # the item itself is not among its similar items
        return self.item_ids_[best], sim[best]


