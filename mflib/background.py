"""The per-pixel background model: a low-rank background learned by robust PCA, and its noise model.

A video of ``n`` frames is an ``n x P`` matrix, one frame per row (see
:mod:`mflib.layout`). A static background is (nearly) the same row repeated --
low rank -- and moving objects are sparse: robust PCA separates them.

1. **Temporal structure** -- :class:`~mflib.rpca.RobustPCA` on a subsample: about
   80 evenly spaced frames, and at most 8,192 random pixel values of each. Its
   low-rank part gives the background's coefficients over time; its rank is the
   number of singular values above the noise edge ``sigma (sqrt(m) + sqrt(n))``
   (a Marchenko-Pastur bound), at most 9 (Basri and Jacobs 2003: the images of a
   convex Lambertian object under distant lighting are approximated by a 9-dimensional
   subspace; here only a bound on the work per frame).
2. **Full-resolution background** -- every pixel's loadings on those
   coefficients, fitted robustly over the sampled frames: the first as the
   half-sample mode of the brightness-normalized values (the densest cluster,
   so queued traffic covering most of the frames does not become background),
   then least squares with outliers skipped; and every pixel's noise scale,
   started from the closest tenth of its deviations (correct while the
   background shows in a tenth of the frames) and reweighted (see
   :mod:`mflib.robust`). In colour the chromaticity scale is floored at the
   typical brightness scale: sensor noise is the same in every colour
   direction, and JPEG's coarse chroma must not make a pixel look quieter.
3. **Every frame's background** -- its coefficients are fitted on the pixel
   subsample, skipping pixels more than 3 noise scales off, so moving objects do
   not pull the fit.
4. **Threshold** -- grayscale: foreground where ``|residual| > 5`` noise
   scales. Colour: the residual is split along the background's colour (a
   brightness change) and across it (a chromaticity change, Horprasert et al.
   1999), each in units of its own noise scale; foreground where their squared
   sum exceeds the chi-square(3) quantile with the tail of 5 sigmas. An optional
   shadow rule (``shadow_ratio``) calls "darker, same chromaticity" a shadow.

:mod:`mflib.video` runs this model over whole clips in bounded memory.
"""

import math
from dataclasses import dataclass

import numpy as np

from ._threads import one_blas_thread
from ._validation import check_frames, check_int, check_number, check_positive_int
from .layout import frames_to_matrix
from .robust import deviation_scale, half_sample_mode, reweighted_scale
from .rpca import RobustPCA

MAD_TO_SIGMA = 1.4826          # median absolute deviation -> standard deviation (Gaussian noise)
COVERAGE = 0.1                 # the start scale needs the background in a tenth of the sampled frames
CUT = 3.0                      # values beyond 3 noise scales are skipped (fits) or left out (scales)
ROUNDING = 1 / (255 * math.sqrt(12))   # noise of rounding to 8 bits: no start scale is below it
MAX_ROWS = 8192                # pixel values robust PCA sees per sampled frame
MAX_RANK = 9                   # Basri-Jacobs: 9 harmonics approximate a convex Lambertian object's images
WORK_BYTES = 2 ** 28           # working budget for one chunk's float32 arrays (256 MB)


def _temporal_basis(sample, lam, max_rank, random_state):
    """Robust PCA on a row subsample of the sampled frames: (coefficients (ns, r), rows)."""
    flat = sample.reshape(len(sample), -1)
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(flat.shape[1], min(flat.shape[1], MAX_ROWS), replace=False))
    Xs = frames_to_matrix(np.ascontiguousarray(flat[:, rows]))         # the row sample only: bounded memory
    if not Xs.any():          # a black clip: the background is constant (robust PCA has nothing to decompose)
        return np.ones((len(sample), 1), np.float32)
    with one_blas_thread():
        L = RobustPCA(lam=lam, tol=1e-4, max_iter=500, random_state=random_state).fit(Xs).low_rank_
        U, s, Vt = np.linalg.svd(L, full_matrices=False)
    # rank: singular values above the largest one pure noise of this size would give
    sigma = MAD_TO_SIGMA * float(np.median(np.abs(Xs - np.outer(U[:, 0] * s[0], Vt[0]))))
    edge = sigma * (math.sqrt(Xs.shape[0]) + math.sqrt(Xs.shape[1]))
    rank = int(np.clip(np.sum(s > edge), 1, max_rank))
    A = U[:, :rank] * s[:rank]
    if A[:, 0].sum() < 0:
        A[:, 0] *= -1
    return A.astype(np.float32)


