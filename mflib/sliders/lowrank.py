"""The every-k slider: quantized factors in the page, the rank-k picture drawn in the browser.

The static form embeds each term's factors (8 or 16 bits per entry, see
:mod:`mflib.quantize`) and ``lowrank.js``, which rebuilds the picture on a
``<canvas>`` for every ``k``: one rank-1 update per step, and from the nearest
of a few cached partial sums for a long jump. The live form (Jupyter) is an
integer slider that redraws the same picture in place.
"""

import base64
import hashlib
import html

import numpy as np

from .._threads import one_blas_thread
from .._validation import check_int, check_matrix
from ..imaging import check_image, encode_image
from ..layout import check_layout, matrices_to_image
from ..metrics import psnr_from_mse
from ..quantize import check_clip, display_levels, from_levels, quantize_term
from .base import SliderBase, caption_html, img_style, page, uid

LIVE_JPEG_PIXELS = 10_000   # live pictures this large are sent to the widget as JPEG
_BUDGET = 0.1   # quantization noise allowed, as a fraction of the 8-bit display's own rounding noise


def _b64(arr):
    return base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode()


class LowRankPanel:
    """One picture of a :class:`LowRankSlider`: factors, how they form the picture, its rank per position.

    Parameters
    ----------
    U, s, Vt : ndarray
        Factors, largest terms first, e.g. from
        ``np.linalg.svd(A, full_matrices=False)``: ``U`` (m, r), ``s`` (r,),
        ``Vt`` (r, n); or, for ``layout="channels"``, one factorization per RGB
        channel stacked on a first axis of length 3: (3, m, r), (3, r), (3, r, n).
        :meth:`mflib.svd.SVDCompressor.factors` returns them in this form.
    layout : {"gray", "channels", "wide", "tall"}, optional
        How the product is the picture (see :mod:`mflib.layout`). Default:
        ``"channels"`` for 3-D ``U``, else ``"gray"``.
    reference : ndarray, optional
        The picture the readouts compare with (default: the product of all the
        given terms). Pass the original image when ``r`` is less than full rank.
    label : str, optional
        Caption under this picture.
    ranks : sequence of int, optional
        The rank this picture shows at each slider position ``k = 1, 2, ...``
        (e.g. the largest rank that fits the storage of the first panel's rank
        ``k``). Default: ``min(k, r)``.

    Examples
    --------
    >>> A = np.outer(np.linspace(0, 1, 6), np.linspace(1, 0, 9))
    >>> U, s, Vt = np.linalg.svd(A, full_matrices=False)
    >>> lowrank_panel(U, s, Vt, label="gradient").shape
    (6, 9)
    """

    def __init__(self, U, s, Vt, *, layout=None, reference=None, label=None, ranks=None):
        U = check_matrix(U, "U", ndim=(2, 3))
        s = check_matrix(s, "s", ndim=(1, 2))
        Vt = check_matrix(Vt, "Vt", ndim=(2, 3))
        layout = check_layout(layout or ("channels" if U.ndim == 3 else "gray"))
        want = 3 if layout == "channels" else 2
        if U.ndim != want or Vt.ndim != want or s.ndim != want - 1:
            lead = "(3, m, r), (3, r), (3, r, n)" if want == 3 else "(m, r), (r,), (r, n)"
            raise ValueError(f"layout={layout!r} needs factors of shapes {lead}; got U {U.shape}, "
                             f"s {s.shape}, Vt {Vt.shape}.")
        Us, ss, Vts = (list(U), list(s), list(Vt)) if want == 3 else ([U], [s], [Vt])
        if want == 3 and not len(Us) == len(ss) == len(Vts) == 3:
            raise ValueError(f"layout='channels' needs three factorizations (R, G, B), got {len(Us)}.")
        for u, sv, vt in zip(Us, ss, Vts):
            if u.shape[1] != sv.size or vt.shape[0] != sv.size or u.shape != Us[0].shape or vt.shape != Vts[0].shape:
                raise ValueError(f"shapes do not fit: U {U.shape}, s {s.shape}, Vt {Vt.shape}; pass the "
                                 "factors of one SVD, e.g. np.linalg.svd(A, full_matrices=False).")
            if np.any(sv < 0):
                raise ValueError("s has negative entries; pass the singular values of an SVD.")
        m, n = Us[0].shape[0], Vts[0].shape[1]
        if layout == "wide" and n % 3:
            raise ValueError(f"layout='wide' needs a matrix of shape (H, 3W); {n} columns are not a multiple of 3.")
        if layout == "tall" and m % 3:
            raise ValueError(f"layout='tall' needs a matrix of shape (3H, W); {m} rows are not a multiple of 3.")
        self.layout, self.label = layout, label
        self.factors = list(zip(Us, ss, Vts))
        self.r = ss[0].size
        self.shape = matrices_to_image([np.zeros((m, n))] * len(Us), layout).shape
        if reference is None:
            reference = matrices_to_image([(u * sv) @ vt for u, sv, vt in self.factors], layout)
        reference = check_image(reference, "reference")
        if reference.shape != self.shape:
            raise ValueError(f"reference has shape {reference.shape} but the factors make a picture of shape "
                             f"{self.shape}; pass the original image the factors approximate.")
        if not np.any(reference):
            raise ValueError("reference is all zeros, so relative errors are undefined.")
        self.reference = reference
        if ranks is not None:
            ranks = np.asarray(ranks)
            if ranks.ndim != 1 or not np.issubdtype(ranks.dtype, np.integer) or ranks.size == 0:
                raise ValueError("ranks must be a 1-D list of whole numbers, one rank per slider position.")
            if ranks.min() < 1 or ranks.max() > self.r:
                raise ValueError(f"ranks run from {ranks.min()} to {ranks.max()}; this panel has {self.r} "
                                 f"terms, so choose ranks within 1..{self.r}.")
        self.ranks = ranks


