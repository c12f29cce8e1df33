"""The built book in headless Chromium, as a reader sees it: no kernel, no server but static files.

Needs Chromium and ChromeDriver (Debian: `apt-get install chromium chromium-driver`; `.ci/run` installs them).
Screenshots are saved in test-artifacts/.
"""

import functools
import http.server
import shutil
import threading

import pytest
from conftest import ARTIFACTS
from test_book import CHAPTERS, PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MATH_PAGES = [*CHAPTERS, "book/notation"]
MIN_EXERCISES = 5


@pytest.fixture(scope="module")
def site(built_book):
    html, _ = built_book
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.fail("Chromium and ChromeDriver are needed: apt-get install chromium chromium-driver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,2000"]:
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(driver_path))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _open(browser, url):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get_log("browser")                     # drop what earlier pages logged
    browser.get(url)
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _wait_for_math(browser):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "return !!(window.MathJax && MathJax.startup && MathJax.startup.promise)"))
    browser.execute_async_script("MathJax.startup.promise.then(arguments[0]);")


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_cleanly(browser, site, page):
    _open(browser, f"{site}/{page}.html")
    if page in MATH_PAGES:
        _wait_for_math(browser)
        typeset = browser.execute_script("return document.querySelectorAll('mjx-container').length")
        raw = browser.execute_script(
            "return [...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container')).length")
        assert typeset > 0 and raw == 0, f"{page}: {typeset} typeset, {raw} left raw"
    broken = browser.execute_script(
        "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 80))")
    assert not broken, f"{page}: broken images {broken}"
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors {errors}"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{page.replace('/', '_')}.png"))


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_slider_moves_the_picture(browser, site, page):
    from selenium.webdriver.common.keys import Keys

    _open(browser, f"{site}/{page}.html")
    sliders = browser.find_elements("css selector", ".mflib-slider")
    assert sliders, f"{page} has no slider"
    for n, root in enumerate(sliders):
        control = root.find_element("css selector", "input[type=range]")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", root)
        state = "return [arguments[0].querySelector('.mflib-slider-readout').textContent," \
                " [...arguments[0].querySelectorAll('.mflib-slider-img')].map(i => i.src)" \
                ".concat([...arguments[0].querySelectorAll('.mflib-slider-canvas')].map(c => c.toDataURL()))]"
        readout, srcs = browser.execute_script(state, root)
        control.click()                                   # focus, as a reader's first touch
        key = Keys.ARROW_LEFT if control.get_attribute("value") == control.get_attribute("max") else Keys.ARROW_RIGHT
        moved_readout, moved_srcs = browser.execute_script(state, root)
        if (moved_readout, moved_srcs) == (readout, srcs):
            control.send_keys(key)                        # the click landed on the current value
            moved_readout, moved_srcs = browser.execute_script(state, root)
        assert moved_readout != readout, f"{page} slider {n}: readout stayed {readout!r}"
        assert moved_srcs != srcs, f"{page} slider {n}: picture did not change"
        loaded = browser.execute_script(
            "return [...arguments[0].querySelectorAll('.mflib-slider-img')]"
            ".every(i => i.complete && i.naturalWidth > 0)",
            root)
        assert loaded, f"{page} slider {n}: new frame failed to load"
        ARTIFACTS.mkdir(exist_ok=True)
        root.screenshot(str(ARTIFACTS / f"slider_{page.split('/')[-1]}_{n}.png"))
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors {errors}"


