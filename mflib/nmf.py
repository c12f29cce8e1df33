"""Non-negative matrix factorization: the beta-divergence and multiplicative updates.

scikit-learn's convention throughout: ``X`` is samples x features and
``X ~ W H`` with ``W`` (samples x components) the coefficients and the rows of
``H`` (components x features) the parts.

:class:`MultiplicativeNMF` is the algorithm of Lee and Seung, generalized to the
beta-divergence -- written to be read, and to teach; for real work use
:class:`sklearn.decomposition.NMF`.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

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
    X : ndarray, shape (n_samples, n_features), non-negative
    n_components : int
    fill : {None, "average"}
        ``None`` keeps NNDSVD's zeros; ``"average"`` replaces them by ``X.mean()``
        (scikit-learn's ``"nndsvda"``), which multiplicative updates need: a
        zero never moves under a multiplicative update.

    Returns
    -------
    W : ndarray, shape (n_samples, n_components)
    H : ndarray, shape (n_components, n_features)
    """
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
    """The multiplicative factor, raised to 1/(2-beta) or 1/(beta-1) outside [1, 2] so the loss cannot rise."""
    r = num / np.maximum(den, EPS)
    gamma = 1 / (2 - beta) if beta < 1 else (1 / (beta - 1) if beta > 2 else 1.0)
    return r if gamma == 1 else r ** gamma


def update_H(X, W, H, beta):
    """``H <- H * (W^T (X * Y^(beta-2))) / (W^T Y^(beta-1))`` with ``Y = W H``, in place."""
    if beta == 2:  # cheap form: W^T X / (W^T W H)
        H *= _ratio(W.T @ X, (W.T @ W) @ H, beta)
    else:
        Y = np.maximum(W @ H, EPS)
        H *= _ratio(W.T @ (X * Y ** (beta - 2)), W.T @ Y ** (beta - 1), beta)
    return H


def update_W(X, W, H, beta):
    """``W <- W * ((X * Y^(beta-2)) H^T) / (Y^(beta-1) H^T)`` with ``Y = W H``, in place."""
    if beta == 2:
        W *= _ratio(X @ H.T, W @ (H @ H.T), beta)
    else:
        Y = np.maximum(W @ H, EPS)
        W *= _ratio((X * Y ** (beta - 2)) @ H.T, Y ** (beta - 1) @ H.T, beta)
    return W


def _loss(X, W, H, beta, sq_norm_X):
    """The objective while fitting, without re-validating ``X`` at every step."""
    if beta == 2:  # 0.5 ||X||^2 - <W, X H^T> + 0.5 <W^T W, H H^T>: no samples x features temporary
        return max(0.5 * sq_norm_X - np.sum((X @ H.T) * W) + 0.5 * np.sum((W.T @ W) * (H @ H.T)), 0.0)
    return _divergence(X, np.maximum(W @ H, EPS), beta)