lowrank_panel = LowRankPanel


class _QuantizedMatrix:
    """The first ``r`` terms of one factorization, each stored with 8 or 16 bits per entry."""

    def __init__(self, U, s, Vt, r, bits):
        self.m, self.n, self.r = U.shape[0], Vt.shape[1], r
        self.bits = np.asarray(bits[:r], dtype=int)
        terms = [quantize_term(U[:, i], Vt[i], s[i], b) for i, b in zip(range(r), self.bits)]
        self.qu = np.array([t[0] for t in terms]).reshape(r, self.m)
        self.qv = np.array([t[1] for t in terms]).reshape(r, self.n)
        self.scale = np.array([t[2] for t in terms], dtype=np.float32)

    def term_bytes(self):
        """Bytes of each term: ``m + n`` integers of ``bits / 8`` bytes, and one float32 scale."""
        return (self.m + self.n) * self.bits // 8 + 4

    def payload(self):
        blocks = {}
        for b, dtype in ((8, "<i1"), (16, "<i2")):
            sel = self.bits == b
            blocks[b] = _b64(np.concatenate([self.qu[sel], self.qv[sel]], axis=1).astype(dtype))
        return {"m": self.m, "n": self.n, "r": self.r, "bits": self.bits.tolist(),
                "q8": blocks[8], "q16": blocks[16], "scale": _b64(self.scale.astype("<f4"))}

    def product(self, k, start=0):
        """What the browser accumulates for terms ``start .. k - 1`` (float32 factors, exact sum)."""
        U = self.qu[start:k].T.astype(np.float32) * self.scale[start:k]
        with one_blas_thread():
            return U.astype(np.float64) @ self.qv[start:k].astype(np.float64)


def _allocate_bits(factors, r, base, budget):
    """Bits per term: ``base`` everywhere, 16 for the terms whose rounding costs most, until the total fits."""
    bits = [np.full(r, base) for _ in factors]
    if base == 16:
        return bits
    gains, total = [], 0.0
    for c, (U, s, Vt) in enumerate(factors):
        for i in range(r):
            e8 = quantize_term(U[:, i], Vt[i], s[i], 8)[3]
            e16 = quantize_term(U[:, i], Vt[i], s[i], 16)[3]
            total += e8
            gains.append((e8 - e16, c, i))
    for gain, c, i in sorted(gains, reverse=True):
        if total <= budget:
            break
        bits[c][i] = 16
        total -= gain
    return bits


def _psnr_text(p):
    return "PSNR ∞ dB" if not np.isfinite(p) else f"PSNR {p:.1f} dB"


