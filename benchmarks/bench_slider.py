"""Live slider step for a 512x512 RGB image, and the static payload of chapter 2.

    python benchmarks/bench_slider.py

A live step is what dragging the slider in JupyterLab costs: reconstruct the
rank-k image from the cached factors, encode it, and replace the bytes of the
image widget. The per-frame cache is cleared before every step so each one
really does all three.
"""

import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from mflib.datasets import sample_image
from mflib.sliders import slider
from mflib.svd import SVDCompressor, psnr

ROOT = Path(__file__).resolve().parent.parent


def live_steps(repeats=3):
    img = cv2.resize(sample_image("china"), (512, 512), interpolation=cv2.INTER_AREA)
    start = time.perf_counter()
    comp = SVDCompressor().fit(img)
    fit_ms = 1000 * (time.perf_counter() - start)
    values = [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 400, 512]

    def render(k):                                 # as in chapter 2: image and its numbers
        approx = comp.reconstruct(k)
        return approx, f"k = {k}: PSNR {psnr(img, approx):.1f} dB"

    s = slider(render, values, name="k", value=20, fmt="jpeg", quality=90)
    s.widget()                                     # built once, as when the cell is shown
    times = []
    for _ in range(repeats):
        for k in values:
            s.frame.cache_clear()
            t0 = time.perf_counter()
            s.step(k)
            times.append(1000 * (time.perf_counter() - t0))
    return fit_ms, times


def chapter_payload():
    import nbformat
    from nbclient import NotebookClient

    path = ROOT / "notebooks" / "02_image_compression.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    sizes = [len(out["data"]["text/html"].encode())
             for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
             if "text/html" in out.get("data", {}) and "mflib-slider" in out["data"]["text/html"]]
    return sizes


def main():
    fit_ms, times = live_steps()
    times.sort()
    p90 = times[int(0.9 * (len(times) - 1))]
    print(f"512x512 RGB: factor once {fit_ms:.0f} ms; live step (reconstruct + JPEG + widget update) "
          f"median {statistics.median(times):.1f} ms, 90th percentile {p90:.1f} ms, max {times[-1]:.1f} ms "
          f"over {len(times)} steps")
    sizes = chapter_payload()
    print(f"chapter 2 static sliders: {len(sizes)} sliders, {', '.join(f'{b / 1e6:.2f} MB' for b in sizes)}; "
          f"total {sum(sizes) / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
