"""What both slider kinds share: positions and readouts, the cached static HTML, and the rich display.

Every slider has ``values`` (its positions, in order), ``value`` (the one shown
first), ``readout(v)`` (the text beside the slider at position ``v``),
``static_html()`` (the self-contained form for the book), ``widget()`` (the live
ipywidgets form) and ``step(v)``, which moves the live form as dragging does
and returns ``readout(v)``.
"""

import hashlib
import html
import itertools
import json
from functools import cache, cached_property
from importlib import resources

_ids = itertools.count()
MIN_WIDTH = 160  # CSS pixels: narrower images are shown enlarged by a whole factor


@cache
def script(name):
    """The JavaScript of ``name`` (a ``.js`` file shipped in this package), as text."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def uid(*parts):
    """An element id that is the same in every run: a counter plus a digest of what the slider shows.

    Python's ``hash()`` of strings changes from process to process, so it must not
    go into the page (rebuilding the book would change every page).
    """
    digest = hashlib.sha1(repr(parts).encode()).hexdigest()[:8]
    return f"mflib-slider-{next(_ids)}-{digest}"


def display_width(natural, width):
    """CSS width of a panel of ``natural`` pixels: ``width`` if given, a small image enlarged by a whole factor."""
    if width:
        return width
    if natural and natural < MIN_WIDTH:
        return natural * -(-MIN_WIDTH // natural)
    return None


def img_style(natural, width):
    shown = display_width(natural, width)
    if shown is None:
        return "max-width:100%;height:auto"
    crisp = ";image-rendering:pixelated" if natural and shown >= natural else ""   # enlarged: keep pixels sharp
    return f"width:{shown}px;max-width:100%;height:auto{crisp}"


def caption_html(text):
    return f'<pre style="margin:0;font-size:0.9em">{html.escape(text)}</pre>' if text else ""


def page(uid_, *, kind, title, input_range, readout, panels, payload, js):
    """The static slider's HTML: title, range input, readout, panels, JSON payload and its script."""
    lo, hi, value = input_range
    head = (f'<div style="font-weight:600;margin-bottom:4px">{html.escape(title)}</div>' if title else "")
    data = json.dumps(payload, separators=(",", ":")).replace("</", "<\\/")
    return (
        f'<div class="mflib-slider" id="{uid_}" data-kind="{kind}" style="margin:0.5em 0">{head}'
        f'<div style="display:flex;align-items:center;gap:0.75em;margin-bottom:6px;flex-wrap:wrap">'
        f'<input class="mflib-slider-input" type="range" min="{lo}" max="{hi}" step="1" value="{value}" '
        f'aria-label="{html.escape(readout[0])}" style="flex:0 1 22em">'
        f'<output class="mflib-slider-readout" style="font-family:monospace">{html.escape(readout[1])}</output>'
        f'</div>{panels}'
        f'<script type="application/json" class="mflib-slider-data">{data}</script>'
        f'<script>({script(js).strip()})(document.getElementById("{uid_}"));</script></div>')


class SliderBase:
    """Both slider kinds: ``values``, ``readout``, ``step``, the cached static form and the rich display.

    Subclasses set ``values``, ``value`` and ``name`` and provide ``_build_html()``,
    ``_build_widget()`` (returning the widget and the control it steps) and ``readout(v)``.
    """

    _control = None

    def _position(self, value):
        """The index of ``value`` among ``values``, or a clear error."""
        try:
            return self.values.index(value)
        except ValueError:
            shown = self.values if len(self.values) <= 12 else f"{self.values[0]!r}..{self.values[-1]!r}"
            raise ValueError(f"{value!r} is not one of the slider's values {shown}.") from None

    @cached_property
    def _html(self):
        return self._build_html()

    def static_html(self):
        """The self-contained HTML slider: everything embedded, an inline script, no kernel."""
        return self._html

    @property
    def payload_bytes(self):
        """Size in bytes of the static HTML (what the slider adds to a page)."""
        return len(self._html.encode())

    @cached_property
    def _live(self):
        return self._build_widget()

    def widget(self):
        """The ipywidgets control; stepping it redraws in place."""
        return self._live[0]

    def step(self, value):
        """Move the live slider to ``value`` (what dragging does); returns ``readout(value)``."""
        index = self._position(value)
        self._live[1].value = self._control_value(index)
        return self.readout(value)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The static HTML for the book, the live widget for Jupyter."""
        bundle = {"text/plain": repr(self), "text/html": self.static_html()}
        try:
            live = self.widget()._repr_mimebundle_()
        except Exception:  # no widget support here: the static form still works
            live = None
        if live:
            bundle.update({key: v for key, v in live.items() if key != "text/plain"})
        return bundle
