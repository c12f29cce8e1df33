"""The kernels of :class:`~mflib.recommend.MatrixFactorization`: batched ridge regressions, BPMF Gibbs steps.

Every user's (or item's) small problem is solved at once: the Gram matrices of
all rows are one sparse product of the rating pattern with the outer products
of the other side's factors.
"""

import numpy as np
import scipy.sparse as sp

JITTER = 1e-9  # added to every ridge, so reg=0 stays solvable for a user with few ratings


def rowdot(P, Q, rows, cols, block=4096):
    """``P[rows[n]] . Q[cols[n]]`` for every n, in blocks that stay in cache (several times faster than at once)."""
    out, ones = np.empty(len(rows)), np.ones(P.shape[1])
    for start in range(0, len(rows), block):
        prod = np.take(P, rows[start:start + block], axis=0)     # np.take: faster than fancy indexing
        prod *= np.take(Q, cols[start:start + block], axis=0)
        np.matmul(prod, ones, out=out[start:start + block])      # a row sum, as a BLAS product
    return out


def csr_pattern(rows, cols, n_rows, n_cols):
    """A CSR matrix with the pattern of (rows, cols), given sorted by row; data filled later."""
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))])
    return sp.csr_array((np.ones(len(rows)), cols, indptr), shape=(n_rows, n_cols))


def grams(targets, Xc, weights=None):
    """``sum_c w_c x_c x_c^T`` over the columns ``c`` of each row of the sparse ``targets``, shape (n, k1, k1).

    One sparse product of the rating pattern (or of the ``weights``, one per
    stored entry; default 1) with the upper triangles of the outer products
    ``x_c x_c^T``, then mirrored.
    """
    k1 = Xc.shape[1]
    iu, ju = np.triu_indices(k1)
    sym = np.zeros((k1, k1), dtype=np.intp)       # entry (a, b) of x x^T is upper-triangle column sym[a, b]
    sym[iu, ju] = sym[ju, iu] = np.arange(len(iu))
    w = np.ones_like(targets.data) if weights is None else weights
    pattern = sp.csr_array((w, targets.indices, targets.indptr), shape=targets.shape)
    upper = pattern @ (np.take(Xc, iu, axis=1) * np.take(Xc, ju, axis=1))   # (n, k1 (k1 + 1) / 2)
    return np.take(upper, sym.ravel(), axis=1).reshape(-1, k1, k1)


def ridge_all(targets, F, reg, bias_reg=None):
    """Solve every row's ridge regression of its targets on ``[1, F[col]]`` at once.

    ``targets`` is a sparse matrix (a user, say, per row) holding ``t_rc`` for
    the columns ``c`` (items) the row rated. For each row ``r`` with ``n_r``
    entries: ``theta_r = argmin sum_c (t_rc - [1, f_c] . theta)^2 + bias_reg theta_0^2
    + reg n_r |theta_1:|^2``, i.e. ``(sum_c x_c x_c^T + D_r) theta_r = sum_c t_rc x_c``
    with ``x_c = [1, f_c]`` and ``D_r = diag(bias_reg, reg n_r, ..., reg n_r)``
    (``bias_reg=None``: ``reg n_r`` for the bias too). The Gram matrices of all
    rows are one sparse product of the rating pattern with the (upper
    triangles of the) ``x_c x_c^T``.

    Returns the bias (first entry of theta) and the factors (the rest) per row.
    """
    n, k1 = targets.shape[0], F.shape[1] + 1
    Xc = np.hstack([np.ones((len(F), 1)), F])
    n_r = np.diff(targets.indptr)
    ridge = np.repeat((reg * n_r + JITTER)[:, None], k1, axis=1)           # D_r, one row per row r
    if bias_reg is not None:
        ridge[:, 0] = bias_reg + JITTER
    gram = grams(targets, Xc).reshape(n, k1 * k1)
    gram[:, ::k1 + 1] += ridge                                               # the ridge on the diagonal
    gram = gram.reshape(n, k1, k1)
    rhs = targets @ Xc
    theta = np.linalg.solve(gram, rhs[..., None])[..., 0]
    # squared error of the fit, without a pass over the ratings: |t|^2 - 2 theta.rhs + theta^T G theta,
    # where G theta = rhs - D theta
    sse = float(np.sum(targets.data ** 2) - np.sum(theta * rhs) - np.sum(ridge * theta * theta))
    return theta[:, 0].copy(), theta[:, 1:].copy(), sse


