"""The reader's real path: no MFLIB_DATA, an empty cache, data from the original URLs.

A loopback HTTP server serves the offline mirror's files under the registry's own
URL paths (zips built from the mirror's folders, as the sources ship them), and
``MFLIB_MIRROR_URL`` points mflib at it -- everything else is what a reader runs.
"""

import errno
import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mflib import datasets
from mflib.datasets import CacheNotWritableError, DataCorruptError, DataNotFoundError, DownloadTimeoutError
from mflib.datasets import cache as ds_cache
from mflib.datasets import download as ds_download
from mflib.datasets import registry as ds_registry

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def reader_machine(original_sources, tmp_path, monkeypatch):
    """A reader's machine: MFLIB_DATA unset, an empty cache, the sources reachable."""
    url, requests = original_sources
    monkeypatch.delenv("MFLIB_DATA", raising=False)
    monkeypatch.setenv("MFLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MFLIB_MIRROR_URL", url)
    requests.clear()
    return tmp_path / "cache", requests


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_every_registered_data_set_downloads_verifies_and_caches(reader_machine, data_dir, capfd):
    cache, requests = reader_machine
    for relpath in datasets.registered():
        path = datasets.fetch(relpath)
        assert path == cache / relpath
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        assert files, relpath
        for file in files:
            assert _digest(file) == _digest(data_dir / relpath / file.relative_to(path)
                                            if path.is_dir() else data_dir / relpath)
    assert len(requests) == len(datasets.registered())
    for relpath in datasets.registered():          # a second call is served by the cache
        datasets.fetch(relpath)
    assert len(requests) == len(datasets.registered())
    assert not list(cache.rglob(".download-*")), "staging folders must be cleaned up"
    out, err = capfd.readouterr()
    assert err == "" and out == "", "downloads must print nothing (stderr fails the book build)"


def test_corrupt_download_never_enters_the_cache(reader_machine, monkeypatch):
    cache, _ = reader_machine
    registry = ds_registry._registry()
    url, _ = registry["videos/shop.avi"]
    monkeypatch.setattr(ds_registry, "_registry", lambda: {"videos/shop.avi": (url, ["1" * 64])})
    with pytest.raises(DataCorruptError, match=r"download of videos/shop\.avi .* is corrupt or has been changed"):
        datasets.fetch("videos/shop.avi")
    assert not (cache / "videos" / "shop.avi").exists()
    assert not list(cache.rglob(".download-*"))


def test_changed_archive_never_enters_the_cache(reader_machine, monkeypatch, tmp_path):
    """A zip whose files do not match the manifest is rejected before it reaches the cache."""
    cache, _ = reader_machine
    lines = (ds_registry.REGISTRY_DIR / "checksums" / "cdnet2014-baseline-highway.sha256").read_text().splitlines()
    fake = tmp_path / "repo-data"
    (fake / "checksums").mkdir(parents=True)
    (fake / "registry.txt").write_text((ds_registry.REGISTRY_DIR / "registry.txt").read_text())
    (fake / "checksums" / "changed.sha256").write_text(
        "\n".join(["0" * 64 + "  " + lines[0].split(maxsplit=1)[1], *lines[1:]]))
    url, _ = ds_registry._registry()["cdnet2014/baseline/highway"]
    monkeypatch.setattr(ds_registry, "REGISTRY_DIR", fake)
    monkeypatch.setattr(ds_registry, "_registry",
                        lambda: {"cdnet2014/baseline/highway": (url, ["manifest:changed.sha256"])})
    with pytest.raises(DataCorruptError,
                       match=r"is corrupt or has been changed: cdnet2014/baseline/highway/ROI\.bmp has SHA-256"):
        datasets.fetch("cdnet2014/baseline/highway")
    assert not (cache / "cdnet2014" / "baseline" / "highway").exists()
    assert not list(cache.rglob(".download-*"))


# -- faults: stalls, concurrent and killed downloads, errors by their cause ---------------

SCRIPT = """
import json, sys, time
from mflib import datasets
start = time.monotonic()
try:
    path = str(datasets.fetch(sys.argv[1]))
    error = None
except Exception as exc:
    path, error = None, f"{type(exc).__name__}: {exc}"
print(json.dumps({"path": path, "error": error, "seconds": time.monotonic() - start}))
"""


