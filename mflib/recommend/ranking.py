"""Top-N recommendation: ranking metrics, and rankers that score every item for a user.

A ranker is fitted to the (user id, item id) pairs a user interacted with --
which movies they rated, not how -- optionally with a weight per pair, and
``recommend(user, n)`` lists the ``n`` best-scored items the user has not
interacted with yet. The models here are the standard references of the
top-N literature:

- :class:`Popularity` -- every user gets the most-interacted-with items;
- :class:`PureSVD` -- the truncated SVD of the zero-filled user-item matrix
  (Cremonesi, Koren and Turrin, 2010): a missing entry *is* a zero;
- :class:`EASE` -- a linear item-item model with a closed form (Steck, 2019).

:func:`ranking_metrics` scores any of them (and any model with
``score_users``, such as ``MatrixFactorization`` and ``ImplicitALS``) by
precision, recall and NDCG at ``n``, with every item the user did not interact
with in training as a candidate.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from .._threads import one_blas_thread
from .._validation import check_int
from .ids import check_ids, index_of, item_keys, one_id


class PairRanker(BaseEstimator):
    """Base of the rankers: ids, the interaction matrix, ``score_users``, ``predict`` and ``recommend``.

    Subclasses implement ``_fit(M)`` with ``M`` the users x items CSR matrix of
    weights and ``_scores(rows)``, the dense scores of the user rows ``rows``
    over every item.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True   # X holds ids, not measurements
        tags.target_tags.required = False
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit to the (user id, item id) pairs ``X``, weighted by ``y`` (1 if omitted).

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2)
            Whole-number (user id, item id) pairs: what each user interacted with.
        y : array-like of shape (n_pairs,), optional
            A non-negative weight per pair (a rating, a play count); a pair given
            twice adds up.

        Returns
        -------
        self
        """
        M = self._interactions(X, y)
        with one_blas_thread():   # on a shared machine, threaded BLAS was many times slower here
            self._fit(M)
        return self

    def _interactions(self, X, y):
        if y is None:
            X = validate_data(self, X, dtype="numeric")
            w = np.ones(len(X))
        else:
            X, w = validate_data(self, X, y, dtype="numeric", y_numeric=True)
            w = np.asarray(w, dtype=np.float64)
            if np.any(w < 0):
                raise ValueError("y holds a negative weight; weights count interactions (>= 0). "
                                 "To rank by ratings, pass the ratings (1..5) or leave y out.")
        X = check_ids(X)
        self.user_ids_, users = np.unique(X[:, 0], return_inverse=True)
        self.item_ids_, items = np.unique(item_keys(X), return_inverse=True)
        M = sp.csr_array((w, (users, items)), shape=(len(self.user_ids_), len(self.item_ids_)))
        M.sum_duplicates()
        self.seen_ = M.astype(bool)
        return M

    def score_users(self, users):
        """Scores of every item (columns in the order of ``item_ids_``) for each user id in ``users``.

        A user not seen in training gets ``_cold_scores()`` (the popularity of
        the items for most models: without interactions, a model knows nothing
        else about a user).

        Returns
        -------
        ndarray of shape (len(users), n_items)
        """
        check_is_fitted(self)
        rows = index_of(np.asarray(users, dtype=np.int64).ravel(), self.user_ids_)
        out = np.empty((len(rows), len(self.item_ids_)))
        known = rows >= 0
        if known.any():
            out[known] = self._scores(rows[known])
        out[~known] = self._cold_scores()
        return out

    def _cold_scores(self):
        return np.asarray(self.seen_.sum(axis=0), dtype=np.float64)

    def predict(self, X):
        """The score of each (user id, item id) pair; an item not seen in training scores ``-inf``.

        Parameters
        ----------
        X : array-like of shape (n_pairs, 2)

        Returns
        -------
        ndarray of shape (n_pairs,)
        """
        check_is_fitted(self)
        X = check_ids(validate_data(self, X, dtype="numeric", reset=False, ensure_min_samples=0))
        users, cols = X[:, 0], index_of(item_keys(X), self.item_ids_)
        out = np.full(len(X), -np.inf)
        uniq, back = np.unique(users, return_inverse=True)
        for start in range(0, len(uniq), 256):             # scores of 256 users at a time: memory bounded
            block = self.score_users(uniq[start:start + 256])
            mine = (back >= start) & (back < start + 256) & (cols >= 0)
            out[mine] = block[back[mine] - start, cols[mine]]
        return out

    def recommend(self, user, n=10, *, exclude_seen=True):
        """The ``n`` best-scored items for ``user``, without those it interacted with in training.

        Parameters
        ----------
        user : int
            A user id (an unknown one gets ``_cold_scores``, usually the most popular items).
        n : int
        exclude_seen : bool, default=True

        Returns
        -------
        items : ndarray of int64
        scores : ndarray of float64, best first
        """
        check_is_fitted(self)
        n, user = check_int(n, "n", 1), one_id(user, "user")
        scores = self.score_users([user])[0]
        row = index_of(np.array([user], dtype=np.int64), self.user_ids_)[0]
        if exclude_seen and row >= 0:
            scores[self.seen_[[row]].indices] = -np.inf
        return _top(scores, self.item_ids_, n)


def _top(scores, item_ids, n):
    best = np.argsort(-scores, kind="stable")[:n]
    best = best[np.isfinite(scores[best])]
    return item_ids[best], scores[best]


class Popularity(PairRanker):
    """Recommend the items with the most interactions (the sum of the weights ``y``) to everyone.

    Attributes
    ----------
    popularity_ : ndarray of shape (n_items,)
        Summed weight of each item, in the order of ``item_ids_``.
    user_ids_, item_ids_ : ndarray of int64
    seen_ : sparse array of bool, shape (n_users, n_items)
        Who interacted with what in training.

    Examples
    --------
    >>> X = np.array([[1, 10], [2, 10], [2, 11], [3, 12], [3, 10]])
    >>> Popularity().fit(X).recommend(2, n=2)[0]
    array([12])
    """

    _parameter_constraints: dict = {}

    def _fit(self, M):
        self.popularity_ = np.asarray(M.sum(axis=0), dtype=np.float64)

    def _scores(self, rows):
        return np.tile(self.popularity_, (len(rows), 1))


class PureSVD(PairRanker):
    """Truncated SVD of the zero-filled user-item matrix, used for ranking (Cremonesi, Koren and Turrin, 2010).

    With ``R = U S V^T`` truncated to ``n_components``, user ``u``'s scores are
    ``r_u V V^T``: the user's row projected onto the top item directions.
    Missing entries are zeros -- for predicting a rating that is a disaster, for
    ranking it encodes that a user did *not* choose to watch a movie.

    Parameters
    ----------
    n_components : int, default=20
    random_state : int, RandomState instance or None, default=None
        Seeds the start vector of the iterative SVD (ARPACK).

    Attributes
    ----------
    item_factors_ : ndarray of shape (n_items, n_components)
        ``V``, orthonormal columns.
    user_factors_ : ndarray of shape (n_users, n_components)
        ``U S = R V``.
    singular_values_ : ndarray of shape (n_components,), descending
    user_ids_, item_ids_, seen_ : as in :class:`Popularity`

    Examples
    --------
    >>> X = np.array([[1, 10], [1, 11], [2, 10], [2, 11], [3, 12], [4, 12], [4, 10]])
    >>> PureSVD(n_components=1, random_state=0).fit(X).recommend(4, n=1)[0]
    array([11])
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=20, *, random_state=None):
        self.n_components = n_components
        self.random_state = random_state

    def _fit(self, M):
        k = min(self.n_components, min(M.shape))
        if k >= min(M.shape) - 1:                   # too small for the iterative SVD: the dense one
            _, s, Vt = np.linalg.svd(M.toarray(), full_matrices=False)
            s, Vt = s[:k], Vt[:k]
        else:
            v0 = check_random_state(self.random_state).uniform(-1, 1, min(M.shape))
            _, s, Vt = svds(M.astype(np.float64), k=k, v0=v0)
        order = np.argsort(-s, kind="stable")
        self.singular_values_ = s[order]
        self.item_factors_ = Vt[order].T
        self.user_factors_ = M @ self.item_factors_

    def _scores(self, rows):
        return self.user_factors_[rows] @ self.item_factors_.T


