"""Live slider step for a 512x512 RGB image, and the static payload of chapter 2.

    MFLIB_DATA=/work/shared/data python benchmarks/bench_slider.py [--repeats 3] [--no-chapter]

A live step is what dragging the slider in JupyterLab costs: reconstruct the
rank-k image from the cached factors, compute the caption's numbers, encode the
frame as JPEG and replace the bytes of the image widget. The slider's frame
cache is cleared before every step, so each one really does all of it.

The second part executes chapter 2 (as the book build does) and prints the
size of what its page embeds: the static sliders (HTML with every frame as a
data URI) and the figures.
"""

import argparse
import base64
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from mflib.datasets import sample_image
from mflib.sliders import slider
from mflib.svd import SVDCompressor, psnr, relative_error

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "02_image_compression.ipynb"


def ms_since(start):
    return 1000 * (time.perf_counter() - start)


def summary(times):
    times = sorted(times)
    return (f"median {statistics.median(times):.1f} ms, 90th percentile "
            f"{times[int(0.9 * (len(times) - 1))]:.1f} ms, max {times[-1]:.1f} ms")


def image_widgets(widget):
    import ipywidgets

    if isinstance(widget, ipywidgets.Image):
        return [widget]
    return [im for child in getattr(widget, "children", ()) for im in image_widgets(child)]


def live_steps(repeats):
    img = np.clip(cv2.resize(sample_image("china"), (512, 512), interpolation=cv2.INTER_AREA), 0, 1)
    start = time.perf_counter()
    comp = SVDCompressor().fit(img)
    fit_ms = ms_since(start)

    def render(k):  # the chapter's compression_view: the frame and its numbers
        approx = comp.reconstruct(k)
        return approx, (f"k = {k}: storage {100 * comp.compression_ratio(k):.1f}% of the pixel values, "
                        f"relative error {relative_error(img, approx):.4f}, PSNR {psnr(img, approx):.1f} dB")

    values = [int(k) for k in np.unique(np.geomspace(1, comp.max_rank_, 30).astype(int))]
    s = slider(render, values, name="k", value=values[0], fmt="jpeg", quality=85)
    images = image_widgets(s.widget())                          # built once, as when shown
    order = np.random.default_rng(0).permutation(len(values))
    steps, recon, current = [], [], 0
    for _ in range(repeats):
        for i in order:
            if i == current:
                continue                                         # an unchanged value fires nothing
            current = i
            s.frame.cache_clear()
            before = images[0].value
            start = time.perf_counter()
            s.step(values[i])
            steps.append(ms_since(start))
            assert images[0].value != before, "the widget was not updated"
            start = time.perf_counter()
            comp.reconstruct(values[i])
            recon.append(ms_since(start))
    return fit_ms, values, steps, recon


def chapter_payload():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(CHAPTER, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(CHAPTER.parent)}}).execute()
    seconds = time.perf_counter() - start
    sliders, figures = [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "mflib-slider" in data.get("text/html", ""):
                sliders.append(len(data["text/html"].encode()))
            elif "image/png" in data:
                figures.append(len(base64.b64decode(data["image/png"])))
    return seconds, sliders, figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="passes over all slider values")
    parser.add_argument("--no-chapter", action="store_true", help="skip executing chapter 2")
    args = parser.parse_args()

    fit_ms, values, steps, recon = live_steps(args.repeats)
    print(f"512x512 RGB, per-channel SVD: factor once {fit_ms:.0f} ms")
    print(f"live step (reconstruct + caption numbers + JPEG q85 + widget update), {len(steps)} steps "
          f"over {len(values)} values of k from {values[0]} to {values[-1]}: {summary(steps)}")
    print(f"  of which reconstruct alone: {summary(recon)}")
    if args.no_chapter:
        return 0
    seconds, sliders, figures = chapter_payload()
    print(f"chapter 2 executed in {seconds:.1f} s")
    print(f"chapter 2 page payload: {len(sliders)} static sliders "
          f"({', '.join(f'{b / 1e6:.2f} MB' for b in sliders)}; total {sum(sliders) / 1e6:.2f} MB) "
          f"+ {len(figures)} figures ({sum(figures) / 1e6:.2f} MB) = {(sum(sliders) + sum(figures)) / 1e6:.2f} MB")
    built = ROOT / "_build" / "html" / "notebooks" / CHAPTER.with_suffix(".html").name
    if built.exists():
        print(f"built page {built.relative_to(ROOT)}: {built.stat().st_size / 1e6:.2f} MB of HTML "
              "(figures are separate files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