def _robust_fit(Z, A, tau=None, n_refine=2, relative=False, coverage=COVERAGE):
    """Robust ``Z ~ u @ A.T`` for every row of Z (p, n) float32: returns (u (p, r), residual).

    Start: the first coefficient as the half-sample mode of the ratios (the
    densest cluster: most of a pixel's sampled values may be moving objects), or with
    ``relative`` (a frame's coefficients from thousands of pixels, a few per
    cent of them moving) plain least squares, which also starts the other
    components. Then least squares with every entry more than 3 noise scales
    off the current fit replaced by the fit itself -- a skipped mean. The noise
    scale is the reweighted low-coverage scale of the starting residual per row; with ``relative``,
    ``tau`` gives each column's scale and that MAD (in those units, never below
    1) rescales it, so a poor start does not freeze the fit.
    """
    At, pinv = A.T.astype(np.float32), np.linalg.pinv(A).T.astype(np.float32)
    if relative:            # many values, few outliers: least squares is a fair start
        u = Z @ pinv
        R = Z - u @ At
    else:                   # few values, most may be outliers: the mode of the ratios
        a0 = A[:, 0]
        a0 = np.where(np.abs(a0) > 1e-12, a0, 1e-12).astype(np.float32)
        u = np.zeros((Z.shape[0], A.shape[1]), np.float32)
        u[:, 0] = half_sample_mode(Z / a0)
        R = Z - u[:, :1] * a0
    if relative:
        spread = MAD_TO_SIGMA * np.median(np.abs(R) / tau, axis=1, keepdims=True)
        tau = np.float32(3) * tau * np.maximum(spread, 1)
    else:
        tau = np.float32(CUT) * _scale(R, coverage)[:, None]
    for _ in range(n_refine):
        fit = u @ At
        u = np.where(np.abs(Z - fit) > tau, fit, Z) @ pinv
    return u, Z - u @ At


def _scale(R, coverage=COVERAGE):
    """Noise scale of each row of residuals R (p, n): low-coverage start, then reweighted."""
    start = np.maximum(deviation_scale(np.abs(R), coverage), np.float32(ROUNDING))
    return reweighted_scale(R * R, start, 1, CUT)


def _chroma_scale(across2, coverage=COVERAGE):
    """Noise scale per component of 2-D residuals from their squared norms (p, n): Rayleigh start, reweighted."""
    k = max(1, math.ceil(coverage * across2.shape[1])) - 1
    start = np.sqrt(np.partition(across2, k, axis=1)[:, k]) / np.float32(math.sqrt(-2 * math.log1p(-coverage)))
    start = np.maximum(start, np.float32(ROUNDING))
    return reweighted_scale(across2, start, 2, CUT)


def tail_quantile(threshold, dof):
    """The chi-square(dof) quantile with the two-sided Gaussian tail of ``threshold`` sigmas."""
    threshold = check_number(threshold, "threshold", 0, low_open=True)
    dof = check_int(dof, "dof", 1)
    if dof == 1:
        return float(threshold) ** 2
    from scipy.stats import chi2
    return float(chi2.isf(math.erfc(threshold / math.sqrt(2)), dof))


def _triplet_sum(V):
    """Sum over the colour channels of rows laid out as r, g, b, r, g, b, ..."""
    out = V[:, 0::3] + V[:, 1::3]
    out += V[:, 2::3]
    return out


