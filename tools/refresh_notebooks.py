"""Execute notebooks and keep only the outputs that nbval checks.

    python tools/refresh_notebooks.py notebooks/01_evd_to_svd.ipynb [...]

The book re-executes every notebook, so the repository stores notebooks without
outputs -- except the cells tagged ``nbval-check-output``: their text outputs
are the reference that ``pytest --nbval-lax`` compares against. The tag lives in
the cell's metadata, so readers of the book never see it.
Needs MFLIB_DATA (or network access) for the data sets.

    python tools/refresh_notebooks.py --check notebooks/*.ipynb

only checks that outputs are stored in checked cells alone (the pre-commit hook).
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TAG = "nbval-check-output"


def is_checked(cell):
    return cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])


def unchecked_outputs(nb):
    """Code cells (1-based among code cells) that carry outputs but are not checked by nbval."""
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    return [n for n, c in enumerate(code_cells, start=1)
            if not is_checked(c) and (c.get("outputs") or c.get("execution_count") is not None)]


def strip(nb):
    """Keep outputs of checked cells only, numbered by position so diffs stay stable."""
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        if is_checked(cell):
            # nbval skips outputs of cells without a count
            cell.execution_count = number
            for out in cell.outputs:
                if out.get("output_type") == "execute_result":
                    out["execution_count"] = number
        else:
            cell.execution_count = None
            cell.outputs = []
    nb.metadata.pop("widgets", None)
    return nb


def refresh(path):
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:  # the book build fails on stderr output: fail here first
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                sys.exit(f"{path}: a cell wrote to stderr:\n{cell.source[:300]}\n---\n{out['text'][:2000]}")
    for cell in filter(is_checked, nb.cells):
        if any(k.startswith("image/") for out in cell.outputs for k in out.get("data", {})):
            sys.exit(f"{path}: a cell tagged {TAG} shows a figure; nbval must compare text only -- "
                     f"move the plot to its own cell:\n{cell.source[:300]}")
    nbformat.write(strip(nb), path)
    return elapsed


def check(paths):
    bad = [f"{p}: code cells {cells} store outputs but are not tagged {TAG}"
           for p in paths if (cells := unchecked_outputs(nbformat.read(p, as_version=4)))]
    if bad:
        sys.exit("\n".join(bad) + "\nRun: python tools/refresh_notebooks.py NOTEBOOK")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--check"]:
        check(args[1:])
    else:
        for arg in args:
            print(f"{arg}: executed in {refresh(arg):.1f} s")