class EASE(PairRanker):
    """Embarrassingly shallow autoencoder (Steck, 2019): item-item weights with a closed form.

    ``B = argmin |X - X B|_F^2 + reg |B|_F^2`` subject to ``diag(B) = 0``, with
    ``X`` the users x items matrix of weights; the solution is
    ``B = I - P diag(1 / diag(P))``, ``P = (X^T X + reg I)^{-1}``, and user
    ``u``'s scores are ``x_u B``. Costs an ``n_items x n_items`` inverse.

    Parameters
    ----------
    reg : float > 0, default=500.0
        L2 penalty on the item-item weights (Steck's ``lambda``; he reports
        values in the hundreds for data of this kind).

    Attributes
    ----------
    coef_ : ndarray of shape (n_items, n_items)
        ``B``, zero on the diagonal.
    user_ids_, item_ids_, seen_ : as in :class:`Popularity`

    Examples
    --------
    >>> X = np.array([[1, 10], [1, 11], [2, 10], [2, 11], [3, 12], [4, 12], [4, 10]])
    >>> EASE(reg=1.0).fit(X).recommend(4, n=1)[0]
    array([11])
    """

    _parameter_constraints: dict = {"reg": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, reg=500.0):
        self.reg = reg

    def _fit(self, M):
        self._X = M.tocsr()
        G = (M.T @ M).toarray()
        G[np.diag_indices_from(G)] += self.reg
        P = np.linalg.inv(G)
        B = -P / np.diag(P)
        B[np.diag_indices_from(B)] = 0.0
        self.coef_ = B

    def _scores(self, rows):
        return np.asarray(self._X[rows] @ self.coef_)


