import functools
import hashlib
import http.server
import os
import shutil
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from mflib import datasets
from mflib.datasets import DataCorruptError, DataNotFoundError
from mflib.datasets import registry as ds_registry

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
    monkeypatch.setattr(ds_registry, "_registry", lambda: {
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
    monkeypatch.setattr(ds_registry, "_registry", lambda: {"videos/shop.avi": (f"{url}/shop.avi", [digest])})
    path = datasets.fetch("videos/shop.avi")
    assert path == tmp_path / "cache" / "videos" / "shop.avi" and path.is_file()
    (root / "shop.avi").unlink()                      # second call: served from the cache
    assert datasets.fetch("videos/shop.avi") == path
    monkeypatch.setattr(ds_registry, "_registry", lambda: {"videos/shop.avi": (f"{url}/shop.avi", ["1" * 64])})
    with pytest.raises(DataCorruptError, match="corrupt or has been changed"):
        datasets.fetch("videos/shop.avi")


def test_registry_is_well_formed_and_matches_the_mirror(data_dir):
    """Each entry: a SHA-256 or a manifest that lists exactly the mirror's files, and a size that covers them.

    (The data_dir fixture has fetched and verified every listed file; this checks the other direction:
    no file of a data set goes unverified, and the expected sizes never cut off a genuine download.)
    """
    lines = list(ds_registry._registry_lines())
    assert lines and all(len(fields) == 4 for fields in lines), "path, digest, url, bytes on every line"
    for relpath, digest, url, size in lines:
        assert url.startswith(("https://", "http://")), url
        local = data_dir / relpath
        on_disk = sum(p.stat().st_size for p in local.rglob("*") if p.is_file()) if local.is_dir() \
            else local.stat().st_size
        assert int(size) >= on_disk, f"{relpath}: registry size {size} < {on_disk} bytes"
        if digest.startswith("manifest:"):
            listed = {rel.split(local.name + "/", 1)[-1] for _, rel in ds_registry._manifest(digest[9:])}
            present = {p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()}
            assert listed == present, f"{relpath}: unverified {sorted(present - listed)[:5]}"
        else:
            assert len(digest) == 64 and int(digest, 16) >= 0, digest


def test_registered_names_resolve_in_datasets(data_dir, tmp_path):
    """Registered names (str or path) are fetched; anything else is returned untouched for the caller."""
    assert datasets.is_registered("videos/shop.avi") and datasets.is_registered(Path("videos/shop.avi"))
    assert not datasets.is_registered("./videos/shop.avi") and not datasets.is_registered(3)
    assert datasets.resolve("videos/shop.avi") == data_dir / "videos" / "shop.avi"
    own = tmp_path / "mine.avi"
    assert datasets.resolve(own) is own and datasets.resolve("mine.avi") == "mine.avi"


@pytest.mark.parametrize("name", ["nope.mat", None, "../../etc/passwd"])
def test_unknown_registry_name_is_a_sentence_naming_the_fix(name):
    with pytest.raises(datasets.UnknownDataSetError) as err:   # also a KeyError and a ValueError
        datasets.fetch(name)
    assert isinstance(err.value, KeyError) and isinstance(err.value, ValueError)
    assert str(err.value).startswith(f"{name!r} is not a registered data set; pass one of [")
    assert "datasets.registered()" in str(err.value)


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


# -- images shipped with scikit-learn -----------------------------------------------

def test_sample_image_and_gray():
    img = datasets.sample_image("china")
    assert img.shape == (427, 640, 3) and img.dtype == np.float64
    assert 0 <= img.min() and img.max() <= 1
    gray = datasets.sample_image("flower", grayscale=True)
    assert gray.shape == (427, 640)
    with pytest.raises(ValueError, match="choose 'china' or 'flower'"):
        datasets.sample_image("cat")


def test_relative_mflib_data_resolves_from_repo_root(data_dir, tmp_path, monkeypatch):
    """Kernels run in notebooks/, so a path given relative to the repository root must still work."""
    root = ds_registry.REPO_ROOT
    rel = os.path.relpath(data_dir, root)
    monkeypatch.setenv("MFLIB_DATA", rel)
    monkeypatch.chdir(tmp_path)
    assert datasets.data_home() == root / rel
    assert datasets.fetch("videos/shop.avi").is_file()


# -- the checksum memo ------------------------------------------------------------------

def test_checksum_memo_sees_a_byte_changed_in_place_with_its_mtime_restored(tmp_path, monkeypatch):
    """Like ``cp -p`` or ``rsync -t`` over a verified file: same size, same mtime, other bytes."""
    calls = []
    real = hashlib.file_digest
    monkeypatch.setattr(hashlib, "file_digest", lambda f, name: calls.append(name) or real(f, name))
    monkeypatch.setattr(ds_registry, "RACY_SECONDS", 0.2)
    path = tmp_path / "data.bin"
    path.write_bytes(b"A" * 4096)
    time.sleep(0.3)                                    # older than the racy window: remembered
    first = datasets.sha256(path)
    assert datasets.sha256(path) == first and len(calls) == 1, "an unchanged file is hashed once"
    st = os.stat(path)
    with open(path, "r+b") as f:
        f.seek(100)
        f.write(b"B")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == st.st_mtime_ns and os.stat(path).st_size == st.st_size
    assert datasets.sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest() != first


def test_a_file_changed_just_now_is_never_remembered(tmp_path, monkeypatch):
    """Within the clock tick of its last change, a second edit may keep even the ctime: hash again."""
    calls = []
    real = hashlib.file_digest
    monkeypatch.setattr(hashlib, "file_digest", lambda f, name: calls.append(name) or real(f, name))
    path = tmp_path / "fresh.bin"
    path.write_bytes(b"x")
    datasets.sha256(path)
    datasets.sha256(path)
    assert len(calls) == 2


def test_a_cached_entry_of_the_wrong_kind_is_named(tmp_path, monkeypatch):
    """A folder where a file belongs (or the reverse) in the cache: named, with the fix; never IsADirectoryError."""
    monkeypatch.delenv("MFLIB_DATA", raising=False)
    monkeypatch.setenv("MFLIB_CACHE", str(tmp_path))
    (tmp_path / "olivettifaces.mat").mkdir()
    with pytest.raises(DataNotFoundError, match=r"olivettifaces\.mat is not a file\. Delete .* and load again"):
        datasets.fetch("olivettifaces.mat")
    (tmp_path / "movielens").mkdir()
    (tmp_path / "movielens" / "ml-100k").write_text("not a folder")
    with pytest.raises(DataNotFoundError, match=r"ml-100k is not a folder\. Delete .* and load again"):
        datasets.fetch("movielens/ml-100k")


def test_a_cached_folder_missing_a_file_says_to_download_it_again(data_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("MFLIB_DATA", raising=False)
    monkeypatch.setenv("MFLIB_CACHE", str(tmp_path))
    shutil.copytree(data_dir / "movielens" / "ml-100k", tmp_path / "movielens" / "ml-100k")
    (tmp_path / "movielens" / "ml-100k" / "u1.base").unlink()
    with pytest.raises(DataNotFoundError, match=r"u1\.base is missing from .*ml-100k: the folder is incomplete\. "
                                                r"Delete .*ml-100k and load again to download a fresh copy"):
        datasets.movielens_100k()
