import functools
import hashlib
import http.server
import shutil
import threading
import time

import cv2
import numpy as np
import pytest

from mflib import datasets
from mflib.datasets import DataCorruptError, DataNotFoundError


# -- Olivetti ------------------------------------------------------------------

def test_olivetti_matches_scikit_learn(data_dir, tmp_path, monkeypatch):
    """Our loader equals scikit-learn's own processing of the same .mat file."""
    import sklearn.datasets._olivetti_faces as sk_olivetti

    def fake_fetch(remote, dirname, n_retries=3, delay=1):   # hand sklearn the mirror's file
        target = tmp_path / "sk" / remote.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir / "olivettifaces.mat", target)
        return str(target)

    monkeypatch.setattr(sk_olivetti, "_fetch_remote", fake_fetch)
    expected = sk_olivetti.fetch_olivetti_faces(data_home=tmp_path / "home")
    faces = datasets.olivetti_faces()
    assert faces.data.dtype == np.float32 and faces.data.shape == (400, 4096)
    assert faces.images.shape == (400, 64, 64)
    np.testing.assert_array_equal(faces.data, expected.data)
    np.testing.assert_array_equal(faces.images, expected.images)
    np.testing.assert_array_equal(faces.target, expected.target)
    assert faces.data.min() == 0 and faces.data.max() == 1
    assert np.bincount(faces.target).tolist() == [10] * 40


def _copy_registry_file(data_dir, root, relpath):
    (root / relpath).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(data_dir / relpath, root / relpath)


def test_corrupt_file_is_named(data_dir, tmp_path, monkeypatch):
    _copy_registry_file(data_dir, tmp_path, "olivettifaces.mat")
    with open(tmp_path / "olivettifaces.mat", "r+b") as f:
        f.seek(5000)
        f.write(b"\x00garbage\x00")
    monkeypatch.setenv("MFLIB_DATA", str(tmp_path))
    with pytest.raises(DataCorruptError, match=r"olivettifaces\.mat is corrupt or has been changed"):
        datasets.olivetti_faces()


def test_missing_in_mflib_data_says_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("MFLIB_DATA", str(tmp_path))
    with pytest.raises(DataNotFoundError) as err:
        datasets.olivetti_faces()
    msg = str(err.value)
    assert str(tmp_path / "olivettifaces.mat") in msg
    assert "https://ndownloader.figshare.com/files/5976027" in msg and "MFLIB_DATA" in msg


def test_no_data_no_network_fails_fast(tmp_path, monkeypatch):
    """With nothing cached and the source unreachable, the error comes within seconds."""
    monkeypatch.delenv("MFLIB_DATA", raising=False)
    monkeypatch.setenv("MFLIB_CACHE", str(tmp_path / "cache"))
    # an address on this machine where nothing listens: a refused connection, like a dead network
    monkeypatch.setattr(datasets, "_registry", lambda: {
        "olivettifaces.mat": ("http://127.0.0.1:9/olivettifaces.mat", ["0" * 64])})
    start = time.perf_counter()
    with pytest.raises(DataNotFoundError) as err:
        datasets.olivetti_faces()
    assert time.perf_counter() - start < 10
    msg = str(err.value)
    assert "http://127.0.0.1:9/olivettifaces.mat" in msg and "MFLIB_DATA" in msg
    assert str(tmp_path / "cache") in msg


