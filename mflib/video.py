"""Foreground masks of whole videos in bounded memory, with the background model of :mod:`mflib.background`.

:func:`foreground_masks` is the whole pipeline: learn a
:class:`~mflib.background.BackgroundModel` from about 80 evenly spaced frames,
then detect every frame's foreground chunk by chunk (the working arrays never
depend on the clip's length), and clean each mask with a 5 x 5 median filter
and a 5 x 5 closing. Frames are rows (see :mod:`mflib.layout`).
"""

import itertools
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from ._files import check_new_file, write_npy_blocks
from ._threads import one_blas_thread
from ._validation import check_frames, check_int, check_number, check_positive_int
from .background import WORK_BYTES, learn_background

# -- clean-up -------------------------------------------------------------------

def _clean(mask, median, close):
    m = mask.view(np.uint8) * np.uint8(255)
    if median:
        m = cv2.medianBlur(m, median)
    if close:
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close, close)))
    return m > 0


def _check_filters(median, close):
    for name, size in (("median", median), ("close", close)):
        size = check_int(size, name, 0)
        if size and (size < 3 or size % 2 == 0):
            raise ValueError(f"{name}={size}: use 0 (off) or an odd size >= 3.")


def clean_masks(masks, median=5, close=5):
    """Median filter then morphological closing of each boolean mask (n, H, W); 0 turns a step off."""
    _check_filters(median, close)
    arr = np.asarray(masks)
    if arr.ndim != 3 or not (arr.dtype == bool or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"masks must be a boolean array (n, H, W), one mask per frame; got dtype {arr.dtype} "
                         f"and shape {arr.shape} (one mask: masks[None]; thresholded values: values > t).")
    masks = np.ascontiguousarray(arr, dtype=bool)
    if not (median or close) or len(masks) == 0:
        return masks
    with ThreadPoolExecutor(max_workers=2) as pool:      # OpenCV releases the GIL
        return np.stack(list(pool.map(lambda m: _clean(m, median, close), masks)))


# -- sources: arrays, files, iterators ------------------------------------------