class LowRankSlider(SliderBase):
    """A slider over *every* rank ``k`` of ``U[:, :k] diag(s[:k]) Vt[:k]``, drawn in the browser.

    **What is stored.** Each term ``sigma_i u_i v_i^T`` keeps ``u_i`` and
    ``v_i`` as integers (8 bits, ``quantize=8``) scaled by their largest
    absolute value, and one float32 scale that absorbs ``sigma_i``. Terms whose
    8-bit rounding would be visible get 16 bits: bits go to the terms that need
    them until the rounding noise of all terms together is below a tenth of the
    8-bit display's own rounding noise. The readout gives the bytes *this page
    stores* up to rank ``k`` (``m + n`` integers and 4 bytes per term), so it is
    larger than a plain 8-bit count ``k (m + n + 4)`` wherever a term took 16 bits.

    **What the readouts say.** Relative error and PSNR are those of the *exact*
    rank-``k`` SVD as it is shown: clipped to ``clip`` and in 8-bit levels,
    against ``reference``. They are computed once in Python; the picture is
    decoded from the quantized factors. By the rule above the picture's PSNR is
    within 0.5 dB of the readout's (checked for every ``k`` in the tests, with
    :meth:`picture_psnr`).

    Parameters
    ----------
    U, s, Vt : ndarray
        Factors, as in :class:`LowRankPanel`. Instead of factors, ``U`` may be a
        list of :class:`LowRankPanel` objects shown side by side (then leave
        ``s`` and ``Vt`` out, and give ``layout``, ``reference`` and ``label``
        to each panel).
    layout, reference, label
        As in :class:`LowRankPanel`, for a single picture.
    value : int, optional
        Initial position ``k`` (default: a tenth of the way).
    name : str
        The parameter's name in the readout.
    title : str, optional
        Heading above the slider.
    clip : (float, float)
        Values shown as black and white; values outside are clipped.
    quantize : {8, 16}
        Bits per stored entry (16 for every term, near-lossless and twice the
        bytes).
    width : int, optional
        Display width in CSS pixels (default: natural size; pictures narrower
        than 160 px are enlarged by a whole factor with crisp pixels).

    Attributes
    ----------
    values : list of int
        The positions ``1 .. K``.
    K : int
        The number of positions.

    Examples
    --------
    >>> A = np.add.outer(np.sin(np.linspace(0, 3, 20)), np.cos(np.linspace(0, 2, 30))) / 2 + 0.5
    >>> U, s, Vt = np.linalg.svd(A, full_matrices=False)
    >>> sl = lowrank_slider(U, s, Vt, value=1, title="a rank-2 picture")
    >>> sl.K
    20
    >>> sl.readout(2)[:6]
    'k = 2:'
    >>> sl.picture(2).shape, sl.picture(2).dtype
    ((20, 30), dtype('uint8'))
    >>> abs(sl.picture_psnr(5) - sl.numbers(5)[0]["psnr"]) <= 0.5
    True

    Two pictures side by side, the second at half the rank:

    >>> halves = [max(1, k // 2) for k in range(1, 21)]
    >>> both = lowrank_slider([lowrank_panel(U, s, Vt, label="rank k"),
    ...                        lowrank_panel(U, s, Vt, label="rank k/2", ranks=halves)])
    >>> [v["rank"] for v in both.numbers(10)]
    [10, 5]
    """

    def __init__(self, U, s=None, Vt=None, *, layout=None, reference=None, label=None, value=None, name="k",
                 title=None, clip=(0, 1), quantize=8, width=None):
        if isinstance(U, (list, tuple)) and U and all(isinstance(p, LowRankPanel) for p in U):
            if s is not None or Vt is not None or layout is not None or reference is not None or label is not None:
                raise TypeError("with a list of panels, give layout, reference and label to each lowrank_panel(...), "
                                "and leave s and Vt out.")
            panels = list(U)
        elif s is None or Vt is None:
            raise TypeError("pass the three factors U, s, Vt (or a list of lowrank_panel(...) objects).")
        else:
            panels = [LowRankPanel(U, s, Vt, layout=layout, reference=reference, label=label)]
        if quantize not in (8, 16):
            raise ValueError(f"quantize={quantize!r}: choose 8 (compact) or 16 (near-lossless) bits per entry.")
        first = panels[0]
        K = len(first.ranks) if first.ranks is not None else first.r
        for j, p in enumerate(panels):
            if p.ranks is not None and len(p.ranks) != K:
                raise ValueError(f"panel {j} has {len(p.ranks)} ranks but the slider has {K} positions; "
                                 "give one rank per position k = 1..K.")
        self.K, self.values = K, list(range(1, K + 1))
        self.value = check_int(min(K, max(1, K // 10)) if value is None else value, "value", 1, K)
        self.name, self.title, self.clip = str(name), title, check_clip(clip)
        self.width = None if width is None else check_int(width, "width", 1)
        self.panels = panels
        self._ranks = [np.asarray(p.ranks) if p.ranks is not None else np.minimum(np.arange(1, K + 1), p.r)
                       for p in panels]
        self._mats, self._stats = [], []
        step = (self.clip[1] - self.clip[0]) / 255
        for p, ranks in zip(panels, self._ranks):
            budget = _BUDGET * p.reference.size * step ** 2 / 12   # the 8-bit display's rounding noise
            r = int(ranks.max())
            bits = _allocate_bits(p.factors, r, quantize, budget)
            mats = [_QuantizedMatrix(U_, s_, Vt_, r, b) for (U_, s_, Vt_), b in zip(p.factors, bits)]
            self._mats.append(mats)
            self._stats.append(self._exact_stats(p, mats, ranks))

    # -- numbers ---------------------------------------------------------------
    def _shown_psnr(self, reference, accs, layout):
        """PSNR (dB) of the accumulated matrices as the screen shows them, against ``reference``."""
        shown = from_levels(display_levels(matrices_to_image(accs, layout), self.clip), self.clip)
        diff = reference - shown
        err2 = float(np.square(diff).sum())   # not np.linalg.norm: BLAS threads wait on a busy machine
        return psnr_from_mse(err2 / reference.size, self.clip[1] - self.clip[0]), err2

    def _exact_stats(self, p, mats, ranks):
        """Readouts of the exact rank-rho SVD as the picture is shown: clipped, in 8-bit levels."""
        cum = np.cumsum([sum(int(M.term_bytes()[i]) for M in mats) for i in range(mats[0].r)])
        accs = [np.zeros((M.m, M.n)) for M in mats]
        ref_norm = np.sqrt(np.square(p.reference).sum())
        stats, needed = {}, set(ranks.tolist())
        for rho in range(1, max(needed) + 1):
            for acc, (U, s, Vt) in zip(accs, p.factors):
                acc += np.outer(U[:, rho - 1] * s[rho - 1], Vt[rho - 1])
            if rho in needed:
                psnr, err2 = self._shown_psnr(p.reference, accs, p.layout)
                stats[rho] = {"rank": rho, "bytes": int(cum[rho - 1]),
                              "relative_error": float(np.sqrt(err2) / ref_norm), "psnr": psnr}
        return stats

    def numbers(self, k):
        """Readout numbers at slider position ``k``, one dict per panel.

        Each has ``rank``, ``bytes`` (of the quantized factors the page stores
        up to that rank, 8 or 16 bits per entry as the rule above chose), and
        ``relative_error`` and ``psnr`` of the *exact* rank-``rank`` SVD,
        clipped and shown in 8-bit levels, against the reference.
        """
        k = self._check_k(k)
        return [dict(st[int(r[k - 1])]) for st, r in zip(self._stats, self._ranks)]

    def _check_k(self, k):
        return check_int(k, "k", 1, self.K)

    def _check_panel(self, panel):
        return check_int(panel, "panel", 0, len(self.panels) - 1)

    def _panel_text(self, v):
        # say whose bytes these are: the page's own 8/16-bit factors, not a plain 8-bit count
        return (f"rank {v['rank']}: {v['bytes']:,} bytes of factors on this page (8/16-bit); exact SVD: "
                f"relative error {v['relative_error']:.4f}, {_psnr_text(v['psnr'])}")

    def readout(self, k):
        """The text next to the slider at position ``k``."""
        vals = self.numbers(k)
        if len(self.panels) == 1:
            return f"{self.name} = {k}: " + self._panel_text(vals[0]).split(": ", 1)[1]
        return f"{self.name} = {k}"

    def panel_readout(self, k, j):
        """The text under panel ``j`` at position ``k`` (empty for a single panel: the readout says it)."""
        return "" if len(self.panels) == 1 else self._panel_text(self.numbers(k)[self._check_panel(j)])

    def picture(self, k, panel=0):
        """The 8-bit picture the browser draws at slider position ``k`` (from the quantized factors).

        Returns
        -------
        ndarray of uint8, shape (H, W) or (H, W, 3)
        """
        k, panel = self._check_k(k), self._check_panel(panel)
        rho = int(self._ranks[panel][k - 1])
        p = self.panels[panel]
        return display_levels(matrices_to_image([M.product(rho) for M in self._mats[panel]], p.layout), self.clip)

    def picture_psnr(self, k, panel=0):
        """PSNR of :meth:`picture` against the reference (dB)."""
        shown = from_levels(self.picture(k, panel), self.clip)
        mse = np.mean((self.panels[panel].reference - shown) ** 2)
        return psnr_from_mse(mse, self.clip[1] - self.clip[0])

    def picture_gaps(self, panel=0):
        """For every position ``k``: PSNR of :meth:`picture` minus the readout's PSNR (dB).

        Cheaper than calling :meth:`picture_psnr` for each ``k``: the quantized
        terms are added one at a time, as the browser does.

        Returns
        -------
        ndarray, shape (K,)
        """
        panel = self._check_panel(panel)
        p, mats, ranks = self.panels[panel], self._mats[panel], self._ranks[panel]
        accs = [np.zeros((M.m, M.n)) for M in mats]
        shown_psnr, done = {}, 0
        for rho in sorted(set(ranks.tolist())):
            for acc, M in zip(accs, mats):
                acc += M.product(rho, start=done)
            done = rho
            shown_psnr[rho] = self._shown_psnr(p.reference, accs, p.layout)[0]
        return np.array([shown_psnr[int(r)] - self._stats[panel][int(r)]["psnr"] for r in ranks])

    # -- static form: the quantized factors as base64, a script draws every rank --
    def _build_html(self):
        K = self.K
        panels = [{"layout": p.layout, "w": p.shape[1], "h": p.shape[0], "ranks": ranks.tolist(),
                   "mats": [M.payload() for M in mats],
                   "readouts": [self.panel_readout(k, j) for k in range(1, K + 1)]}
                  for j, (p, mats, ranks) in enumerate(zip(self.panels, self._mats, self._ranks))]
        payload = {"clip": list(self.clip), "readouts": [self.readout(k) for k in range(1, K + 1)],
                   "panels": panels}
        digest = hashlib.sha1(repr(payload).encode()).hexdigest()
        figs = []
        for j, p in enumerate(self.panels):
            cap = ""
            if len(self.panels) > 1 or p.label:
                cap = (f'<figcaption style="font-size:0.85em">{html.escape(p.label or "")}'
                       f'<div class="mflib-slider-panel-readout" style="font-family:monospace">'
                       f'{html.escape(self.panel_readout(self.value, j))}</div></figcaption>')
            figs.append(
                '<figure style="margin:0 8px 4px 0;display:inline-block;vertical-align:top;text-align:center">'
                f'<canvas class="mflib-slider-canvas" width="{p.shape[1]}" height="{p.shape[0]}" '
                f'style="{img_style(p.shape[1], self.width)}" role="img" '
                f'aria-label="{html.escape(p.label or "picture")} at {html.escape(self.name)} chosen by the slider">'
                f'</canvas>{cap}</figure>')
        return page(uid("lowrank", self.name, K, digest), kind="lowrank", title=self.title,
                    input_range=(1, K, self.value), readout=(self.name, self.readout(self.value)),
                    panels=f'<div class="mflib-slider-panels">{"".join(figs)}</div>', payload=payload,
                    js="lowrank.js")

    # -- live form -------------------------------------------------------------
    def _control_value(self, index):
        return self.values[index]

    def _live_format(self, j):
        # Photographs go to the live widget as JPEG: the notebook saves the widget's state, and the book's
        # page carries it, so a PNG of a large picture would double the page. Small pictures stay PNG (crisp).
        return "jpeg" if np.prod(self.panels[j].shape[:2]) >= LIVE_JPEG_PIXELS else "png"

    def _encoded(self, k, j):
        return encode_image(self.picture(k, j), self._live_format(j), quality=85)

    def _build_widget(self):
        import ipywidgets as W

        control = W.IntSlider(value=self.value, min=1, max=self.K, step=1, description=self.name,
                              continuous_update=True, layout=W.Layout(width="28em"))
        readout = W.HTML(caption_html(self.readout(self.value)))
        images, caps, boxes = [], [], []
        for j, p in enumerate(self.panels):
            style = img_style(p.shape[1], self.width)
            width = style.split("width:")[1].split(";")[0] if style.startswith("width:") else None
            im = W.Image(value=self._encoded(self.value, j), format=self._live_format(j),
                         layout=W.Layout(width=width))
            cap = W.HTML(caption_html(self.panel_readout(self.value, j)))
            images.append(im)
            caps.append(cap)
            head = [W.HTML(f"<center><small>{html.escape(p.label)}</small></center>")] if p.label else []
            boxes.append(W.VBox([im, *head, cap]))

        def step(change):
            k = change["new"]
            for j, (im, cap) in enumerate(zip(images, caps)):
                im.value = self._encoded(k, j)       # replace the bytes; the widget itself stays
                cap.value = caption_html(self.panel_readout(k, j))
            readout.value = caption_html(self.readout(k))

        control.observe(step, names="value")
        header = [W.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        return W.VBox(header + [W.HBox([control, readout]), W.HBox(boxes)]), control

    def __repr__(self):
        return (f"<mflib low-rank slider {self.name} = 1..{self.K} over {len(self.panels)} picture(s), "
                f"showing {self.readout(self.value)}>")


lowrank_slider = LowRankSlider
