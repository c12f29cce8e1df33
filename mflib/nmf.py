"""Non-negative matrix factorization: the beta-divergence and multiplicative updates.

scikit-learn's convention throughout: ``X`` is samples x features and
``X ~ W H`` with ``W`` (samples x components) the coefficients and the rows of
``H`` (components x features) the parts.

:class:`MultiplicativeNMF` is the algorithm of Lee and Seung, generalized to the
beta-divergence -- written to be read, and to teach; for real work use
:class:`sklearn.decomposition.NMF`.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._validation import check_matrix, check_positive_int

EPS = np.finfo(np.float64).eps
_NAMED_BETA = {"frobenius": 2.0, "kullback-leibler": 1.0, "itakura-saito": 0.0}


def _beta_value(beta):
    if isinstance(beta, str):
        if beta not in _NAMED_BETA:
            raise ValueError(f"beta={beta!r}: use a number >= 0 or one of {sorted(_NAMED_BETA)}.")
        return _NAMED_BETA[beta]
    if isinstance(beta, bool) or not np.isscalar(beta) or not np.isfinite(beta) or beta < 0:
        raise ValueError(f"beta must be a finite number >= 0, got {beta!r}.")
    return float(beta)


def beta_divergence(X, Y, beta, *, square_root=False):
    """The beta-divergence ``D_beta(X | Y) = sum_ij d_beta(x_ij | y_ij)``.

    .. math::

        d_\\beta(x \\mid y) = \\frac{x^\\beta + (\\beta - 1) y^\\beta - \\beta x y^{\\beta - 1}}{\\beta(\\beta - 1)}

    with the limits ``beta = 2``: ``(x - y)^2 / 2`` (half the squared Frobenius
    norm); ``beta = 1``: ``x log(x / y) - x + y`` (generalized Kullback-Leibler);
    ``beta = 0``: ``x / y - log(x / y) - 1`` (Itakura-Saito). The values equal
    scikit-learn's NMF objective.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        Data, non-negative (positive for ``beta = 0``).
    Y : array-like, same shape
        Approximation, e.g. ``W @ H``; non-negative, and positive wherever the
        divergence needs ``1 / y`` or ``log y`` (``beta <= 1``).
    beta : float >= 0 or {"frobenius", "kullback-leibler", "itakura-saito"}
    square_root : bool
        Return ``sqrt(2 D)``, scikit-learn's ``reconstruction_err_`` (the
        Frobenius norm for ``beta = 2``).

    Returns
    -------
    float

    Notes
    -----
    Zeros follow the limits: an entry with ``x = 0`` contributes
    ``y^beta / beta`` for ``beta > 0`` (so ``0 log 0 = 0`` for Kullback-Leibler),
    as in scikit-learn. Where the divergence is infinite -- ``y = 0 < x`` with
    ``beta <= 1``, or ``x = 0`` with ``beta = 0`` -- this function raises,
    whereas scikit-learn returns a finite stand-in (it clips ``y`` to machine
    epsilon and skips ``x = 0`` terms).

    Examples
    --------
    >>> X = np.array([[1.0, 2.0]])
    >>> beta_divergence(X, np.array([[1.0, 4.0]]), 2)
    2.0
    >>> round(beta_divergence(X, X, "kullback-leibler"), 12)
    0.0
    """
    b = _beta_value(beta)
    X = check_matrix(X, "X", nonnegative=True)
    Y = check_matrix(Y, "Y", nonnegative=True)
    if X.shape != Y.shape:
        raise ValueError(f"X {X.shape} and Y {Y.shape} must have the same shape; Y is the "
                         "approximation of X, e.g. W @ H.")
    res = _divergence(X, Y, b)
    return float(np.sqrt(2 * res)) if square_root else res


def _divergence(X, Y, b):
    """``D_b(X | Y)`` for validated arrays of one shape."""
    if b == 2:
        res = 0.5 * float(np.sum((X - Y) ** 2))
    else:
        pos = X > 0
        if b <= 1 and np.any(Y[pos] <= 0):
            raise ValueError(f"Y has zeros where X > 0: the beta={b:g} divergence is infinite there. "
                             "Keep the approximation positive (e.g. Y + 1e-12).")
        if b == 0 and not np.all(pos):
            raise ValueError("the Itakura-Saito divergence (beta=0) is infinite where X = 0; "
                             "add a small positive offset to X.")
        x, y = X[pos], Y[pos]
        if b == 1:
            res = float(np.sum(x * np.log(x / y)) - x.sum() + Y.sum())   # 0 log 0 = 0
        elif b == 0:
            ratio = x / y
            res = float(np.sum(ratio - np.log(ratio) - 1))
        else:  # x = 0 entries contribute y^b / b, included in the sum over Y
            res = float((np.sum(x ** b) + (b - 1) * np.sum(Y ** b) - b * np.sum(x * y ** (b - 1)))
                        / (b * (b - 1)))
    return max(res, 0.0)  # rounding can leave -1e-16


def nndsvd(X, n_components, *, fill=None):
    """Non-negative double SVD initialization (Boutsidis and Gallopoulos, 2008).

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features), non-negative
    n_components : int
        ``1 <= n_components <= min(n_samples, n_features)``: NNDSVD takes one
        singular pair per component.
    fill : {None, "average"}
        ``None`` keeps NNDSVD's zeros; ``"average"`` replaces them by ``X.mean()``
        (scikit-learn's ``"nndsvda"``), which multiplicative updates need: a
        zero never moves under a multiplicative update.

    Returns
    -------
    W : ndarray, shape (n_samples, n_components)
    H : ndarray, shape (n_components, n_features)

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    >>> W, H = nndsvd(X, 2, fill="average")
    >>> W.shape, H.shape, bool(W.min() > 0 and H.min() > 0)
    ((3, 2), (2, 2), True)
    """
    if fill not in (None, "average"):
        raise ValueError(f"fill={fill!r}: use None (keep NNDSVD's zeros) or 'average' "
                         "(fill them with X.mean(), scikit-learn's 'nndsvda').")
    X = check_matrix(X, "X", nonnegative=True)
    if isinstance(n_components, bool) or not isinstance(n_components, Integral):
        raise TypeError(f"n_components must be a whole number, got {n_components!r}.")
    if not 1 <= n_components <= min(X.shape):
        raise ValueError(f"n_components={n_components} is out of range for NNDSVD of a {X.shape} matrix, "
                         f"which has {min(X.shape)} singular pairs: choose 1 <= n_components <= "
                         f"{min(X.shape)}, or start from init='random'.")
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    W = np.zeros((X.shape[0], n_components))
    H = np.zeros((n_components, X.shape[1]))
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0] = np.sqrt(S[0]) * np.abs(Vt[0])
    for j in range(1, n_components):
        x, y = U[:, j], Vt[j]
        xp, yp, xn, yn = np.maximum(x, 0), np.maximum(y, 0), np.maximum(-x, 0), np.maximum(-y, 0)
        mp = np.linalg.norm(xp) * np.linalg.norm(yp)
        mn = np.linalg.norm(xn) * np.linalg.norm(yn)
        # keep the sign pattern with more mass: u v^T = (-u)(-v)^T
        u, v, sigma = (xp, yp, mp) if mp > mn else (xn, yn, mn)
        if sigma == 0:
            continue
        lam = np.sqrt(S[j] * sigma)
        W[:, j] = lam * u / np.linalg.norm(u)
        H[j] = lam * v / np.linalg.norm(v)
    W[W < EPS] = 0
    H[H < EPS] = 0
    if fill == "average":
        avg = X.mean()
        W[W == 0] = avg
        H[H == 0] = avg
    return W, H


def _ratio(num, den, beta):
    """The multiplicative factor ``num / den``, raised to ``gamma(beta)`` so the loss cannot rise.

    ``gamma = 1 / (2 - beta)`` for ``beta < 1``, ``1`` on ``[1, 2]`` and
    ``1 / (beta - 1)`` for ``beta > 2`` (Fevotte and Idier, 2011).
    """
    r = num / np.maximum(den, EPS)
    gamma = 1 / (2 - beta) if beta < 1 else (1 / (beta - 1) if beta > 2 else 1.0)
    return r if gamma == 1 else r ** gamma


def update_H(X, W, H, beta):
    """``H <- H * [(W^T (X * Y^(beta-2))) / (W^T Y^(beta-1))]^gamma`` with ``Y = W H``, in place."""
    if beta == 2:  # cheap form: W^T X / (W^T W H)
        H *= _ratio(W.T @ X, (W.T @ W) @ H, beta)
    else:
        Y = np.maximum(W @ H, EPS)
        H *= _ratio(W.T @ (X * Y ** (beta - 2)), W.T @ Y ** (beta - 1), beta)
    return H


def update_W(X, W, H, beta):
    """``W <- W * [((X * Y^(beta-2)) H^T) / (Y^(beta-1) H^T)]^gamma`` with ``Y = W H``, in place."""
    if beta == 2:
        W *= _ratio(X @ H.T, W @ (H @ H.T), beta)
    else:
        Y = np.maximum(W @ H, EPS)
        W *= _ratio((X * Y ** (beta - 2)) @ H.T, Y ** (beta - 1) @ H.T, beta)
    return W


def _inner_updates(F, num, gram, n_inner, delta, left):
    """Up to ``n_inner`` Frobenius updates of one factor while the other is fixed.

    ``num`` is ``X H^T`` (for ``W``) or ``W^T X`` (for ``H``), ``gram`` the
    other factor's Gram matrix: both are computed once, which is what makes
    repeated updates cheap (Gillis and Glineur, 2012). Stops early once a step
    moves ``F`` by less than ``delta`` times the first step.
    """
    first = None
    for _ in range(n_inner):
        new = F * num / np.maximum(gram @ F if left else F @ gram, EPS)
        step = np.linalg.norm(new - F)
        F = new
        if first is None:
            first = step
        elif step <= delta * first:
            break
    return F


def _frobenius_loss(sq_norm_X, H, WtX, WtW):
    """``0.5 ||X - W H||^2 = 0.5 ||X||^2 - <H, W^T X> + 0.5 <W^T W, H H^T>``, from products already at hand."""
    return max(0.5 * sq_norm_X - float(np.sum(H * WtX)) + 0.5 * float(np.sum(WtW * (H @ H.T))), 0.0)


def _inner_counts(shape, k, acceleration):
    """Updates of ``W`` and of ``H`` per iteration: ``floor(1 + alpha rho)`` (Gillis and Glineur, 2012).

    ``rho`` is the cost of the products an update of a factor needs once
    (``X H^T``: ``m n k`` flops) over the cost of one more update with them
    (``m k^2``), so extra updates cost a fraction of the first.
    """
    m, n = shape
    rho_W = 1 + (m * n + n * k) / (m * (k + 1))
    rho_H = 1 + (m * n + m * k) / (n * (k + 1))
    return int(1 + acceleration * rho_W), int(1 + acceleration * rho_H)


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
    loss_history_ : list of float
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
        "beta_loss": [StrOptions(set(_NAMED_BETA)), Interval(Real, 0, None, closed="left")],
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
        X = validate_data(self, X, reset=reset, dtype=np.float64, ensure_all_finite=False)
        X = check_matrix(X, "X")                          # NaN and inf, with the fix named
        if X.min() < 0:
            raise ValueError(f"Negative values in data passed to MultiplicativeNMF (min {X.min():.4g}): NMF "
                             "needs X >= 0 -- shift or clip the data first, e.g. X - X.min().")
        if _beta_value(self.beta_loss) == 0 and np.any(X == 0):
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
        self._validate_params()
        X = self._check_X(X, reset=True)
        beta = _beta_value(self.beta_loss)
        # One BLAS thread, like scikit-learn's cd solver: the many small products of the updates
        # gain nothing from threads, and the SVD and large products lose much on a busy machine.
        with threadpool_limits(1, user_api="blas"):
            k, W, H = self._start(X, W, H)
            if not X.any():                               # the only fit of X = 0 is W H = 0
                W, H, history, n_iter = np.zeros_like(W), np.zeros_like(H), [0.0], 0
            elif beta == 2:
                W, H, history, n_iter = self._fit_frobenius(X, W, H)
            else:
                W, H, history, n_iter = self._fit_beta(X, W, H, beta)
        if n_iter == self.max_iter and self.tol > 0:
            warnings.warn(f"MultiplicativeNMF stopped at max_iter={self.max_iter} before the loss settled "
                          f"(tol={self.tol:g}); raise max_iter.", ConvergenceWarning, stacklevel=2)
        self.components_, self.n_components_ = H, k
        self.loss_history_, self.n_iter_ = history, n_iter
        self.reconstruction_err_ = float(np.sqrt(2 * history[-1]))
        return W

    def _stop(self, history, it):
        """Checked every 10 iterations: did the loss fall by less than tol of itself over them?"""
        return self.tol > 0 and it % 10 == 0 and history[-2] - history[-1] <= self.tol * history[-1]

    def _fit_frobenius(self, X, W, H):
        sq_norm_X = float(np.sum(X * X))
        n_W, n_H = _inner_counts(X.shape, H.shape[0], self.acceleration)
        history = [_frobenius_loss(sq_norm_X, H, W.T @ X, W.T @ W)]
        for it in range(1, self.max_iter + 1):
            W = _inner_updates(W, X @ H.T, H @ H.T, n_W, self.inner_tol, left=False)
            WtX, WtW = W.T @ X, W.T @ W
            H = _inner_updates(H, WtX, WtW, n_H, self.inner_tol, left=True)
            if it % 10 == 0 or it == self.max_iter:      # nearly free: reuses W^T X and W^T W
                history.append(_frobenius_loss(sq_norm_X, H, WtX, WtW))
                if self._stop(history, it):
                    break
        return W, H, history, it

    def _fit_beta(self, X, W, H, beta):
        history = [_divergence(X, np.maximum(W @ H, EPS), beta)]
        for it in range(1, self.max_iter + 1):
            update_W(X, W, H, beta)
            update_H(X, W, H, beta)
            if it % 10 == 0 or it == self.max_iter:      # costs one W H: only when the rule looks
                history.append(_divergence(X, np.maximum(W @ H, EPS), beta))
                if self._stop(history, it):
                    break
        return W, H, history, it

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

    def transform(self, X, max_iter=None):
        """Coefficients ``W`` for new samples, with the learned ``H`` held fixed.

        Minimizes the model's own divergence ``D_beta(X | W H)`` over ``W >= 0``
        by multiplicative updates, with the model's stopping rule.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features), non-negative
        max_iter : int, optional
            Maximum number of updates of ``W`` (default: the model's
            ``max_iter``). For ``beta = 2`` they converge to the non-negative
            least-squares fit ``argmin_{W >= 0} ||X - W H||_F`` -- not
            ``X H^+``, which may be negative.

        Returns
        -------
        W : ndarray, shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        n_iter = self.max_iter if max_iter is None else check_positive_int(max_iter, "max_iter")
        with threadpool_limits(1, user_api="blas"):
            return self._transform(X, n_iter)

    def _transform(self, X, n_iter):
        H = self.components_
        W = np.full((X.shape[0], H.shape[0]), np.sqrt(max(X.mean(), EPS) / H.shape[0]))
        beta = _beta_value(self.beta_loss)
        if beta != 2:
            history = [_divergence(X, np.maximum(W @ H, EPS), beta)]
            for it in range(1, n_iter + 1):
                update_W(X, W, H, beta)
                if it % 10 == 0:
                    history.append(_divergence(X, np.maximum(W @ H, EPS), beta))
                    if self._stop(history, it):
                        break
            return W
        # H is fixed, so X H^T and H H^T serve every update; the loss is cheap to follow.
        XHt, HHt = X @ H.T, H @ H.T
        sq_norm_X = float(np.sum(X * X))
        history = [_frobenius_loss(sq_norm_X, W.T, XHt.T, HHt)]
        for it in range(1, n_iter + 1):
            W *= XHt / np.maximum(W @ HHt, EPS)
            if it % 10 == 0:
                history.append(_frobenius_loss(sq_norm_X, W.T, XHt.T, HHt))
                if self._stop(history, it):
                    break
        return W

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
