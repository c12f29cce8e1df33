"""How pictures and videos become matrices, documented once.

**Images.** A grayscale image (H, W) is its own matrix. An RGB image (H, W, 3)
is factored in one of three layouts:

- ``"channels"`` -- three H x W matrices, one per channel (three SVDs);
- ``"wide"`` -- one H x 3W matrix, the channels side by side (shared left
  singular vectors);
- ``"tall"`` -- one 3H x W matrix, the channels stacked (shared right singular
  vectors).

``"gray"`` names the grayscale case. :class:`mflib.svd.SVDCompressor` and the
every-k slider (:func:`mflib.sliders.lowrank_slider`) both use these names and
these two functions.

**Videos.** Frames are rows, everywhere in mflib: a clip of ``n`` frames is an
``n x P`` matrix with ``P = H*W`` (grayscale) or ``H*W*3`` (colour, values in
the order r, g, b, r, g, b, ...). Rows are samples in scikit-learn's sense, so
:class:`mflib.rpca.RobustPCA` learns the background from the rows and its
``transform`` takes new frames as rows.
"""

import math
from numbers import Integral

import numpy as np

LAYOUTS = ("gray", "channels", "wide", "tall")


def check_layout(layout):
    if layout not in LAYOUTS:
        raise ValueError(f"layout={layout!r} is unknown; use one of {list(LAYOUTS)}.")
    return layout


def image_to_matrices(image, layout="channels"):
    """The list of matrices ``image`` is factored as (one, or three for ``"channels"``).

    Examples
    --------
    >>> [M.shape for M in image_to_matrices(np.zeros((4, 5, 3)), "wide")]
    [(4, 15)]
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return [image]
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image has shape {image.shape}; pass a grayscale (H, W) or RGB (H, W, 3) image"
                         + (" -- drop an alpha channel with image[..., :3] (or composite it onto white first)."
                            if image.ndim == 3 and image.shape[2] == 4 else "."))
    check_layout(layout)
    channels = [np.ascontiguousarray(image[..., c]) for c in range(3)]
    if layout == "channels":
        return channels
    if layout == "gray":
        raise ValueError("layout='gray' is for 2-D images; an RGB image needs 'channels', 'wide' or 'tall'.")
    return [np.concatenate(channels, axis=1 if layout == "wide" else 0)]


def matrices_to_image(mats, layout):
    """Inverse of :func:`image_to_matrices`: the picture, (H, W) or (H, W, 3).

    Examples
    --------
    >>> matrices_to_image([np.zeros((4, 15))], "wide").shape
    (4, 5, 3)
    """
    check_layout(layout)
    if layout == "gray":
        return mats[0]
    if layout == "channels":
        return np.stack(mats, axis=2)
    axis = 1 if layout == "wide" else 0
    if mats[0].shape[axis] % 3:
        raise ValueError(f"a {layout!r} matrix holds three channels side by side, so its "
                         f"{'columns' if axis else 'rows'} must divide by 3; got shape {mats[0].shape}.")
    return np.stack(np.split(mats[0], 3, axis=axis), axis=2)


def frames_to_matrix(frames):
    """Frames (n, H, W) or (n, H, W, 3) as the rows of a float32 matrix (n x P), uint8 scaled to [0, 1].

    Examples
    --------
    >>> frames_to_matrix(np.zeros((5, 4, 3), np.uint8)).shape
    (5, 12)
    """
    arr = np.asarray(frames)
    if arr.ndim < 2 or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"frames must be a numeric array (n, H, W) or (n, H, W, 3) (or rows (n, P)), got "
                         f"dtype {arr.dtype} and shape {arr.shape}.")
    X = arr.reshape(len(arr), math.prod(arr.shape[1:])).astype(np.float32)   # also for n = 0
    if arr.dtype == np.uint8:
        X *= np.float32(1 / 255)
    return X


def matrix_to_frames(M, frame_shape):
    """Inverse of :func:`frames_to_matrix`: rows back to frames, shape ``(n, *frame_shape)``."""
    M = np.asarray(M)
    if np.ndim(frame_shape) != 1 or not all(isinstance(d, Integral) and d > 0 for d in frame_shape):
        raise ValueError(f"frame_shape must be a tuple of positive whole numbers, (H, W) or (H, W, 3); "
                         f"got {frame_shape!r}.")
    size = math.prod(frame_shape)
    if M.ndim != 2 or M.shape[1] != size:
        raise ValueError(f"M has shape {M.shape}; with frames of shape {tuple(frame_shape)} it needs {size} "
                         "columns (one frame per row).")
    return M.reshape(-1, *frame_shape)
