"""MultiplicativeNMF: Lee and Seung's multiplicative updates for any beta-divergence, as a scikit-learn estimator."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._threads import one_blas_thread
from .._validation import check_matrix, refuse_bool_params, refuse_text
from .divergence import EPS, NAMED_BETA, beta_value, divergence
from .updates import frobenius_loss, inner_counts, inner_updates, nndsvd, update_H, update_W


class MultiplicativeNMF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """NMF by multiplicative updates (Lee and Seung), for any beta-divergence.

    Minimizes ``D_beta(X | W H)`` over ``W, H >= 0``. Each iteration updates
    ``W`` then ``H`` (scikit-learn's order). For the Frobenius loss
    (``beta = 2``) each factor is updated several times per iteration, reusing
    ``X H^T`` and ``H H^T`` -- the accelerated updates of Gillis and Glineur
    (2012); ``acceleration=0`` gives the plain algorithm. Written to be read and
    to teach; for real work use :class:`sklearn.decomposition.NMF`.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Number of parts ``k``. ``"auto"``: the shape of a custom ``W``/``H``,
        else ``n_features`` (as scikit-learn).
    beta_loss : float >= 0 or {"frobenius", "kullback-leibler", "itakura-saito"}, default="frobenius"
        The divergence minimized.
    init : {None, "nndsvda", "random", "custom"}, default=None
        Starting point. ``None``: ``"nndsvda"`` if ``k <= min(n_samples,
        n_features)``, else ``"random"`` (scikit-learn's rule). ``"nndsvda"``:
        NNDSVD with its zeros filled by the mean of ``X``; ``"random"``:
        ``sqrt(X.mean() / k)`` times absolute standard normals; ``"custom"``:
        the ``W`` and ``H`` passed to ``fit``.
    max_iter : int, default=1000
        Maximum number of iterations (each updates ``W`` and ``H``).
    tol : float >= 0, default=1e-4
        Stop when the loss fell by less than ``tol`` times its value over the
        last 10 iterations (checked every 10); ``0`` runs ``max_iter``.
    acceleration : float >= 0, default=2.0
        Gillis and Glineur's ``alpha``: at most ``floor(1 + alpha rho)``
        updates of a factor per iteration, ``rho`` the cost of the shared
        products over that of one update. ``0``: one update (Lee and Seung).
        Used for ``beta = 2`` only; other losses need ``W H`` afresh for every
        update, so repeating it saves nothing.
    inner_tol : float in [0, 1], default=0.1
        Gillis and Glineur's ``delta``: stop repeating a factor's update once a
        step moves it less than ``inner_tol`` times the first step did.
    random_state : int, RandomState instance or None, default=None
        Seed for ``init="random"``.

    Attributes
    ----------
    components_ : ndarray, shape (n_components, n_features)
        ``H``: the parts.
    n_components_ : int
        The number of components used.
    loss_curve_ : list of float
        The beta-divergence at the start and at every tenth iteration (when the
        stopping rule looks at it), and after the last iteration.
    n_iter_ : int
        Iterations run.
    reconstruction_err_ : float
        ``sqrt(2 D_beta(X | W H))``, as scikit-learn reports it.
    n_features_in_ : int
        Number of features seen during ``fit``.

    Notes
    -----
    An all-zero ``X`` has exactly one non-negative fit, ``W H = 0``: ``fit``
    returns ``W = 0`` and ``H = 0`` after 0 iterations, as scikit-learn's
    ``NMF`` does.

    Examples
    --------
    >>> X = np.array([[1, 1], [2, 1], [3, 1.2], [4, 1], [5, 0.8], [6, 1]])
    >>> model = MultiplicativeNMF(n_components=2, max_iter=500, tol=0)
    >>> W = model.fit_transform(X)
    >>> W.shape, model.components_.shape
    ((6, 2), (2, 2))
    >>> bool(np.allclose(W @ model.components_, X, atol=0.05))
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "beta_loss": [StrOptions(set(NAMED_BETA)), Interval(Real, 0, None, closed="left")],
        "init": [StrOptions({"nndsvda", "random", "custom"}), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "acceleration": [Interval(Real, 0, None, closed="left")],
        "inner_tol": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components="auto", *, beta_loss="frobenius", init=None, max_iter=1000, tol=1e-4,
                 acceleration=2.0, inner_tol=0.1, random_state=None):
        self.n_components = n_components
        self.beta_loss = beta_loss
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.acceleration = acceleration
        self.inner_tol = inner_tol
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    def _check_X(self, X, reset):
        X = validate_data(self, refuse_text(X), reset=reset, dtype=np.float64, ensure_all_finite=False)
        X = check_matrix(X, "X")                          # NaN and inf, with the fix named
        if X.min() < 0:
            raise ValueError(f"Negative values in data passed to MultiplicativeNMF (min {X.min():.4g}): NMF "
                             "needs X >= 0 -- shift or clip the data first, e.g. X - X.min().")
        beta = beta_value(self.beta_loss)
        limit = 1e250 ** (1 / max(beta, 2.0))          # the updates form X^beta, (W H)^beta and X X^T
        if X.max() > limit:
            raise ValueError(f"X has values up to {X.max():.3g}; at this scale the beta={beta:g} updates overflow "
                             "float64. Divide X by its maximum first (X / X.max()): the parts H are the same and "
                             "W scales back by that factor.")
        if beta == 0 and np.any(X == 0):
            raise ValueError("Itakura-Saito NMF (beta=0) needs X > 0 everywhere, its divergence is infinite "
                             "at X = 0; add a small positive offset, e.g. X + 1e-6 * X.max().")
        return X

    def _start(self, X, W, H):
        """The number of components and the starting ``W``, ``H``."""
        k = self.n_components
        if self.init == "custom":
            if W is None or H is None:
                raise ValueError("init='custom' needs both W and H passed to fit(X, W=..., H=...).")
            W = check_matrix(W, "W", nonnegative=True, copy=True)
            H = check_matrix(H, "H", nonnegative=True, copy=True)
            k = H.shape[0] if k == "auto" else k
            if W.shape != (X.shape[0], k) or H.shape != (k, X.shape[1]):
                raise ValueError(f"custom W {W.shape} and H {H.shape} must be {(X.shape[0], k)} and "
                                 f"{(k, X.shape[1])}.")
            return k, W, H
        k = X.shape[1] if k == "auto" else k
        init = self.init or ("nndsvda" if k <= min(X.shape) else "random")
        if init == "random":
            rng = check_random_state(self.random_state)
            scale = np.sqrt(X.mean() / k)
            return k, scale * np.abs(rng.standard_normal((X.shape[0], k))), \
                scale * np.abs(rng.standard_normal((k, X.shape[1])))
        if k > min(X.shape):
            raise ValueError(f"n_components={k} is larger than init='nndsvda' allows for X of shape {X.shape}: "
                             f"choose n_components <= {min(X.shape)}, or init='random'.")
        return k, *nndsvd(X, k, fill="average")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, W=None, H=None):
        """Learn ``W`` and ``H`` for ``X`` and return ``W``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features), non-negative
        y : ignored
        W, H : array-like, optional
            The starting point when ``init="custom"`` (copied, not modified).

        Returns
        -------
        W : ndarray, shape (n_samples, n_components)
        """
        refuse_bool_params(self)
        X = self._check_X(X, reset=True)
        # One BLAS thread, like scikit-learn's cd solver: the many small products of the updates
        # gain nothing from threads, and the SVD and large products lose much on a busy machine.
        with one_blas_thread():
            k, W, H = self._start(X, W, H)
            W, H, curve, n_iter = self._solve(X, W, H, learn_H=True)
        if not (np.isfinite(W).all() and np.isfinite(H).all()):
            raise FloatingPointError("the multiplicative updates overflowed (NaN or inf in W or H); rescale X, "
                                     "e.g. X / X.max(), or start from init='nndsvda'.")
        if n_iter == self.max_iter and self.tol > 0:
            warnings.warn(f"MultiplicativeNMF stopped at max_iter={self.max_iter} before the loss settled "
                          f"(tol={self.tol:g}); raise max_iter.", ConvergenceWarning, stacklevel=2)
        self.components_, self.n_components_ = H, k
        self.loss_curve_, self.n_iter_ = curve, n_iter
        self.reconstruction_err_ = float(np.sqrt(2 * curve[-1]))
        return W

    def _solve(self, X, W, H, learn_H):
        """The one solver loop: multiplicative updates of ``W`` and, if ``learn_H``, of ``H``.

        ``fit`` learns both; ``transform`` runs the same loop with ``H`` fixed
        (scikit-learn's ``update_H=False``). Each iteration updates ``W`` then
        ``H``; for ``beta = 2`` each factor gets up to ``floor(1 + alpha rho)``
        updates reusing its two products (Gillis and Glineur, 2012). The loss is
        recorded at the start and every tenth iteration, when the stopping rule looks.
        Returns ``W, H, loss curve, iterations``.
        """
        if not X.any():                                   # the only fit of X = 0 is W H = 0
            return np.zeros_like(W), (np.zeros_like(H) if learn_H else H), [0.0], 0
        beta = beta_value(self.beta_loss)
        if beta == 2:
            sq_norm_X = float(np.sum(X * X))
            n_W, n_H = inner_counts(X.shape, H.shape[0], self.acceleration)
            fixed = None if learn_H else (X @ H.T, H @ H.T)   # H fixed: one pair of products serves all
            loss = lambda: frobenius_loss(sq_norm_X, H, W.T @ X, W.T @ W)  # noqa: E731
        else:
            loss = lambda: divergence(X, np.maximum(W @ H, EPS), beta)  # noqa: E731
        curve = [loss()]
        for it in range(1, self.max_iter + 1):
            if beta == 2:
                XHt, HHt = fixed or (X @ H.T, H @ H.T)
                W = inner_updates(W, XHt, HHt, n_W, self.inner_tol, left=False)
                if learn_H:
                    H = inner_updates(H, W.T @ X, W.T @ W, n_H, self.inner_tol, left=True)
            else:
                update_W(X, W, H, beta)
                if learn_H:
                    update_H(X, W, H, beta)
            if it % 10 == 0 or it == self.max_iter:
                curve.append(loss())
                if self._stop(curve, it):
                    break
        return W, H, curve, it

    def _stop(self, curve, it):
        """Checked every 10 iterations: did the loss fall by less than tol of itself over them?"""
        return self.tol > 0 and it % 10 == 0 and curve[-2] - curve[-1] <= self.tol * curve[-1]

    def fit(self, X, y=None, **params):
        """Learn the parts ``components_`` from ``X``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features), non-negative
        y : ignored
        **params : ``W`` and ``H`` for ``init="custom"``

        Returns
        -------
        self
        """
        self.fit_transform(X, **params)
        return self

    def transform(self, X):
        """Coefficients ``W`` for new samples, with the learned ``H`` held fixed.

        Runs the fit's solver loop on ``W`` alone: it minimizes the model's own
        divergence ``D_beta(X | W H)`` over ``W >= 0``, with the model's
        ``max_iter`` and stopping rule. For ``beta = 2`` it converges to the
        non-negative least-squares fit ``argmin_{W >= 0} ||X - W H||_F`` -- not
        ``X H^+``, which may be negative.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features), non-negative

        Returns
        -------
        W : ndarray, shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        H = self.components_
        W = np.full((X.shape[0], H.shape[0]), np.sqrt(max(X.mean(), EPS) / H.shape[0]))
        with one_blas_thread():
            return self._solve(X, W, H, learn_H=False)[0]

    def inverse_transform(self, X):
        """``W @ components_``: back from coefficients to data space.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_components), non-negative
            The coefficients ``W``.

        Returns
        -------
        ndarray, shape (n_samples, n_features)
        """
        check_is_fitted(self)
        W = check_matrix(X, "W", nonnegative=True)
        if W.shape[1] != self.components_.shape[0]:
            raise ValueError(f"W has {W.shape[1]} columns; the model has {self.components_.shape[0]} components.")
        return W @ self.components_
