"""Image grids with one colour scale, shared by every chapter.

A gallery of faces, eigenfaces or video frames is only comparable when all its
panels use the same mapping from values to colours; these helpers make that the
default.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

from ._validation import check_matrix


def _as_stack(images):
    """Return a list of validated float images, each (H, W) or (H, W, 3).

    An ndarray is one image when it is 2-D or (H, W, 3), otherwise a stack
    along its first axis; any other sequence is a list of images.
    """
    if isinstance(images, np.ndarray):
        single = images.ndim == 2 or (images.ndim == 3 and images.shape[-1] == 3)
        images = [images] if single else list(images)
    if len(images) == 0:
        raise ValueError("images is empty; pass at least one image.")
    return [check_matrix(im, f"images[{i}]", ndim=(2, 3), dtype=np.float64)
            for i, im in enumerate(images)]


def value_range(images, vmin=None, vmax=None, symmetric=False):
    """Return the shared ``(vmin, vmax)`` of a collection of images.

    Parameters
    ----------
    images : sequence of ndarray
        The images that will share one colour scale.
    vmin, vmax : float, optional
        Fixed limits; the missing ones are taken from the data.
    symmetric : bool
        Centre the range at zero, ``(-a, a)`` with ``a = max |x|`` (for signed
        images such as eigenfaces).

    Returns
    -------
    (float, float)
    """
    stack = _as_stack(images)
    if symmetric:
        a = max(float(np.abs(im).max()) for im in stack) if vmax is None else abs(vmax)
        a = a or 1.0
        return -a, a
    lo = min(float(im.min()) for im in stack) if vmin is None else float(vmin)
    hi = max(float(im.max()) for im in stack) if vmax is None else float(vmax)
    if hi <= lo:  # a constant image still needs a non-empty range
        hi = lo + 1.0
    return lo, hi


def to_uint8(img, vmin=None, vmax=None):
    """Map an image to ``uint8`` with ``vmin -> 0`` and ``vmax -> 255`` (clipped).

    Parameters
    ----------
    img : array-like, shape (H, W) or (H, W, 3)
    vmin, vmax : float, optional
        Defaults: ``0`` and ``1`` for floating images already in ``[0, 1]``,
        otherwise the image's own minimum and maximum.

    Returns
    -------
    ndarray of uint8

    Examples
    --------
    >>> to_uint8(np.array([[0.0, 0.5, 1.0]]))
    array([[  0, 128, 255]], dtype=uint8)
    """
    arr = np.asarray(img)
    if arr.dtype == np.uint8 and vmin is None and vmax is None:
        return arr
    arr = check_matrix(arr, "img", ndim=(2, 3), dtype=np.float32)
    if vmin is None and vmax is None and arr.min() >= 0 and arr.max() <= 1:
        vmin, vmax = 0.0, 1.0
    lo, hi = value_range([arr], vmin, vmax)
    scaled = (arr - lo) * (255.0 / (hi - lo))
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def tile(images, ncols=None, pad=2, vmin=None, vmax=None, fill=255):
    """Lay images out in one ``uint8`` array, all on the same value scale.

    Parameters
    ----------
    images : sequence of ndarray
        Images of one shape, each (H, W) or (H, W, 3).
    ncols : int, optional
        Columns of the grid; default ``ceil(sqrt(n))``.
    pad : int
        Pixels between images.
    vmin, vmax : float, optional
        Shared value range (default: the range of all images together, or
        ``[0, 1]`` when all images lie in it).
    fill : int
        Grey level of the padding.

    Returns
    -------
    ndarray of uint8, shape (rows*(H+pad)-pad, ncols*(W+pad)-pad[, 3])
    """
    stack = _as_stack(images)
    shapes = {im.shape for im in stack}
    if len(shapes) != 1:
        raise ValueError(f"tile needs images of one shape, got {sorted(shapes)}; resize them first.")
    n = len(stack)
    ncols = min(n, ncols or math.ceil(math.sqrt(n)))
    nrows = math.ceil(n / ncols)
    if vmin is None and vmax is None and all(im.min() >= 0 and im.max() <= 1 for im in stack):
        vmin, vmax = 0.0, 1.0
    lo, hi = value_range(stack, vmin, vmax)
    h, w = stack[0].shape[:2]
    extra = stack[0].shape[2:]
    out = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad) + extra, fill, np.uint8)
    for i, im in enumerate(stack):
        r, c = divmod(i, ncols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = to_uint8(im, lo, hi)
    return out


def image_grid(images, *, ncols=None, titles=None, cmap="gray", vmin=None, vmax=None,
               symmetric=False, size=1.6, suptitle=None, colorbar=False):
    """Show images in a grid with one shared colour scale.

    Parameters
    ----------
    images : sequence of ndarray or ndarray of shape (n, H, W)
        The images; each (H, W) (shown with ``cmap``) or (H, W, 3) RGB.
    ncols : int, optional
        Columns; default ``min(n, 6)``.
    titles : sequence of str, optional
        One title per image.
    cmap : str
        Colormap for single-channel images; ``symmetric=True`` switches a
        ``"gray"`` default to the diverging ``"RdBu_r"``.
    vmin, vmax : float, optional
        Shared limits; default from all images together.
    symmetric : bool
        Centre the scale at zero (signed images such as eigenfaces).
    size : float
        Inches per panel.
    suptitle : str, optional
        Title of the whole figure.
    colorbar : bool
        Add one colour bar for the shared scale.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = image_grid(np.random.default_rng(0).random((4, 8, 8)), titles=list("abcd"))
    >>> len(fig.axes)
    4
    """
    stack = _as_stack(images)
    if titles is not None and len(titles) != len(stack):
        raise ValueError(f"got {len(titles)} titles for {len(stack)} images; pass one per image.")
    lo, hi = value_range(stack, vmin, vmax, symmetric)
    if symmetric and cmap == "gray":
        cmap = "RdBu_r"
    n = len(stack)
    ncols = min(n, ncols or 6)
    nrows = math.ceil(n / ncols)
    h, w = stack[0].shape[:2]
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * h / w + 0.3 * bool(suptitle)),
                             squeeze=False, layout="constrained")
    shown = None
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        im = stack[i]
        if im.ndim == 3:  # RGB: scale to [0, 1] with the shared range
            shown = ax.imshow(np.clip((im - lo) / (hi - lo), 0, 1))
        else:
            shown = ax.imshow(im, cmap=cmap, vmin=lo, vmax=hi)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    if colorbar and shown is not None:
        fig.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8)
    return fig