@pytest.fixture
def http_server(tmp_path):
    """Serve a folder over HTTP on the loopback address, like the data's original source."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_caches_and_verifies(data_dir, tmp_path, monkeypatch, http_server):
    root, url = http_server
    shutil.copy(data_dir / "videos" / "shop.avi", root / "shop.avi")
    digest = hashlib.sha256((root / "shop.avi").read_bytes()).hexdigest()
    monkeypatch.delenv("MFLIB_DATA", raising=False)
    monkeypatch.setenv("MFLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "_registry", lambda: {"videos/shop.avi": (f"{url}/shop.avi", [digest])})
    path = datasets.fetch("videos/shop.avi")
    assert path == tmp_path / "cache" / "videos" / "shop.avi" and path.is_file()
    (root / "shop.avi").unlink()                      # second call: served from the cache
    assert datasets.fetch("videos/shop.avi") == path
    monkeypatch.setattr(datasets, "_registry", lambda: {"videos/shop.avi": (f"{url}/shop.avi", ["1" * 64])})
    with pytest.raises(DataCorruptError, match="corrupt or has been changed"):
        datasets.fetch("videos/shop.avi")


def test_registry_lists_every_mirror_file(data_dir):
    for relpath in datasets._registry():
        assert (data_dir / relpath).exists(), relpath
        datasets.fetch(relpath)                        # checksums of the mirror verify


def test_unknown_registry_name():
    with pytest.raises(KeyError, match="not a registered data set"):
        datasets.fetch("nope.mat")


# -- CDnet ---------------------------------------------------------------------

def test_cdnet_scored_frames_and_labels(data_dir):
    seq = datasets.cdnet("baseline/highway", frames=range(470, 480), grayscale=True)
    assert seq.frames.shape == (10, 240, 320) and seq.frames.dtype == np.uint8
    assert seq.groundtruth.shape == (10, 240, 320)
    assert seq.roi.shape == (240, 320) and seq.roi.dtype == bool
    assert seq.temporal_roi == (470, 1700)
    assert seq.frame_numbers.tolist() == list(range(470, 480))
    assert set(np.unique(seq.groundtruth)) <= {0, 50, 85, 170, 255}
    ref = cv2.imread(str(data_dir / "cdnet2014/baseline/highway/input/in000475.jpg"), cv2.IMREAD_GRAYSCALE)
    np.testing.assert_array_equal(seq.frames[5], ref)


def test_cdnet_colour_step_and_scored(data_dir):
    seq = datasets.cdnet(frames="scored", step=100)
    assert seq.frames.shape == (13, 240, 320, 3)
    assert seq.frame_numbers[0] == 470 and seq.frame_numbers[-1] == 1670
    bgr = cv2.imread(str(data_dir / "cdnet2014/baseline/highway/input/in000470.jpg"))
    np.testing.assert_array_equal(seq.frames[0], bgr[..., ::-1])


@pytest.mark.parametrize("kwargs, match", [
    (dict(name="baseline/nope"), "unknown CDnet video"),
    (dict(frames=[0, 1]), "must lie in 1..1700"),
    (dict(frames=[]), "non-empty"),
    (dict(frames="all"), "'scored'"),
    (dict(step=0), "positive whole number"),
])
def test_cdnet_bad_arguments(data_dir, kwargs, match):
    with pytest.raises(ValueError, match=match):
        datasets.cdnet(**kwargs)


def test_cdnet_incomplete_or_corrupt_folder(data_dir, tmp_path, monkeypatch):
    src = data_dir / "cdnet2014/baseline/highway"
    dst = tmp_path / "cdnet2014/baseline/highway"
    shutil.copytree(src, dst)
    monkeypatch.setenv("MFLIB_DATA", str(tmp_path))
    (dst / "groundtruth" / "gt000700.png").write_bytes(b"not a png")
    with pytest.raises(DataCorruptError, match=r"gt000700\.png is corrupt"):
        datasets.cdnet(frames=[700])
    (dst / "groundtruth" / "gt000700.png").unlink()
    with pytest.raises(DataNotFoundError, match=r"gt000700\.png is missing"):
        datasets.cdnet(frames=[700])


# -- video files ---------------------------------------------------------------

def test_load_video_matches_opencv(data_dir):
    path = data_dir / "videos" / "escalator.avi"
    frames = datasets.load_video(path, grayscale=True)
    assert frames.shape == (198, 130, 160) and frames.dtype == np.uint8
    cap = cv2.VideoCapture(str(path))
    ok, first = cap.read()
    cap.release()
    np.testing.assert_array_equal(frames[0], cv2.cvtColor(first, cv2.COLOR_BGR2GRAY))


def test_load_video_range_resize_and_registry_name(data_dir):
    frames = datasets.load_video("videos/shop.avi", start=10, stop=30, step=5, size=(96, 72))
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
        datasets.load_video(bad)


def test_load_video_scrambled_middle_never_crashes(data_dir, tmp_path):
    raw = bytearray((data_dir / "videos" / "escalator.avi").read_bytes())
    rng = np.random.default_rng(1)
    idx = rng.integers(4096, len(raw), 3000)
    for i in idx:
        raw[i] = rng.integers(0, 256)
    bad = tmp_path / "scrambled.avi"
    bad.write_bytes(bytes(raw))
    try:                                  # decoding may survive the damage or refuse it...
        frames = datasets.load_video(bad)
        assert frames.ndim == 4 and frames.shape[0] > 0
    except ValueError as exc:             # ...but never by killing this process
        assert str(bad) in str(exc)


def test_load_video_bad_arguments(data_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        datasets.load_video(tmp_path / "nope.avi")
    with pytest.raises(ValueError, match="start"):
        datasets.load_video("videos/shop.avi", start=5, stop=5)
    with pytest.raises(ValueError, match="no frame"):
        datasets.load_video("videos/shop.avi", start=1000)


# -- images ----------------------------------------------------------------------

def test_sample_image_and_gray():
    img = datasets.sample_image("china")
    assert img.shape == (427, 640, 3) and img.dtype == np.float64
    assert 0 <= img.min() and img.max() <= 1
    gray = datasets.sample_image("flower", grayscale=True)
    assert gray.shape == (427, 640)
    with pytest.raises(ValueError, match="choose 'china' or 'flower'"):
        datasets.sample_image("cat")


def test_load_image_png_rgb_order_16bit_and_alpha(tmp_path):
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 255                                               # red
    cv2.imwrite(str(tmp_path / "red.png"), rgb[..., ::-1])
    img = datasets.load_image(tmp_path / "red.png")
    np.testing.assert_array_equal(img[0, 0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(datasets.load_image(tmp_path / "red.png", grayscale=True), 0.299)

    deep = np.full((3, 3), 65535 // 2, np.uint16)
    cv2.imwrite(str(tmp_path / "deep.png"), deep)
    np.testing.assert_allclose(datasets.load_image(tmp_path / "deep.png", grayscale=True), 0.5, atol=1e-4)

    bgra = np.zeros((2, 2, 4), np.uint8)                            # black, half transparent
    bgra[..., 3] = 128
    cv2.imwrite(str(tmp_path / "alpha.png"), bgra)
    np.testing.assert_allclose(datasets.load_image(tmp_path / "alpha.png"), 1 - 128 / 255)


def test_load_image_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        datasets.load_image(tmp_path / "missing.png")
    (tmp_path / "junk.png").write_bytes(b"definitely not an image")
    with pytest.raises(ValueError, match="cannot be decoded"):
        datasets.load_image(tmp_path / "junk.png")
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        datasets.to_gray(np.zeros((2, 2)))


def test_relative_mflib_data_resolves_from_repo_root(data_dir, tmp_path, monkeypatch):
    """Kernels run in notebooks/, so a path given relative to the repository root must still work."""
    root = datasets.REPO_DATA.parent
    import os
    rel = os.path.relpath(data_dir, root)
    monkeypatch.setenv("MFLIB_DATA", rel)
    monkeypatch.chdir(tmp_path)
    assert datasets.data_home() == root / rel
    assert datasets.fetch("videos/shop.avi").is_file()
