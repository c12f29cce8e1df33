"""House rules a reviewer would otherwise check by hand: tidy code, clean notebooks, one command everywhere."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))
from refresh_notebooks import TAG, unchecked_outputs  # noqa: E402


def readme_commands():
    """The README's two commands: {"build": ..., "test": ...}."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines() if line.startswith("python3 -m venv")]
    build = [line for line in lines if line.endswith("jupyter-book build . -W --keep-going")]
    test = [line for line in lines if line.endswith("python -m pytest")]
    assert len(build) == 1 and len(test) == 1, "the README states one build and one test command"
    return {"build": build[0], "test": test[0]}


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_store_outputs_only_in_checked_cells(path):
    nb = nbformat.read(path, as_version=4)
    assert not unchecked_outputs(nb), f"run: python tools/refresh_notebooks.py {path.relative_to(ROOT)}"
    checked = [c for c in nb.cells if TAG in c.metadata.get("tags", [])]
    assert checked, f"{path.name}: nbval compares no cell; tag the cells whose text output is the reference"
    assert all(c.outputs for c in checked), f"{path.name}: a checked cell stores no reference output"
    marks = [c.source[:60] for c in nb.cells if "NBVAL_" in c.source]
    assert not marks, f"{path.name}: nbval markers in cell sources are shown to readers; use the {TAG} tag"


def test_readme_commands_create_a_venv_and_ci_runs_the_test_command():
    commands = readme_commands()
    for command in commands.values():
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1].strip() == commands["test"], ".ci/run must end by running the README's test command"


def test_publish_workflow_builds_with_the_readme_command_and_deploys_pages():
    workflow = (ROOT / ".github" / "workflows" / "publish.yml").read_text()
    runs = [line.split("run:", 1)[1].strip() for line in workflow.splitlines() if line.strip().startswith("run:")]
    assert readme_commands()["build"] in runs
    assert "actions/upload-pages-artifact" in workflow and "path: _build/html" in workflow
    assert "actions/deploy-pages" in workflow and "pages: write" in workflow


def test_minimum_python_is_stated_consistently():
    pyproject = (ROOT / "pyproject.toml").read_text()
    minimum = re.search(r'requires-python = ">=(3\.\d+)"', pyproject).group(1)
    assert f"Python ≥ {minimum}" in (ROOT / "README.md").read_text()
    assert f"Python >= {minimum}" in (ROOT / "requirements.txt").read_text()
    assert sys.version_info >= tuple(map(int, minimum.split(".")))
