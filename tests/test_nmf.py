import warnings

import numpy as np
import pytest
from sklearn.decomposition import NMF
from sklearn.decomposition._nmf import _beta_divergence
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from threadpoolctl import threadpool_limits

from mflib.datasets import olivetti_faces
from mflib.nmf import MultiplicativeNMF, beta_divergence, nndsvd

rng = np.random.default_rng(0)


@pytest.mark.parametrize("beta", [2, 1, 0, 0.5, 1.5, 3, "frobenius", "kullback-leibler", "itakura-saito"])
def test_beta_divergence_matches_scikit_learn(beta):
    X = rng.random((12, 9)) + 0.05
    if beta not in (0, "itakura-saito"):
        X[X < 0.3] = 0                      # zeros in the data, allowed for beta > 0
    W, H = rng.random((12, 3)), rng.random((3, 9))
    assert np.isclose(beta_divergence(X, W @ H, beta), _beta_divergence(X, W, H, beta))
    assert np.isclose(beta_divergence(X, W @ H, beta, square_root=True),
                      _beta_divergence(X, W, H, beta, square_root=True))


def test_beta_divergence_closed_forms():
    x, y = np.array([[2.0]]), np.array([[0.5]])
    assert np.isclose(beta_divergence(x, y, 2), 0.5 * 1.5 ** 2)
    assert np.isclose(beta_divergence(x, y, 1), 2 * np.log(4) - 2 + 0.5)
    assert np.isclose(beta_divergence(x, y, 0), 4 - np.log(4) - 1)
    b = 0.5
    assert np.isclose(beta_divergence(x, y, b), (2 ** b + (b - 1) * 0.5 ** b - b * 2 * 0.5 ** (b - 1)) / (b * (b - 1)))
    # continuity at the special cases
    for special in (0, 1, 2):
        assert np.isclose(beta_divergence(x, y, special + 1e-7), beta_divergence(x, y, special), rtol=1e-5)
    Z = rng.random((4, 4)) + 0.1
    for b in (0, 1, 2, 0.7):
        assert beta_divergence(Z, Z, b) == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("X, Y, beta, match", [
    (-np.ones((2, 2)), np.ones((2, 2)), 2, "negative entries"),
    (np.ones((2, 2)), np.full((2, 2), np.nan), 2, "NaN"),
    (np.ones((2, 2)), np.ones((2, 3)), 2, "same shape"),
    (np.ones((2, 2)), np.ones((2, 2)), -1, "beta must be"),
    (np.ones((2, 2)), np.ones((2, 2)), "euclid", "one of"),
    (np.ones((2, 2)), np.zeros((2, 2)), 1, "infinite"),
    (np.zeros((2, 2)), np.ones((2, 2)), 0, "infinite where X = 0"),
])
def test_beta_divergence_bad_input(X, Y, beta, match):
    with pytest.raises(ValueError, match=match):
        beta_divergence(X, Y, beta)


def lee_seung(X, W, H, n_iter):
    """The plain algorithm, W then H, and the loss after each iteration."""
    losses = [0.5 * np.linalg.norm(X - W @ H) ** 2]
    for _ in range(n_iter):
        W = W * (X @ H.T) / (W @ (H @ H.T))
        H = H * (W.T @ X) / ((W.T @ W) @ H)
        losses.append(0.5 * np.linalg.norm(X - W @ H) ** 2)
    return W, H, losses


def test_without_acceleration_it_is_lee_and_seung():
    X = rng.random((30, 20)) + 0.01
    W0, H0 = nndsvd(X, 4, fill="average")
    W, H, losses = lee_seung(X, W0, H0, 35)
    assert np.all(np.diff(losses) <= 1e-12 * losses[0])             # never increases
    model = MultiplicativeNMF(4, init="custom", acceleration=0, max_iter=35, tol=0)
    W_ours = model.fit_transform(X, W=W0, H=H0)
    np.testing.assert_allclose(W_ours, W, rtol=1e-10)
    np.testing.assert_allclose(model.components_, H, rtol=1e-10)
    # the loss is recorded where the stopping rule looks: start, every 10th iteration, the end
    np.testing.assert_allclose(model.loss_curve_, [losses[i] for i in (0, 10, 20, 30, 35)], rtol=1e-9)


@pytest.mark.parametrize("beta, acceleration", [(2, 2.0), (2, 0.0), (1, 2.0), (0.5, 2.0), (3, 2.0)])
def test_updates_never_increase_the_loss(beta, acceleration):
    X = rng.random((30, 20)) + 0.01
    model = MultiplicativeNMF(4, beta_loss=beta, acceleration=acceleration, max_iter=150, tol=0).fit(X)
    hist = np.array(model.loss_curve_)
    assert len(hist) == 16 and model.n_iter_ == 150
    assert np.all(np.diff(hist) <= 1e-9 * hist[0])
    assert np.all(model.components_ >= 0)
    W = model.transform(X)
    assert W.shape == (30, 4) and np.all(W >= 0)


