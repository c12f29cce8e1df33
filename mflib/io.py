"""The reader's own files: images and videos in, animations out.

The course's registered data sets live in :mod:`mflib.datasets`; this module
reads whatever picture or clip a reader brings, and writes results back without
ever overwriting a file that exists.

Video decoding runs in a child process: OpenCV's FFmpeg backend can abort the
whole process on some corrupt files, and a reader's kernel must survive that.
The child streams the frames into a temporary file that is memory-mapped here,
so a long clip costs disk pages, not a second copy in memory.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from ._validation import check_positive_int
from .imaging import to_gray, to_uint8, value_range

STDERR_TAIL = 800  # characters of the decoder's stderr quoted in an error
DECODER = [sys.executable, "-m", "mflib._decode_video"]  # the child: SRC DST OPTIONS_JSON


def existing_file(path):
    """``path`` as a :class:`~pathlib.Path`, or a clear error if it is not a file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist (or is not a file); check the path "
                                f"(current folder: {Path.cwd()}).")
    return path


# -- images ---------------------------------------------------------------------

def load_image(path, *, grayscale=False):
    """Read an image file as floats in [0, 1].

    8- and 16-bit files are scaled by their maximum (255 or 65535); an alpha
    channel is composited onto white, so transparent areas look as they do in a
    viewer.

    Parameters
    ----------
    path : str or path-like
    grayscale : bool
        Return (H, W) luminance instead of (H, W, 3) RGB.

    Returns
    -------
    ndarray of float64, shape (H, W, 3) or (H, W)

    Examples
    --------
    >>> import tempfile, cv2, numpy as np
    >>> path = tempfile.mkdtemp() + "/dot.png"
    >>> _ = cv2.imwrite(path, np.full((2, 3), 255, np.uint8))
    >>> load_image(path, grayscale=True)
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """
    path = existing_file(path)
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"{path} cannot be decoded as an image (corrupt, or a format OpenCV does "
                         "not read); save it as PNG or JPEG.")
    if img.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"{path} has {img.dtype} pixels; save it as an 8- or 16-bit PNG or JPEG.")
    img = img.astype(np.float64) / np.iinfo(img.dtype).max
    if img.ndim == 2:
        return img if grayscale else np.repeat(img[..., None], 3, axis=2)
    if img.shape[2] == 4:  # BGRA: composite over white
        alpha = img[..., 3:]
        img = img[..., :3] * alpha + (1 - alpha)
    img = np.ascontiguousarray(img[..., 2::-1])  # BGR -> RGB
    return to_gray(img) if grayscale else img


# -- videos ---------------------------------------------------------------------

def _video_source(path):
    """A registered name (e.g. ``"videos/escalator.avi"``) fetched, or the reader's existing file."""
    from . import datasets

    return datasets.fetch(str(path)) if str(path) in datasets._registry() else existing_file(path)


def _video_options(start, stop, step, size):
    if start < 0 or (stop is not None and stop <= start):
        raise ValueError(f"start={start}, stop={stop}: need 0 <= start < stop.")
    check_positive_int(step, "step")
    if size is not None:
        size = [check_positive_int(int(s), "size") for s in size]
        if len(size) != 2:
            raise ValueError("size must be (width, height).")
    return size


def _decoder_options(grayscale, start, stop, step, size):
    """The decoding child's options, validated (see ``mflib._decode_video``)."""
    return dict(grayscale=bool(grayscale), start=int(start), stop=stop, step=int(step),
                size=_video_options(start, stop, step, size))


def _decode_failure(path, proc):
    """The error for a child that did not finish cleanly, by how it ended."""
    tail = proc.stderr.strip()[-STDERR_TAIL:]
    if proc.returncode == 2:  # the child's own readable message
        return ValueError(tail.splitlines()[-1] if tail else f"{path} could not be decoded.")
    if proc.returncode < 0:
        return ValueError(f"OpenCV crashed while decoding {path} (signal {-proc.returncode}): the file "
                          "is corrupt or truncated. Re-encode it (e.g. `ffmpeg -i IN OUT.mp4`) or use "
                          "another file." + (f"\nDecoder output:\n{tail}" if tail else ""))
    return RuntimeError(f"decoding {path} failed (exit code {proc.returncode}). Decoder output:\n"
                        f"{tail or '(none)'}")