class MultiplicativeNMF(TransformerMixin, BaseEstimator):
    """NMF by multiplicative updates (Lee and Seung), for any beta-divergence.

    Parameters
    ----------
    n_components : int
        Number of parts, ``1 <= n_components <= min(n_samples, n_features)``.
    beta_loss : float >= 0 or {"frobenius", "kullback-leibler", "itakura-saito"}
        The divergence minimized.
    init : {"nndsvda", "random", "custom"}
        Starting point: NNDSVD with zeros filled by the mean, a scaled random
        matrix, or the ``W`` and ``H`` passed to ``fit``.
    max_iter : int
        Maximum number of iterations (one update of ``W`` and ``H`` each).
    tol : float
        Stop when the loss fell by less than ``tol`` times its current value
        over the last 10 iterations (checked every 10); ``0`` runs all
        ``max_iter`` iterations.
    random_state : int or None
        Seed for ``init="random"``.

    Attributes
    ----------
    components_ : ndarray, shape (n_components, n_features)
        ``H``: the parts.
    loss_history_ : list of float
        The beta-divergence after each iteration (the first entry: at the start).
    n_iter_ : int
        Iterations run.
    reconstruction_err_ : float
        ``sqrt(2 D_beta(X | W H))``, as scikit-learn reports it.

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

    def __init__(self, n_components, *, beta_loss="frobenius", init="nndsvda", max_iter=200,
                 tol=1e-4, random_state=None):
        self.n_components = n_components
        self.beta_loss = beta_loss
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _check_params(self, X):
        k = check_positive_int(self.n_components, "n_components")
        if k > min(X.shape):
            raise ValueError(f"n_components={k} is larger than the data allows: X is {X.shape}, so "
                             f"choose n_components <= {min(X.shape)}.")
        check_positive_int(self.max_iter, "max_iter")
        if self.init not in ("nndsvda", "random", "custom"):
            raise ValueError(f"init={self.init!r}: choose 'nndsvda', 'random' or 'custom'.")
        if not self.tol >= 0:
            raise ValueError(f"tol must be >= 0, got {self.tol!r}.")
        return k, _beta_value(self.beta_loss)

    def _initial(self, X, k, W, H):
        if self.init == "custom":
            if W is None or H is None:
                raise ValueError("init='custom' needs both W and H passed to fit.")
            W = check_matrix(W, "W", nonnegative=True, copy=True)
            H = check_matrix(H, "H", nonnegative=True, copy=True)
            if W.shape != (X.shape[0], k) or H.shape != (k, X.shape[1]):
                raise ValueError(f"custom W {W.shape} and H {H.shape} must be {(X.shape[0], k)} and "
                                 f"{(k, X.shape[1])}.")
            return W, H
        if self.init == "random":
            rng = np.random.default_rng(self.random_state)
            scale = np.sqrt(X.mean() / k)
            return (scale * np.abs(rng.standard_normal((X.shape[0], k))),
                    scale * np.abs(rng.standard_normal((k, X.shape[1]))))
        return nndsvd(X, k, fill="average")

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
        X = check_matrix(X, "X", nonnegative=True)
        k, beta = self._check_params(X)
        if beta == 0 and np.any(X == 0):
            raise ValueError("Itakura-Saito NMF needs X > 0 everywhere; add a small positive offset.")
        W, H = self._initial(X, k, W, H)
        sq_norm_X = float(np.sum(X * X))
        history = [_loss(X, W, H, beta, sq_norm_X)]
        for it in range(1, self.max_iter + 1):
            update_H(X, W, H, beta)
            update_W(X, W, H, beta)
            history.append(_loss(X, W, H, beta, sq_norm_X))
            if self.tol > 0 and it % 10 == 0 and history[-11] - history[-1] <= self.tol * history[-1]:
                break
        self.components_ = H
        self.loss_history_ = history
        self.n_iter_ = it
        self.n_components_ = k
        Y = W @ H if beta == 2 else np.maximum(W @ H, EPS)
        self.reconstruction_err_ = float(np.sqrt(2 * _divergence(X, Y, beta)))
        return W

    def fit(self, X, y=None, **params):
        """Learn the parts ``components_`` from ``X``."""
        self.fit_transform(X, **params)
        return self

    def transform(self, X, max_iter=None):
        """Coefficients ``W`` for new samples, with the learned ``H`` held fixed.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features), non-negative
        max_iter : int, optional
            Multiplicative updates of ``W`` (default: the model's ``max_iter``).
            For ``beta = 2`` they converge to the non-negative least-squares fit
            ``argmin_{W >= 0} ||X - W H||_F`` -- not ``X H^+``, which may be negative.

        Returns
        -------
        W : ndarray, shape (n_samples, n_components)
        """
        if not hasattr(self, "components_"):
            raise RuntimeError("call fit(X) before transform(X).")
        X = check_matrix(X, "X", nonnegative=True)
        H = self.components_
        if X.shape[1] != H.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features but the model was fitted on {H.shape[1]}.")
        beta = _beta_value(self.beta_loss)
        if beta == 0 and np.any(X == 0):
            raise ValueError("Itakura-Saito NMF needs X > 0 everywhere; add a small positive offset.")
        n_iter = self.max_iter if max_iter is None else check_positive_int(max_iter, "max_iter")
        W = np.full((X.shape[0], H.shape[0]), np.sqrt(max(X.mean(), EPS) / H.shape[0]))
        for _ in range(n_iter):
            update_W(X, W, H, beta)
        return W

    def inverse_transform(self, W):
        """``W @ components_``: back from coefficients to data space.

        Parameters
        ----------
        W : array-like, shape (n_samples, n_components), non-negative

        Returns
        -------
        X : ndarray, shape (n_samples, n_features)
        """
        if not hasattr(self, "components_"):
            raise RuntimeError("call fit(X) before inverse_transform(W).")
        W = check_matrix(W, "W", nonnegative=True)
        if W.shape[1] != self.components_.shape[0]:
            raise ValueError(f"W has {W.shape[1]} columns; the model has {self.components_.shape[0]} components.")
        return W @ self.components_
