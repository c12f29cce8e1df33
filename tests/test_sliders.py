import base64
import json
import re

import cv2
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from mflib.sliders import encode_image, slider

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
    frame = s.step(3)
    assert frame.caption == "k=3"
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
    assert "width:300px" in fixed and "pixelated" not in fixed
