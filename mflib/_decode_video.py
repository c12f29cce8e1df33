"""Decode a video in a child process: ``python -m mflib._decode_video SRC DST OPTIONS_JSON``.

OpenCV's FFmpeg backend can abort the whole process on some corrupt files;
running it here keeps the reader's kernel alive whatever the file holds.
Frames are appended to DST as raw uint8 one at a time (memory: one frame), and
the final shape is printed as JSON on stdout. With DST ``-`` the frames go to
stdout instead (for streaming), after one JSON line with the frame shape.
Exit code 0: done; 2: a readable error on stderr; a signal: crash.
"""

import json
import sys

import cv2


def decode(src, dst, grayscale=False, start=0, stop=None, step=1, size=None):
    """Write the selected frames of ``src`` to the open binary file ``dst``; return their shape."""
    with open(src, "rb") as head:
        start_bytes = head.read(4096)
    if start_bytes and b"\0" not in start_bytes and _is_text(start_bytes):
        # FFmpeg would "decode" a text file by rendering its characters: refuse it instead
        raise ValueError(f"{src!r} is a text file, not a video; pass a video file (AVI, MP4, ...).")
    cap = cv2.VideoCapture(src)
    if not cap.isOpened():
        raise ValueError(f"OpenCV cannot open {src!r} as a video: it is not a video file, or its "
                         "format/codec is unsupported. Convert it, e.g. `ffmpeg -i IN -c:v mjpeg OUT.avi`.")
    declared = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    shape, kept, index = None, 0, 0
    while stop is None or index < stop:
        ok, frame = cap.read()
        if not ok:
            break
        if index >= start and (index - start) % step == 0:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY if grayscale else cv2.COLOR_BGR2RGB)
            if size is not None:
                frame = cv2.resize(frame, tuple(size), interpolation=cv2.INTER_AREA)
            if shape is None:
                shape = frame.shape
                if dst is sys.stdout.buffer:      # streaming: the reader needs the frame shape first
                    dst.write(json.dumps({"frame_shape": shape}).encode() + b"\n")
            elif frame.shape != shape:
                raise ValueError(f"{src!r} changes frame size at frame {index} ({shape} -> {frame.shape}); "
                                 "pass size=(W, H) to resize every frame.")
            dst.write(frame.tobytes())
            kept += 1
        index += 1
    cap.release()
    if index == 0:
        raise ValueError(f"{src!r} holds no decodable frame: the file is corrupt or empty.")
    wanted = declared if stop is None else min(stop, declared)
    # Headers often overcount by a frame or two; a real truncation loses far more.
    if declared and wanted - index > max(5, 0.02 * wanted):
        raise ValueError(f"{src!r} is truncated or corrupt: its header declares {declared} frames but "
                         f"only {index} could be decoded. Pass stop={index} to use the readable part.")
    if not kept:
        raise ValueError(f"no frame of {src!r} falls in start={start}, stop={stop}, step={step}: "
                         f"the video has {index} frames.")
    return (kept, *shape)


def _is_text(data):
    """Whether ``data`` (the first bytes of a file) reads as UTF-8 text; a cut multi-byte character is allowed."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True


def main(argv):
    src, dst, options = argv[1], argv[2], json.loads(argv[3])
    try:
        if dst == "-":
            decode(src, sys.stdout.buffer, **options)
            sys.stdout.buffer.flush()
            return 0
        with open(dst, "wb") as out:
            shape = decode(src, out, **options)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    except cv2.error as exc:                      # OpenCV's own message, with what to change
        print(f"OpenCV could not decode {src!r} with options {options}: {exc.err or exc}. Check size= and the "
              "frame range, or re-encode the file (e.g. `ffmpeg -i IN OUT.mp4`).", file=sys.stderr)
        return 2
    except BrokenPipeError:                       # the reader stopped early: nothing to report
        return 0
    print(json.dumps({"shape": shape}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
