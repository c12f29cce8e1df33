"""Shared fixtures: the data folder, the original sources on 127.0.0.1, and one build of the book.

The book build is the one place where the chapters execute: it runs on a reader's machine (no
``MFLIB_DATA``, an empty cache, every data set downloaded from a loopback copy of its original URL),
and the notebook, book and browser tests all read what that single execution produced.
"""

import functools
import http.server
import os
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(items):
    """Markers that follow from the fixtures a test uses: real data, or the (slow) book build."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "data_dir" in fixtures or "original_sources" in fixtures:
            item.add_marker(pytest.mark.data)
        if "built_book" in fixtures:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def data_dir():
    """The folder holding the real data sets: MFLIB_DATA, or the cache after downloading them."""
    from mflib import datasets

    for relpath in datasets.registered():   # downloads what is missing; fails with a clear message
        datasets.fetch(relpath)
    return datasets.data_home()


def _publish(data_dir, served):
    """Lay out the mirror under ``served`` the way the original sources serve it."""
    from mflib.datasets import registry

    for relpath, (url, _) in registry._registry().items():
        target = served / urlsplit(url).path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            continue
        source = data_dir / relpath
        if url.endswith(".zip") and source.is_dir():   # the archive holds the folder itself, e.g. highway/...
            with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
                for file in sorted(p for p in source.rglob("*") if p.is_file()):
                    archive.write(file, Path(source.name) / file.relative_to(source))
        else:
            os.symlink(source.resolve(), target)


@pytest.fixture(scope="session")
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


@pytest.fixture(scope="session")
def built_book(tmp_path_factory, original_sources):
    """Build the whole book once on a reader's machine, warnings as errors.

    Returns (html folder, build log). The executed chapters are in ``html/../jupyter_execute`` and the
    data the chapters downloaded in ``html/../../reader-cache``.
    """
    out = tmp_path_factory.mktemp("book")
    url, _ = original_sources
    env = {k: v for k, v in os.environ.items() if k != "MFLIB_DATA"}
    env.update(MFLIB_CACHE=str(out / "reader-cache"), MFLIB_MIRROR_URL=url)
    cmd = [shutil.which("jupyter-book") or "jupyter-book", "build", str(ROOT),
           "--path-output", str(out), "-W", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=3600, env=env)
    log = proc.stdout + proc.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "book-build.log").write_text(log)
    assert proc.returncode == 0, f"book build failed (log in {ARTIFACTS}/book-build.log):\n{log[-6000:]}"
    return out / "_build" / "html", log