def load_video(path, *, grayscale=False, start=0, stop=None, step=1, size=None, timeout=300):
    """Read a video file into an array with OpenCV, safely.

    Decoding runs in a child process, so a corrupt file that makes OpenCV's
    decoder abort raises an error here instead of killing the kernel. The
    frames come back memory-mapped from a temporary file (copy-on-write), so
    even a clip larger than memory can be read and processed in chunks.

    Parameters
    ----------
    path : str or path-like
        The video file (anything OpenCV's FFmpeg backend reads: AVI, MP4, ...).
        A registered name such as ``"videos/escalator.avi"`` is fetched first.
    grayscale : bool
        Return (n, H, W) grayscale instead of (n, H, W, 3) RGB.
    start, stop, step : int
        Frame range, as in ``range(start, stop, step)`` (0-based).
    size : (width, height), optional
        Resize every frame (area interpolation).
    timeout : float
        Seconds before decoding is given up.

    Returns
    -------
    ndarray of uint8, shape (n, H, W) or (n, H, W, 3)

    Raises
    ------
    FileNotFoundError
        ``path`` is not a file.
    ValueError
        Not a video, corrupt, truncated, or no frame in the requested range.
    TimeoutError
        Decoding took longer than ``timeout`` seconds.
    """
    path = _video_source(path)
    options = _decoder_options(grayscale, start, stop, step, size)
    with tempfile.TemporaryDirectory(prefix="mflib-video-") as tmp:
        raw = Path(tmp) / "frames.u8"
        try:
            proc = subprocess.run([*DECODER, str(path), str(raw), json.dumps(options)],
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"decoding {path} took longer than {timeout} s; pass a larger timeout= "
                               "or a shorter range (start=, stop=, step=).") from None
        if proc.returncode != 0:
            raise _decode_failure(path, proc)
        shape = tuple(json.loads(proc.stdout.strip().splitlines()[-1])["shape"])
        if os.name == "nt":  # Windows cannot delete a mapped file: read it into memory instead
            return np.fromfile(raw, np.uint8).reshape(shape)
        # POSIX keeps a mapped file's pages after the folder is removed.
        return np.asarray(np.memmap(raw, np.uint8, mode="c", shape=shape))


def iter_video(path, *, chunk_size=32, grayscale=False, start=0, stop=None, step=1, size=None, timeout=300):
    """Stream a video file in chunks of frames, with bounded memory.

    Like :func:`load_video` -- decoding in a guarded child process, same
    options -- but the child writes into a pipe and the frames arrive
    ``chunk_size`` at a time, so a clip of any length costs one chunk of memory.

    Parameters
    ----------
    path : str or path-like
    chunk_size : int
        Frames per chunk (the last chunk may be shorter).
    grayscale, start, stop, step, size, timeout
        As in :func:`load_video`; ``timeout`` bounds the wait for each chunk.

    Yields
    ------
    ndarray of uint8, shape (k, H, W) or (k, H, W, 3), k <= chunk_size

    Raises
    ------
    ValueError
        As :func:`load_video`; a file that breaks part-way raises after the
        chunks decoded before the break were yielded.
    """
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    path = _video_source(path)
    first = load_video(path, grayscale=grayscale, start=start, stop=start + 1, size=size, timeout=timeout)
    frame_shape, frame_bytes = first.shape[1:], first[0].nbytes
    if os.name == "nt":  # no named pipes: decode to a memory-mapped file, then hand out chunks
        frames = load_video(path, grayscale=grayscale, start=start, stop=stop, step=step, size=size,
                            timeout=timeout)
        yield from (frames[i:i + chunk_size] for i in range(0, len(frames), chunk_size))
        return
    options = _decoder_options(grayscale, start, stop, step, size)
    with tempfile.TemporaryDirectory(prefix="mflib-video-") as tmp:
        fifo = Path(tmp) / "frames.pipe"
        os.mkfifo(fifo)
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen([*DECODER, str(path), str(fifo), json.dumps(options)], stdout=out,
                                    stderr=err, text=True)
            progress = _Watchdog(proc, fifo, timeout)
            try:
                fd = os.open(fifo, os.O_RDONLY)          # returns once the child (or the watchdog) opened its end
                with os.fdopen(fd, "rb") as pipe:
                    while data := pipe.read(chunk_size * frame_bytes):
                        progress.tick()
                        n = len(data) // frame_bytes
                        yield np.frombuffer(data[:n * frame_bytes], np.uint8).reshape(n, *frame_shape)
                proc.wait(timeout=timeout)
            finally:
                progress.stop()
                if proc.poll() is None:                  # the reader stopped early, or a timeout
                    proc.kill()
                    proc.wait()
            if progress.timed_out:
                raise TimeoutError(f"decoding {path} made no progress for {timeout} s; pass a larger "
                                   "timeout= or a shorter range (start=, stop=, step=).")
            if proc.returncode != 0:
                err.seek(0)
                raise _decode_failure(path, subprocess.CompletedProcess(proc.args, proc.returncode, "",
                                                                        err.read()))


