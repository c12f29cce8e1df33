"""Shared fixtures: the data folder, and one build of the book for the book and browser tests."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def data_dir():
    """The folder holding the real data sets: MFLIB_DATA, or the cache after downloading them."""
    from mflib import datasets

    for relpath in datasets._registry():   # downloads what is missing; fails with a clear message
        datasets.fetch(relpath)
    return datasets.data_home()


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """Build the whole book once, warnings as errors; return (html folder, build log)."""
    out = tmp_path_factory.mktemp("book")
    cmd = [shutil.which("jupyter-book") or "jupyter-book", "build", str(ROOT),
           "--path-output", str(out), "-W", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=3600)
    log = proc.stdout + proc.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "book-build.log").write_text(log)
    assert proc.returncode == 0, f"book build failed (log in {ARTIFACTS}/book-build.log):\n{log[-6000:]}"
    return out / "_build" / "html", log
