import base64
import json
import re

import cv2
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from mflib.imaging import encode_image
from mflib.sliders import slider

matplotlib.use("Agg")


def _frames(html):
    data = re.search(r'<script type="application/json" class="mflib-slider-data">(.*?)</script>', html, re.S)
    return json.loads(data.group(1).replace("<\\/", "</"))


def _decode(uri):
    raw = base64.b64decode(uri.split(",", 1)[1])
    return cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)


def test_static_html_holds_every_frame_and_readout():
    s = slider(lambda k: (np.full((4, 6), k / 10), f"level {k}"), [1, 5, 10], name="k")
    html = s.static_html()
    data = _frames(html)
    assert data["readouts"] == ["k = 1", "k = 5", "k = 10"]
    assert data["captions"] == ["level 1", "level 5", "level 10"]
    levels = [int(_decode(f[0])[0, 0]) for f in data["frames"]]
    assert levels == [26, 128, 255]                      # PNG is lossless
    assert 'type="range"' in html and 'max="2"' in html and 'value="1"' in html  # middle value first
    assert "http" not in html                            # nothing fetched from outside
    assert s.payload_bytes == len(html.encode())


def test_mimebundle_has_static_and_live_forms():
    s = slider(lambda k: np.zeros((3, 3)), [1, 2])
    bundle = s._repr_mimebundle_()
    assert "mflib-slider" in bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "2 values" in bundle["text/plain"]


def test_live_step_updates_widgets_in_place():
    calls = []

    def render(k):
        calls.append(k)
        return [np.full((2, 2), k / 3), np.zeros((2, 2))], f"k={k}"

    s = slider(render, [1, 2, 3], labels=["approx", "zero"], value=1)
    box = s.widget()
    images_before = [w for w in box.children[1].children]
    assert s.step(3) == "k = 3" == s.readout(3)                      # the same answer as the every-k slider's
    assert s.frame(2).caption == "k=3"
    assert [w for w in box.children[1].children] == images_before   # same widgets, new bytes
    image = images_before[0].children[0]
    assert _decode("x," + base64.b64encode(image.value).decode())[0, 0] == 255
    assert "k=3" in box.children[2].value
    s.step(3)
    assert calls.count(3) == 1                            # cached


def test_jpeg_and_figure_frames():
    def render(k):
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, k])
        return fig
    before = set(plt.get_fignums())
    s = slider(render, [1, 2], fmt="jpeg")
    data = _frames(s.static_html())
    assert all(f[0].startswith("data:image/png;base64,") for f in data["frames"])
    assert set(plt.get_fignums()) == before               # figures closed, not shown twice
    rgb = np.random.default_rng(0).random((8, 8, 3))
    s2 = slider(lambda k: rgb, [1], fmt="jpeg")
    assert _frames(s2.static_html())["frames"][0][0].startswith("data:image/jpeg")


def test_encode_image_roundtrip_rgb_order():
    img = np.zeros((2, 2, 3), np.uint8)
    img[..., 0] = 255                                     # pure red
    back = cv2.imdecode(np.frombuffer(encode_image(img), np.uint8), cv2.IMREAD_COLOR)
    assert back[0, 0].tolist() == [0, 0, 255]             # OpenCV reads BGR


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(values=[]), ValueError, "values is empty"),
    (dict(values=[1, 1]), ValueError, "duplicates"),
    (dict(values=[1, 2], value=3), ValueError, "not one of"),
    (dict(values=[1], fmt="gif"), ValueError, "not supported"),
])
def test_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        slider(lambda k: np.zeros((2, 2)), **kwargs)


def test_bad_render_outputs():
    with pytest.raises(TypeError, match="function"):
        slider("not callable", [1])
    with pytest.raises(TypeError, match="got str"):
        slider(lambda k: "oops", [1]).static_html()
    with pytest.raises(ValueError, match="NaN"):
        slider(lambda k: np.full((2, 2), np.nan), [1]).static_html()
    with pytest.raises(ValueError, match="one label per panel"):
        slider(lambda k: np.zeros((2, 2)), [1], labels=["a", "b"]).static_html()
    with pytest.raises(ValueError, match="same number"):
        slider(lambda k: [np.zeros((2, 2))] * k, [1, 2]).static_html()
    with pytest.raises(ValueError, match="not one of"):
        slider(lambda k: np.zeros((2, 2)), [1]).step(5)


def test_small_images_are_enlarged_crisply():
    html = slider(lambda k: np.zeros((8, 10)), [1]).static_html()
    assert "width:160px" in html and "image-rendering:pixelated" in html
    big = slider(lambda k: np.zeros((8, 400)), [1]).static_html()
    assert "pixelated" not in big and "width:400px" not in big
    fixed = slider(lambda k: np.zeros((8, 10)), [1], width=300).static_html()
    assert "width:300px" in fixed and "pixelated" in fixed           # enlarged: pixels stay sharp


# -- the low-rank slider: every k, drawn in the browser -----------------------------------------

import subprocess  # noqa: E402
import sys  # noqa: E402

from mflib.datasets import sample_image  # noqa: E402
from mflib.sliders import lowrank_panel, lowrank_slider  # noqa: E402


