"""The reader's own files: images, videos (decoded in a guarded child) and animations."""


import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image
from test_video import synthetic_video

from mflib import io
from mflib.imaging import to_gray
from mflib.io import load_image, load_video, write_animation

# -- video files ---------------------------------------------------------------

def test_load_video_matches_opencv(data_dir):
    path = data_dir / "videos" / "escalator.avi"
    frames = load_video(path, grayscale=True)
    assert frames.shape == (198, 130, 160) and frames.dtype == np.uint8
    cap = cv2.VideoCapture(str(path))
    ok, first = cap.read()
    cap.release()
    np.testing.assert_array_equal(frames[0], cv2.cvtColor(first, cv2.COLOR_BGR2GRAY))


def test_load_video_range_resize_and_registry_name(data_dir):
    frames = load_video("videos/shop.avi", start=10, stop=30, step=5, size=(96, 72))
    assert frames.shape == (4, 72, 96, 3)


@pytest.mark.parametrize("make, match", [
    (lambda p, src: p.write_bytes(np.random.default_rng(0).bytes(20000)), "cannot open"),
    (lambda p, src: p.write_bytes(src.read_bytes()[:120000]), "truncated or corrupt"),
    (lambda p, src: p.write_bytes(b""), "cannot open"),
])
def test_load_video_broken_files_raise_cleanly(data_dir, tmp_path, make, match):
    bad = tmp_path / "bad.avi"
    make(bad, data_dir / "videos" / "escalator.avi")
    with pytest.raises(ValueError, match=match):
        load_video(bad)


def _fake_decoder(monkeypatch, code):
    """Replace the decoding child by a Python one-liner: the parent's handling is what is tested."""
    monkeypatch.setattr(io, "DECODER", [sys.executable, "-c", code])


def test_load_video_child_crash_is_an_error_not_a_dead_kernel(data_dir, monkeypatch):
    _fake_decoder(monkeypatch, "import os, sys; sys.stderr.write('decoder says: bad frame'); os.abort()")
    with pytest.raises(ValueError, match=r"OpenCV crashed while decoding .*escalator\.avi \(signal 6\)") as err:
        load_video(data_dir / "videos" / "escalator.avi")
    assert "decoder says: bad frame" in str(err.value)


def test_load_video_child_failure_quotes_its_stderr(data_dir, monkeypatch):
    _fake_decoder(monkeypatch, "import sys; sys.stderr.write('Traceback: MemoryError'); sys.exit(1)")
    with pytest.raises(RuntimeError, match=r"(?s)exit code 1.*Traceback: MemoryError"):
        load_video(data_dir / "videos" / "escalator.avi")


def test_load_video_timeout_is_a_clear_error(data_dir, monkeypatch):
    _fake_decoder(monkeypatch, "import time; time.sleep(30)")
    with pytest.raises(TimeoutError, match=r"longer than 0.5 s; pass a larger timeout="):
        load_video(data_dir / "videos" / "escalator.avi", timeout=0.5)


def test_load_video_is_memory_mapped_and_writable(data_dir):
    frames = load_video(data_dir / "videos" / "escalator.avi", grayscale=True, stop=20)
    assert isinstance(frames.base, np.memmap) or isinstance(frames, np.memmap)
    frames[0, 0, 0] = 7                      # copy-on-write: the reader may modify the array
    assert frames[0, 0, 0] == 7
    assert frames.shape == (20, 130, 160)