def test_acceleration_reaches_a_lower_loss_in_fewer_iterations():
    X = rng.random((60, 40))
    plain = MultiplicativeNMF(5, acceleration=0, max_iter=50, tol=0).fit(X)
    fast = MultiplicativeNMF(5, max_iter=50, tol=0).fit(X)
    assert fast.reconstruction_err_ < plain.reconstruction_err_


def test_fits_a_nonnegative_product_closely():
    """MU approaches an exact fit slowly (no exact zeros to lock in), but it does approach it."""
    W0, H0 = rng.random((40, 3)), rng.random((3, 25))
    X = W0 @ H0
    model = MultiplicativeNMF(3, max_iter=3000, tol=0)
    W = model.fit_transform(X)
    assert model.reconstruction_err_ / np.linalg.norm(X) < 1e-2
    np.testing.assert_allclose(model.inverse_transform(W), X, atol=0.1)


def test_close_to_scikit_learn_on_faces(data_dir):
    """With its defaults, within 1% of scikit-learn's cd converged hard (tol=1e-6), at rank 6, on a reduced
    Olivetti (every other face, 2 x 2 pixel blocks averaged); full-size figures: benchmarks/bench_nmf.py."""
    faces = olivetti_faces().images[::2].astype(np.float64)
    X = faces.reshape(200, 32, 2, 32, 2).mean(axis=(2, 4)).reshape(200, -1)
    with threadpool_limits(1, user_api="blas"):                          # much faster on a busy machine
        sk = NMF(6, init="nndsvda", tol=1e-6, max_iter=20000, random_state=0).fit(X)
    assert sk.n_iter_ < 20000
    ours = MultiplicativeNMF(6).fit(X)                                   # defaults, stopped by tol
    assert ours.n_iter_ < ours.max_iter
    gap = (ours.reconstruction_err_ / sk.reconstruction_err_) ** 2 - 1   # ratio of objectives
    assert -1e-3 < gap < 0.01


def test_stopping_rule_and_loss_history():
    X = rng.random((30, 20)) + 0.01
    for beta in (2, 1):
        model = MultiplicativeNMF(3, beta_loss=beta, max_iter=5000, tol=1e-3).fit(X)
        hist = model.loss_curve_
        assert model.n_iter_ < 5000 and model.n_iter_ % 10 == 0 and len(hist) == model.n_iter_ // 10 + 1
        assert hist[-2] - hist[-1] <= 1e-3 * hist[-1]                    # the rule that stopped it
        assert all(hist[j - 1] - hist[j] > 1e-3 * hist[j] for j in range(1, len(hist) - 1))
    # the running loss (expanded form for beta = 2) equals the divergence of the final factors
    model = MultiplicativeNMF(3, max_iter=40, tol=0)
    W = model.fit_transform(X)
    assert model.loss_curve_[-1] == pytest.approx(beta_divergence(X, W @ model.components_, 2), rel=1e-10)
    assert model.reconstruction_err_ == pytest.approx(np.linalg.norm(X - W @ model.components_), rel=1e-10)


def test_convergence_warning_when_max_iter_comes_first():
    X = rng.random((30, 20))
    with pytest.warns(ConvergenceWarning, match="max_iter=20"):
        MultiplicativeNMF(3, max_iter=20).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MultiplicativeNMF(3, max_iter=20, tol=0).fit(X)                  # no tolerance: nothing to warn about
        MultiplicativeNMF(3, max_iter=5000).fit(X)                       # stopped by tol


def test_nndsvd_matches_scikit_learn_init():
    from sklearn.decomposition._nmf import _initialize_nmf
    X = rng.random((15, 10))
    for ours, theirs in [(nndsvd(X, 4), "nndsvd"), (nndsvd(X, 4, fill="average"), "nndsvda")]:
        W_sk, H_sk = _initialize_nmf(X, 4, init=theirs)
        np.testing.assert_allclose(ours[0] @ ours[1], W_sk @ H_sk, atol=1e-10)


@pytest.mark.parametrize("k, fill, error, match", [
    (11, None, ValueError, "1 <= n_components <= 10"),
    (0, None, ValueError, "1 <= n_components"),
    (2.5, None, TypeError, "whole number"),
    (3, "avg", ValueError, "'average'"),
    (3, "random", ValueError, "'average'"),
])
def test_nndsvd_bad_arguments(k, fill, error, match):
    with pytest.raises(error, match=match):
        nndsvd(rng.random((15, 10)), k, fill=fill)
    with pytest.raises(ValueError, match="negative"):
        nndsvd(-np.ones((3, 3)), 2)