def _run_fetch(relpath, cache, mirror, preexec_fn=None):
    """Start a separate Python process that fetches ``relpath`` like a reader's kernel would."""
    env = {k: v for k, v in os.environ.items() if k != "MFLIB_DATA"}
    env.update(MFLIB_CACHE=str(cache), MFLIB_MIRROR_URL=mirror, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", SCRIPT, relpath], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn)


def _result(proc, timeout=120):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def serve():
    """``serve(respond) -> url``: a loopback server whose GET handler is ``respond(handler)``."""
    servers, stop = [], threading.Event()

    def start(respond):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                try:
                    respond(self, stop)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    stop.set()
    for server in servers:
        server.shutdown()
        server.server_close()


def trickle(interval, size=100_000):
    """A server that announces ``size`` bytes and sends one every ``interval`` seconds."""
    def respond(handler, stop):
        handler.send_response(200)
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        for _ in range(size):
            if stop.wait(interval):
                return
            handler.wfile.write(b"x")
            handler.wfile.flush()
    return respond


def body(data, status=200, requests=None, seconds=0.0):
    """A server that answers every path with ``data``, sent over about ``seconds``."""
    def respond(handler, stop):
        if requests is not None:
            requests.append(handler.path)
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        chunk = max(1, len(data) // 20)
        for i in range(0, len(data), chunk):
            handler.wfile.write(data[i:i + chunk])
            if seconds:
                stop.wait(seconds / 20)
    return respond


def _staging(cache):
    return sorted(cache.rglob(".download-*"))


@pytest.fixture
def reader(tmp_path, monkeypatch):
    """A reader's machine without data: MFLIB_DATA unset, an empty cache (set MFLIB_MIRROR_URL per test)."""
    monkeypatch.delenv("MFLIB_DATA", raising=False)
    monkeypatch.setenv("MFLIB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_server_sending_a_byte_every_two_seconds_cannot_hang_a_download(reader, serve, monkeypatch):
    url = serve(trickle(2.0))
    monkeypatch.setenv("MFLIB_MIRROR_URL", url)
    monkeypatch.setattr(ds_download, "DOWNLOAD_MIN_SECONDS", 3)     # the deadline, scaled down for the test
    monkeypatch.setattr(ds_download, "DOWNLOAD_MIN_RATE", 10**12)
    start = time.monotonic()
    with pytest.raises(DownloadTimeoutError) as err:
        datasets.fetch("videos/shop.avi")
    assert time.monotonic() - start < 8
    assert isinstance(err.value, TimeoutError)
    msg = str(err.value)
    assert f"{url}/andrewssobral/lrslibrary/raw/master/dataset/shop.avi" in msg and "did not finish within 3 s" in msg
    assert "MFLIB_DATA" in msg and "Try again later" in msg
    assert not (reader / "videos" / "shop.avi").exists() and not _staging(reader)


def test_the_deadline_scales_with_the_expected_size():
    """A slow link gets time for a big file: 60 s plus the size at 50 kB/s."""
    assert ds_download._deadline(28_000_000) == pytest.approx(60 + 560)
    assert ds_download._deadline(124_416) < ds_download._deadline(1_500_000) < ds_download._deadline(16_200_000)
    assert ds_download._deadline(None) == ds_download._deadline(ds_download.DOWNLOAD_UNKNOWN_SIZE)


def test_a_server_that_never_answers_fails_within_the_read_timeout(reader, serve, monkeypatch):
    def silent(handler, stop):
        stop.wait(60)
    monkeypatch.setenv("MFLIB_MIRROR_URL", serve(silent))
    monkeypatch.setattr(ds_download, "DOWNLOAD_TIMEOUT", 1)
    start = time.monotonic()
    with pytest.raises(DownloadTimeoutError, match=r"did not answer within 1 s\. Check MFLIB_MIRROR_URL"):
        datasets.fetch("videos/shop.avi")
    assert time.monotonic() - start < 5 and not _staging(reader)


@pytest.mark.slow
def test_two_processes_fetching_a_folder_download_it_once(reader, serve, data_dir, tmp_path):
    """The second process waits for the first one's download and uses it (no 'Directory not empty')."""
    archive = tmp_path / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        source = data_dir / "movielens" / "ml-100k"
        for file in sorted(p for p in source.rglob("*") if p.is_file()):
            zf.write(file, Path("ml-100k") / file.relative_to(source))
    requests = []
    url = serve(body(archive.read_bytes(), requests=requests, seconds=4))   # slow enough to overlap
    procs = [_run_fetch("movielens/ml-100k", reader, url) for _ in range(2)]
    results = [_result(p) for p in procs]
    assert [r["error"] for r in results] == [None, None], results
    assert {r["path"] for r in results} == {str(reader / "movielens" / "ml-100k")}
    assert len(requests) == 1, f"downloaded {len(requests)} times"
    assert min(r["seconds"] for r in results) > 2, "the second process waited for the first one's download"
    assert not _staging(reader)
    ds_registry._verify(reader / "movielens" / "ml-100k", ds_registry._registry()["movielens/ml-100k"][1], url)


def test_without_locks_concurrent_downloads_still_end_well(reader, original_sources, monkeypatch):
    """Where flock is missing (Windows), both download; the second keeps the first one's copy."""
    url, _ = original_sources
    monkeypatch.setenv("MFLIB_MIRROR_URL", url)
    monkeypatch.setattr(ds_cache, "fcntl", None)
    with ThreadPoolExecutor(2) as pool:
        paths = list(pool.map(datasets.fetch, ["movielens/ml-100k"] * 2))
    assert paths == [reader / "movielens" / "ml-100k"] * 2 and not _staging(reader)


def test_a_download_killed_with_sigkill_leaves_staging_that_the_next_download_sweeps(
        reader, serve, original_sources, monkeypatch):
    proc = _run_fetch("videos/shop.avi", reader, serve(trickle(0.2)))
    deadline = time.monotonic() + 60
    while not _staging(reader) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)                       # some bytes written
    proc.kill()
    proc.communicate()
    (left,) = _staging(reader)
    assert left.parent == reader / "videos" and any(left.iterdir())
    # a recent staging folder might be a live download: it stays until nothing was written for a while
    monkeypatch.setenv("MFLIB_MIRROR_URL", original_sources[0])
    assert datasets.fetch("videos/escalator.avi").is_file()
    assert left.exists()
    old = time.time() - ds_cache.STALE_SECONDS - 5
    for p in [left, *left.rglob("*")]:
        os.utime(p, (old, old))
    assert datasets.fetch("videos/shop.avi").is_file()
    assert not _staging(reader)


def test_a_staging_folder_whose_lock_is_held_is_kept(reader, original_sources, monkeypatch):
    monkeypatch.setenv("MFLIB_MIRROR_URL", original_sources[0])
    folder = reader / "videos"
    (reader / ".locks").mkdir(parents=True)
    live = folder / ".download-videos--escalator.avi-abc123"
    dead = folder / ".download-videos--escalator.avi-def456"
    for staging in (live, dead):
        staging.mkdir(parents=True)
        (staging / "escalator.avi").write_bytes(b"partial")
    old = time.time() - 3600
    for p in [live, dead, *live.iterdir(), *dead.iterdir()]:
        os.utime(p, (old, old))
    import fcntl
    with open(reader / ".locks" / "videos--escalator.avi.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)          # as a live process downloading the escalator would
        datasets.fetch("videos/shop.avi")
        assert live.exists() and dead.exists()
    datasets.fetch("videos/shop.avi")                  # cached: no download, no sweep
    assert live.exists()
    (reader / "videos" / "shop.avi").unlink()
    datasets.fetch("videos/shop.avi")                  # the lock is free now: both are abandoned
    assert not _staging(reader)


@pytest.mark.parametrize("mirror, why", [
    ("ftp://127.0.0.1/", "must start with http:// or https://"),
    ("127.0.0.1:8000", "must start with http:// or https://"),
    ("http://", "nothing is not a host name"),
    ("http://my mirror/", "is not a host name"),
    ("http://127.0.0.1:99999/", "port is not valid"),
    ("http://127.0.0.1:port/", "port is not valid"),
    ("http://127.0.0.1:8000/?x=1", "must not have a query"),
])
def test_an_invalid_mirror_url_is_reported_as_such(reader, monkeypatch, mirror, why):
    monkeypatch.setenv("MFLIB_MIRROR_URL", mirror)
    with pytest.raises(ValueError, match="MFLIB_MIRROR_URL=.* is not a server address") as err:
        datasets.fetch("videos/shop.avi")
    assert why in str(err.value) and not isinstance(err.value, DataCorruptError)
    assert not reader.exists()


def test_a_mirror_host_that_does_not_exist_is_named(reader, monkeypatch):
    monkeypatch.setenv("MFLIB_MIRROR_URL", "http://mflib-mirror.invalid")
    with pytest.raises(DataNotFoundError, match=r"the host mflib-mirror\.invalid was not found .* "
                                                r"Check MFLIB_MIRROR_URL=http://mflib-mirror\.invalid"):
        datasets.fetch("videos/shop.avi")


def test_an_http_error_is_reported_with_its_status(reader, serve, monkeypatch):
    monkeypatch.setenv("MFLIB_MIRROR_URL", serve(body(b"gone", status=404)))
    with pytest.raises(DataNotFoundError, match="the server answered HTTP 404"):
        datasets.fetch("videos/shop.avi")
    assert not _staging(reader)


def test_a_body_that_is_not_a_zip_is_reported_as_such(reader, serve, monkeypatch):
    page = b"<!DOCTYPE html><html><body>Please log in to the hotel wifi</body></html>"
    monkeypatch.setenv("MFLIB_MIRROR_URL", serve(body(page)))
    with pytest.raises(DataCorruptError) as err:
        datasets.fetch("movielens/ml-100k")
    msg = str(err.value)
    assert "the server returned something that is not a zip" in msg and "b'<!DOCTYPE html>" in msg
    assert "Connect to the internet" not in msg
    assert not (reader / "movielens" / "ml-100k").exists() and not _staging(reader)


def test_a_wrong_single_file_shows_what_arrived(reader, serve, monkeypatch):
    monkeypatch.setenv("MFLIB_MIRROR_URL", serve(body(b"<html>maintenance</html>")))
    with pytest.raises(DataCorruptError, match=r"is corrupt or has been changed: videos/shop\.avi has SHA-256 "
                                               r".* \(24 bytes starting b'<html>maintenance"):
        datasets.fetch("videos/shop.avi")


def test_a_server_sending_far_more_than_expected_is_stopped(reader, serve, monkeypatch):
    monkeypatch.setenv("MFLIB_MIRROR_URL", serve(body(b"x" * (2 * 124_416 + 2**20 + 1))))
    with pytest.raises(DataCorruptError, match="announces 1,297,409 bytes for videos/shop.avi"):
        datasets.fetch("videos/shop.avi")


def _cache_error_message(err, cache_setting):
    msg = str(err.value)
    assert isinstance(err.value, CacheNotWritableError)
    assert f"MFLIB_CACHE={cache_setting}" in msg and "Set MFLIB_CACHE to a folder you can write to" in msg
    assert ".download-" not in msg and "tmp" not in msg.replace(str(cache_setting), "")
    return msg


def test_a_cache_that_is_a_file_is_named(reader, monkeypatch, original_sources):
    monkeypatch.setenv("MFLIB_MIRROR_URL", original_sources[0])
    reader.write_text("not a folder")
    with pytest.raises(DataNotFoundError) as err:
        datasets.fetch("videos/shop.avi")
    assert f"{reader} is a file" in _cache_error_message(err, reader)
    assert reader.read_text() == "not a folder"


def test_a_read_only_cache_is_named(reader, monkeypatch, original_sources):
    monkeypatch.setenv("MFLIB_MIRROR_URL", original_sources[0])
    reader.mkdir()
    if os.geteuid() == 0:                 # permission bits do not stop root: refuse as a read-only disk would
        real_mkdir = os.mkdir

        def read_only_mkdir(path, *args, **kwargs):
            if str(path).startswith(str(reader)):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            return real_mkdir(path, *args, **kwargs)
        monkeypatch.setattr(os, "mkdir", read_only_mkdir)
    else:
        reader.chmod(0o555)
    try:
        with pytest.raises(DataNotFoundError) as err:
            datasets.fetch("videos/shop.avi")
    finally:
        reader.chmod(0o755)
    assert "cannot be written" in _cache_error_message(err, reader)
    assert not list(reader.iterdir())


def _small_disk():
    """Run in the child: files may not grow past 200 kB, as on a nearly full disk (EFBIG, like ENOSPC)."""
    import resource
    import signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


def test_a_full_disk_during_a_download_is_reported_and_leaves_nothing(reader, original_sources):
    result = _result(_run_fetch("videos/escalator.avi", reader, original_sources[0], preexec_fn=_small_disk))
    assert result["error"].startswith("CacheNotWritableError: videos/escalator.avi cannot be downloaded")
    assert "is on a full disk" in result["error"] and ".download-" not in result["error"]
    assert not (reader / "videos" / "escalator.avi").exists() and not _staging(reader)


def test_a_connection_reset_mid_download_is_reported_as_broken_off(reader, serve, monkeypatch):
    def reset(handler, stop):
        import socket
        import struct
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"z" * 1000)
        handler.wfile.flush()
        stop.wait(0.3)
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()                     # an RST, as a dropped mobile link or a proxy gives
    monkeypatch.setenv("MFLIB_MIRROR_URL", serve(reset))
    with pytest.raises(DataNotFoundError, match=r"broke off after 1,000 of 100,000 bytes"):
        datasets.fetch("videos/shop.avi")
    assert not _staging(reader)
