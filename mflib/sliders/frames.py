"""The frame slider: ``render(value)`` for every value, pre-rendered into the page."""

import base64
import html
import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._validation import check_int
from ..imaging import FORMATS, check_image, encode_image
from .base import SliderBase, caption_html, display_width, img_style, page, uid

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def _figure_png(fig):
    """Rasterize a matplotlib figure to PNG bytes and close it (so it is not shown twice)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


@dataclass(frozen=True)
class Frame:
    """What ``render`` produced for one value: encoded panels and a caption."""
    panels: list        # bytes of each panel
    caption: str
    mimes: list         # mime type of each panel
    widths: list        # pixel width of each image panel, None for figures


class Slider(SliderBase):
    """A slider over ``values`` showing ``render(value)``, live in Jupyter and static in the book.

    The static form calls ``render`` for every value in advance and embeds the
    frames as data URIs, driven by a few lines of JavaScript (``frames.js``); the
    live form calls it on demand (cached). Use it for what a browser cannot
    compute (figures, iterative algorithms); a truncated factorization is better
    served by :class:`LowRankSlider`, which draws every rank.

    Parameters
    ----------
    render : callable
        ``render(v)`` returns an image (2-D grayscale or (H, W, 3) RGB; ``uint8``
        or floats in ``[0, 1]``), a list of images shown side by side, a
        matplotlib Figure, or a tuple ``(any of those, caption)`` where
        ``caption`` is a short text computed for ``v``. Keep it cheap: do the
        expensive work once, outside.
    values : sequence
        The slider positions, in order.
    name : str
        The parameter's name, shown in the readout ``name = value``.
    value : optional
        Initial value (default: the middle one).
    labels : sequence of str, optional
        One caption per panel.
    title : str, optional
        Heading above the slider.
    fmt : {"png", "jpeg", "webp"}
        Encoding of image frames: PNG for drawings and small images, JPEG or
        WebP to keep photographic frames small.
    quality : int
        Quality of the lossy formats, 1..100.
    width : int, optional
        Display width of each panel in CSS pixels (default: natural size;
        images narrower than 160 px are enlarged by a whole factor, pixelated).
    cache_size : int
        Frames kept for the live form.

    Examples
    --------
    >>> s = slider(lambda k: np.full((8, 8), k / 10), [1, 5, 10], name="k")
    >>> s.readout(1)
    'k = 1'
    >>> s.payload_bytes < 10_000
    True
    """

    def __init__(self, render, values, *, name="k", value=None, labels=None, title=None,
                 fmt="png", quality=85, width=None, cache_size=64):
        if not callable(render):
            raise TypeError(f"render must be a function of one value, got {type(render).__name__}.")
        values = list(values)
        if not values:
            raise ValueError("values is empty; pass at least one value for the slider, e.g. [1, 5, 10].")
        if len(set(map(repr, values))) != len(values):
            raise ValueError("values has duplicates; each slider position needs its own value.")
        if fmt not in FORMATS:
            raise ValueError(f"fmt={fmt!r} is not supported; use one of {sorted(FORMATS)}.")
        self.render, self.values, self.name = render, values, str(name)
        self.value = values[(len(values) - 1) // 2] if value is None else value
        self.index = self._position(self.value)
        self.labels, self.title = labels, title
        self.fmt, self.quality = fmt, check_int(quality, "quality", 1, 100)
        self.width = None if width is None else check_int(width, "width", 1)
        self.frame = lru_cache(maxsize=check_int(cache_size, "cache_size", 1))(self._frame)

    def _frame(self, index):
        """Call ``render`` for ``values[index]`` and encode what it returned."""
        out = self.render(self.values[index])
        caption = ""
        if isinstance(out, tuple):
            if len(out) != 2 or not isinstance(out[1], str):
                raise TypeError("render may return a tuple only as (image(s) or figure, caption_str).")
            out, caption = out
        items = out if isinstance(out, list) else [out]
        if not items:
            raise ValueError("render returned an empty list; return at least one image.")
        panels, mimes, widths = [], [], []
        for item in items:
            if hasattr(item, "savefig"):
                panels.append(_figure_png(item))
                mimes.append("image/png")
                widths.append(None)
            elif isinstance(item, np.ndarray):
                check_image(item, "render output", dtype=None)
                panels.append(encode_image(item, self.fmt, self.quality))
                mimes.append(_MIME[self.fmt])
                widths.append(item.shape[1])
            else:
                raise TypeError("render must return an image array, a list of them, a matplotlib "
                                f"Figure or a (that, caption) tuple; got {type(item).__name__}.")
        if self.labels is not None and len(self.labels) != len(panels):
            raise ValueError(f"{len(self.labels)} labels for {len(panels)} panels; pass one label per panel.")
        return Frame(panels, caption, mimes, widths)

    def readout(self, value):
        """The text shown next to the slider at ``value``."""
        self._position(value)
        return f"{self.name} = {value}"

    def _label(self, j):
        return self.labels[j] if self.labels else f"panel {j + 1}"

    # -- static form: every frame embedded ------------------------------------
    def _build_html(self):
        frames = [self.frame(i) for i in range(len(self.values))]
        if len({len(f.panels) for f in frames}) != 1:
            raise ValueError("render returned a different number of panels for different values; "
                             "return the same number every time.")
        uris = [[f"data:{m};base64,{base64.b64encode(p).decode()}" for p, m in zip(f.panels, f.mimes)]
                for f in frames]
        readouts = [self.readout(v) for v in self.values]
        cur, now = frames[self.index], readouts[self.index]
        figs = "".join(
            f'<figure style="margin:0 8px 4px 0;display:inline-block;vertical-align:top;text-align:center">'
            f'<img class="mflib-slider-img" src="{uris[self.index][j]}" '
            f'style="{img_style(cur.widths[j], self.width)}" alt="{html.escape(self._label(j))} for '
            f'{html.escape(now)}">'
            + (f'<figcaption style="font-size:0.85em">{html.escape(self.labels[j])}</figcaption>'
               if self.labels else "") + "</figure>"
            for j in range(len(cur.panels)))
        panels = (f'<div class="mflib-slider-panels">{figs}</div>'
                  f'<div class="mflib-slider-caption" style="font-family:monospace;font-size:0.9em;'
                  f'white-space:pre-wrap">{html.escape(cur.caption)}</div>')
        payload = {"readouts": readouts, "captions": [f.caption for f in frames], "frames": uris}
        return page(uid(self.name, tuple(map(repr, self.values))), kind="frames", title=self.title,
                    input_range=(0, len(self.values) - 1, self.index), readout=(self.name, now),
                    panels=panels, payload=payload, js="frames.js")

    # -- live form ---------------------------------------------------------
    def _control_value(self, index):
        return index

    def _build_widget(self):
        import ipywidgets as W

        first = self.frame(self.index)
        control = W.SelectionSlider(options=[(str(v), i) for i, v in enumerate(self.values)],
                                    value=self.index, description=self.name,
                                    continuous_update=True, layout=W.Layout(width="28em"))
        images = [W.Image(value=p, format=m.split("/")[1], layout=W.Layout(
                          width=f"{w}px" if (w := display_width(n, self.width)) else None))
                  for p, m, n in zip(first.panels, first.mimes, first.widths)]
        caption = W.HTML(caption_html(first.caption))
        boxes = [W.VBox([im, W.HTML(f"<center><small>{html.escape(lab)}</small></center>")])
                 for im, lab in zip(images, self.labels)] if self.labels else images

        def step(change):
            frame = self.frame(change["new"])
            for im, p in zip(images, frame.panels):
                im.value = p  # replace the bytes; the widget itself stays
            caption.value = caption_html(frame.caption)

        control.observe(step, names="value")
        header = [W.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        return W.VBox(header + [control, W.HBox(boxes), caption]), control

    def __repr__(self):
        return (f"<mflib slider {self.name} over {len(self.values)} values "
                f"{self.values[0]!r}..{self.values[-1]!r}, showing {self.readout(self.value)}>")


slider = Slider