def ranking_metrics(model, X_train, X_test, y_test=None, *, n=10, threshold=4.0):
    """Precision, recall and NDCG at ``n`` of ``model``'s top-``n`` lists, with all unseen items as candidates.

    For every user with at least one relevant test pair (``y_test >= threshold``;
    every test pair if ``y_test`` is None), the model scores every item it knows
    (``model.item_ids_``); the items the user has in ``X_train`` are removed, and
    the ``n`` best form the list. With ``hits`` the relevant items in it:
    ``P@n = hits / n``, ``R@n = hits / n_relevant``, and ``NDCG@n`` = the sum of
    ``1 / log2(rank + 1)`` over the hits, divided by its largest possible value,
    ``sum_{r <= min(n, n_relevant)} 1 / log2(r + 1)``. Each is averaged over users.

    Parameters
    ----------
    model : fitted estimator with ``score_users(user_ids)`` and ``item_ids_``
    X_train : array-like (n_train, 2)
        The pairs the model was fitted to (they are never recommended).
    X_test, y_test : the held-out pairs and their ratings
    n : int, default=10
    threshold : float, default=4.0
        A test pair is relevant when its rating is at least this.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``ndcg`` (means) and ``n_users``.
    """
    X_train, X_test = check_ids(X_train), check_ids(X_test)
    relevant = X_test if y_test is None else X_test[np.asarray(y_test) >= threshold]
    users = np.unique(relevant[:, 0])
    items = model.item_ids_
    lists = np.empty((len(users), n), dtype=np.int64)
    for start in range(0, len(users), 256):
        block = users[start:start + 256]
        scores = np.asarray(model.score_users(block), dtype=np.float64)
        rows = np.searchsorted(block, X_train[:, 0])
        mine = (rows < len(block)) & (block[np.minimum(rows, len(block) - 1)] == X_train[:, 0])
        cols = index_of(X_train[mine, 1], items)
        scores[rows[mine][cols >= 0], cols[cols >= 0]] = -np.inf
        top = np.argsort(-scores, axis=1, kind="stable")[:, :n]
        lists[start:start + len(block)] = items[top]
    rel_sets = [set(relevant[relevant[:, 0] == u, 1].tolist()) for u in users]
    return list_metrics(lists, rel_sets, n)


def list_metrics(lists, relevant, n=10):
    """P@n, R@n and NDCG@n of ranked ``lists`` (one row per user) against the sets ``relevant``.

    Examples
    --------
    >>> list_metrics(np.array([[3, 1, 2]]), [{1, 5}], n=3)["precision"]
    0.3333333333333333
    """
    lists = np.asarray(lists)[:, :n]
    hits = np.array([[item in rel for item in row] for row, rel in zip(lists, relevant)], dtype=float)
    n_rel = np.array([len(r) for r in relevant], dtype=float)
    if np.any(n_rel == 0):
        raise ValueError("every user needs at least one relevant item; drop users without any.")
    discount = 1 / np.log2(np.arange(2, n + 2))
    ideal = np.cumsum(discount)[np.minimum(n_rel, n).astype(int) - 1]
    return {"precision": float(np.mean(hits.sum(axis=1) / n)),
            "recall": float(np.mean(hits.sum(axis=1) / n_rel)),
            "ndcg": float(np.mean((hits @ discount[:lists.shape[1]]) / ideal)),
            "n_users": len(lists)}
