"""A nearest-words explorer: live in Jupyter, computed by the browser in the static book.

:func:`nearest_words_explorer` returns an object whose rich display holds two
forms of the same tool, like :mod:`mflib.sliders`:

- an ipywidgets text box whose answers a running kernel computes from the
  full-precision vectors;
- a self-contained HTML block with the vectors of the most frequent words
  quantized to 8 bits, and ``explorer.js`` (shipped with this package) that
  finds the nearest words by cosine similarity in the page -- no kernel.
"""

import base64
import hashlib
import html
import json
from importlib import resources

import numpy as np

from ..text.vectors import nearest_words, normalize_rows


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


class NearestWordsExplorer:
    """See :func:`nearest_words_explorer`."""

    def __init__(self, vocabulary, vectors, *, n_words=4000, k=10, examples=(), value=None, title=None):
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or len(vocabulary) != len(vectors):
            raise ValueError(f"vectors must be (n_words, dim) with one row per vocabulary word; got "
                             f"{len(vocabulary)} words and shape {vectors.shape}.")
        self.vocabulary = [str(w) for w in vocabulary]
        self.vectors = normalize_rows(vectors)
        self.n_words = min(int(n_words), len(self.vocabulary))   # the most frequent words go to the page
        self.k = int(k)
        self.examples = [w for w in examples if w in set(self.vocabulary[:self.n_words])]
        self.value = value if value is not None else (self.examples[0] if self.examples else self.vocabulary[0])
        self.title = title
        self.codes, _ = quantize_rows(self.vectors[:self.n_words])
        self._html = self._widget = None

    def static_neighbours(self, word):
        """What the page computes: the ``k`` nearest among the shipped words, from the 8-bit codes."""
        words = self.vocabulary[:self.n_words]
        return nearest_words(word, words, self.codes.astype(np.float32), self.k)

    def static_html(self):
        """The self-contained HTML explorer: words, codes and script inline."""
        if self._html is None:
            self._html = self._build_html()
        return self._html

    @property
    def payload_bytes(self):
        """Size in bytes of the static HTML (what the explorer adds to a page)."""
        return len(self.static_html().encode())

    def _build_html(self):
        data = {"words": self.vocabulary[:self.n_words], "dim": int(self.codes.shape[1]), "k": self.k,
                "codes": base64.b64encode(self.codes.tobytes()).decode()}
        uid = "mflib-explorer-" + hashlib.sha1(self.codes.tobytes()).hexdigest()[:10]
        script = resources.files(__package__).joinpath("explorer.js").read_text()
        picks = "".join(f'<button type="button" class="mflib-explorer-pick">{html.escape(w)}</button> '
                        for w in self.examples)
        title = f"<strong>{html.escape(self.title)}</strong><br>" if self.title else ""
        return (f'<div class="mflib-explorer" id="{uid}">{title}'
                f'<input class="mflib-explorer-input" type="text" value="{html.escape(self.value)}" '
                f'aria-label="word" spellcheck="false"> {picks}'
                f'<div class="mflib-explorer-status"></div><ol class="mflib-explorer-list"></ol>'
                f'<script type="application/json" class="mflib-explorer-data">{json.dumps(data)}</script>'
                f'<script>var ROOT_ID = {json.dumps(uid)};\n{script}</script></div>')

    def widget(self):
        """The live form: a text box; the kernel answers from the full-precision vectors."""
        if self._widget is None:
            import ipywidgets as widgets
            box = widgets.Text(value=self.value, description="word", continuous_update=True)
            out = widgets.HTML()

            def answer(change):
                word = change["new"].strip().lower()
                try:
                    rows = nearest_words(word, self.vocabulary, self.vectors, self.k)
                except KeyError:
                    out.value = f"<i>{html.escape(word)!s} is not in the vocabulary</i>" if word else ""
                    return
                out.value = "<ol>" + "".join(f"<li>{html.escape(w)} {s:.3f}</li>" for w, s in rows) + "</ol>"

            box.observe(answer, names="value")
            answer({"new": self.value})
            self._widget = widgets.VBox([box, out])
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": repr(self), "text/html": self.static_html()}
        try:
            live = self.widget()._repr_mimebundle_()
        except Exception:   # no widget support here: the static form still works
            live = None
        if live:
            bundle.update({key: v for key, v in live.items() if key != "text/plain"})
        return bundle

    def __repr__(self):
        return (f"NearestWordsExplorer({len(self.vocabulary)} words, {self.n_words} in the page, "
                f"dim {self.codes.shape[1]})")


def nearest_words_explorer(vocabulary, vectors, *, n_words=4000, k=10, examples=(), value=None, title=None):
    """A text box that lists a word's nearest neighbours, in Jupyter and in the static book.

    Parameters
    ----------
    vocabulary : sequence of str
        Most frequent first (as :func:`mflib.text.word_vectors` returns it).
    vectors : array-like, shape (n_words, dim)
    n_words : int
        How many of the most frequent words the static page carries (8 bits
        per coordinate: ``n_words * dim`` bytes before base64).
    k : int
        Neighbours listed.
    examples : sequence of str
        Words offered as buttons.
    value : str, optional
        The word shown first.
    title : str, optional

    Returns
    -------
    NearestWordsExplorer
        ``.payload_bytes`` is the size of the static form;
        ``.static_neighbours(word)`` what the page computes for ``word``.

    Examples
    --------
    >>> vocab = ["cat", "dog", "car"]
    >>> V = np.array([[1.0, 0.1], [0.9, 0.2], [0.0, 1.0]])
    >>> ex = nearest_words_explorer(vocab, V, k=2)
    >>> [w for w, _ in ex.static_neighbours("cat")]
    ['dog', 'car']
    """
    return NearestWordsExplorer(vocabulary, vectors, n_words=n_words, k=k, examples=examples, value=value,
                                title=title)
