"""Recommending from ratings: biased matrix factorization (ALS, SGD, BPMF) and Spark's ALS.

- :mod:`mflib.recommend.ids` -- user and item ids: checked, keyed, looked up;
- :mod:`mflib.recommend.model` -- :class:`MatrixFactorization`, the model and its three solvers;
- :mod:`mflib.recommend.solvers` -- the batched ridge regressions and Gibbs steps it runs;
- :mod:`mflib.recommend.spark` -- :class:`SparkALS`, Spark MLlib's ALS with the same parameter names.
"""

from .ids import check_ids
from .model import MatrixFactorization
from .spark import SparkALS

__all__ = ["MatrixFactorization", "SparkALS", "check_ids"]