class _Watchdog:
    """Keeps :func:`iter_video` from waiting forever on its decoding child.

    A child that dies before opening the pipe would leave the reader blocked in
    ``open``: the watchdog then opens the writing end itself, so the reader sees
    an empty pipe and reports the child's failure. A child that stops making
    progress for ``timeout`` seconds is killed, which closes the pipe too.
    """

    def __init__(self, proc, fifo, timeout):
        import threading
        self.proc, self.fifo, self.timeout = proc, fifo, timeout
        self.timed_out, self._last = False, time.monotonic()
        self._done = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def tick(self):
        self._last = time.monotonic()

    def stop(self):
        self._done.set()

    def _watch(self):
        while not self._done.is_set():
            try:
                self.proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() - self._last > self.timeout:
                    self.timed_out = True
                    self.proc.kill()
        try:                                   # unblock a reader still waiting in open()
            os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:                        # no reader waiting (ENXIO), or the folder is gone
            pass


# -- animations -----------------------------------------------------------------

def _check_fps(fps):
    try:
        ok = np.isfinite(float(fps)) and float(fps) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"fps must be a positive number of frames per second, got {fps!r}.")
    return float(fps)


def _clip_to_uint8(arr):
    """The whole clip mapped to uint8 with one value scale, so brightness means the same in every frame."""
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == bool:
        return arr.view(np.uint8) * np.uint8(255)
    if not np.isfinite(arr).all():
        raise ValueError("frames contain NaN or infinite values; fix them before writing.")
    lo, hi = (0.0, 1.0) if arr.min() >= 0 and arr.max() <= 1 else value_range([arr.reshape(len(arr), -1)])
    return np.stack([to_uint8(f, lo, hi) for f in arr])


def _write_avi(path, frames8, fps):
    h, w = frames8.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h), isColor=True)
    if not writer.isOpened():
        raise OSError(f"OpenCV could not open a video writer for {path}; write a .gif instead.")
    code = cv2.COLOR_GRAY2BGR if frames8.ndim == 3 else cv2.COLOR_RGB2BGR
    for f in frames8:
        writer.write(cv2.cvtColor(np.ascontiguousarray(f), code))
    writer.release()


def write_animation(path, frames, fps=15):
    """Write frames as an animated GIF or an AVI, never overwriting a file.

    The format follows the suffix: ``.gif`` (Pillow) or ``.avi`` (OpenCV,
    Motion-JPEG). The whole clip shares one value scale: floats in [0, 1] map
    to 0..255, other floats from the clip's minimum to its maximum.

    Parameters
    ----------
    path : str or path-like
        A new file in an existing folder.
    frames : array (n, H, W) or (n, H, W, 3)
        bool, uint8 or float.
    fps : float
        Frames per second, positive.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileExistsError
        ``path`` exists (nothing is written).
    FileNotFoundError
        Its folder does not exist.
    """
    path = Path(path).expanduser()
    if path.suffix.lower() not in (".gif", ".avi"):
        raise ValueError(f"{path.suffix!r}: write .gif or .avi.")
    fps = _check_fps(fps)
    arr = np.asarray(frames)
    if arr.ndim not in (3, 4) or len(arr) == 0 or (arr.ndim == 4 and arr.shape[-1] != 3):
        raise ValueError(f"frames must be (n, H, W) or (n, H, W, 3), got {arr.shape}.")
    frames8 = _clip_to_uint8(arr)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"the folder {path.parent} does not exist; create it first.")
    try:
        handle = open(path, "xb")  # claims the name atomically: no check-then-write race
    except FileExistsError:
        raise FileExistsError(f"{path} exists; choose another name or delete it first.") from None
    try:
        with handle:
            if path.suffix.lower() == ".gif":
                from PIL import Image
                images = [Image.fromarray(f) for f in frames8]
                images[0].save(handle, format="GIF", save_all=True, append_images=images[1:],
                               duration=round(1000 / fps), loop=0)
            else:
                _write_avi(path, frames8, fps)
    except BaseException:
        path.unlink(missing_ok=True)  # the file is ours: we created it above
        raise
    return path