def frames_per_chunk(frame_values):
    """Frames per chunk so that about ten float32 working copies of ``frame_values`` values fit in WORK_BYTES."""
    return max(1, WORK_BYTES // (10 * 4 * frame_values))


def _sample_from_stream(make_chunks, n_sample):
    """Exactly the frames ``evenly_spaced(n, n_sample)`` of a re-readable stream: one pass to count, one to pick."""
    n = sum(len(chunk) for chunk in make_chunks())
    if n == 0:
        raise ValueError("the video holds no frame.")
    wanted, picked, index = set(evenly_spaced(n, n_sample).tolist()), [], 0
    for chunk in make_chunks():
        picked += [np.array(f) for i, f in enumerate(chunk, start=index) if i in wanted]
        index += len(chunk)
    return np.stack(picked)


def _check_chunk(chunk, shape):
    arr = check_frames(chunk, "a chunk of frames", min_frames=1)
    if shape is not None and arr.shape[1:] != shape:
        raise ValueError(f"frames change shape from {shape} to {arr.shape[1:]}; resize them to one shape.")
    return arr


def _first_frames(iterator, n):
    """Buffer chunks from a one-shot iterator until ``n`` frames: (list of chunks, iterator)."""
    pending, buffered = [], 0
    for item in iterator:
        pending.append(_check_chunk(_as_chunk(item), pending[0].shape[1:] if pending else None))
        buffered += len(pending[-1])
        if buffered >= n:
            break
    if not pending:
        raise ValueError("the frame iterator is empty.")
    return pending, iterator


def _as_chunk(item):
    """One frame (H, W) or (H, W, 3) becomes a chunk of one; a chunk stays as it is."""
    item = np.asarray(item)
    if item.ndim == 3 and item.shape[-1] == 4:
        # an RGBA frame would otherwise pass as a chunk of H grayscale frames four pixels wide
        raise ValueError(f"a frame of shape {item.shape} has 4 channels (RGBA?); drop the alpha channel with "
                         "frame[..., :3]. (A chunk of grayscale frames 4 pixels wide: pass frames one by one.)")
    return item[None] if item.ndim == 2 or (item.ndim == 3 and item.shape[-1] == 3) else item


def evenly_spaced(n, k):
    """``k`` evenly spaced frame indices of ``0 .. n - 1`` (fewer if ``n < k``), sorted and unique."""
    return np.unique(np.linspace(0, n - 1, min(n, k)).round().astype(int))


def _sample_iterator(iterator, n_sample):
    """About ``n_sample`` evenly spaced frames of a one-shot iterator of unknown length, in bounded memory.

    Keep every ``stride``-th frame; whenever ``2 * n_sample`` are kept, drop every other one and
    double the stride; at the end pick ``n_sample`` evenly spaced of those kept.
    """
    kept, stride, index, shape = [], 1, 0, None
    for item in iterator:
        chunk = _check_chunk(_as_chunk(item), shape)
        shape = chunk.shape[1:]
        for frame in chunk:
            if index % stride == 0:
                kept.append(np.array(frame))
                if len(kept) == 2 * n_sample:
                    kept, stride = kept[::2], 2 * stride
            index += 1
    if not kept:
        raise ValueError("background_frames is an empty iterator.")
    kept = np.stack(kept)
    return kept[evenly_spaced(len(kept), n_sample)]


def _learning_sample(frames, n_sample, grayscale):
    """The frames to learn the background from: evenly spaced frames of an array, a path or an iterator."""
    if isinstance(frames, (str, Path)):
        from .io import iter_video
        return _sample_from_stream(lambda: iter_video(frames, chunk_size=16, grayscale=grayscale), n_sample)
    if isinstance(frames, Iterator):
        return _sample_iterator(frames, n_sample)
    arr = check_frames(frames, "background_frames")
    return arr[evenly_spaced(len(arr), n_sample)]


def iter_foreground_masks(source, *, background_frames=None, threshold=5.0, shadow_ratio=1.0, median=5,
                          close=5, n_sample_frames=80, grayscale=False, chunk_size=None, lam=None,
                          random_state=0):
    """Foreground masks in chunks, in bounded memory: the generator behind :func:`foreground_masks`.

    ``source`` is an array, a video path (decoded three times, in a guarded
    child process: to count the frames, to pick the sample, for the masks) or an iterator of frames
    or of chunks of frames (one pass: without ``background_frames`` the background is learned from
    the first ``4 * n_sample_frames`` frames). Yields ``(model, masks)`` with ``masks``
    bool (k, H, W); parameters as in :func:`foreground_masks`.
    """
    _check_filters(median, close)
    check_number(threshold, "threshold", 0, low_open=True)          # in noise-scale units
    check_number(shadow_ratio, "shadow_ratio", 0, 1, low_open=True)   # 1 turns shadow removal off
    n_sample = check_positive_int(n_sample_frames, "n_sample_frames")
    chunk_size = None if chunk_size is None else check_positive_int(chunk_size, "chunk_size")
    checked, sample = False, None
    if background_frames is not None:      # learn first: a one-shot source is then read once, for the masks
        sample = _learning_sample(background_frames, n_sample, grayscale)
    if isinstance(source, (str, Path)):
        from .io import iter_video
        make = lambda: iter_video(source, chunk_size=16, grayscale=grayscale)  # noqa: E731
        sample, chunks = sample if sample is not None else _sample_from_stream(make, n_sample), make()
    elif not isinstance(source, Iterator):
        arr, checked = check_frames(source), True
        sample = sample if sample is not None else arr[evenly_spaced(len(arr), n_sample)]
        chunks = [arr]
    elif sample is not None:
        chunks = source
    else:                                   # one pass: learn from the first frames
        pending, rest = _first_frames(source, 4 * n_sample)
        head = np.concatenate(pending)
        sample, chunks = head[evenly_spaced(len(head), n_sample)], itertools.chain(pending, rest)
    with one_blas_thread():      # thin products: threads cost more than they save
        model = learn_background(check_frames(sample, "the sampled frames"), lam=lam, random_state=random_state)
    step = chunk_size or frames_per_chunk(math.prod(model.frame_shape))
    for item in chunks:
        item = _check_chunk(_as_chunk(item), model.frame_shape) if not checked or sample is not None else item
        for i in range(0, len(item), step):
            with one_blas_thread():
                raw = model.detect(item[i:i + step], threshold, shadow_ratio)
            yield model, clean_masks(raw, median, close)


def foreground_masks(source, *, background_frames=None, threshold=5.0, shadow_ratio=1.0, median=5, close=5,
                     n_sample_frames=80, grayscale=False, out=None, return_model=False, lam=None):
    """Boolean foreground masks of a video, by robust PCA, in bounded memory.

    Parameters
    ----------
    source : array, path or iterator
        Frames (n, H, W) grayscale or (n, H, W, 3) RGB, uint8 or float in [0, 1]
        (a memory-mapped array works); a video file path; or an iterator of
        frames or of chunks of frames.
    background_frames : array, path or iterator, optional
        Frames to learn the background from (``n_sample_frames`` of them, evenly
        spaced; an iterator is read to its end in bounded memory), e.g. the frames
        before the ones to segment, as online subtractors warm up on them. Default:
        the frames of ``source`` themselves -- for an iterator, its first
        ``4 * n_sample_frames`` frames (it is read once).
    threshold : float
        Foreground where the residual exceeds ``threshold`` noise scales. The
        default 5 is the "five sigma" outlier rule: Gaussian noise crosses it
        with probability 6e-7 per pixel. In colour, the residual is split into
        a brightness part (1-D) and a chromaticity part (2-D), each divided by
        its own noise scale; their squared sum is chi-square with 3 degrees of
        freedom under the noise model, thresholded at the same tail probability.
    shadow_ratio : float
        Colour only: with ``shadow_ratio < 1``, a pixel darker than its
        background by a factor between ``shadow_ratio`` and 1 with unchanged
        chromaticity is called a cast shadow (background), as in Horprasert et
        al. (OpenCV uses 0.5: "at most twice darker"). Off (1) by default:
        outdoors a shadow is lit by the blue sky alone, so its chromaticity
        changes (Nadimi and Bhanu 2004) while a dark gray car's does not -- the
        rule would remove cars and keep shadows.
    median, close : int
        Sizes of the median filter and of the closing (0 turns each off); five
        pixels removes specks and fills pinholes far smaller than the objects.
    n_sample_frames : int
        Frames the background is learned from (robust PCA and every pixel's fit).
    grayscale : bool
        For a path: decode as grayscale.
    out : path, optional
        Write the masks to this new ``.npy`` file (memory-mapped; never
        overwritten) instead of holding them in memory.
    return_model : bool
        Also return the :class:`BackgroundModel`.

    Returns
    -------
    masks : ndarray of bool, shape (n, H, W) (memory-mapped if ``out``)
    model : BackgroundModel, only if ``return_model``
    """
    if out is not None:
        out = Path(out).expanduser()
        if out.suffix != ".npy":
            raise ValueError(f"out={out}: write masks to a .npy file.")
        check_new_file(out)                   # before the work: exists, or no such folder
    chunks = iter_foreground_masks(source, background_frames=background_frames, threshold=threshold,
                                   shadow_ratio=shadow_ratio, median=median, close=close,
                                   n_sample_frames=n_sample_frames, grayscale=grayscale, lam=lam)
    n = len(source) if isinstance(source, np.ndarray) else None
    if out is None and n is None:             # length unknown: collect the chunks
        parts, model = [], None
        for model, masks in chunks:  # noqa: B007 (the model is returned)
            parts.append(masks)
        result = np.concatenate(parts)
    elif out is None:                         # length known: fill one array, no second copy
        result, model = _fill(chunks, lambda shape: np.empty(shape, bool), n)
    else:
        result, model = _write_npy(chunks, out)
    return (result, model) if return_model else result


def _fill(chunks, allocate, n):
    """Write the masks of ``chunks`` into ``allocate((n, H, W))`` in order; return it and the model."""
    result, i, model = None, 0, None
    for model, masks in chunks:  # noqa: B007 (the model is returned)
        result = allocate((n, *masks.shape[1:])) if result is None else result
        result[i:i + len(masks)] = masks
        i += len(masks)
    return result, model


def _write_npy(chunks, out):
    """Masks streamed to the new ``.npy`` file ``out``, which appears only when complete.

    A private temporary file beside ``out`` takes the bytes, and is published
    without overwriting anything (see :func:`mflib._files.publish_new`); plain
    writes rather than a memory map, so a full disk is an error, not a SIGBUS.
    """
    model = None

    def masks():
        nonlocal model
        for model, chunk in chunks:  # noqa: B007 (the model is returned)
            yield chunk

    write_npy_blocks(out, masks())
    return np.load(out, mmap_mode="r"), model
