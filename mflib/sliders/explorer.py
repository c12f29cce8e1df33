"""A nearest-words explorer: a text box instead of a range, with the same two forms as the sliders.

The static form carries the vectors of the most frequent words, quantized to 8
bits, and ``explorer.js`` finds a word's nearest neighbours by cosine in the
page -- no kernel. The live form is an ipywidgets text box answered by the
kernel from the full-precision vectors. Its positions (``values``) are the
words shipped with the page; ``step(word)`` types a word into the live box.
"""

import base64
import html
import json

import numpy as np

from ..text.vectors import nearest_words, normalize_rows
from .base import SliderBase, script, uid


def quantize_rows(V):
    """8-bit codes of each row, one scale per row: ``V ~ codes * scale[:, None]``.

    Returns
    -------
    codes : ndarray of int8, shape (n, dim)
    scale : ndarray of float32, shape (n,)
    """
    V = np.asarray(V, dtype=np.float32)
    peak = np.abs(V).max(axis=1)
    scale = np.where(peak > 0, peak / 127, 1).astype(np.float32)
    return np.round(V / scale[:, None]).astype(np.int8), scale


class NearestWordsExplorer(SliderBase):
    """A text box that lists a word's nearest neighbours, in Jupyter and in the static book.

    Parameters
    ----------
    vocabulary : sequence of str
        Most frequent first (as :func:`mflib.text.word_vectors` returns it).
    vectors : array-like, shape (n_words, dim)
    n_words : int
        How many of the most frequent words the static page carries (8 bits
        per coordinate: ``n_words * dim`` bytes before base64). The page
        searches among these only.
    k : int
        Neighbours listed.
    examples : sequence of str
        Words offered as buttons (those shipped with the page).
    value : str, optional
        The word shown first (default: the first example, else the most frequent word).
    title : str, optional

    Attributes
    ----------
    codes : ndarray of int8, shape (n_words, dim)
        What the page carries; a cosine of codes equals that of the
        dequantized vectors, the per-word scale cancels.

    Examples
    --------
    >>> vocab = ["cat", "dog", "car"]
    >>> V = np.array([[1.0, 0.1], [0.9, 0.2], [0.0, 1.0]])
    >>> ex = nearest_words_explorer(vocab, V, k=2)
    >>> [w for w, _ in ex.static_neighbours("cat")]
    ['dog', 'car']
    >>> ex.readout("cat")
    'cat: dog 0.99, car 0.10'
    """

    def __init__(self, vocabulary, vectors, *, n_words=4000, k=10, examples=(), value=None, title=None):
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or len(vocabulary) != len(vectors):
            raise ValueError(f"vectors must be (n_words, dim) with one row per vocabulary word; got "
                             f"{len(vocabulary)} words and shape {vectors.shape}.")
        self.vocabulary = [str(w) for w in vocabulary]
        self.vectors = normalize_rows(vectors)
        self.values = self.vocabulary[:max(1, min(int(n_words), len(self.vocabulary)))]
        self.name, self.k, self.title = "word", int(k), title
        shipped = set(self.values)
        self.examples = [w for w in examples if w in shipped]
        self.value = value if value is not None else (self.examples[0] if self.examples else self.values[0])
        self._position(self.value)
        self.codes, _ = quantize_rows(self.vectors[:len(self.values)])

    def readout(self, word):
        """The live form's answer: ``word``'s nearest words and cosines, at full precision."""
        rows = nearest_words(word, self.vocabulary, self.vectors, self.k)
        return f"{word}: " + ", ".join(f"{w} {s:.2f}" for w, s in rows)

    def static_neighbours(self, word):
        """What the page computes: the ``k`` nearest among the shipped words, from the 8-bit codes."""
        return nearest_words(word, self.values, self.codes.astype(np.float32), self.k)

    def _build_html(self):
        payload = {"words": self.values, "dim": int(self.codes.shape[1]), "k": self.k,
                   "codes": base64.b64encode(self.codes.tobytes()).decode()}
        uid_ = uid("explorer", self.codes.shape, self.codes[:4].tobytes())
        picks = "".join(f'<button type="button" class="mflib-explorer-pick">{html.escape(w)}</button> '
                        for w in self.examples)
        head = f'<div style="font-weight:600;margin-bottom:4px">{html.escape(self.title)}</div>' if self.title else ""
        data = json.dumps(payload, separators=(",", ":")).replace("</", "<\\/")
        return (f'<div class="mflib-explorer" id="{uid_}" style="margin:0.5em 0">{head}'
                f'<input class="mflib-explorer-input" type="text" value="{html.escape(self.value)}" '
                f'aria-label="word" spellcheck="false" style="width:12em"> {picks}'
                f'<div class="mflib-explorer-status" style="font-size:0.9em;margin-top:4px"></div>'
                f'<ol class="mflib-explorer-list" style="columns:2;margin-top:4px"></ol>'
                f'<script type="application/json" class="mflib-slider-data">{data}</script>'
                f'<script>({script("explorer.js").strip()})(document.getElementById("{uid_}"));</script></div>')

    def _build_widget(self):
        import ipywidgets as widgets

        box = widgets.Text(value=self.value, description="word", continuous_update=True)
        out = widgets.HTML()

        def answer(change):
            word = change["new"].strip().lower()
            try:
                rows = nearest_words(word, self.vocabulary, self.vectors, self.k)
            except KeyError:
                out.value = f"<i>{html.escape(word)} is not in the vocabulary</i>" if word else ""
                return
            out.value = "<ol>" + "".join(f"<li>{html.escape(w)} {s:.3f}</li>" for w, s in rows) + "</ol>"

        box.observe(answer, names="value")
        answer({"new": self.value})
        return widgets.VBox([box, out]), box

    def _control_value(self, index):
        return self.values[index]

    def __repr__(self):
        return (f"NearestWordsExplorer({len(self.vocabulary)} words, {len(self.values)} in the page, "
                f"dim {self.codes.shape[1]})")


nearest_words_explorer = NearestWordsExplorer
