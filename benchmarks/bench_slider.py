"""The every-k slider: per-step time in headless Chromium, the live step in Python, and chapter 2's payload.

    MFLIB_DATA=../shared/data python benchmarks/bench_slider.py [--steps 60] [--no-chapter]

Browser: a page holding chapter 2's two every-k sliders (the 427 x 640 grayscale
photograph, every k from 1 to 427; the colour slider's three 106 x 160 pictures,
here each at rank k) is
opened in headless Chromium (Debian's ``chromium`` and ``chromedriver``). Each
step sets the range input and fires its ``input`` event, as dragging does; the
time runs until the canvas has been redrawn and read back (``getImageData``
forces the drawing to finish). Measured with ``performance.now()`` in the page:
drag steps (k to k + 1), and jumps to random k, both after the page has built
its snapshots of partial sums (what a reader gets after the first second) and,
for jumps, on a freshly loaded page before they exist.

Live: the same slider in Python, stepping the ipywidgets form (decode the
quantized factors for k, encode PNG, replace the image bytes).

Chapter: executes chapter 2 (as the book build does) and prints what its page
embeds; if the book was built, the size of the built HTML page.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from mflib.datasets import sample_image
from mflib.sliders import lowrank_panel, lowrank_slider
from mflib.svd import SVDCompressor

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "02_image_compression.ipynb"


def summary(times):
    times = sorted(times)
    return (f"median {statistics.median(times):.1f} ms, 90th percentile "
            f"{times[int(0.9 * (len(times) - 1))]:.1f} ms, max {times[-1]:.1f} ms (n = {len(times)})")


def chapter_sliders():
    """Chapter 2's every-k sliders, built as the chapter builds them."""
    A = sample_image("china", grayscale=True)
    gray = lowrank_slider(*np.linalg.svd(A, full_matrices=False), value=20, reference=A, title="grayscale")
    rgb = sample_image("china")
    small = np.clip(cv2.resize(rgb, (rgb.shape[1] // 4, rgb.shape[0] // 4), interpolation=cv2.INTER_AREA), 0, 1)
    panels = []
    for mode in ("channels", "wide", "tall"):
        c = SVDCompressor(layout=mode).fit(small)
        kmax = 106
        ranks = [min(k, c.max_rank_) for k in range(1, kmax + 1)]
        panels.append(lowrank_panel(*c.factors(), layout=c.layout_, reference=small, label=mode, ranks=ranks))
    colour = lowrank_slider(panels, value=10, width=320, title="colour")
    return gray, colour


STEP_JS = """
var root = arguments[0], ks = arguments[1], input = root.querySelector('input[type=range]');
var canvases = root.querySelectorAll('canvas'), times = [];
for (var j = 0; j < ks.length; j++) {
  var t0 = performance.now();
  input.value = ks[j];
  input.dispatchEvent(new Event('input'));
  for (var c = 0; c < canvases.length; c++) canvases[c].getContext('2d').getImageData(0, 0, 1, 1);
  document.body.offsetHeight;
  times.push(performance.now() - t0);
}
return times;
"""


def browser_steps(sliders, n_steps):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not binary or not driver_path:
        print("browser: skipped (needs chromium and chromedriver: apt-get install chromium chromium-driver)")
        return
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600"]:
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=Service(driver_path))
    rng = np.random.default_rng(0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            page = Path(tmp) / "sliders.html"
            page.write_text("<!doctype html><html><body>" + "".join(s.static_html() for s in sliders)
                            + "</body></html>")
            print(f"browser page: {page.stat().st_size / 1e6:.2f} MB; "
                  f"{driver.capabilities.get('browserVersion', '?')} headless")
            for i, s in enumerate(sliders):
                K = s.K
                jumps = [int(k) for k in rng.integers(1, K + 1, n_steps)]
                driver.get(page.as_uri())
                root = driver.find_elements("css selector", ".mflib-slider")[i]
                cold = driver.execute_script(STEP_JS, root, jumps[:10])     # before snapshots exist
                time.sleep(3)                                                # let the page build them
                start = int(rng.integers(1, K - n_steps))
                drag = driver.execute_script(STEP_JS, root, list(range(start, start + n_steps)))
                warm = driver.execute_script(STEP_JS, root, jumps)
                readout = driver.execute_script(
                    "return arguments[0].querySelector('.mflib-slider-readout').textContent", root)
                assert readout.startswith(f"k = {jumps[-1]}"), readout
                shape = " + ".join(f"{p.shape[0]}x{p.shape[1]}" for p in s.panels)
                print(f"{s.title} slider ({shape}, k = 1..{K}, {s.payload_bytes / 1e6:.2f} MB):")
                print(f"  drag step k -> k+1:          {summary(drag)}")
                print(f"  jump to a random k:          {summary(warm)}")
                print(f"  jump, page just loaded:      {summary(cold)}")
    finally:
        driver.quit()


def live_steps(slider, n_steps):
    slider.widget()
    rng = np.random.default_rng(1)
    times = []
    for k in rng.integers(1, slider.K + 1, n_steps):
        start = time.perf_counter()
        slider.step(int(k))
        times.append(1000 * (time.perf_counter() - start))
    print(f"live (Jupyter) step of the grayscale slider, random k: {summary(times)}")


def chapter_payload():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(CHAPTER, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(CHAPTER.parent)}}).execute()
    seconds = time.perf_counter() - start
    sliders = [len(out["data"]["text/html"].encode()) for cell in nb.cells for out in cell.get("outputs", [])
               if "mflib-slider" in out.get("data", {}).get("text/html", "")]
    print(f"chapter 2 executed in {seconds:.1f} s; its {len(sliders)} sliders embed "
          f"{', '.join(f'{b / 1e6:.2f}' for b in sliders)} MB (total {sum(sliders) / 1e6:.2f} MB)")
    built = ROOT / "_build" / "html" / "notebooks" / CHAPTER.with_suffix(".html").name
    if built.exists():
        print(f"built page {built.relative_to(ROOT)}: {built.stat().st_size / 1e6:.2f} MB of HTML "
              "(figures are separate files)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="steps per measurement")
    parser.add_argument("--no-chapter", action="store_true", help="skip executing chapter 2")
    args = parser.parse_args()
    start = time.perf_counter()
    gray, colour = chapter_sliders()
    print(f"built both sliders in Python in {time.perf_counter() - start:.1f} s")
    browser_steps([gray, colour], args.steps)
    live_steps(gray, 20)
    if not args.no_chapter:
        chapter_payload()
    return 0


if __name__ == "__main__":
    sys.exit(main())
