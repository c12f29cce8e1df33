"""NMF's building blocks: the NNDSVD start and the multiplicative updates (plain and accelerated)."""

import numpy as np

from .._validation import check_int, check_matrix
from .divergence import EPS


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
    n_components = check_int(n_components, "n_components")
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


def ratio(num, den, beta):
    """The multiplicative factor ``num / den``, raised to ``gamma(beta)`` so the loss cannot rise.

    ``gamma = 1 / (2 - beta)`` for ``beta < 1``, ``1`` on ``[1, 2]`` and
    ``1 / (beta - 1)`` for ``beta > 2`` (Fevotte and Idier, 2011).
    """
    r = num / np.maximum(den, EPS)
    gamma = 1 / (2 - beta) if beta < 1 else (1 / (beta - 1) if beta > 2 else 1.0)
    return r if gamma == 1 else r ** gamma


def _check_shapes(X, W, H):
    if W.ndim != 2 or H.ndim != 2 or X.shape != (W.shape[0], H.shape[1]) or W.shape[1] != H.shape[0]:
        raise ValueError(f"shapes do not fit X ~ W H: X {X.shape}, W {W.shape}, H {H.shape}; W must be "
                         "(n_samples, k) and H (k, n_features).")


def update_H(X, W, H, beta):
    """``H <- H * [(W^T (X * Y^(beta-2))) / (W^T Y^(beta-1))]^gamma`` with ``Y = W H``, in place."""
    _check_shapes(X, W, H)
    if beta == 2:  # cheap form: W^T X / (W^T W H)
        H *= ratio(W.T @ X, (W.T @ W) @ H, beta)
    else:
        Y = np.maximum(W @ H, EPS)
        H *= ratio(W.T @ (X * Y ** (beta - 2)), W.T @ Y ** (beta - 1), beta)
    return H


def update_W(X, W, H, beta):
    """``W <- W * [((X * Y^(beta-2)) H^T) / (Y^(beta-1) H^T)]^gamma`` with ``Y = W H``, in place."""
    _check_shapes(X, W, H)
    if beta == 2:
        W *= ratio(X @ H.T, W @ (H @ H.T), beta)
    else:
        Y = np.maximum(W @ H, EPS)
        W *= ratio((X * Y ** (beta - 2)) @ H.T, Y ** (beta - 1) @ H.T, beta)
    return W


def inner_updates(F, num, gram, n_inner, delta, left):
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


def frobenius_loss(sq_norm_X, H, WtX, WtW):
    """``0.5 ||X - W H||^2 = 0.5 ||X||^2 - <H, W^T X> + 0.5 <W^T W, H H^T>``, from products already at hand."""
    return max(0.5 * sq_norm_X - float(np.sum(H * WtX)) + 0.5 * float(np.sum(WtW * (H @ H.T))), 0.0)


def inner_counts(shape, k, acceleration):
    """Updates of ``W`` and of ``H`` per iteration: ``floor(1 + alpha rho)`` (Gillis and Glineur, 2012).

    ``rho`` is the cost of the products an update of a factor needs once
    (``X H^T``: ``m n k`` flops) over the cost of one more update with them
    (``m k^2``), so extra updates cost a fraction of the first.
    """
    m, n = shape
    rho_W = 1 + (m * n + n * k) / (m * (k + 1))
    rho_H = 1 + (m * n + m * k) / (n * (k + 1))
    return int(1 + acceleration * rho_W), int(1 + acceleration * rho_H)
