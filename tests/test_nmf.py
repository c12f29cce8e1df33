import numpy as np
import pytest
from sklearn.decomposition import NMF
from sklearn.decomposition._nmf import _beta_divergence

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


@pytest.mark.parametrize("beta", [2, 1, 0.5])
def test_multiplicative_updates_never_increase_the_loss(beta):
    X = rng.random((30, 20)) + 0.01
    model = MultiplicativeNMF(4, beta_loss=beta, max_iter=150, tol=0).fit(X)
    hist = np.array(model.loss_history_)
    assert len(hist) == 151 and model.n_iter_ == 150
    assert np.all(np.diff(hist) <= 1e-9 * hist[0])
    assert np.all(model.components_ >= 0)
    W = model.transform(X)
    assert W.shape == (30, 4) and np.all(W >= 0)


def test_exact_recovery_of_a_nonnegative_product():
    W0, H0 = rng.random((40, 3)), rng.random((3, 25))
    X = W0 @ H0
    model = MultiplicativeNMF(3, max_iter=3000, tol=0)
    W = model.fit_transform(X)
    assert model.reconstruction_err_ / np.linalg.norm(X) < 1e-3
    np.testing.assert_allclose(model.inverse_transform(W), X, atol=1e-2)


def test_close_to_scikit_learn_on_faces(data_dir):
    """Within 1% of scikit-learn's converged objective at rank 6, on a reduced Olivetti
    (every other face, 2 x 2 pixel blocks averaged); the full-size figure is in benchmarks/bench_nmf.py."""
    faces = olivetti_faces().images[::2].astype(np.float64)
    X = faces.reshape(200, 32, 2, 32, 2).mean(axis=(2, 4)).reshape(200, -1)
    sk = NMF(6, init="nndsvda", max_iter=1000, random_state=0).fit(X)     # default tol: converged
    assert sk.n_iter_ < 1000
    ours = MultiplicativeNMF(6, max_iter=3000, tol=5e-5).fit(X)
    assert ours.n_iter_ < 3000                                          # stopped by tol
    gap = (ours.reconstruction_err_ / sk.reconstruction_err_) ** 2 - 1   # ratio of objectives
    assert 0 <= gap < 0.01


def test_stopping_rule_and_loss_history():
    X = rng.random((30, 20)) + 0.01
    for beta in (2, 1):
        model = MultiplicativeNMF(3, beta_loss=beta, max_iter=5000, tol=1e-3).fit(X)
        hist = model.loss_history_
        assert model.n_iter_ < 5000 and model.n_iter_ % 10 == 0 and len(hist) == model.n_iter_ + 1
        assert hist[-11] - hist[-1] <= 1e-3 * hist[-1]                  # the rule that stopped it
        assert all(hist[j - 10] - hist[j] > 1e-3 * hist[j] for j in range(10, model.n_iter_, 10))
    # the running loss (expanded form for beta = 2) equals the divergence of the final factors
    model = MultiplicativeNMF(3, max_iter=40, tol=0)
    W = model.fit_transform(X)
    assert model.loss_history_[-1] == pytest.approx(beta_divergence(X, W @ model.components_, 2), rel=1e-10)
    assert model.reconstruction_err_ == pytest.approx(np.linalg.norm(X - W @ model.components_), rel=1e-12)


def test_nndsvd_matches_scikit_learn_init():
    from sklearn.decomposition._nmf import _initialize_nmf
    X = rng.random((15, 10))
    for ours, theirs in [(nndsvd(X, 4), "nndsvd"), (nndsvd(X, 4, fill="average"), "nndsvda")]:
        W_sk, H_sk = _initialize_nmf(X, 4, init=theirs)
        np.testing.assert_allclose(ours[0] @ ours[1], W_sk @ H_sk, atol=1e-10)


def test_custom_init_and_random_init():
    X = rng.random((10, 8))
    W0, H0 = rng.random((10, 2)), rng.random((2, 8))
    m = MultiplicativeNMF(2, init="custom", max_iter=5, tol=0)
    m.fit(X, W=W0, H=H0)
    assert m.loss_history_[0] == pytest.approx(beta_divergence(X, W0 @ H0, 2))
    a = MultiplicativeNMF(2, init="random", random_state=3, max_iter=20).fit(X).components_
    b = MultiplicativeNMF(2, init="random", random_state=3, max_iter=20).fit(X).components_
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, X, match", [
    (dict(n_components=0), np.ones((4, 4)), "positive whole number"),
    (dict(n_components=5), np.ones((4, 6)), "larger than the data allows"),
    (dict(n_components=2), -np.ones((4, 4)), "negative entries"),
    (dict(n_components=2), np.full((4, 4), np.nan), "NaN"),
    (dict(n_components=2, init="svd"), np.ones((4, 4)), "init="),
    (dict(n_components=2, beta_loss=-0.5), np.ones((4, 4)), "beta must be"),
    (dict(n_components=2, init="custom"), np.ones((4, 4)), "needs both W and H"),
    (dict(n_components=2, beta_loss=0), np.zeros((4, 4)), "X > 0"),
])
def test_bad_parameters(kwargs, X, match):
    with pytest.raises(ValueError, match=match):
        MultiplicativeNMF(**kwargs).fit(X)


def test_transform_is_the_nonnegative_least_squares_fit():
    from scipy.optimize import nnls
    X = np.array([[1, 1], [2, 1], [3, 1.2], [4, 1], [5, 0.8], [6, 1]])
    model = MultiplicativeNMF(2, max_iter=2000, tol=0).fit(X)
    H = model.components_
    X_new = np.array([[3.0, 1.1], [8.0, 0.5], [0.5, 2.0]])
    exact = np.array([nnls(H.T, row)[0] for row in X_new])
    np.testing.assert_allclose(model.transform(X_new, max_iter=5000), exact, atol=1e-3)


def test_transform_needs_fit_and_matching_features():
    with pytest.raises(RuntimeError, match="fit"):
        MultiplicativeNMF(2).transform(np.ones((2, 2)))
    m = MultiplicativeNMF(2, max_iter=5).fit(rng.random((5, 4)))
    with pytest.raises(ValueError, match="4"):
        m.transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="components"):
        m.inverse_transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="max_iter"):
        m.transform(np.ones((2, 4)), max_iter=0)
    with pytest.raises(ValueError, match="negative"):
        m.transform(-np.ones((2, 4)))