def sample_prior(theta, rng):
    """Draw ``(mean, precision)`` of the rows' Gaussian prior from its Gaussian-Wishart posterior.

    Salakhutdinov and Mnih (2008), eq. 14, with their hyperprior: ``mu_0 = 0``,
    ``beta_0 = 2``, ``nu_0 = d`` degrees of freedom and scale ``W_0 = I``.
    """
    n, d = theta.shape
    beta0, nu0 = 2.0, d
    mean = theta.mean(axis=0)
    dev = theta - mean
    w_inv = np.eye(d) + dev.T @ dev + (beta0 * n / (beta0 + n)) * np.outer(mean, mean)
    chol_w = np.linalg.cholesky(np.linalg.inv(w_inv))
    # Bartlett: W^(1/2) A A^T W^(1/2) is Wishart(W, nu) for A lower triangular, chi on the diagonal, normal below
    a = np.tril(rng.normal(size=(d, d)), -1)
    a[np.diag_indices(d)] = np.sqrt(rng.chisquare(nu0 + n - np.arange(d)))
    factor = chol_w @ a
    precision = factor @ factor.T
    # mu ~ N(n mean / (beta0 + n), ((beta0 + n) precision)^-1)
    chol_p = np.linalg.cholesky((beta0 + n) * precision)
    mu = n * mean / (beta0 + n) + np.linalg.solve(chol_p.T, rng.normal(size=d))
    return mu, precision


def sample_rows(targets, F, theta, alpha, rng, with_sse=True):
    """Gibbs step of BPMF for one side: draw every row's ``[bias, factors]`` given the other side's ``F``.

    First the prior's mean ``mu`` and precision ``Lambda`` are drawn given the
    current rows ``theta`` (:func:`sample_prior`). Then row ``r`` (a user, say) has
    the Gaussian posterior with precision ``G_r = Lambda + sum_c a_rc x_c x_c^T``
    and mean ``G_r^-1 (sum_c a_rc t_rc x_c + Lambda mu)``, ``x_c = [1, f_c]``,
    where ``a_rc`` is the noise precision of rating ``(r, c)``: ``alpha``, a
    scalar or one value per stored entry of ``targets``. Rather than a Cholesky
    factor per row, the draw solves
    ``G_r theta_r = sum_c a_rc (t_rc + e_rc) x_c + Lambda mu + C z`` with
    ``e_rc ~ N(0, 1/a_rc)`` per rating, ``z ~ N(0, I)`` and ``C C^T = Lambda``:
    the right side has mean ``G_r`` times the posterior mean and covariance
    ``G_r``, so ``theta_r`` has the posterior's mean and covariance ``G_r^-1``.

    ``rng`` is a NumPy ``Generator``. Returns the bias and factors per row, and the
    squared error of the draw on ``targets`` (None unless ``with_sse``).
    """
    k1 = F.shape[1] + 1
    Xc = np.hstack([np.ones((len(F), 1)), F])
    mu, precision = sample_prior(theta, rng)
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), targets.data.shape)
    gram = grams(targets, Xc, a)
    noisy = sp.csr_array((a * targets.data + np.sqrt(a) * rng.standard_normal(len(targets.data)), targets.indices,
                          targets.indptr), shape=targets.shape)             # shares the pattern: no copy
    prior = precision @ mu + rng.standard_normal((targets.shape[0], k1)) @ np.linalg.cholesky(precision).T
    gram += precision
    new = np.linalg.solve(gram, ((noisy @ Xc) + prior)[..., None])[..., 0]
    if not with_sse:
        return new[:, 0].copy(), new[:, 1:].copy(), None
    rows = np.repeat(np.arange(targets.shape[0]), np.diff(targets.indptr))
    err = targets.data - new[rows, 0] - rowdot(new[:, 1:], F, rows, targets.indices)
    return new[:, 0].copy(), new[:, 1:].copy(), float(err @ err)