def _lowrank_data(html):
    return _frames(html)


@pytest.fixture(scope="module")
def photo():
    rgb = sample_image("china")[::6, ::6]          # 72 x 107, a real photograph, small for speed
    return rgb[:, :105]                            # 105 columns: a multiple of 3 for the 'wide' test


def _svd(A):
    return np.linalg.svd(A, full_matrices=False)


def test_lowrank_readouts_and_picture_agree_for_every_k(photo):
    gray = photo.mean(axis=2)
    U, s, Vt = _svd(gray)
    sl = lowrank_slider(U, s, Vt, value=5)
    assert sl.K == min(gray.shape)
    for k in range(1, sl.K + 1):
        v = sl.numbers(k)[0]
        exact = np.clip((U[:, :k] * s[:k]) @ Vt[:k], 0, 1)
        shown = np.clip(np.rint(exact * 255), 0, 255) / 255
        assert np.isclose(v["psnr"], 10 * np.log10(1 / np.mean((gray - shown) ** 2)))
        assert abs(sl.picture_psnr(k) - v["psnr"]) <= 0.5, k
        assert f"k = {k}:" in sl.readout(k)
    bits = sl._mats[0][0].bits
    assert sl.numbers(3)[0]["bytes"] == sum((72 + 105) * bits[:3] // 8 + 4)
    # the readout names whose bytes it gives: the page's 8/16-bit factors, more than a plain 8-bit count
    k16 = int(np.argmax(bits == 16)) + 1
    assert (bits == 16).any() and sl.numbers(k16)[0]["bytes"] > k16 * (72 + 105 + 4)
    assert f"{sl.numbers(k16)[0]['bytes']:,} bytes of factors on this page (8/16-bit); exact SVD:" in sl.readout(k16)


@pytest.mark.parametrize("layout", ["channels", "wide", "tall"])
def test_lowrank_colour_layouts(photo, layout):
    if layout == "channels":
        U, s, Vt = (np.array(x) for x in zip(*[_svd(photo[..., c]) for c in range(3)]))
    elif layout == "wide":
        U, s, Vt = _svd(np.concatenate([photo[..., c] for c in range(3)], axis=1))
    else:
        U, s, Vt = _svd(np.concatenate([photo[..., c] for c in range(3)], axis=0))
    sl = lowrank_slider(U, s, Vt, layout=layout, reference=photo)
    for k in sorted({1, 2, 7, sl.K // 2, sl.K}):
        pic = sl.picture(k)
        assert pic.shape == photo.shape and pic.dtype == np.uint8
        assert abs(sl.picture_psnr(k) - sl.numbers(k)[0]["psnr"]) <= 0.5
    assert np.abs(sl.picture(sl.K) / 255 - photo).max() < 1 / 255      # full rank: the photo itself
    data = _lowrank_data(sl.static_html())
    assert data["panels"][0]["layout"] == layout


def test_lowrank_static_html_is_self_contained(photo):
    gray = photo.mean(axis=2)
    sl = lowrank_slider(*_svd(gray), value=4, title="t")
    html = sl.static_html()
    assert html.startswith('<div class="mflib-slider"') and html.endswith("</script></div>")
    assert re.findall(r'<div class="mflib-slider".*?</script></div>', html, re.S) == [html]
    assert "http" not in html and "<canvas" in html and 'max="72"' in html and 'value="4"' in html
    data = _lowrank_data(html)
    M = data["panels"][0]["mats"][0]
    q8 = np.frombuffer(base64.b64decode(M["q8"]), "<i1")
    q16 = np.frombuffer(base64.b64decode(M["q16"]), "<i2")
    bits = np.array(M["bits"])
    assert q8.size == (bits == 8).sum() * (72 + 105) and q16.size == (bits == 16).sum() * (72 + 105)
    assert len(data["readouts"]) == 72 and data["readouts"][3] == sl.readout(4)


def test_lowrank_js_decode_matches_python(photo):
    """Decode the embedded bytes as the inline script does, and compare with picture()."""
    gray = photo.mean(axis=2)
    sl = lowrank_slider(*_svd(gray))
    M = _lowrank_data(sl.static_html())["panels"][0]["mats"][0]
    q8 = np.frombuffer(base64.b64decode(M["q8"]), "<i1").astype(np.float32)
    q16 = np.frombuffer(base64.b64decode(M["q16"]), "<i2").astype(np.float32)
    scale = np.frombuffer(base64.b64decode(M["scale"]), "<f4")
    m, n, acc, o8, o16 = M["m"], M["n"], np.zeros((72, 105), np.float32), 0, 0
    for i, b in enumerate(M["bits"][:10]):
        q, o = (q16, o16) if b == 16 else (q8, o8)
        if b == 16:
            o16 += m + n
        else:
            o8 += m + n
        acc += np.outer((q[o:o + m] * scale[i]).astype(np.float32), q[o + m:o + m + n])
    levels = np.clip(np.rint(acc.astype(np.float64) * 255), 0, 255)
    assert np.abs(levels - sl.picture(10)).max() <= 1


def test_lowrank_panels_side_by_side(photo):
    gray = photo.mean(axis=2)
    U, s, Vt = _svd(gray)
    halves = [max(1, k // 2) for k in range(1, 73)]
    sl = lowrank_slider([lowrank_panel(U, s, Vt, label="rank k"),
                         lowrank_panel(U[:, :40], s[:40], Vt[:40], reference=gray, label="half", ranks=halves)],
                        value=30)
    assert [v["rank"] for v in sl.numbers(30)] == [30, 15]
    assert sl.readout(30) == "k = 30" and "rank 15:" in sl.panel_readout(30, 1)
    html = sl.static_html()
    assert html.count("<canvas") == 2 and html.count('class="mflib-slider-panel-readout"') == 2
    assert len(_lowrank_data(html)["panels"][1]["mats"][0]["bits"]) == 36   # only the ranks it shows


def test_lowrank_live_step_updates_in_place(photo):
    sl = lowrank_slider(*_svd(photo.mean(axis=2)), value=2)
    box = sl.widget()
    image = box.children[1].children[0].children[0]
    before = image.value
    assert "k = 9:" in sl.step(9)
    assert box.children[1].children[0].children[0] is image and image.value != before
    assert "k = 9:" in box.children[0].children[1].value
    bundle = sl._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "data-kind" in bundle["text/html"]


def test_small_pictures_are_enlarged_crisply():
    A = np.outer(np.arange(1, 9), np.arange(1, 11)) / 80
    html = lowrank_slider(*_svd(A)).static_html()
    assert "width:160px" in html and "image-rendering:pixelated" in html


def test_element_ids_do_not_depend_on_the_process():
    code = ("import numpy as np; from mflib.sliders import slider, lowrank_slider;"
            "print(slider(lambda k: np.zeros((2, 2)), ['a', 'b']).static_html().split('id=\"')[1][:30]);"
            "A = np.outer([1., 2.], [1., 0.5]) / 2;"
            "print(lowrank_slider(*np.linalg.svd(A, full_matrices=False)).static_html().split('id=\"')[1][:30])")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2")]
    assert runs[0] == runs[1] and "mflib-slider-" in runs[0]


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(value=0), ValueError, r"1 <= value <= 4"),
    (dict(value=2.5), TypeError, "whole number"),
    (dict(quantize=4), ValueError, "quantize"),
    (dict(clip=(1, 0)), ValueError, "low < high"),
    (dict(layout="wide"), ValueError, "multiple of 3"),
    (dict(layout="spiral"), ValueError, "unknown"),
    (dict(layout="channels"), ValueError, "needs factors of shapes"),
    (dict(reference=np.zeros((3, 3))), ValueError, "reference has shape"),
])
def test_lowrank_bad_arguments(kwargs, err, match):
    A = np.random.default_rng(0).random((4, 5))
    with pytest.raises(err, match=match):
        lowrank_slider(*_svd(A), **kwargs)


def test_lowrank_bad_factors():
    U, s, Vt = _svd(np.random.default_rng(0).random((4, 5)))
    with pytest.raises(ValueError, match="do not fit"):
        lowrank_slider(U, s[:3], Vt)
    with pytest.raises(ValueError, match="negative"):
        lowrank_slider(U, -s, Vt)
    with pytest.raises(ValueError, match="NaN"):
        lowrank_slider(U * np.nan, s, Vt)
    with pytest.raises(TypeError, match="three factors"):
        lowrank_slider(U)
    with pytest.raises(ValueError, match="one rank per position"):
        lowrank_slider([lowrank_panel(U, s, Vt), lowrank_panel(U, s, Vt, ranks=[1, 2])])
    with pytest.raises(ValueError, match="within 1..4"):
        lowrank_panel(U, s, Vt, ranks=[1, 5])
    with pytest.raises(ValueError, match="all zeros"):
        lowrank_slider(U, s, Vt, reference=np.zeros((4, 5)))


def test_picture_gaps_match_picture_psnr(photo):
    sl = lowrank_slider(*_svd(photo.mean(axis=2)))
    gaps = sl.picture_gaps()
    assert gaps.shape == (72,) and np.abs(gaps).max() <= 0.5
    for k in (1, 9, 40, 72):
        assert np.isclose(gaps[k - 1], sl.picture_psnr(k) - sl.numbers(k)[0]["psnr"])


def test_slider_scripts_ship_as_package_data_and_are_valid_javascript(tmp_path):
    import shutil
    from importlib import resources

    for name in ("frames.js", "lowrank.js"):
        text = resources.files("mflib.sliders").joinpath(name).read_text()
        assert text.lstrip().startswith("function (root)")          # the page calls it with its root element
        node = shutil.which("node")
        if node:      # a syntax error would otherwise show only in a browser
            script = tmp_path / name
            script.write_text(f"var f = ({text});\nif (typeof f !== 'function') process.exit(1);\n")
            subprocess.run([node, str(script)], check=True, capture_output=True)
    html = slider(lambda k: np.zeros((2, 2)), [1, 2]).static_html()
    assert resources.files("mflib.sliders").joinpath("frames.js").read_text().strip() in html
