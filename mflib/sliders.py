"""Sliders that are live in Jupyter and still work in the static book.

``slider(render, values)`` returns an object whose rich display carries two
forms of the same control:

- an ipywidgets slider (``application/vnd.jupyter.widget-view+json``), which a
  running kernel drives: each step calls ``render`` and replaces the bytes of
  the image widgets in place;
- a self-contained HTML block (``text/html``) in which ``render`` was called
  for every value in advance and the frames are embedded as data URIs, driven
  by a few lines of inline JavaScript -- no kernel, no server, nothing fetched.

JupyterLab prefers the widget; the book is configured to prefer the HTML
(``nb_mime_priority_overrides`` in ``_config.yml``).
"""

import base64
import html
import io
import itertools
import json
from functools import lru_cache

import numpy as np

from ._validation import check_matrix
from .imaging import _FORMATS, encode_image

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_ids = itertools.count()




def _figure_png(fig):
    """Rasterize a matplotlib figure to PNG bytes and close it (so it is not shown twice)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


MIN_WIDTH = 160  # CSS pixels: narrower images are shown enlarged by a whole factor


class Frame:
    """What ``render`` produced for one value: encoded panels and a caption."""

    def __init__(self, panels, caption, mimes, widths):
        self.panels = panels    # list of bytes
        self.caption = caption  # str
        self.mimes = mimes      # list of mime types, one per panel
        self.widths = widths    # pixel width of each image panel, None for figures


class Slider:
    """A slider over ``values`` showing ``render(value)``; see :func:`slider`."""

    def __init__(self, render, values, *, name="k", value=None, labels=None, title=None,
                 fmt="png", quality=85, width=None, cache_size=64):
        if not callable(render):
            raise TypeError(f"render must be a function of one value, got {type(render).__name__}.")
        values = list(values)
        if not values:
            raise ValueError("values is empty; pass at least one value for the slider, e.g. [1, 5, 10].")
        if len(set(map(repr, values))) != len(values):
            raise ValueError("values has duplicates; each slider position needs its own value.")
        if fmt not in _FORMATS:
            raise ValueError(f"fmt={fmt!r} is not supported; use one of {sorted(_FORMATS)}.")
        if value is None:
            value = values[(len(values) - 1) // 2]
        if value not in values:
            raise ValueError(f"value={value!r} is not one of the slider's values {values}.")
        self.render, self.values, self.name = render, values, str(name)
        self.index = values.index(value)
        self.labels, self.title = labels, title
        self.fmt, self.quality, self.width = fmt, int(quality), width
        self.frame = lru_cache(maxsize=cache_size)(self._frame)
        self._widget = self._control = None
        self._html = None

    # -- rendering ---------------------------------------------------------
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
                check_matrix(item, "render output", ndim=(2, 3), dtype=None)
                panels.append(encode_image(item, self.fmt, self.quality))
                mimes.append(_MIME[self.fmt])
                widths.append(item.shape[1])
            else:
                raise TypeError("render must return an image array, a list of them, a matplotlib "
                                f"Figure or a (that, caption) tuple; got {type(item).__name__}.")
        if self.labels is not None and len(self.labels) != len(panels):
            raise ValueError(f"{len(self.labels)} labels for {len(panels)} panels; pass one label per panel.")
        return Frame(panels, caption, mimes, widths)

    def _display_width(self, natural):
        """CSS width of a panel: the requested one, or a small image enlarged by a whole factor."""
        if self.width:
            return self.width
        if natural and natural < MIN_WIDTH:
            return natural * -(-MIN_WIDTH // natural)
        return None

    def _img_style(self, natural):
        width = self._display_width(natural)
        if width is None:
            return "max-width:100%;height:auto"
        crisp = ";image-rendering:pixelated" if not self.width and natural and natural < MIN_WIDTH else ""
        return f"width:{width}px;max-width:100%;height:auto{crisp}"

    def readout(self, index):
        """The text shown next to the slider for ``values[index]``."""
        return f"{self.name} = {self.values[index]}"

    # -- static form -------------------------------------------------------
    def static_html(self):
        """The self-contained HTML slider with every frame embedded."""
        if self._html is None:
            self._html = self._build_html()
        return self._html

    @property
    def payload_bytes(self):
        """Size in bytes of the static HTML (what the slider adds to a page)."""
        return len(self.static_html().encode())

    def _build_html(self):
        frames = [self.frame(i) for i in range(len(self.values))]
        npanels = {len(f.panels) for f in frames}
        if len(npanels) != 1:
            raise ValueError("render returned a different number of panels for different values; "
                             "return the same number every time.")
        uris = [[f"data:{m};base64,{base64.b64encode(p).decode()}" for p, m in zip(f.panels, f.mimes)]
                for f in frames]
        data = {"readouts": [self.readout(i) for i in range(len(self.values))],
                "captions": [f.caption for f in frames], "frames": uris}
        uid = f"mflib-slider-{next(_ids)}-{abs(hash((self.name, tuple(map(repr, self.values))))) % 10**8}"
        cur = frames[self.index]
        figs = "".join(
            f'<figure style="margin:0 8px 4px 0;display:inline-block;vertical-align:top;text-align:center">'
            f'<img class="mflib-slider-img" src="{uris[self.index][j]}" style="{self._img_style(cur.widths[j])}" '
            f'alt="{html.escape(self._label(j))} for {html.escape(self.readout(self.index))}">'
            + (f'<figcaption style="font-size:0.85em">{html.escape(self.labels[j])}</figcaption>'
               if self.labels else "") + "</figure>"
            for j in range(len(cur.panels)))
        title = (f'<div style="font-weight:600;margin-bottom:4px">{html.escape(self.title)}</div>'
                 if self.title else "")
        payload = json.dumps(data).replace("</", "<\\/")
        return (
            f'<div class="mflib-slider" id="{uid}" style="margin:0.5em 0">{title}'
            f'<div style="display:flex;align-items:center;gap:0.75em;margin-bottom:6px">'
            f'<input class="mflib-slider-input" type="range" min="0" max="{len(self.values) - 1}" step="1" '
            f'value="{self.index}" aria-label="{html.escape(self.name)}" style="flex:0 1 22em">'
            f'<output class="mflib-slider-readout" style="font-family:monospace">'
            f'{html.escape(self.readout(self.index))}</output></div>'
            f'<div class="mflib-slider-panels">{figs}</div>'
            f'<div class="mflib-slider-caption" style="font-family:monospace;font-size:0.9em;'
            f'white-space:pre-wrap">{html.escape(cur.caption)}</div>'
            f'<script type="application/json" class="mflib-slider-data">{payload}</script>'
            "<script>(function(){"
            f'var root=document.getElementById("{uid}");'
            'var d=JSON.parse(root.querySelector(".mflib-slider-data").textContent);'
            'var input=root.querySelector(".mflib-slider-input"),out=root.querySelector(".mflib-slider-readout"),'
            'cap=root.querySelector(".mflib-slider-caption"),imgs=root.querySelectorAll(".mflib-slider-img");'
            'function show(i){for(var j=0;j<imgs.length;j++){imgs[j].src=d.frames[i][j];}'
            'out.textContent=d.readouts[i];cap.textContent=d.captions[i];}'
            'input.addEventListener("input",function(){show(+input.value);});'
            "})();</script></div>")

    def _label(self, j):
        return self.labels[j] if self.labels else f"panel {j + 1}"

    # -- live form ---------------------------------------------------------
    def widget(self):
        """The ipywidgets control; stepping it re-renders in place."""
        if self._widget is None:
            self._widget = self._build_widget()
        return self._widget

    def _build_widget(self):
        import ipywidgets as W

        first = self.frame(self.index)
        control = W.SelectionSlider(options=[(str(v), i) for i, v in enumerate(self.values)],
                                    value=self.index, description=self.name,
                                    continuous_update=True, layout=W.Layout(width="28em"))
        images = [W.Image(value=p, format=m.split("/")[1], layout=W.Layout(
                          width=f"{w}px" if (w := self._display_width(n)) else None))
                  for p, m, n in zip(first.panels, first.mimes, first.widths)]
        caption = W.HTML(self._caption_html(first.caption))
        boxes = [W.VBox([im, W.HTML(f"<center><small>{html.escape(lab)}</small></center>")])
                 for im, lab in zip(images, self.labels)] if self.labels else images

        def step(change):
            frame = self.frame(change["new"])
            for im, p in zip(images, frame.panels):
                im.value = p  # replace the bytes; the widget itself stays
            caption.value = self._caption_html(frame.caption)

        control.observe(step, names="value")
        self._control = control
        header = [W.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        return W.VBox(header + [control, W.HBox(boxes), caption])

    @staticmethod
    def _caption_html(text):
        return f'<pre style="margin:0;font-size:0.9em">{html.escape(text)}</pre>'

    def step(self, value):
        """Move the live slider to ``value`` (what dragging does); returns the frame."""
        if value not in self.values:
            raise ValueError(f"{value!r} is not one of the slider's values {self.values}.")
        self.widget()
        self._control.value = self.values.index(value)
        return self.frame(self.values.index(value))

    # -- display -----------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": repr(self), "text/html": self.static_html()}
        try:
            live = self.widget()._repr_mimebundle_()
        except Exception:  # no widget support here: the static form still works
            live = None
        if live:
            bundle.update({k: v for k, v in live.items() if k != "text/plain"})
        return bundle

    def __repr__(self):
        return (f"<mflib slider {self.name} over {len(self.values)} values "
                f"{self.values[0]!r}..{self.values[-1]!r}, showing {self.readout(self.index)}>")


def slider(render, values, *, name="k", value=None, labels=None, title=None, fmt="png",
           quality=85, width=None):
    """A slider over ``values`` showing ``render(value)``, live in Jupyter and static in the book.

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
        Quality of the lossy formats.
    width : int, optional
        Display width of each panel in CSS pixels (default: natural size;
        images narrower than 160 px are enlarged by a whole factor, pixelated).

    Returns
    -------
    Slider
        Displaying it shows the slider; ``.payload_bytes`` is the size of its
        static form, ``.step(v)`` moves the live form.

    Examples
    --------
    >>> s = slider(lambda k: np.full((8, 8), k / 10), [1, 5, 10], name="k")
    >>> s.readout(0)
    'k = 1'
    >>> s.payload_bytes < 10_000
    True
    """
    return Slider(render, values, name=name, value=value, labels=labels, title=title,
                  fmt=fmt, quality=quality, width=width)
