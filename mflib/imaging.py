"""Image conversion in one place: value ranges, 8-bit mapping, luminance, encoding.

Imported by the plotting, slider and file helpers; it needs neither matplotlib
nor a display, so importing :mod:`mflib.sliders` stays light.
"""

import cv2
import numpy as np

from ._validation import check_int, check_matrix, check_number

FORMATS = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}


def as_images(images):
    """Return a list of validated float images, each (H, W) or (H, W, 3).

    An ndarray is one image when it is 2-D or (H, W, 3), otherwise a stack
    along its first axis; any other sequence is a list of images.
    """
    if isinstance(images, np.ndarray):
        single = images.ndim == 2 or (images.ndim == 3 and images.shape[-1] == 3)
        images = [images] if single else list(images)
    if len(images) == 0:
        raise ValueError("images is empty; pass at least one image.")
    return [check_image(im, f"images[{i}]", dtype=np.float64) for i, im in enumerate(images)]


def check_image(img, name="img", dtype=np.float64):
    """``img`` as a finite (H, W) or (H, W, 3) array, or a clear error (an alpha channel is refused, not dropped)."""
    arr = check_matrix(img, name, ndim=(2, 3), dtype=dtype)
    if arr.ndim == 3 and arr.shape[2] != 3:
        if arr.shape[2] == 4:
            raise ValueError(f"{name} has an alpha channel (shape {arr.shape}); composite it onto a background "
                             "first, e.g. rgb = img[..., :3] * a + (1 - a) with a = img[..., 3:] (for [0, 1] "
                             "floats; mflib.io.load_image does this for files).")
        raise ValueError(f"{name} has shape {arr.shape}; pass a grayscale (H, W) or RGB (H, W, 3) image.")
    return arr


def default_range(images):
    """``(0, 1)`` when every image lies in [0, 1] (the course's convention), else the data's own range."""
    if all(np.min(im) >= 0 and np.max(im) <= 1 for im in images):
        return 0.0, 1.0
    return value_range(images)


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
    stack = as_images(images)
    if symmetric:
        a = max(float(np.abs(im).max()) for im in stack) if vmax is None else abs(check_number(vmax, "vmax"))
        a = a or 1.0
        return -a, a
    lo = min(float(im.min()) for im in stack) if vmin is None else check_number(vmin, "vmin")
    hi = max(float(im.max()) for im in stack) if vmax is None else check_number(vmax, "vmax")
    if vmin is not None and vmax is not None and hi <= lo:
        raise ValueError(f"vmin={vmin!r} must be below vmax={vmax!r}.")
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
        return check_image(arr, "img", dtype=np.uint8)
    arr = check_image(arr, "img", dtype=np.float32)
    lo, hi = default_range([arr]) if vmin is None and vmax is None else value_range([arr], vmin, vmax)
    scaled = (arr - lo) * (255.0 / (hi - lo))
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def encode_image(img, fmt="png", quality=85):
    """Encode an image as PNG, JPEG or WebP bytes.

    Parameters
    ----------
    img : ndarray, shape (H, W) or (H, W, 3)
        Grayscale or RGB; ``uint8``, or floats in ``[0, 1]``.
    fmt : {"png", "jpeg", "webp"}
    quality : int
        1..100, for the lossy formats.

    Returns
    -------
    bytes
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt={fmt!r} is not supported; use one of {sorted(FORMATS)}.")
    arr = to_uint8(img)
    if arr.ndim == 3:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)  # OpenCV writes BGR
    quality = check_int(quality, "quality", 1, 100)
    params = {"jpeg": [cv2.IMWRITE_JPEG_QUALITY, quality],
              "webp": [cv2.IMWRITE_WEBP_QUALITY, quality],
              "png": [cv2.IMWRITE_PNG_COMPRESSION, 6]}[fmt]
    ok, buf = cv2.imencode(FORMATS[fmt], np.ascontiguousarray(arr), params)
    if not ok:
        raise RuntimeError(f"OpenCV could not encode a {arr.shape} image as {fmt}.")
    return buf.tobytes()


def to_gray(rgb):
    """Luminance of an RGB image (ITU-R BT.601 weights, as OpenCV and PIL use)."""
    rgb = check_image(rgb, "rgb")
    if rgb.ndim != 3:
        raise ValueError(f"to_gray needs an (H, W, 3) RGB image, got shape {rgb.shape}.")
    return rgb @ np.array([0.299, 0.587, 0.114])
