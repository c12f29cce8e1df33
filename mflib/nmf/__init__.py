"""Non-negative matrix factorization: the beta-divergence, multiplicative updates, an estimator.

scikit-learn's convention throughout: ``X`` is samples x features and
``X ~ W H`` with ``W`` (samples x components) the coefficients and the rows of
``H`` (components x features) the parts.

:class:`MultiplicativeNMF` is the algorithm of Lee and Seung, generalized to the
beta-divergence -- written to be read, and to teach; for real work use
:class:`sklearn.decomposition.NMF`.

- :mod:`mflib.nmf.divergence` -- :func:`beta_divergence`;
- :mod:`mflib.nmf.updates` -- :func:`nndsvd`, :func:`update_W`, :func:`update_H`;
- :mod:`mflib.nmf.estimator` -- :class:`MultiplicativeNMF`.
"""

from .divergence import beta_divergence
from .estimator import MultiplicativeNMF
from .updates import nndsvd, update_H, update_W

__all__ = ["MultiplicativeNMF", "beta_divergence", "nndsvd", "update_H", "update_W"]
