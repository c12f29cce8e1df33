"""mflib installed from a wheel, outside the repository: its data registry ships inside the package."""

import functools
import http.server
import json
import os
import shutil
import site
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SNIPPET = """
import json, os, sys
import mflib
from mflib import datasets, io
own = io.load_video(sys.argv[1], stop=3)                 # the reader's own clip
clip = io.load_video("videos/shop.avi", stop=5)          # a registered name, from MFLIB_DATA
os.environ.pop("MFLIB_DATA")                             # a download from the original URL paths
fetched = datasets.fetch("videos/escalator.avi")
print(json.dumps({"file": mflib.__file__, "registry": sorted(datasets.registered()),
                  "own": list(own.shape), "clip": list(clip.shape), "fetched": str(fetched),
                  "registered": datasets.is_registered("olivettifaces.mat")}))
"""


def _build_wheel(dest):
    """The wheel pip would build for ``pip install .``, from a copy of the sources (no build/ in the repo)."""
    src = dest / "src"
    shutil.copytree(ROOT / "mflib", src / "mflib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-q", "-w", str(dest), str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = dest.glob("mflib-*.whl")
    return wheel


@pytest.fixture
def escalator_source(data_dir, tmp_path):
    """The escalator clip served on 127.0.0.1 under its original URL path."""
    served = tmp_path / "served" / "andrewssobral/lrslibrary/raw/master/dataset"
    served.mkdir(parents=True)
    shutil.copy(data_dir / "videos" / "escalator.avi", served)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "served"))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_a_wheel_installed_outside_the_repository_finds_its_registry(tmp_path, data_dir, escalator_source):
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "mflib/data/registry.txt" in names and "mflib/data/checksums/movielens-ml-100k.sha256" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # the dependencies (numpy, OpenCV, ...) come from the test's environment; mflib only from the wheel
    Path(purelib, "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel)], check=True, capture_output=True, timeout=300)
    own = tmp_path / "elsewhere" / "own.avi"
    own.parent.mkdir()
    shutil.copy(data_dir / "videos" / "shop.avi", own)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MFLIB_DATA")}
    env.update(MFLIB_DATA=str(data_dir), MFLIB_CACHE=str(tmp_path / "cache"), MFLIB_MIRROR_URL=escalator_source)
    out = subprocess.run([python, "-c", SNIPPET, str(own)], cwd=own.parent, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout)
    assert Path(result["file"]).is_relative_to(venv) and not Path(result["file"]).is_relative_to(ROOT)
    assert {"olivettifaces.mat", "videos/shop.avi", "movielens/ml-100k"} <= set(result["registry"])
    assert result["own"][0] == 3 and result["clip"][0] == 5 and result["registered"]
    assert result["fetched"] == str(tmp_path / "cache" / "videos" / "escalator.avi")
