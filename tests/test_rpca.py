import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from mflib.rpca import RobustPCA, shrink, svt

rng = np.random.default_rng(0)


def low_rank_plus_sparse(m=300, n=200, r=5, density=0.05, seed=0):
    g = np.random.default_rng(seed)
    L0 = g.standard_normal((m, r)) @ g.standard_normal((r, n)) / np.sqrt(r)
    mask = g.random((m, n)) < density
    S0 = np.where(mask, g.choice([-1.0, 1.0], (m, n)) * g.uniform(1, 5, (m, n)), 0.0)
    return L0, S0


def test_shrink_matches_formula_and_signs():
    x = rng.standard_normal(1000) * 3
    expected = np.sign(x) * np.maximum(np.abs(x) - 1.2, 0)
    np.testing.assert_allclose(shrink(x, 1.2), expected)
    np.testing.assert_array_equal(shrink(np.array([-3.0, 3.0]), 1.0), [-2.0, 2.0])   # signs kept
    out = np.empty(3)
    assert shrink(np.array([1.0, 2.0, 3.0]), 0.5, out=out) is out
    with pytest.raises(ValueError, match="tau"):
        shrink(x, -1)


def test_shrink_in_place_keeps_signs():
    x = np.array([-3.0, -0.5, 2.0])
    assert shrink(x, 1.0, out=x) is x
    np.testing.assert_array_equal(x, [-2.0, 0.0, 1.0])          # not [2, 0, 1]
    y = np.array([[-4.0, 1.5], [0.2, -1.0]], np.float32)
    np.testing.assert_array_equal(shrink(y.copy(), 0.5, out=None), shrink(y, 0.5, out=y))


def test_svt_thresholds_singular_values():
    # a decaying spectrum, as in the matrices robust PCA meets
    Q1, _ = np.linalg.qr(rng.standard_normal((40, 30)))
    Q2, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    A = (Q1 * 2.0 ** -np.arange(30)) @ Q2.T
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    tau = s[5]
    L, kept = svt(A, tau)
    assert kept == 5
    np.testing.assert_allclose(L, (U[:, :5] * (s[:5] - tau)) @ Vt[:5], atol=1e-10)
    L_partial, kept_partial = svt(A, tau, rank=12)             # randomized partial SVD agrees
    assert kept_partial == 5
    np.testing.assert_allclose(L_partial, L, atol=1e-6)


def test_exact_recovery_float64():
    L0, S0 = low_rank_plus_sparse()
    model = RobustPCA(dtype=np.float64).fit(L0 + S0)
    assert model.rank_ == 5
    assert np.linalg.norm(model.low_rank_ - L0) / np.linalg.norm(L0) < 1e-6
    assert np.linalg.norm(model.sparse_ - S0) / np.linalg.norm(S0) < 1e-6
    # the support of S is found exactly (no sign or threshold bug)
    support = np.abs(model.sparse_) > 1e-3
    np.testing.assert_array_equal(support, S0 != 0)
    assert np.all(np.sign(model.sparse_[support]) == np.sign(S0[support]))
    assert model.lam_ == pytest.approx(1 / np.sqrt(300))


def test_recovery_float32_and_history():
    L0, S0 = low_rank_plus_sparse(seed=1)
    model = RobustPCA(dtype=np.float32).fit(L0 + S0)
    assert model.low_rank_.dtype == np.float32
    assert np.linalg.norm(model.low_rank_ - L0) / np.linalg.norm(L0) < 1e-4
    assert len(model.loss_curve_) == len(model.rank_curve_) == len(model.nnz_curve_) == model.n_iter_
    assert model.loss_curve_[-1] < 1e-5 and model.loss_curve_[-1] < model.loss_curve_[0]
    assert model.rank_curve_[-1] == 5
    assert abs(model.nnz_curve_[-1] - np.mean(S0 != 0)) < 0.01


def test_lambda_controls_the_split():
    L0, S0 = low_rank_plus_sparse(m=60, n=40, r=2, seed=2)     # small: lam=0.01 drives L to full rank
    sparse_small = RobustPCA(lam=0.01, dtype=np.float64, max_iter=100).fit(L0 + S0).sparse_
    sparse_large = RobustPCA(lam=0.2, dtype=np.float64, max_iter=100).fit(L0 + S0).sparse_
    assert np.count_nonzero(sparse_small) > np.count_nonzero(sparse_large)


@pytest.mark.parametrize("M, kwargs, match", [
    (np.ones((1, 5)), {}, "1 sample"),
    (np.ones((5, 1)), {}, "1 feature"),
    (np.zeros((4, 4)), {}, "all zeros"),
    (np.full((4, 4), np.nan), {}, "NaN"),
    (np.full((4, 4), np.inf), {}, "infinity"),
    (np.ones(4), {}, "2D"),
    (np.ones((4, 4)), {"lam": -1}, "'lam' parameter"),
    (np.ones((4, 4)), {"rho": 1.0}, "'rho' parameter"),
    (np.ones((4, 4)), {"max_iter": 0}, "'max_iter' parameter"),
    (np.ones((4, 4)), {"dtype": int}, "floating point"),
    (np.ones((4, 4)), {"dtype": "float16"}, "floating point"),
])
def test_bad_input(M, kwargs, match):
    with pytest.raises(ValueError, match=match):
        RobustPCA(**kwargs).fit(M)




def test_not_fitted_and_feature_count():
    with pytest.raises(NotFittedError):
        RobustPCA().transform(np.ones((2, 3)))
    L0, S0 = low_rank_plus_sparse(m=60, n=40, r=2)
    model = RobustPCA().fit(L0 + S0)
    assert model.n_features_in_ == 40
    assert model.components_.shape == (model.rank_, 40)
    np.testing.assert_allclose(model.components_ @ model.components_.T, np.eye(model.rank_), atol=1e-10)
    with pytest.raises(ValueError, match="40 features"):
        model.transform(np.ones((3, 39)))
    C = model.transform(model.low_rank_)                   # L is in the row space: projection is exact
    np.testing.assert_allclose(model.inverse_transform(C), model.low_rank_, atol=1e-8)


def test_convergence_warning_when_max_iter_is_hit():
    L0, S0 = low_rank_plus_sparse(m=60, n=40, r=2)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model = RobustPCA(max_iter=2).fit(L0 + S0)
    assert model.n_iter_ == 2 and model.loss_curve_[-1] > 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)     # converged: silent
        RobustPCA().fit(L0 + S0)


def test_dtype_follows_the_input_by_default():
    L0, S0 = low_rank_plus_sparse(m=60, n=40, r=2)
    assert RobustPCA().fit((L0 + S0).astype(np.float32)).low_rank_.dtype == np.float32
    assert RobustPCA().fit(L0 + S0).low_rank_.dtype == np.float64
    assert RobustPCA().fit(np.round(10 * (L0 + S0)).astype(int)).low_rank_.dtype == np.float64
    assert RobustPCA(dtype=np.float32).fit(L0 + S0).low_rank_.dtype == np.float32


def test_shrink_refuses_nan_and_inf():
    for bad in (np.nan, np.inf):
        with pytest.raises(ValueError, match="NaN or infinite"):
            shrink(np.array([bad, 1.0]), 0.5)
