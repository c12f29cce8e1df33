"""Recommending from ratings: biased matrix factorization (ALS, SGD, BPMF) and Spark's ALS.

- :mod:`mflib.recommend.model` -- :class:`MatrixFactorization`, the model and its three solvers;
- :mod:`mflib.recommend.solvers` -- the batched ridge regressions and Gibbs steps it runs;
- :mod:`mflib.recommend.spark` -- :class:`SparkALS`, Spark MLlib's ALS with the same parameter names.
"""

from .model import MatrixFactorization, check_ids
from .spark import SparkALS

__all__ = ["MatrixFactorization", "SparkALS", "check_ids"]
