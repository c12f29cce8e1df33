"""Image grids with one colour scale, shared by every chapter.

A gallery of faces, eigenfaces or video frames is only comparable when all its
panels use the same mapping from values to colours; these helpers make that the
default.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

from ._validation import check_int, check_number
from .imaging import as_images, default_range, to_uint8, value_range


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
    stack = as_images(images)
    pad, fill = check_int(pad, "pad", 0), check_int(fill, "fill", 0, 255)
    ncols = None if ncols is None else check_int(ncols, "ncols", 1)
    shapes = {im.shape for im in stack}
    if len(shapes) != 1:
        raise ValueError(f"tile needs images of one shape, got {sorted(shapes)}; resize them first.")
    n = len(stack)
    ncols = min(n, ncols or math.ceil(math.sqrt(n)))
    nrows = math.ceil(n / ncols)
    lo, hi = default_range(stack) if vmin is None and vmax is None else value_range(stack, vmin, vmax)
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
    stack = as_images(images)
    if titles is not None and len(titles) != len(stack):
        raise ValueError(f"got {len(titles)} titles for {len(stack)} images; pass one per image.")
    lo, hi = value_range(stack, vmin, vmax, symmetric)
    ncols = None if ncols is None else check_int(ncols, "ncols", 1)
    size = check_number(size, "size", 0, low_open=True)
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
