"""The reader's own files: images and videos in, animations out.

The course's registered data sets live in :mod:`mflib.datasets`; this module
reads whatever picture or clip a reader brings, and writes results back without
ever overwriting a file that exists.

Video decoding runs in a child process: OpenCV's FFmpeg backend can abort the
whole process on some corrupt files, and a reader's kernel must survive that.
The child streams the frames into a temporary file that is memory-mapped here,
so a long clip costs disk pages, not a second copy in memory.
"""

import errno
import json
import math
import os
import selectors
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from ._files import publish_new
from ._validation import check_finite, check_int, check_number, check_positive_int
from .imaging import default_range, to_gray, to_uint8

STDERR_TAIL = 800  # characters of the decoder's stderr quoted in an error
MAX_CHUNK_BYTES = 2 ** 31  # one chunk of iter_video: 2 GB at most
READ_BYTES = 2 ** 22  # bytes asked of the pipe per read
MAX_FRAME_PIXELS = 2 ** 27  # a resized frame: 134 megapixels at most (16K video is 133)
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

    return existing_file(datasets.resolve(path))


def _decoder_options(grayscale, start, stop, step, size):
    """The decoding child's options, validated (see ``mflib._decode_video``): whole numbers, never truncated."""
    start = check_int(start, "start", 0)
    stop = None if stop is None else check_int(stop, "stop")
    if stop is not None and stop <= start:
        raise ValueError(f"start={start}, stop={stop}: need 0 <= start < stop (frames start .. stop - 1).")
    if size is not None:
        if np.ndim(size) != 1 or len(size) != 2:
            raise ValueError(f"size must be (width, height), got {size!r}.")
        size = [check_positive_int(v, f"size[{i}]") for i, v in enumerate(size)]
        if size[0] * size[1] > MAX_FRAME_PIXELS:
            raise ValueError(f"size={tuple(size)} makes frames of {size[0] * size[1] / 1e6:.0f} megapixels; "
                             f"choose at most {MAX_FRAME_PIXELS // 10 ** 6} megapixels, e.g. size=(1920, 1080).")
    return dict(grayscale=bool(grayscale), start=start, stop=stop, step=check_positive_int(step, "step"), size=size)


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
    check_number(timeout, "timeout", 0, low_open=True)
    with tempfile.TemporaryDirectory(prefix="mflib-video-") as tmp:
        raw = Path(tmp) / "frames.u8"
        try:
            proc = subprocess.run([*DECODER, str(path), str(raw), json.dumps(options)],
                                  capture_output=True, text=True, encoding="utf-8",
                                  errors="replace", timeout=timeout)   # FFmpeg may quote the file's bytes
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
    options -- but the child writes the frames to a pipe and they arrive
    ``chunk_size`` at a time, so a clip of any length costs one chunk of memory.

    Parameters
    ----------
    path : str or path-like
    chunk_size : int
        Frames per chunk (the last chunk may be shorter).
    grayscale, start, stop, step, size, timeout
        As in :func:`load_video`; ``timeout`` bounds the wait for each piece of data.

    Yields
    ------
    ndarray of uint8, shape (k, H, W) or (k, H, W, 3), k <= chunk_size

    Raises
    ------
    ValueError
        As :func:`load_video`; a file that breaks part-way raises after the
        chunks decoded before the break were yielded.
    TimeoutError
        The child sent nothing for ``timeout`` seconds (it is killed).
    """
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    path = _video_source(path)
    options = _decoder_options(grayscale, start, stop, step, size)
    check_number(timeout, "timeout", 0, low_open=True)
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as err:   # may quote the file's bytes
        proc = subprocess.Popen([*DECODER, str(path), "-", json.dumps(options)], stdout=subprocess.PIPE,
                                stderr=err, text=False)
        try:
            yield from _read_frames(proc.stdout, chunk_size, timeout, path)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"decoding {path} made no progress for {timeout} s; pass a larger timeout= "
                               "or a shorter range (start=, stop=, step=).") from None
        finally:
            if proc.poll() is None:                  # the reader stopped early, or a timeout
                proc.kill()
            proc.wait()
            proc.stdout.close()
        if proc.returncode != 0:
            err.seek(0)
            raise _decode_failure(path, subprocess.CompletedProcess(proc.args, proc.returncode, "", err.read()))


def _read_frames(pipe, chunk_size, timeout, path):
    """Chunks of frames from the decoder's stdout: a JSON line with the frame shape, then raw uint8 frames.

    Every read waits at most ``timeout`` seconds (``selectors``), so a stalled
    child cannot hang the reader; a child that dies closes the pipe (end of data).
    """
    with selectors.DefaultSelector() as sel:
        sel.register(pipe, selectors.EVENT_READ)

        def read(n):
            if not sel.select(timeout):
                raise subprocess.TimeoutExpired(str(path), timeout)
            return os.read(pipe.fileno(), n)

        buf = b""
        while b"\n" not in buf:
            data = read(4096)
            if not data:
                return                               # the child ended before its first frame
            buf += data
        line, buf = buf.split(b"\n", 1)
        frame_shape = tuple(json.loads(line)["frame_shape"])
        frame_bytes = math.prod(frame_shape)
        if chunk_size * frame_bytes > MAX_CHUNK_BYTES:
            raise ValueError(f"chunk_size={chunk_size} frames of {frame_bytes:,} bytes would take "
                             f"{chunk_size * frame_bytes / 1e9:.3g} GB of memory per chunk; choose chunk_size <= "
                             f"{max(1, MAX_CHUNK_BYTES // frame_bytes)}.")
        want = chunk_size * frame_bytes
        while True:
            parts, have = [buf], len(buf)       # joined once per chunk: `buf += data` is quadratic at 1080p
            while have < want and (data := read(min(max(want - have, 1 << 16), READ_BYTES))):
                parts.append(data)
                have += len(data)
            buf = b"".join(parts)
            n = min(len(buf) // frame_bytes, chunk_size)
            if n:
                yield np.frombuffer(buf[:n * frame_bytes], np.uint8).reshape(n, *frame_shape)
                buf = buf[n * frame_bytes:]
            if not data and len(buf) < frame_bytes:      # end of the stream, every whole frame handed out
                return


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
    check_finite(arr, "frames")
    lo, hi = default_range([arr.reshape(len(arr), -1)])
    return np.stack([to_uint8(f, lo, hi) for f in arr])


def _write_avi(path, frames8, fps):
    h, w = frames8.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h), isColor=True)
    if not writer.isOpened():
        raise OSError(errno.EIO, "OpenCV could not open a video writer; write a .gif instead", str(path))
    code = cv2.COLOR_GRAY2BGR if frames8.ndim == 3 else cv2.COLOR_RGB2BGR
    for f in frames8:
        writer.write(cv2.cvtColor(np.ascontiguousarray(f), code))
    writer.release()
    # OpenCV reports no write error (a full disk gives a short file): count the frames that arrived
    reader = cv2.VideoCapture(str(path))
    written = int(reader.get(cv2.CAP_PROP_FRAME_COUNT)) if reader.isOpened() else 0
    reader.release()
    if written != len(frames8):
        raise OSError(errno.EIO, f"OpenCV wrote {written} of {len(frames8)} frames; is the disk full?", str(path))


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
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating) or arr.dtype == bool):
        raise TypeError(f"frames must hold numbers (bool, uint8 or float), got dtype {arr.dtype}.")
    if arr.ndim not in (3, 4) or len(arr) == 0 or (arr.ndim == 4 and arr.shape[-1] != 3):
        raise ValueError(f"frames must be (n, H, W) or (n, H, W, 3), got {arr.shape}.")
    frames8 = _clip_to_uint8(arr)
    with publish_new(path) as tmp:      # appears complete or not at all; never replaces a file
        if path.suffix.lower() == ".gif":
            from PIL import Image
            images = [Image.fromarray(f) for f in frames8]
            images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                           duration=round(1000 / fps), loop=0)
        else:
            _write_avi(tmp, frames8, fps)
    return path
