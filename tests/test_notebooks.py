"""nbval's check on the book build's own execution: each chapter runs once per test run.

The cells tagged ``nbval-check-output`` store reference text outputs; the chapters executed by the
book build (``built_book``) must reproduce them, compared as ``pytest --nbval-lax`` compares them
(streams joined per name, images, widget ids and metadata ignored). Running ``pytest --nbval-lax
notebooks/NN_x.ipynb`` by hand executes one chapter and checks the same cells.
"""

from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import coalesce_streams, transform_streams_for_comparison

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TAG = "nbval-check-output"
SKIP = {"metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
        "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg"}   # nbval's defaults


def shown(out):
    """False for a display the cell emptied again: a download's progress, which a reader saw vanish."""
    return not (out.get("output_type") == "display_data" and out.get("data", {}).get("text/html") == "")


def comparable(outputs):
    """nbval's view of a cell's outputs: {key or MIME type: [values in order]}."""
    flat = defaultdict(list)
    for out in transform_streams_for_comparison(coalesce_streams([o for o in outputs if shown(o)])):
        for key, value in out.items():
            if key == "data":
                for mime, data in value.items():     # myst-nb keeps glue's records for the page, not the cell
                    if mime not in SKIP and not mime.startswith("application/papermill.record/"):
                        flat[mime].append(data)
            elif key not in SKIP:
                flat[key].append(value)
    return dict(flat)


def checked_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and TAG in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_checked_outputs_match_the_stored_reference(built_book, path):
    html, _ = built_book
    executed = nbformat.read(html.parent / "jupyter_execute" / "notebooks" / path.name, as_version=4)
    stored = nbformat.read(path, as_version=4)
    ran, ref = checked_cells(executed), checked_cells(stored)
    assert ref, f"{path.name}: no cell is tagged {TAG}"
    assert [c.source for c in ran] == [c.source for c in ref], "the executed chapter is not the stored one"
    for number, (new, old) in enumerate(zip(ran, ref), start=1):
        assert comparable(new.outputs) == comparable(old.outputs), (
            f"{path.name}, checked cell {number}:\n{old.source[:400]}\n"
            f"stored:   {comparable(old.outputs)}\nexecuted: {comparable(new.outputs)}\n"
            f"refresh with: python tools/refresh_notebooks.py notebooks/{path.name}")


def test_every_cell_of_every_chapter_ran(built_book):
    html, _ = built_book
    for path in CHAPTERS:
        executed = nbformat.read(html.parent / "jupyter_execute" / "notebooks" / path.name, as_version=4)
        code = [c for c in executed.cells if c.cell_type == "code" and c.source.strip()]
        assert all(c.execution_count for c in code), f"{path.name}: a code cell did not run"