def gibbs(users, items, y, mean, U, V, alpha, burn_in, n_draws, gen, noise="user-item", on_sweep=None):
    """BPMF's Gibbs sweeps from the rows ``U = [b_u, p_u]``, ``V = [b_i, q_i]`` and noise precision ``alpha``.

    Each sweep draws every user's row given the items (``sample_rows``), every
    item's row given the users, then the noise precisions given the residuals
    ``e_ui``. With ``noise="global"`` one precision ``alpha`` for every rating,
    Gamma(1, 1) a priori: its posterior is Gamma(1 + N/2, rate 1 + SSE/2). With
    ``noise="user-item"`` rating ``(u, i)`` has precision ``a_u c_i``, a scale per
    user and per item (Lakshminarayanan, Bouchard and Archambeau, 2011), each
    Gamma(1, 1) a priori: given the items' scales, ``a_u`` is
    Gamma(1 + n_u/2, rate 1 + sum_i c_i e_ui^2 / 2), and symmetrically for ``c_i``.
    The first ``burn_in`` sweeps are discarded. Returns the mean user and item
    biases over the ``n_draws`` kept sweeps, their factors (lists of arrays), the
    squared training error of every sweep, and the mean noise precision over the
    ratings in the last sweep. ``on_sweep(b_u, p_u, b_i, q_i)``, if given, sees
    every sweep's draw (burn-in included): to score a chain on validation ratings.
    """
    by_user = csr_pattern(users, items, len(U), len(V))
    to_item = np.argsort(items, kind="stable")
    by_item = csr_pattern(items[to_item], users[to_item], len(V), len(U))
    n_u, n_i = np.bincount(users, minlength=len(U)), np.bincount(items, minlength=len(V))
    scale_u, scale_i = np.full(len(U), float(alpha)), np.ones(len(V))    # start: alpha for every rating
    sums, draws_u, draws_i, sses = [np.zeros(len(U)), np.zeros(len(V))], [], [], []
    for sweep in range(burn_in + n_draws):
        item_scale = np.take(scale_i, items)
        a = np.take(scale_u, users) * item_scale                               # each rating's noise precision
        by_user.data = y - mean - np.take(V[:, 0], items)
        bu, pu, _ = sample_rows(by_user, V[:, 1:], U, a, gen, with_sse=False)
        U = np.column_stack([bu, pu])
        resid = y - mean - np.take(bu, users)                                  # the items' targets
        by_item.data = resid[to_item]
        bi, qi, _ = sample_rows(by_item, pu, V, a[to_item], gen, with_sse=False)
        V = np.column_stack([bi, qi])
        err2 = (resid - np.take(bi, items) - rowdot(pu, qi, users, items)) ** 2
        if noise == "global":
            scale_u[:] = gen.gamma(1 + len(y) / 2, 1 / (1 + err2.sum() / 2))
        else:
            scale_u = gen.gamma(1 + n_u / 2, 1 / (1 + np.bincount(users, err2 * item_scale, len(U)) / 2))
            scale_i = gen.gamma(1 + n_i / 2, 1 / (1 + np.bincount(items, err2 * np.take(scale_u, users), len(V)) / 2))
        sses.append(float(err2.sum()))
        if on_sweep is not None:
            on_sweep(bu, pu, bi, qi)
        if sweep >= burn_in:
            sums[0] += bu
            sums[1] += bi
            draws_u.append(pu)
            draws_i.append(qi)
    alpha = float(np.mean(np.take(scale_u, users) * np.take(scale_i, items)))
    return sums[0] / n_draws, sums[1] / n_draws, draws_u, draws_i, sses, alpha