@dataclass
class BackgroundModel:
    """A low-rank background learned from sampled frames, and its noise model.

    Attributes
    ----------
    basis : ndarray (rank, P) float32
        Loadings of each pixel value (P = H*W or H*W*3) on the temporal coefficients.
    frame_shape : tuple
        (H, W) or (H, W, 3).
    scale : ndarray (P,) float32
        Noise scale of each pixel value (of the sampled residual, see :mod:`mflib.robust`), floored at the median.
    brightness_scale, chroma_scale : ndarray (H*W,) float32 or None
        Colour only: noise scales of the residual along and across the background's colour.
    direction : ndarray (H*W*3,) float32 or None
        Colour only: the unit colour vector of each pixel's background (r, g, b, r, g, b, ...).
    level : ndarray (rank, H*W) float32 or None
        Colour only: the basis projected on ``direction`` (background brightness = coefficients @ level).
    rows : ndarray of int
        The pixel values on which each frame's coefficients are fitted.
    """
    basis: np.ndarray
    frame_shape: tuple
    scale: np.ndarray
    brightness_scale: np.ndarray | None
    chroma_scale: np.ndarray | None
    direction: np.ndarray | None
    level: np.ndarray | None
    rows: np.ndarray

    @property
    def rank(self):
        return self.basis.shape[0]

    @property
    def colour(self):
        return len(self.frame_shape) == 3

    def coefficients(self, X):
        """Each row's coefficients, fitted robustly on the pixel values ``rows`` only."""
        Z, A, sigma = X[:, self.rows], self.basis[:, self.rows].T, self.scale[self.rows]
        return _robust_fit(Z, A, tau=sigma, n_refine=3, relative=True)[0]

    def background(self, frames):
        """The background of each frame, float32 in [0, 1] units, shape of ``frames``."""
        arr = check_frames(frames, min_frames=1)
        if arr.shape[1:] != self.frame_shape:
            raise ValueError(f"frames of shape {arr.shape[1:]} do not match the model's {self.frame_shape}.")
        X = frames_to_matrix(arr)
        return (self.coefficients(X) @ self.basis).reshape(arr.shape)

    def _residual(self, frames):
        arr = check_frames(frames, min_frames=1)
        if arr.shape[1:] != self.frame_shape:
            raise ValueError(f"frames of shape {arr.shape[1:]} do not match the model's {self.frame_shape}.")
        k, X = len(arr), arr.reshape(len(arr), -1).astype(np.float32)
        unit = np.float32(255 if arr.dtype == np.uint8 else 1)      # uint8 stays in 0..255: one pass less
        C = self.coefficients(X / unit if unit != 1 else X) * unit
        if not self.colour:
            R = np.subtract(X, C @ self.basis, out=X)
            R /= self.scale * unit
            return k, R * R, C, None, None, unit
        # With the background's colour fixed per pixel (unit vector d), no background image is needed:
        # brightness change = x.d - level, chromaticity change^2 = |x|^2 - (x.d)^2.
        xd = _triplet_sum(X * self.direction)
        X *= X
        across2 = _triplet_sum(X)
        across2 -= xd * xd
        along = np.subtract(xd, C @ self.level, out=xd)
        # Gaussian noise model: along/sigma_b ~ N(0, 1), across/sigma_c ~ 2-D N(0, I), so their squared
        # sum is chi-square with 3 degrees of freedom.
        d2 = np.square(along / (self.brightness_scale * unit))
        d2 += across2 / np.square(self.chroma_scale * unit)
        return k, d2, C, along, across2, unit

    @property
    def dof(self):
        """Degrees of freedom of the squared distance: 1 (grayscale) or 3 (colour)."""
        return 3 if self.colour else 1

    def distance2(self, frames):
        """Squared distance of each pixel from its background in noise units: chi-square(dof) under noise."""
        k, d2 = self._residual(frames)[:2]
        return d2.reshape(k, *self.frame_shape[:2])

    def detect(self, frames, threshold=5.0, shadow_ratio=1.0):
        """Raw foreground (no clean-up) of a chunk of frames: bool (k, H, W).

        Foreground where :meth:`distance2` exceeds the chi-square(dof) quantile with the
        two-sided Gaussian tail of ``threshold`` sigmas (``threshold**2`` in grayscale).
        """
        k, d2, C, along, across2, unit = self._residual(frames)
        fg = d2 > np.float32(tail_quantile(threshold, self.dof))
        if self.colour and shadow_ratio < 1:   # darker by at most 1/shadow_ratio, same chroma: a shadow
            level = C @ self.level
            shadow = (along < 0) & (level + along >= np.float32(shadow_ratio) * level)
            shadow &= across2 <= np.square(self.chroma_scale * unit) * np.float32(tail_quantile(threshold, 2))
            fg &= ~shadow
        return fg.reshape(k, *self.frame_shape[:2])