@pytest.mark.parametrize("page", ["notebooks/01_evd_to_svd", "notebooks/02_image_compression"])
def test_lowrank_slider_reaches_random_k(browser, site, page):
    """The every-k sliders: random positions, each redraws the canvas and names its k in the readout."""
    import random

    _open(browser, f"{site}/{page}.html")
    roots = browser.find_elements("css selector", ".mflib-slider[data-kind=lowrank]")
    assert roots, f"{page} has no every-k slider"
    rng = random.Random(0)
    for n, root in enumerate(roots):
        control = root.find_element("css selector", "input[type=range]")
        kmax, name = int(control.get_attribute("max")), control.get_attribute("aria-label")
        assert kmax > 12, f"{page} slider {n}: only {kmax} positions"
        seen = set()
        for k in rng.sample(range(1, kmax + 1), 5):
            readout, pictures = browser.execute_script(
                "var r = arguments[0], input = r.querySelector('input[type=range]');"
                "input.value = arguments[1]; input.dispatchEvent(new Event('input'));"
                "return [r.querySelector('.mflib-slider-readout').textContent,"
                " [...r.querySelectorAll('.mflib-slider-canvas')].map(c => c.toDataURL()).join()]", root, k)
            assert f"{name} = {k}" in readout, f"{page} slider {n}: readout {readout!r} for {name} = {k}"
            assert pictures not in seen, f"{page} slider {n}: picture unchanged at {name} = {k}"
            seen.add(pictures)
        ARTIFACTS.mkdir(exist_ok=True)
        root.screenshot(str(ARTIFACTS / f"lowrank_{page.split('/')[-1]}_{n}.png"))
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors {errors}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_exercises_hide_their_solutions_until_opened(browser, site, page):
    """Each chapter has its exercises; a solution's content shows only after the reader opens it."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, f"{site}/{page}.html")
    exercises = browser.find_elements("css selector", "div.exercise")
    solutions = browser.find_elements("css selector", "div.solution")
    assert len(exercises) >= MIN_EXERCISES, f"{page}: {len(exercises)} exercises"
    assert len(solutions) >= len(exercises), f"{page}: {len(solutions)} solutions for {len(exercises)} exercises"
    for n, solution in enumerate(solutions):
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", solution)
        body = solution.find_elements("css selector", ":scope > *:not(.admonition-title)")
        assert body and not any(b.is_displayed() for b in body), f"{page} solution {n} is visible before opening"
        solution.find_element("css selector", "button.toggle-button").click()   # the reader's "Click to show"
        try:                                                   # the dropdown opens with a short animation
            WebDriverWait(browser, 5).until(lambda _: any(b.is_displayed() for b in body))
        except TimeoutException:
            pytest.fail(f"{page} solution {n} does not open")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"exercises_{page.split('/')[-1]}.png"))
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors {errors}"


def test_every_k_slider_draws_what_python_says_at_random_k(browser, tmp_path):
    """The canvas of the every-k slider, read back pixel by pixel, equals LowRankSlider.picture(k).

    Random positions, up and down (the downward step subtracts terms, a long jump restarts from a
    snapshot), for every layout; a stand-alone page of the sliders' static HTML, no book needed.
    """
    import time

    import numpy as np

    from mflib.sliders import lowrank_slider
    from mflib.svd import SVDCompressor

    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:24, 0:32] / 32
    rgb = np.clip(np.stack([np.sin(3 * x + y), np.cos(2 * y - x), x * y], axis=2) / 2 + 0.5
                  + 0.05 * rng.standard_normal((24, 32, 3)), 0, 1)
    sliders = [lowrank_slider(*SVDCompressor().fit(rgb.mean(axis=2)).factors(), reference=rgb.mean(axis=2))]
    for layout in ("channels", "wide", "tall"):
        comp = SVDCompressor(layout=layout).fit(rgb)
        sliders.append(lowrank_slider(*comp.factors(), layout=comp.layout_, reference=rgb))
    page = tmp_path / "sliders.html"
    page.write_text("<!doctype html><html><body>" + "".join(s.static_html() for s in sliders) + "</body></html>")
    browser.get(page.as_uri())
    time.sleep(0.5)                                        # let the idle-time snapshots be built
    draw = ("var r = document.querySelectorAll('.mflib-slider')[arguments[0]], i = r.querySelector('input');"
            "i.value = arguments[1]; i.dispatchEvent(new Event('input'));"
            "var c = r.querySelector('canvas'); return [r.querySelector('output').textContent,"
            " Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)];")
    for j, sl in enumerate(sliders):
        ks = [int(k) for k in rng.integers(1, sl.K + 1, 8)] + [sl.K, 1, sl.K // 2]
        for k in ks:
            readout, data = browser.execute_script(draw, j, k)
            assert readout == sl.readout(k)
            rgba = np.array(data, dtype=np.int16).reshape(*sl.panels[0].shape[:2], 4)
            want = sl.picture(k).astype(np.int16)
            got = rgba[..., 0] if want.ndim == 2 else rgba[..., :3]
            if want.ndim == 2:
                assert np.array_equal(rgba[..., 0], rgba[..., 1]) and np.array_equal(rgba[..., 0], rgba[..., 2])
            diff = np.abs(got - want)
            # float32 sums in a different order may land on the other side of a rounding boundary
            assert diff.max() <= 1 and diff.mean() < 0.02, (sl.panels[0].layout, k, diff.max(), diff.mean())


def test_nearest_words_explorer_answers_in_the_page(browser, site, built_book):
    """Chapter 6's explorer: with no kernel, the page lists a word's 10 neighbours, each query within 50 ms."""
    html, _ = built_book
    page_bytes = (html / "notebooks" / "06_text.html").stat().st_size
    assert page_bytes <= 2e6, f"chapter 6 page is {page_bytes / 1e6:.2f} MB"
    _open(browser, f"{site}/notebooks/06_text.html")
    roots = browser.find_elements("css selector", ".mflib-explorer")
    assert roots, "chapter 6 has no nearest-words explorer"
    root = roots[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", root)
    listed = "return [...arguments[0].querySelectorAll('.mflib-explorer-list li')].map(l => l.textContent)"
    first = browser.execute_script(listed, root)
    assert len(first) == 10, f"explorer shows {first!r} on load"
    box = root.find_element("css selector", ".mflib-explorer-input")
    box.clear()
    box.send_keys("money")                                    # typed, as a reader would
    typed = browser.execute_script(listed, root)
    assert len(typed) == 10 and typed != first and not any(t.split()[0] == "money" for t in typed)
    root.find_elements("css selector", ".mflib-explorer-pick")[-1].click()    # a suggested word
    assert browser.execute_script(listed, root) not in (first, typed)
    times = browser.execute_script(
        "var r = arguments[0], t = [];"
        "['war', 'money', 'music', 'church', 'science', 'love', 'city', 'water', 'time', 'house']"
        ".forEach(function (w) { t.push(r.mflibQuery(w)); }); return t;", root)
    assert all(t is not None for t in times), "a common word is missing from the explorer"
    assert max(times) <= 50, f"explorer queries took {times} ms"
    box.clear()
    box.send_keys("qqqzzz")
    status = root.find_element("css selector", ".mflib-explorer-status").text
    assert "not among" in status and not browser.execute_script(listed, root)
    ARTIFACTS.mkdir(exist_ok=True)
    root.screenshot(str(ARTIFACTS / "explorer_06_text.png"))
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"chapter 6: console errors {errors}"