def test_custom_init_and_random_init():
    X = rng.random((10, 8))
    W0, H0 = rng.random((10, 2)), rng.random((2, 8))
    m = MultiplicativeNMF(2, init="custom", max_iter=5, tol=0)
    m.fit(X, W=W0, H=H0)
    assert m.loss_curve_[0] == pytest.approx(beta_divergence(X, W0 @ H0, 2))
    assert MultiplicativeNMF(init="custom", max_iter=5, tol=0).fit(X, W=W0, H=H0).n_components_ == 2
    a = MultiplicativeNMF(2, init="random", random_state=3, max_iter=20, tol=0).fit(X).components_
    b = MultiplicativeNMF(2, init="random", random_state=3, max_iter=20, tol=0).fit(X).components_
    np.testing.assert_array_equal(a, b)


def test_default_init_follows_scikit_learn():
    X = rng.random((5, 8))
    # init=None: NNDSVDa when k <= min(X.shape) (deterministic), else random
    a, b = MultiplicativeNMF(3, max_iter=10, tol=0).fit(X), MultiplicativeNMF(3, max_iter=10, tol=0).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    assert MultiplicativeNMF(max_iter=10, tol=0, random_state=0).fit(X).n_components_ == 8   # "auto": n_features
    with pytest.raises(ValueError, match="init='random'"):
        MultiplicativeNMF(8, init="nndsvda").fit(X)


def test_all_zero_data_gives_zero_factors_like_scikit_learn():
    X = np.zeros((6, 4))
    model = MultiplicativeNMF(2)
    W = model.fit_transform(X)
    sk = NMF(2).fit(X)
    assert not W.any() and not model.components_.any() and not sk.components_.any()
    assert model.n_iter_ == 0 and model.reconstruction_err_ == 0
    assert not model.transform(np.ones((2, 4))).any()                    # zero parts explain nothing


@pytest.mark.parametrize("kwargs, X, error, match", [
    (dict(n_components=0), np.ones((4, 4)), ValueError, "n_components"),
    (dict(n_components=5, init="nndsvda"), np.ones((4, 6)), ValueError, "n_components <= 4"),
    (dict(n_components=2), -np.ones((4, 4)), ValueError, "Negative values.*shift or clip"),
    (dict(n_components=2), np.full((4, 4), np.nan), ValueError, "NaN.*impute"),
    (dict(n_components=2), np.full((4, 4), np.inf), ValueError, "infinite"),
    (dict(n_components=2, init="svd"), np.ones((4, 4)), ValueError, "init"),
    (dict(n_components=2, beta_loss=-0.5), np.ones((4, 4)), ValueError, "beta_loss"),
    (dict(n_components=2, beta_loss="euclid"), np.ones((4, 4)), ValueError, "beta_loss"),
    (dict(n_components=2, max_iter=0), np.ones((4, 4)), ValueError, "max_iter"),
    (dict(n_components=2, tol=-1), np.ones((4, 4)), ValueError, "tol"),
    (dict(n_components=2, inner_tol=2), np.ones((4, 4)), ValueError, "inner_tol"),
    (dict(n_components=2, init="custom"), np.ones((4, 4)), ValueError, "needs both W and H"),
    (dict(n_components=2, beta_loss=0), np.zeros((4, 4)), ValueError, "X > 0.*offset"),
    (dict(n_components=2), np.ones((4, 4, 1)), ValueError, "dim 3"),
])
def test_bad_parameters(kwargs, X, error, match):
    with pytest.raises(error, match=match):
        MultiplicativeNMF(**kwargs).fit(X)


def test_transform_is_the_nonnegative_least_squares_fit():
    from scipy.optimize import nnls
    X = np.array([[1, 1], [2, 1], [3, 1.2], [4, 1], [5, 0.8], [6, 1]])
    model = MultiplicativeNMF(2, max_iter=2000, tol=0).fit(X)
    H = model.components_
    X_new = np.array([[3.0, 1.1], [8.0, 0.5], [0.5, 2.0]])
    exact = np.array([nnls(H.T, row)[0] for row in X_new])
    np.testing.assert_allclose(model.set_params(max_iter=5000).transform(X_new), exact, atol=1e-3)


def test_transform_needs_fit_and_matching_features():
    with pytest.raises(NotFittedError):
        MultiplicativeNMF(2).transform(np.ones((2, 2)))
    m = MultiplicativeNMF(2, max_iter=5, tol=0).fit(rng.random((5, 4)))
    with pytest.raises(ValueError, match="4"):
        m.transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="components"):
        m.inverse_transform(np.ones((2, 3)))
    # transform takes X alone, as scikit-learn's: no metadata-routing method is generated for it
    assert not hasattr(m, "set_transform_request") and not hasattr(m, "set_inverse_transform_request")
    with pytest.raises(ValueError, match="Negative"):
        m.transform(-np.ones((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        m.transform(np.full((2, 4), np.nan))