def learn_background(sample, *, lam=None, max_rank=MAX_RANK, coverage=COVERAGE, random_state=0):
    """Learn a :class:`BackgroundModel` from sampled frames (n, H, W) or (n, H, W, 3).

    Parameters
    ----------
    sample : array
        Frames spread over the clip (e.g. 80 evenly spaced), uint8 or float in [0, 1].
    lam : float, optional
        Sparsity weight of robust PCA (default ``1/sqrt(number of pixel values it sees)``).
    max_rank : int
        Upper bound on the background's rank (bounds the work per frame).
    coverage : float in (0, 1)
        Share of a pixel's closest deviations its starting noise scale is read from
        (:func:`mflib.robust.deviation_scale`): the scale survives as long as the
        background shows in at least this share of the sampled frames.
    random_state : int
        Seed of the pixel subsample and of the randomized SVDs.

    Returns
    -------
    BackgroundModel
    """
    arr = check_frames(sample, "sample")
    max_rank = check_positive_int(max_rank, "max_rank")
    coverage = check_number(coverage, "coverage", 0, 1, low_open=True)
    A = _temporal_basis(arr, lam, max_rank, random_state)
    n, P = len(arr), math.prod(arr.shape[1:])
    colour = arr.ndim == 4
    basis, scale = np.empty((A.shape[1], P), np.float32), np.empty(P, np.float32)
    brightness, chroma, direction = (np.empty(P // 3, np.float32), np.empty(P // 3, np.float32),
                                     np.empty(P, np.float32)) if colour else (None, None, None)
    flat = arr.reshape(n, P)
    block = max(3, (WORK_BYTES // (16 * n * 4)) // 3 * 3)                 # pixel values per block
    for a in range(0, P, block):
        Z = frames_to_matrix(flat[:, a:a + block].T)
        u, R = _robust_fit(Z, A, coverage=coverage)
        basis[:, a:a + block] = u.T
        scale[a:a + block] = _scale(R, coverage)
        if colour:      # residual along the background's colour (brightness) and across it (chroma)
            p = slice(a // 3, (a + len(u)) // 3)
            d = u[:, 0].reshape(-1, 3)
            d = (d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-6)).ravel()
            along = _triplet_sum(R.T * d)
            xd, Zt = _triplet_sum(Z.T * d), Z.T               # as `detect` measures it: from x alone
            across2 = np.maximum(_triplet_sum(Zt * Zt) - xd * xd, 0)
            direction[a:a + block], brightness[p] = d, _scale(np.ascontiguousarray(along.T), coverage)
            chroma[p] = _chroma_scale(np.ascontiguousarray(across2.T), coverage)
    # a pixel that never changed in the sample would get a zero scale: floor at the typical pixel's
    floor = lambda s: np.maximum(s, max(float(np.median(s)), 1e-4)).astype(np.float32)  # noqa: E731
    rows = np.sort(np.random.default_rng(random_state).choice(P, min(P, MAX_ROWS), replace=False))
    if colour:       # sensor noise is isotropic: no colour direction is quieter than the typical brightness
        brightness = floor(brightness)
        chroma = np.maximum(floor(chroma), float(np.median(brightness))).astype(np.float32)
        level = _triplet_sum(basis * direction)
    else:
        level = None
    return BackgroundModel(basis, arr.shape[1:], floor(scale), brightness, chroma, direction, level, rows)
