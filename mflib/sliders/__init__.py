"""Sliders that are live in Jupyter and still work in the static book.

Displaying a slider gives two forms of the same control: an ipywidgets slider
that a running kernel drives, and a self-contained HTML block with everything
embedded and a short script (``frames.js`` or ``lowrank.js``, shipped in this
package) -- no kernel, no server, nothing fetched. JupyterLab prefers the
widget; the book is configured to prefer the HTML (``nb_mime_priority_overrides``
in ``_config.yml``).

- :class:`Slider` (``slider``): any ``render(value)`` -- figures, iterative
  algorithms -- pre-rendered for every value;
- :class:`LowRankSlider` (``lowrank_slider``): every rank ``k`` of a truncated
  factorization, drawn in the browser from the quantized factors, one rank-1
  update per step;
- :class:`NearestWordsExplorer` (``nearest_words_explorer``): a text box that
  lists a word's nearest neighbours, computed in the page (``explorer.js``)
  from 8-bit word vectors.

All three share one API (:class:`~mflib.sliders.base.SliderBase`): ``values``,
``value``, ``readout(v)``, ``step(v)``, ``static_html()``, ``payload_bytes``,
``widget()``.
"""

from .explorer import NearestWordsExplorer, nearest_words_explorer, quantize_rows
from .frames import Frame, Slider, slider
from .lowrank import LowRankPanel, LowRankSlider, lowrank_panel, lowrank_slider

__all__ = ["Frame", "LowRankPanel", "LowRankSlider", "NearestWordsExplorer", "Slider", "lowrank_panel",
           "lowrank_slider", "nearest_words_explorer", "quantize_rows", "slider"]