def test_load_video_bad_arguments(data_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_video(tmp_path / "nope.avi")
    with pytest.raises(ValueError, match="start"):
        load_video("videos/shop.avi", start=5, stop=5)
    with pytest.raises(ValueError, match="no frame"):
        load_video("videos/shop.avi", start=1000)
    for kwargs, name in [(dict(start=1.5), "start"), (dict(stop=10.7), "stop"), (dict(size=(32.5, 24)), "size"),
                         (dict(step=2.0), "step")]:
        with pytest.raises(TypeError, match=f"{name}.* must be a whole number"):   # refused, never truncated
            load_video("videos/shop.avi", **kwargs)
    with pytest.raises(ValueError, match="megapixels"):                 # not a MemoryError in the child
        load_video("videos/shop.avi", size=(10 ** 5, 10 ** 5))


def test_load_video_refuses_a_text_file(tmp_path):
    path = tmp_path / "notes.avi"
    path.write_text("These are my notes, not a video.\n" * 50)
    with pytest.raises(ValueError, match="is a text file, not a video"):
        load_video(path)


def test_decoder_reports_a_change_of_frame_size(tmp_path, monkeypatch):
    import io as stdio

    from mflib import _decode_video

    class Capture:                       # two frames of different sizes, as some broken files have
        def __init__(self, src):
            self.frames = [np.zeros((4, 6, 3), np.uint8), np.zeros((5, 6, 3), np.uint8)]

        def isOpened(self):
            return True

        def get(self, prop):
            return 2

        def read(self):
            return (True, self.frames.pop(0)) if self.frames else (False, None)

        def release(self):
            pass

    monkeypatch.setattr(_decode_video.cv2, "VideoCapture", Capture)
    src = tmp_path / "clip.avi"
    src.write_bytes(b"RIFF\0\0\0\0AVI ")
    with pytest.raises(ValueError, match=r"changes frame size at frame 1 .*pass size=\(W, H\)"):
        _decode_video.decode(str(src), stdio.BytesIO())
    np.testing.assert_array_equal(
        _decode_video.decode(str(src), stdio.BytesIO(), size=(3, 2)), (2, 2, 3, 3))   # resized: both fit


def test_iter_video_refuses_a_chunk_larger_than_memory(data_dir):
    with pytest.raises(ValueError, match=r"chunk_size=10000000000 frames .* choose chunk_size <= \d+"):
        next(io.iter_video(data_dir / "videos" / "shop.avi", chunk_size=10 ** 10))


# -- images ----------------------------------------------------------------------

def test_load_image_png_rgb_order_16bit_and_alpha(tmp_path):
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 255                                               # red
    cv2.imwrite(str(tmp_path / "red.png"), rgb[..., ::-1])
    img = load_image(tmp_path / "red.png")
    np.testing.assert_array_equal(img[0, 0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(load_image(tmp_path / "red.png", grayscale=True), 0.299)

    deep = np.full((3, 3), 65535 // 2, np.uint16)
    cv2.imwrite(str(tmp_path / "deep.png"), deep)
    np.testing.assert_allclose(load_image(tmp_path / "deep.png", grayscale=True), 0.5, atol=1e-4)

    bgra = np.zeros((2, 2, 4), np.uint8)                            # black, half transparent
    bgra[..., 3] = 128
    cv2.imwrite(str(tmp_path / "alpha.png"), bgra)
    np.testing.assert_allclose(load_image(tmp_path / "alpha.png"), 1 - 128 / 255)


def test_load_image_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_image(tmp_path / "missing.png")
    (tmp_path / "junk.png").write_bytes(b"definitely not an image")
    with pytest.raises(ValueError, match="cannot be decoded"):
        load_image(tmp_path / "junk.png")
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        to_gray(np.zeros((2, 2)))



# -- animations -------------------------------------------------------------------

def test_write_gif_and_avi_round_trip(tmp_path):
    frames, truth = synthetic_video(n=6, h=16, w=20)
    gif = write_animation(tmp_path / "fg.gif", truth, fps=10)
    with Image.open(gif) as im:
        assert im.n_frames == 6 and im.size == (20, 16)
    avi = write_animation(tmp_path / "fg.avi", frames, fps=10)
    back = load_video(avi, grayscale=True)
    assert back.shape == (6, 16, 20)
    np.testing.assert_allclose(back / 255, frames, atol=0.08)       # MJPEG is lossy
    with pytest.raises(FileExistsError, match="exists"):
        write_animation(gif, truth)
    with pytest.raises(ValueError, match=".gif or .avi"):
        write_animation(tmp_path / "fg.mp3", truth)


def test_write_animation_keeps_existing_files_untouched(tmp_path):
    _, truth = synthetic_video(n=4, h=8, w=8)
    for name in ("mine.gif", "mine.avi"):
        (tmp_path / name).write_bytes(b"the reader's own work")
        with pytest.raises(FileExistsError, match="exists"):
            write_animation(tmp_path / name, truth)
        assert (tmp_path / name).read_bytes() == b"the reader's own work"


def test_write_animation_missing_folder_and_bad_fps(tmp_path):
    _, truth = synthetic_video(n=4, h=8, w=8)
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        write_animation(tmp_path / "nowhere" / "fg.avi", truth)
    for fps in (0, -5, float("nan"), "fast"):
        with pytest.raises(ValueError, match="fps must be a positive number"):
            write_animation(tmp_path / "fg.gif", truth, fps=fps)
    assert not list(tmp_path.iterdir())                 # nothing half-written was left behind


def test_write_animation_uses_one_value_scale_for_the_clip(tmp_path):
    """A dim frame stays dim: frames are not stretched one by one."""
    frames = np.stack([np.full((8, 8), 2.0), np.full((8, 8), 4.0)])    # outside [0, 1]
    gif = write_animation(tmp_path / "scale.gif", frames, fps=5)
    with Image.open(gif) as im:
        levels = []
        for i in range(im.n_frames):
            im.seek(i)
            levels.append(int(np.asarray(im.convert("L"))[0, 0]))
    assert levels == [0, 255]
    with pytest.raises(ValueError, match="NaN"):
        write_animation(tmp_path / "nan.gif", np.full((2, 4, 4), np.nan))




# -- streaming ----------------------------------------------------------------------

def test_iter_video_streams_the_same_frames_in_chunks(data_dir):
    path = data_dir / "videos" / "shop.avi"
    whole = load_video(path, grayscale=True, start=3, stop=50, step=2)
    chunks = list(io.iter_video(path, chunk_size=7, grayscale=True, start=3, stop=50, step=2))
    assert [len(c) for c in chunks] == [7, 7, 7, 3]
    np.testing.assert_array_equal(np.concatenate(chunks), whole)


def test_iter_video_child_dying_before_the_first_frame_is_an_error_not_a_hang(data_dir, monkeypatch):
    path = data_dir / "videos" / "shop.avi"
    _fake_decoder(monkeypatch, "import os; os.abort()")
    with pytest.raises(ValueError, match=r"OpenCV crashed while decoding .*shop\.avi \(signal 6\)"):
        list(io.iter_video(path, chunk_size=4))


def test_iter_video_child_dying_mid_stream_is_an_error_after_the_frames_it_sent(data_dir, monkeypatch):
    code = ("import os, sys; out = sys.stdout.buffer; out.write(b'{\"frame_shape\": [2, 3]}\\n' + bytes(6 * 5)); "
            "out.flush(); os.abort()")
    _fake_decoder(monkeypatch, code)
    stream = io.iter_video(data_dir / "videos" / "shop.avi", chunk_size=2)
    got = []
    with pytest.raises(ValueError, match=r"signal 6"):
        for chunk in stream:
            got.append(chunk)
    assert [len(c) for c in got] == [2, 2, 1]


def test_iter_video_stalled_child_times_out(data_dir, monkeypatch):
    path = data_dir / "videos" / "shop.avi"
    _fake_decoder(monkeypatch, "import time; time.sleep(60)")
    with pytest.raises(TimeoutError, match="no progress for 1 s"):
        list(io.iter_video(path, chunk_size=4, timeout=1))


def test_iter_video_stopping_early_ends_the_child(data_dir, monkeypatch):
    children = []
    popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        children.append(popen(*args, **kwargs))
        return children[-1]

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    stream = io.iter_video(data_dir / "videos" / "escalator.avi", chunk_size=5)
    assert next(stream).shape == (5, 130, 160, 3)
    assert len(children) == 1 and children[0].poll() is None       # the child is still decoding
    stream.close()                                         # the reader has seen enough: no error, no leftover
    assert children[0].returncode is not None               # ended and reaped: no zombie, no orphan
    with pytest.raises(ProcessLookupError):
        os.kill(children[0].pid, 0)
