"""The reader's real path: no MFLIB_DATA, an empty cache, data from the original URLs.

A loopback HTTP server serves the offline mirror's files under the registry's own
URL paths (zips built from the mirror's folders, as the sources ship them), and
``MFLIB_MIRROR_URL`` points mflib at it -- everything else is what a reader runs.
"""

import functools
import hashlib
import http.server
import os
import threading
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from nbclient import NotebookClient

from mflib import datasets
from mflib.datasets import DataCorruptError

ROOT = Path(__file__).resolve().parent.parent


def _publish(data_dir, served):
    """Lay out the mirror under ``served`` the way the original sources serve it."""
    for relpath, (url, _) in datasets._registry().items():
        target = served / urlsplit(url).path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            continue
        source = data_dir / relpath
        if url.endswith(".zip"):       # the archive holds the folder itself, e.g. highway/...
            with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
                for file in sorted(p for p in source.rglob("*") if p.is_file()):
                    archive.write(file, Path(source.name) / file.relative_to(source))
        else:
            os.symlink(source.resolve(), target)


@pytest.fixture(scope="module")
def original_sources(data_dir, tmp_path_factory):
    """(server URL, request log): the registry's URL paths served on 127.0.0.1."""
    served = tmp_path_factory.mktemp("sources")
    _publish(data_dir, served)
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, fmt, *args):
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()


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
    for relpath in datasets._registry():
        path = datasets.fetch(relpath)
        assert path == cache / relpath
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        assert files, relpath
        for file in files:
            assert _digest(file) == _digest(data_dir / relpath / file.relative_to(path)
                                            if path.is_dir() else data_dir / relpath)
    assert len(requests) == len(datasets._registry())
    for relpath in datasets._registry():          # a second call is served by the cache
        datasets.fetch(relpath)
    assert len(requests) == len(datasets._registry())
    assert not list(cache.rglob(".download-*")), "staging folders must be cleaned up"
    out, err = capfd.readouterr()
    assert err == "" and out == "", "downloads must print nothing (stderr fails the book build)"


def test_corrupt_download_never_enters_the_cache(reader_machine, monkeypatch):
    cache, _ = reader_machine
    registry = datasets._registry()
    url, _ = registry["videos/shop.avi"]
    monkeypatch.setattr(datasets, "_registry", lambda: {"videos/shop.avi": (url, ["1" * 64])})
    with pytest.raises(DataCorruptError, match=r"download of videos/shop\.avi .* is corrupt or has been changed"):
        datasets.fetch("videos/shop.avi")
    assert not (cache / "videos" / "shop.avi").exists()
    assert not list(cache.rglob(".download-*"))


def test_changed_archive_never_enters_the_cache(reader_machine, monkeypatch, tmp_path):
    """A zip whose files do not match the manifest is rejected before it reaches the cache."""
    cache, _ = reader_machine
    lines = (datasets.REPO_DATA / "checksums" / "cdnet2014-baseline-highway.sha256").read_text().splitlines()
    fake = tmp_path / "repo-data"
    (fake / "checksums").mkdir(parents=True)
    (fake / "checksums" / "changed.sha256").write_text(
        "\n".join(["0" * 64 + "  " + lines[0].split(maxsplit=1)[1], *lines[1:]]))
    url, _ = datasets._registry()["cdnet2014/baseline/highway"]
    monkeypatch.setattr(datasets, "REPO_DATA", fake)
    monkeypatch.setattr(datasets, "_registry",
                        lambda: {"cdnet2014/baseline/highway": (url, ["manifest:changed.sha256"])})
    with pytest.raises(DataCorruptError, match=r"ROI\.bmp is corrupt or has been changed"):
        datasets.fetch("cdnet2014/baseline/highway")
    assert not (cache / "cdnet2014" / "baseline" / "highway").exists()
    assert not list(cache.rglob(".download-*"))


def test_a_data_chapter_executes_on_a_readers_machine_without_stderr(reader_machine):
    """Chapter 4 downloads the Olivetti faces itself and runs to the end, printing nothing to stderr."""
    cache, requests = reader_machine
    path = ROOT / "notebooks" / "04_nmf_faces.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    stderr = [out.get("text", "")[:500] for cell in nb.cells for out in cell.get("outputs", [])
              if out.get("output_type") == "stream" and out.get("name") == "stderr"]
    assert not stderr, stderr
    progress = [out for cell in nb.cells for out in cell.get("outputs", [])
                if out.get("output_type") == "display_data" and "text/html" in out.get("data", {})
                and out["data"]["text/html"] == ""]
    assert progress, "the download shows its progress in the notebook, then removes it"
    assert any(r.endswith("/files/5976027") for r in requests), "the chapter should have downloaded the faces"
    assert (cache / "olivettifaces.mat").is_file()
