"""Spark MLlib's ALS as a scikit-learn style estimator, with :class:`~mflib.recommend.MatrixFactorization`'s names.

``SparkALS(n_components, reg=..., max_iter=..., random_state=...)`` fits Spark's
ALS on (user id, item id) pairs and ratings and keeps the learned factors as
NumPy arrays, so ``predict`` needs no running session. Like mflib's model, an
unseen user or item gets the training mean, and predictions are clipped to the
training range. Spark's ALS has no bias terms: the prediction is ``p_u . q_i``
(to fit mflib's biased model, fit the biases first and give Spark their
residuals). ``implicit_prefs=True`` is Spark's implicit-feedback ALS (Hu, Koren
and Volinsky's model, as :class:`~mflib.recommend.ImplicitALS`); rank with
``score_users``.
"""

import tempfile
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import refuse_bool_params
from .ids import check_ids


def _factors(frame):
    """Spark's (id, features) factor table as sorted ids and a float64 matrix."""
    rows = sorted((r.id, r.features) for r in frame.collect())
    return np.array([i for i, _ in rows], dtype=np.int64), np.array([f for _, f in rows], dtype=np.float64)


class SparkALS(RegressorMixin, BaseEstimator):
    """Spark MLlib's alternating least squares, fitted on a local Spark session.

    Parameters
    ----------
    n_components : int, default=10
        ALS's ``rank``.
    reg : float, default=0.1
        ALS's ``regParam``: the same per-rating ("weighted-lambda") penalty as
        :class:`~mflib.recommend.MatrixFactorization`'s ``reg``.
    max_iter : int, default=10
        ALS's ``maxIter`` (Spark runs exactly this many sweeps).
    random_state : int, default=0
        ALS's ``seed``.
    implicit_prefs : bool, default=False
        ALS's ``implicitPrefs``: ``y`` are interaction strengths, the model fits
        a 0/1 preference on every cell with confidence ``1 + alpha y``.
    alpha : float, default=1.0
        ALS's ``alpha`` (used with ``implicit_prefs``).
    spark : pyspark.sql.SparkSession, optional
        The session to use; default :func:`mflib.spark.local_session`.

    Attributes
    ----------
    user_ids_, item_ids_ : ndarray of int64
    user_factors_, item_factors_ : ndarray of float64
        Row ``j`` belongs to ``user_ids_[j]`` (``item_ids_[j]``).
    global_mean_ : float
    rating_range_ : tuple of float
    n_features_in_ : int
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "reg": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
        "implicit_prefs": ["boolean"],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "spark": "no_validation",
    }

    def __init__(self, n_components=10, *, reg=0.1, max_iter=10, random_state=0, implicit_prefs=False, alpha=1.0,
                 spark=None):
        self.n_components = n_components
        self.reg = reg
        self.max_iter = max_iter
        self.random_state = random_state
        self.implicit_prefs = implicit_prefs
        self.alpha = alpha
        self.spark = spark

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit Spark's ALS to the ratings ``y`` of the (user id, item id) pairs ``X``."""
        from pyspark.ml.recommendation import ALS
        from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType

        from ..spark import local_session

        refuse_bool_params(self)
        X, y = validate_data(self, X, y, dtype="numeric", y_numeric=True)
        X, y = check_ids(X), np.asarray(y, dtype=np.float64)
        if X.shape[1] != 2 or np.abs(X).max() >= 2 ** 31:
            raise ValueError("SparkALS needs X of shape (n, 2) with user and item ids below 2**31 (Spark's ids "
                             "are 32-bit ints); map the ids to 0..n-1 first, e.g. np.unique(ids, return_inverse=True).")
        spark = self.spark or local_session()
        schema = StructType([StructField("user", IntegerType()), StructField("item", IntegerType()),
                             StructField("rating", DoubleType())])
        blocks = spark.sparkContext.defaultParallelism          # one block of users and of items per core
        with tempfile.TemporaryDirectory() as tmp:
            # hand the ratings over as a file read by the JVM: much faster than pickling rows through py4j
            path = f"{tmp}/train.tsv"
            # ALS cuts its RDD lineage every 10 iterations only with a checkpoint folder; without one a long
            # lineage overflows the JVM's stack (java.lang.StackOverflowError)
            spark.sparkContext.setCheckpointDir(f"{tmp}/checkpoints")
            np.savetxt(path, np.column_stack([X, y]), fmt=("%d", "%d", "%.17g"), delimiter="\t")
            als = ALS(rank=self.n_components, regParam=self.reg, maxIter=self.max_iter, seed=self.random_state,
                      implicitPrefs=self.implicit_prefs, alpha=self.alpha, userCol="user", itemCol="item",
                      ratingCol="rating", numUserBlocks=blocks, numItemBlocks=blocks)
            model = als.fit(spark.read.csv(path, sep="\t", schema=schema))
            self.user_ids_, self.user_factors_ = _factors(model.userFactors)
            self.item_ids_, self.item_factors_ = _factors(model.itemFactors)
        self.global_mean_ = float(y.mean())
        self.rating_range_ = (float(y.min()), float(y.max()))
        return self

    def predict(self, X):
        """Predicted ratings of the pairs ``X``: ``p_u . q_i``, the training mean for unseen ids, clipped."""
        check_is_fitted(self)
        X = check_ids(validate_data(self, X, dtype="numeric", reset=False, ensure_min_samples=0))
        u = np.searchsorted(self.user_ids_, X[:, 0]).clip(0, len(self.user_ids_) - 1)
        i = np.searchsorted(self.item_ids_, X[:, 1]).clip(0, len(self.item_ids_) - 1)
        known = (self.user_ids_[u] == X[:, 0]) & (self.item_ids_[i] == X[:, 1])
        # float32 products, as Spark computes them in the JVM
        dot = np.einsum("nk,nk->n", self.user_factors_[u].astype(np.float32), self.item_factors_[i].astype(np.float32))
        pred = np.where(known, dot.astype(np.float64), self.global_mean_)
        return np.clip(pred, *self.rating_range_)

    def score_users(self, users):
        """``p_u . q_i`` for every item (in the order of ``item_ids_``) and each user id; 0 for an unknown user.

        Returns
        -------
        ndarray of shape (len(users), n_items)
        """
        check_is_fitted(self)
        users = np.asarray(users, dtype=np.int64).ravel()
        rows = np.searchsorted(self.user_ids_, users).clip(0, len(self.user_ids_) - 1)
        known = self.user_ids_[rows] == users
        return (self.user_factors_[rows] @ self.item_factors_.T) * known[:, None]
