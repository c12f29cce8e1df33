"""Execute notebooks and keep only the outputs that nbval checks.

    python tools/refresh_notebooks.py notebooks/01_evd_to_svd.ipynb [...]

The book re-executes every notebook, so the repository stores notebooks without
outputs -- except the cells whose first line is ``# NBVAL_CHECK_OUTPUT``: their
text outputs are the reference that ``pytest --nbval-lax`` compares against.
Needs MFLIB_DATA (or network access) for the data sets.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

MARK = "# NBVAL_CHECK_OUTPUT"


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
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        if cell.source.lstrip().startswith(MARK):
            if any(k.startswith("image/") for out in cell.outputs for k in out.get("data", {})):
                sys.exit(f"{path}: a {MARK} cell shows a figure; nbval must compare text only -- "
                         f"move the plot to its own cell:\n{cell.source[:300]}")
            # nbval skips outputs of cells without a count; number by position for stable diffs
            cell.execution_count = number
            for out in cell.outputs:
                if out.get("output_type") == "execute_result":
                    out["execution_count"] = number
        else:
            cell.execution_count = None
            cell.outputs = []
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return elapsed


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"{arg}: executed in {refresh(arg):.1f} s")
