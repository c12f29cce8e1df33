"""Recommending: rating prediction (biased matrix factorization, Soft-Impute, Spark's ALS) and top-N ranking.

- :mod:`mflib.recommend.model` -- :class:`MatrixFactorization`, the model and its three solvers;
- :mod:`mflib.recommend.solvers` -- the batched ridge regressions and Gibbs steps it runs;
- :mod:`mflib.recommend.softimpute` -- :class:`SoftImpute`, iterated fill, SVD and shrinkage;
- :mod:`mflib.recommend.ranking` -- ranking metrics; rankers :class:`Popularity`, :class:`PureSVD`, :class:`EASE`;
- :mod:`mflib.recommend.implicit` -- :class:`ImplicitALS`, implicit-feedback ALS (Hu, Koren and Volinsky);
- :mod:`mflib.recommend.spark` -- :class:`SparkALS`, Spark MLlib's ALS with the same parameter names;
- :mod:`mflib.recommend.ids` -- checking (user id, item id) pairs and mapping ids to rows.
"""

from .ids import check_ids
from .implicit import ImplicitALS
from .model import MatrixFactorization
from .ranking import EASE, Popularity, PureSVD, list_metrics, ranking_metrics
from .softimpute import SoftImpute
from .spark import SparkALS

__all__ = ["EASE", "ImplicitALS", "MatrixFactorization", "Popularity", "PureSVD", "SoftImpute", "SparkALS",
           "check_ids", "list_metrics", "ranking_metrics"]
