"""Top-N recommendation: metrics on hand-computed cases, PureSVD, EASE, ImplicitALS, Soft-Impute."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from mflib.recommend import EASE, ImplicitALS, Popularity, PureSVD, SoftImpute, list_metrics, ranking_metrics


def _blocks(n_users=40, n_items=30, seed=0):
    """Two taste groups: users 0..19 use items 0..14, users 20..39 items 15..29, each a random 60 %."""
    rng = np.random.default_rng(seed)
    pairs = [(u, i) for u in range(n_users) for i in range(n_items)
             if (u < n_users // 2) == (i < n_items // 2) and rng.random() < 0.6]
    return np.array(pairs) + [5, 100]                 # ids need not start at 0


def test_list_metrics_hand_computed():
    # user A: list (3, 1, 2), relevant {1, 5}: one hit at rank 2
    # user B: list (7, 8, 9), relevant {7, 9}: hits at ranks 1 and 3
    got = list_metrics(np.array([[3, 1, 2], [7, 8, 9]]), [{1, 5}, {7, 9}], n=3)
    d = 1 / np.log2([2, 3, 4])
    assert np.isclose(got["precision"], (1 / 3 + 2 / 3) / 2)
    assert np.isclose(got["recall"], (1 / 2 + 2 / 2) / 2)
    ndcg_a = d[1] / (d[0] + d[1])
    ndcg_b = (d[0] + d[2]) / (d[0] + d[1])
    assert np.isclose(got["ndcg"], (ndcg_a + ndcg_b) / 2)
    assert got["n_users"] == 2
    # more relevant items than the list is long: the ideal list is full, recall counts all of them
    one = list_metrics(np.array([[1, 2]]), [{1, 2, 3, 4}], n=2)
    assert one["ndcg"] == pytest.approx(1.0) and one["recall"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="at least one relevant"):
        list_metrics(np.array([[1]]), [set()], n=1)


def test_ranking_metrics_excludes_training_items_and_uses_the_threshold():
    X_train = np.array([[1, 10], [1, 11], [2, 10], [3, 10], [3, 11], [2, 12]])
    # popularity: item 10 (3), item 11 (2), item 12 (1), item 13 (0, never seen in training: not a candidate)
    pop = Popularity().fit(X_train)
    X_test = np.array([[1, 12], [2, 11], [2, 13], [3, 12]])
    y_test = np.array([5.0, 4.0, 5.0, 2.0])            # user 3's only test rating is not relevant
    got = ranking_metrics(pop, X_train, X_test, y_test, n=1)
    # user 1 has seen 10 and 11 -> list (12,): hit. user 2 has seen 10 and 12 -> list (11,): hit.
    assert got["n_users"] == 2
    assert got["precision"] == pytest.approx(1.0)
    assert got["recall"] == pytest.approx((1 + 1 / 2) / 2)     # user 2's item 13 is relevant but unreachable


def test_recommend_excludes_seen_and_cold_user_gets_popular_items():
    X = _blocks()
    for model in [PureSVD(2, random_state=0), EASE(reg=10.0),
                  ImplicitALS(2, reg=0.1, max_iter=100, tol=0, random_state=0)]:
        model.fit(X)
        items, scores = model.recommend(5, n=5)
        seen = X[X[:, 0] == 5, 1]
        assert not np.isin(items, seen).any()
        assert np.all(items < 115)                      # user 5 is in the first taste group
        assert np.all(np.diff(scores) <= 0)
    pop = Popularity().fit(X)
    counts = np.bincount(X[:, 1] - 100)
    assert np.array_equal(pop.recommend(10**6, n=3)[0], 100 + np.argsort(-counts, kind="stable")[:3])


def test_puresvd_is_the_projection_on_the_top_right_singular_vectors():
    X = _blocks(seed=1)
    y = np.random.default_rng(0).integers(1, 6, len(X)).astype(float)
    model = PureSVD(4, random_state=0).fit(X, y)
    R = np.zeros((len(model.user_ids_), len(model.item_ids_)))
    R[np.searchsorted(model.user_ids_, X[:, 0]), np.searchsorted(model.item_ids_, X[:, 1])] = y
    _, s, Vt = np.linalg.svd(R)
    assert np.allclose(model.singular_values_, s[:4])
    assert np.allclose(model.score_users(model.user_ids_), R @ Vt[:4].T @ Vt[:4], atol=1e-8)


def test_ease_solves_the_constrained_ridge_regression_column_by_column():
    X = _blocks(n_users=12, n_items=8, seed=2)
    lam = 3.0
    model = EASE(reg=lam).fit(X)
    M = model.seen_.toarray().astype(float)
    for j in range(M.shape[1]):
        rest = np.delete(np.arange(M.shape[1]), j)
        A = M[:, rest]
        b = np.linalg.solve(A.T @ A + lam * np.eye(len(rest)), A.T @ M[:, j])
        assert np.allclose(model.coef_[rest, j], b, atol=1e-10)
        assert model.coef_[j, j] == 0


def _implicit_loss_dense(model, M, alpha, reg):
    C = 1 + alpha * M
    P = (M > 0).astype(float)
    S = model.user_factors_ @ model.item_factors_.T
    return np.sum(C * (P - S) ** 2) + reg * (np.sum(model.user_factors_ ** 2) + np.sum(model.item_factors_ ** 2))


def test_implicit_als_loss_falls_and_matches_its_definition_over_all_cells():
    X = _blocks(seed=3)
    y = np.random.default_rng(1).integers(1, 4, len(X)).astype(float)
    model = ImplicitALS(3, reg=0.5, alpha=2.0, max_iter=8, tol=0, random_state=0).fit(X, y)
    loss = np.array(model.loss_curve_)
    assert np.all(np.diff(loss) <= 1e-9 * loss[:-1])     # each half-step is an exact minimization
    M = np.zeros((len(model.user_ids_), len(model.item_ids_)))
    M[np.searchsorted(model.user_ids_, X[:, 0]), np.searchsorted(model.item_ids_, X[:, 1])] = y
    assert loss[-1] == pytest.approx(_implicit_loss_dense(model, M, 2.0, 0.5), rel=1e-9)


def test_implicit_als_user_step_is_hu_koren_volinsky_normal_equations():
    X = _blocks(seed=4)
    y = np.random.default_rng(2).integers(1, 4, len(X)).astype(float)
    model = ImplicitALS(3, reg=0.7, alpha=5.0, max_iter=1, tol=0, random_state=0).fit(X, y)
    M = np.zeros((len(model.user_ids_), len(model.item_ids_)))
    M[np.searchsorted(model.user_ids_, X[:, 0]), np.searchsorted(model.item_ids_, X[:, 1])] = y
    Y = model.item_factors_
    # the items were solved last, from the final user factors: check every item's direct dense solve
    Xu = model.user_factors_
    for i in range(M.shape[1]):
        c = 1 + 5.0 * M[:, i]
        direct = np.linalg.solve(Xu.T @ (c[:, None] * Xu) + 0.7 * np.eye(3), Xu.T @ (c * (M[:, i] > 0)))
        assert np.allclose(Y[i], direct, atol=1e-8)


def test_implicit_als_pairs_given_twice_add_up_like_a_weight_of_two():
    X = _blocks(seed=5)
    twice = ImplicitALS(2, alpha=3.0, max_iter=3, tol=0, random_state=0).fit(np.vstack([X, X[:10]]))
    weighted = ImplicitALS(2, alpha=3.0, max_iter=3, tol=0, random_state=0).fit(
        X, np.r_[np.full(10, 2.0), np.ones(len(X) - 10)])
    assert np.allclose(twice.user_factors_, weighted.user_factors_)


def test_implicit_als_warns_and_rejects_bad_weights():
    X = _blocks(seed=6)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        ImplicitALS(2, max_iter=2, tol=1e-12, random_state=0).fit(X)
    with pytest.raises(ValueError, match="negative weight"):
        ImplicitALS(2).fit(X, -np.ones(len(X)))
    with pytest.raises(ValueError, match="whole-number"):
        ImplicitALS(2).fit(X + 0.5)


def test_soft_impute_recovers_a_low_rank_matrix_and_is_a_fixed_point():
    rng = np.random.default_rng(0)
    full = 3 + rng.normal(size=(40, 2)) @ rng.normal(size=(2, 30))
    u, i = np.nonzero(rng.random(full.shape) < 0.6)
    model = SoftImpute(shrinkage=0.005, max_rank=10, max_iter=500, tol=1e-9, random_state=0)
    model.fit(np.column_stack([u, i]), full[u, i])
    uu, ii = np.meshgrid(np.arange(40), np.arange(30), indexing="ij")
    pred = model.predict(np.column_stack([uu.ravel(), ii.ravel()])).reshape(full.shape)
    inside = (full > full[u, i].min()) & (full < full[u, i].max())
    assert np.sqrt(np.mean((pred - full)[inside] ** 2)) < 0.05
    # fixed point: Z = S_lambda(P_Omega(R) + P_Omega^perp(Z)), checked with NumPy's dense SVD
    Z = model.user_factors_ @ model.item_factors_.T
    filled = Z.copy()
    filled[u, i] = full[u, i] - model.global_mean_
    U, s, Vt = np.linalg.svd(filled, full_matrices=False)
    lam = s[model.rank_ - 1] - model.singular_values_[-1]
    assert np.allclose((U * np.maximum(s - lam, 0)) @ Vt, Z, atol=1e-3)


def test_soft_impute_large_shrinkage_predicts_the_mean():
    X = _blocks(seed=7)
    y = np.random.default_rng(3).normal(3, 1, len(X))
    model = SoftImpute(shrinkage=1.5, random_state=0).fit(X, y)
    assert model.rank_ == 0
    assert np.allclose(model.predict(X[:5]), y.mean())


def test_soft_impute_warns_when_max_iter_runs_out():
    X = _blocks(seed=8)
    y = np.random.default_rng(4).normal(3, 1, len(X))
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        SoftImpute(shrinkage=0.01, max_iter=2, tol=1e-12, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SoftImpute(shrinkage=0.01, max_iter=2, tol=0, random_state=0).fit(X, y)   # tol=0: nothing to warn
