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

``lowrank_slider(U, s, Vt)`` is the same idea for low-rank products, with no
frame list: it embeds the quantized factors and the page rebuilds the picture
on a ``<canvas>`` for *every* rank ``k``, one rank-1 update per step. Use it
wherever the picture is a truncated factorization; keep ``slider`` for what a
browser cannot compute (figures, iterative algorithms).
"""

import base64
import hashlib
import html
import io
import itertools
import json
from functools import lru_cache

import numpy as np

from ._validation import check_matrix
from .imaging import _FORMATS, encode_image
from .svd import _one_blas_thread

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_ids = itertools.count()


def _uid(*parts):
    """An element id that is the same in every run: a counter plus a digest of what the slider shows.

    Python's ``hash()`` of strings changes from process to process, so it must not
    go into the page (rebuilding the book would change every page).
    """
    digest = hashlib.sha1(repr(parts).encode()).hexdigest()[:8]
    return f"mflib-slider-{next(_ids)}-{digest}"


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


class _TwoForms:
    """What both slider kinds share: a cached static HTML form and the rich display of both forms.

    Subclasses provide ``_build_html()`` and ``widget()`` and set ``self._html = None``.
    """

    def static_html(self):
        """The self-contained HTML slider: everything embedded, an inline script, no kernel."""
        if self._html is None:
            self._html = self._build_html()
        return self._html

    @property
    def payload_bytes(self):
        """Size in bytes of the static HTML (what the slider adds to a page)."""
        return len(self.static_html().encode())

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


class Slider(_TwoForms):
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

    # -- static form: every frame embedded ------------------------------------
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
        uid = _uid(self.name, tuple(map(repr, self.values)))
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


# -- a slider over low-rank products, reconstructed in the browser ----------------------------

_LAYOUTS = ("gray", "channels", "wide", "tall")
LIVE_JPEG_PIXELS = 10_000   # live pictures this large are sent to the widget as JPEG
_BUDGET = 0.1   # quantization noise allowed, as a fraction of the 8-bit display's own rounding noise

_LOWRANK_JS = """(function(){
var root=document.getElementById("%(uid)s");
var d=JSON.parse(root.querySelector(".mflib-slider-data").textContent);
var input=root.querySelector(".mflib-slider-input"),out=root.querySelector(".mflib-slider-readout");
var canv=root.querySelectorAll(".mflib-slider-canvas"),caps=root.querySelectorAll(".mflib-slider-panel-readout");
var lo=d.clip[0],f=255/(d.clip[1]-d.clip[0]);
function buf(s){var b=atob(s),a=new Uint8Array(b.length);
  for(var i=0;i<b.length;i++)a[i]=b.charCodeAt(i);return a.buffer;}
function prep(M){
  var q8=new Int8Array(buf(M.q8)),q16=new Int16Array(buf(M.q16)),sc=new Float32Array(buf(M.scale));
  var m=M.m,n=M.n,U=new Float32Array(M.r*m),V=new Float32Array(M.r*n),o8=0,o16=0;
  for(var i=0;i<M.r;i++){var q,o;
    if(M.bits[i]===16){q=q16;o=o16;o16+=m+n;}else{q=q8;o=o8;o8+=m+n;}
    for(var y=0;y<m;y++)U[i*m+y]=q[o+y]*sc[i];
    for(var x=0;x<n;x++)V[i*n+x]=q[o+m+x];}
  var acc=new Float32Array(m*n);
  return {m:m,n:n,r:M.r,U:U,V:V,acc:acc,k:0,snap:{0:acc.slice()},stride:Math.max(4,Math.ceil(M.r/16))};}
function term(M,A,i,sgn){  // A += sgn * (scaled u_i) v_i^T, one row at a time
  var m=M.m,n=M.n,U=M.U,V=M.V,vo=i*n;
  for(var y=0;y<m;y++){var a=sgn*U[i*m+y];if(a===0)continue;var row=y*n;
    for(var x=0;x<n;x++)A[row+x]+=a*V[vo+x];}}
function goTo(M,k){  // from the current rank or the nearest snapshot, whichever needs fewer terms
  var best=Math.abs(k-M.k),from=-1;
  for(var c in M.snap){var dd=Math.abs(k-c);if(dd<best){best=dd;from=+c;}}
  if(from>=0){M.acc.set(M.snap[from]);M.k=from;}
  while(M.k<k){term(M,M.acc,M.k,1);M.k++;if(M.k%%M.stride===0&&!M.snap[M.k])M.snap[M.k]=M.acc.slice();}
  while(M.k>k){M.k--;term(M,M.acc,M.k,-1);}}
function warm(M){  // in idle moments, snapshots every `stride` terms, so a long jump stays short
  if(M.wk===undefined){M.wk=0;M.wacc=new Float32Array(M.m*M.n);}
  var end=Math.min(M.r,M.wk+M.stride);
  while(M.wk<end){term(M,M.wacc,M.wk,1);M.wk++;}
  if(!M.snap[M.wk])M.snap[M.wk]=M.wacc.slice();
  if(M.wk<M.r)setTimeout(function(){warm(M);},0);else M.wacc=null;}
var panels=d.panels.map(function(p,j){
  var ctx=canv[j].getContext("2d"),img=ctx.createImageData(p.w,p.h);
  for(var i=3;i<img.data.length;i+=4)img.data[i]=255;
  return {p:p,ctx:ctx,img:img,mats:p.mats.map(prep)};});
function draw(P){
  var D=P.img.data,w=P.p.w,h=P.p.h,N=w*h,ms=P.mats,A,c,p,v;
  if(P.p.layout==="gray"){A=ms[0].acc;for(p=0;p<N;p++){v=(A[p]-lo)*f;D[4*p]=v;D[4*p+1]=v;D[4*p+2]=v;}}
  else if(P.p.layout==="channels"){for(c=0;c<3;c++){A=ms[c].acc;for(p=0;p<N;p++)D[4*p+c]=(A[p]-lo)*f;}}
  else if(P.p.layout==="wide"){A=ms[0].acc;
    for(var y=0;y<h;y++)for(c=0;c<3;c++){var o=(3*y+c)*w;for(var x=0;x<w;x++)D[4*(y*w+x)+c]=(A[o+x]-lo)*f;}}
  else{A=ms[0].acc;for(c=0;c<3;c++){for(p=0;p<N;p++)D[4*p+c]=(A[c*N+p]-lo)*f;}}
  P.ctx.putImageData(P.img,0,0);}
function show(k){
  panels.forEach(function(P,j){var r=P.p.ranks[k-1];P.mats.forEach(function(M){goTo(M,r);});draw(P);
    if(caps[j])caps[j].textContent=P.p.readouts[k-1];});
  out.textContent=d.readouts[k-1];input.value=k;}
root.mflibShow=show;  // for tests and benchmarks: show(k) draws rank k synchronously
input.addEventListener("input",function(){show(+input.value);});
show(+input.value);
setTimeout(function(){panels.forEach(function(P){P.mats.forEach(warm);});},50);
})();"""


def _b64(arr):
    return base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode()


def _to_image(mats, layout):
    """Arrange reconstructed matrices as the picture: (H, W) or (H, W, 3)."""
    if layout == "gray":
        return mats[0]
    if layout == "channels":
        return np.stack(mats, axis=2)
    return np.stack(np.split(mats[0], 3, axis=1 if layout == "wide" else 0), axis=2)


class LowRankPanel:
    """One picture of a :func:`lowrank_slider`: factors, how they form the image, and its rank per position.

    Made by :func:`lowrank_panel`; the slider quantizes it.
    """

    def __init__(self, U, s, Vt, *, layout=None, reference=None, label=None, ranks=None):
        U = check_matrix(U, "U", ndim=(2, 3))
        s = check_matrix(s, "s", ndim=(1, 2))
        Vt = check_matrix(Vt, "Vt", ndim=(2, 3))
        layout = layout or ("channels" if U.ndim == 3 else "gray")
        if layout not in _LAYOUTS:
            raise ValueError(f"layout={layout!r} is unknown; use one of {list(_LAYOUTS)}.")
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
        image = _to_image([np.zeros((m, n))] * len(Us), layout)
        self.shape = image.shape
        if reference is None:
            reference = _to_image([(u * sv) @ vt for u, sv, vt in self.factors], layout)
        reference = check_matrix(reference, "reference", ndim=(2, 3))
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


def lowrank_panel(U, s, Vt, *, layout=None, reference=None, label=None, ranks=None):
    """One picture for a :func:`lowrank_slider` that shows several side by side.

    Parameters
    ----------
    U, s, Vt : ndarray
        The factors, as in :func:`lowrank_slider`.
    layout : {"gray", "channels", "wide", "tall"}, optional
        See :func:`lowrank_slider`.
    reference : ndarray, optional
        The original picture the readouts compare with.
    label : str, optional
        Caption under this picture.
    ranks : sequence of int, optional
        The rank this picture shows at each slider position ``k = 1, 2, ...``
        (e.g. the largest rank that fits the storage of the first panel's rank
        ``k``). Default: ``min(k, r)``.

    Returns
    -------
    LowRankPanel

    Examples
    --------
    >>> A = np.outer(np.linspace(0, 1, 6), np.linspace(1, 0, 9))
    >>> U, s, Vt = np.linalg.svd(A, full_matrices=False)
    >>> lowrank_panel(U, s, Vt, label="gradient").shape
    (6, 9)
    """
    return LowRankPanel(U, s, Vt, layout=layout, reference=reference, label=label, ranks=ranks)


def _quantize_term(u, v, sigma, bits):
    """Integer ``u``, ``v`` with a max-abs scale per vector; one float32 scale per term absorbs sigma."""
    top = 2 ** (bits - 1) - 1
    su = np.abs(u).max() / top or 1.0
    sv = np.abs(v).max() / top or 1.0
    qu, qv = np.rint(u / su), np.rint(v / sv)
    scale = np.float32(sigma * su * sv)
    # ||sigma u v^T - scale qu qv^T||_F^2, exactly, from inner products
    noise = (sigma ** 2 * (u @ u) * (v @ v) + float(scale) ** 2 * (qu @ qu) * (qv @ qv)
             - 2 * sigma * float(scale) * (u @ qu) * (v @ qv))
    return qu, qv, scale, max(noise, 0.0)


class _QuantizedMatrix:
    """The first ``r`` terms of one factorization, each stored with 8 or 16 bits per entry."""

    def __init__(self, U, s, Vt, r, bits):
        self.m, self.n, self.r = U.shape[0], Vt.shape[1], r
        self.bits = np.asarray(bits[:r], dtype=int)
        terms = [_quantize_term(U[:, i], Vt[i], s[i], b) for i, b in zip(range(r), self.bits)]
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
        with _one_blas_thread():   # small products: threads on a busy machine wait longer than they compute
            return U.astype(np.float64) @ self.qv[start:k].astype(np.float64)


def _allocate_bits(factors, r, base, budget):
    """Bits per term: ``base`` everywhere, 16 for the terms whose rounding costs most, until the total fits."""
    bits = [np.full(r, base) for _ in factors]
    if base == 16:
        return bits
    gains = []
    total = 0.0
    for c, (U, s, Vt) in enumerate(factors):
        for i in range(r):
            e8 = _quantize_term(U[:, i], Vt[i], s[i], 8)[3]
            e16 = _quantize_term(U[:, i], Vt[i], s[i], 16)[3]
            total += e8
            gains.append((e8 - e16, c, i))
    for gain, c, i in sorted(gains, reverse=True):
        if total <= budget:
            break
        bits[c][i] = 16
        total -= gain
    return bits


def _display(x, clip):
    """The 8-bit levels a canvas shows for values ``x`` (round half to even, clamped, as Uint8ClampedArray)."""
    lo, hi = clip
    return np.clip(np.rint((np.asarray(x, dtype=np.float64) - lo) * (255 / (hi - lo))), 0, 255).astype(np.uint8)


def _from_levels(levels, clip):
    lo, hi = clip
    return lo + levels.astype(np.float64) * ((hi - lo) / 255)


def _check_position(k, K):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be a whole number, got {k!r}.")
    if not 1 <= k <= K:
        raise ValueError(f"k={k} is out of range: this slider has positions 1 <= k <= {K}.")
    return int(k)


def _psnr_text(p):
    return "PSNR ∞ dB" if not np.isfinite(p) else f"PSNR {p:.1f} dB"


class LowRankSlider(_TwoForms):
    """A slider over every rank of low-rank products, drawn in the browser; see :func:`lowrank_slider`."""

    def __init__(self, panels, *, k=None, name="k", title=None, clip=(0, 1), quantize=8, width=None):
        if not panels or not all(isinstance(p, LowRankPanel) for p in panels):
            raise TypeError("pass factors (U, s, Vt) or a non-empty list of lowrank_panel(...) objects.")
        if quantize not in (8, 16):
            raise ValueError(f"quantize={quantize!r}: choose 8 (compact) or 16 (near-lossless) bits per entry.")
        if (np.ndim(clip) != 1 or len(clip) != 2 or not np.all(np.isfinite(clip))
                or not clip[0] < clip[1]):
            raise ValueError(f"clip must be a pair (low, high) with low < high, got {clip!r}; "
                             "use (0, 1) for images in [0, 1].")
        first = panels[0]
        K = len(first.ranks) if first.ranks is not None else first.r
        for j, p in enumerate(panels):
            if p.ranks is not None and len(p.ranks) != K:
                raise ValueError(f"panel {j} has {len(p.ranks)} ranks but the slider has {K} positions; "
                                 "give one rank per position k = 1..K.")
        if k is None:
            k = min(K, max(1, K // 10))
        self.K = K
        self.k = _check_position(k, K)
        self.name, self.title, self.clip, self.width = str(name), title, tuple(map(float, clip)), width
        self.panels = panels
        self._ranks = [np.asarray(p.ranks) if p.ranks is not None else np.minimum(np.arange(1, K + 1), p.r)
                       for p in panels]
        self._mats, self._stats = [], []
        for p, ranks in zip(panels, self._ranks):
            r = int(ranks.max())
            step = (self.clip[1] - self.clip[0]) / 255
            budget = _BUDGET * p.reference.size * step ** 2 / 12   # the 8-bit display's rounding noise
            bits = _allocate_bits(p.factors, r, quantize, budget)
            mats = [_QuantizedMatrix(U, s, Vt, r, b) for (U, s, Vt), b in zip(p.factors, bits)]
            self._mats.append(mats)
            self._stats.append(self._exact_stats(p, mats, ranks))
        self._html = self._widget = self._control = None

    # -- numbers ---------------------------------------------------------------
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
                shown = _from_levels(_display(_to_image(accs, p.layout), self.clip), self.clip)
                diff = p.reference - shown
                err = np.sqrt(np.square(diff).sum())   # not np.linalg.norm: BLAS threads wait on a busy machine
                mse = err ** 2 / p.reference.size
                peak = self.clip[1] - self.clip[0]
                stats[rho] = {"rank": rho, "bytes": int(cum[rho - 1]), "relative_error": float(err / ref_norm),
                              "psnr": float("inf") if mse == 0 else float(10 * np.log10(peak ** 2 / mse))}
        return stats

    def values(self, k):
        """Readout numbers at slider position ``k``, one dict per panel.

        Each has ``rank``, ``bytes`` (of the quantized factors up to that rank),
        and ``relative_error`` and ``psnr`` of the *exact* rank-``rank`` SVD,
        clipped and shown in 8-bit levels, against the reference.
        """
        k = _check_position(k, self.K)
        return [dict(st[int(r[k - 1])]) for st, r in zip(self._stats, self._ranks)]

    def _panel_text(self, v):
        bits = "8/16-bit" if v["bytes"] else ""
        return (f"rank {v['rank']}: {v['bytes']:,} bytes ({bits} factors), relative error "
                f"{v['relative_error']:.4f}, {_psnr_text(v['psnr'])}")

    def readout(self, k):
        """The text next to the slider at position ``k``."""
        vals = self.values(k)
        if len(self.panels) == 1:
            v = vals[0]
            return (f"{self.name} = {k}: {v['bytes']:,} bytes (8/16-bit factors), relative error "
                    f"{v['relative_error']:.4f}, {_psnr_text(v['psnr'])}")
        return f"{self.name} = {k}"

    def panel_readout(self, k, j):
        return "" if len(self.panels) == 1 else self._panel_text(self.values(k)[j])

    def picture(self, k, panel=0):
        """The 8-bit picture the browser draws at slider position ``k`` (from the quantized factors).

        Returns
        -------
        ndarray of uint8, shape (H, W) or (H, W, 3)
        """
        k = _check_position(k, self.K)
        rho = int(self._ranks[panel][k - 1])
        p = self.panels[panel]
        return _display(_to_image([M.product(rho) for M in self._mats[panel]], p.layout), self.clip)

    def picture_psnr(self, k, panel=0):
        """PSNR of :meth:`picture` against the reference (dB)."""
        shown = _from_levels(self.picture(k, panel), self.clip)
        mse = np.mean((self.panels[panel].reference - shown) ** 2)
        return float("inf") if mse == 0 else float(10 * np.log10((self.clip[1] - self.clip[0]) ** 2 / mse))

    def picture_gaps(self, panel=0):
        """For every position ``k``: PSNR of :meth:`picture` minus the readout's PSNR (dB).

        Cheaper than calling :meth:`picture_psnr` for each ``k``: the quantized
        terms are added one at a time, as the browser does.

        Returns
        -------
        ndarray, shape (K,)
        """
        p, mats, ranks = self.panels[panel], self._mats[panel], self._ranks[panel]
        accs = [np.zeros((M.m, M.n)) for M in mats]
        peak2 = (self.clip[1] - self.clip[0]) ** 2
        shown_psnr, done = {}, 0
        for rho in sorted(set(ranks.tolist())):
            for acc, M in zip(accs, mats):
                acc += M.product(rho, start=done)
            done = rho
            shown = _from_levels(_display(_to_image(accs, p.layout), self.clip), self.clip)
            mse = np.square(p.reference - shown).mean()
            shown_psnr[rho] = float("inf") if mse == 0 else 10 * np.log10(peak2 / mse)
        return np.array([shown_psnr[int(r)] - self._stats[panel][int(r)]["psnr"] for r in ranks])

    # -- static form: the quantized factors as base64, a script draws every rank --
    def _style(self, w):
        width = self.width or (w * -(-MIN_WIDTH // w) if w < MIN_WIDTH else None)
        if width is None:
            return "max-width:100%;height:auto"
        crisp = ";image-rendering:pixelated" if width >= w else ""
        return f"width:{width}px;max-width:100%;height:auto{crisp}"

    def _build_html(self):
        K = self.K
        panels = []
        for j, (p, mats, ranks) in enumerate(zip(self.panels, self._mats, self._ranks)):
            panels.append({"layout": p.layout, "w": p.shape[1], "h": p.shape[0],
                           "ranks": ranks.tolist(), "mats": [M.payload() for M in mats],
                           "readouts": [self.panel_readout(k, j) for k in range(1, K + 1)]})
        data = {"clip": list(self.clip), "readouts": [self.readout(k) for k in range(1, K + 1)],
                "panels": panels}
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        uid = _uid("lowrank", self.name, K, hashlib.sha1(payload.encode()).hexdigest())
        figs = []
        for j, p in enumerate(self.panels):
            cap = ""
            if len(self.panels) > 1 or p.label:
                cap = (f'<figcaption style="font-size:0.85em">{html.escape(p.label or "")}'
                       f'<div class="mflib-slider-panel-readout" style="font-family:monospace">'
                       f'{html.escape(self.panel_readout(self.k, j))}</div></figcaption>')
            figs.append(
                '<figure style="margin:0 8px 4px 0;display:inline-block;vertical-align:top;text-align:center">'
                f'<canvas class="mflib-slider-canvas" width="{p.shape[1]}" height="{p.shape[0]}" '
                f'style="{self._style(p.shape[1])}" role="img" '
                f'aria-label="{html.escape(p.label or "picture")} at {html.escape(self.name)} chosen by the slider">'
                f'</canvas>{cap}</figure>')
        title = (f'<div style="font-weight:600;margin-bottom:4px">{html.escape(self.title)}</div>'
                 if self.title else "")
        return (
            f'<div class="mflib-slider" id="{uid}" data-kind="lowrank" style="margin:0.5em 0">{title}'
            f'<div style="display:flex;align-items:center;gap:0.75em;margin-bottom:6px;flex-wrap:wrap">'
            f'<input class="mflib-slider-input" type="range" min="1" max="{K}" step="1" value="{self.k}" '
            f'aria-label="{html.escape(self.name)}" style="flex:0 1 22em">'
            f'<output class="mflib-slider-readout" style="font-family:monospace">'
            f'{html.escape(self.readout(self.k))}</output></div>'
            f'<div class="mflib-slider-panels">{"".join(figs)}</div>'
            f'<script type="application/json" class="mflib-slider-data">{payload}</script>'
            f"<script>{_LOWRANK_JS % {'uid': uid}}</script></div>")

    # -- live form -------------------------------------------------------------
    def widget(self):
        """The ipywidgets control: an integer slider over every k; each step redraws in place."""
        if self._widget is None:
            self._widget = self._build_widget()
        return self._widget

    def _live_format(self, j):
        # Photographs go to the live widget as JPEG: the notebook saves the widget's state, and the book's
        # page carries it, so a PNG of a large picture would double the page. Small pictures stay PNG (crisp).
        return "jpeg" if np.prod(self.panels[j].shape[:2]) >= LIVE_JPEG_PIXELS else "png"

    def _png(self, k, j):
        return encode_image(self.picture(k, j), self._live_format(j), quality=85)

    def _build_widget(self):
        import ipywidgets as W

        control = W.IntSlider(value=self.k, min=1, max=self.K, step=1, description=self.name,
                              continuous_update=True, layout=W.Layout(width="28em"))
        readout = W.HTML(self._caption(self.readout(self.k)))
        images, caps, boxes = [], [], []
        for j, p in enumerate(self.panels):
            style = self._style(p.shape[1])
            width = style.split("width:")[1].split(";")[0] if style.startswith("width:") else None
            im = W.Image(value=self._png(self.k, j), format=self._live_format(j), layout=W.Layout(width=width))
            cap = W.HTML(self._caption(self.panel_readout(self.k, j)))
            images.append(im)
            caps.append(cap)
            head = [W.HTML(f"<center><small>{html.escape(p.label)}</small></center>")] if p.label else []
            boxes.append(W.VBox([im, *head, cap]))

        def step(change):
            k = change["new"]
            for j, (im, cap) in enumerate(zip(images, caps)):
                im.value = self._png(k, j)       # replace the bytes; the widget itself stays
                cap.value = self._caption(self.panel_readout(k, j))
            readout.value = self._caption(self.readout(k))

        control.observe(step, names="value")
        self._control = control
        header = [W.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        return W.VBox(header + [W.HBox([control, readout]), W.HBox(boxes)])

    @staticmethod
    def _caption(text):
        return f'<pre style="margin:0;font-size:0.9em">{html.escape(text)}</pre>' if text else ""

    def step(self, k):
        """Move the live slider to ``k`` (what dragging does)."""
        k = _check_position(k, self.K)
        self.widget()
        self._control.value = k
        return self.readout(k)


    def __repr__(self):
        return (f"<mflib low-rank slider {self.name} = 1..{self.K} over {len(self.panels)} picture(s), "
                f"showing {self.readout(self.k)}>")


def lowrank_slider(U, s=None, Vt=None, *, layout=None, reference=None, k=None, name="k", title=None,
                   label=None, clip=(0, 1), quantize=8, width=None):
    """A slider over *every* rank ``k`` of ``U[:, :k] diag(s[:k]) Vt[:k]``, drawn in the browser.

    The static form (the book) embeds the factors, quantized, and a short inline
    script that rebuilds the picture on a ``<canvas>`` for each ``k`` from 1 to
    the number of terms: one rank-1 update per step of the slider, and from the
    nearest of a few cached partial sums for a long jump. No kernel, no server,
    nothing fetched. The live form (Jupyter) is an integer slider that redraws
    the same picture in place.

    **What is stored.** Each term ``sigma_i u_i v_i^T`` keeps ``u_i`` and
    ``v_i`` as integers (8 bits, ``quantize=8``) scaled by their largest
    absolute value, and one float32 scale that absorbs ``sigma_i``. Terms whose
    8-bit rounding would be visible get 16 bits: bits go to the terms that need
    them until the rounding noise of all terms together is below a tenth of the
    8-bit display's own rounding noise. The readout's bytes count exactly this
    (``m + n`` integers and 4 bytes per term).

    **What the readouts say.** Relative error and PSNR are those of the *exact*
    rank-``k`` SVD as it is shown: clipped to ``clip`` and in 8-bit levels,
    against ``reference``. They are computed once in Python; the picture is
    decoded from the quantized factors. By the rule above the picture's PSNR is
    within 0.5 dB of the readout's (checked for every ``k`` in the tests, with
    :meth:`LowRankSlider.picture_psnr`).

    Parameters
    ----------
    U, s, Vt : ndarray
        Factors, largest terms first, e.g. from
        ``np.linalg.svd(A, full_matrices=False)``: ``U`` (m, r), ``s`` (r,),
        ``Vt`` (r, n); or, for ``layout="channels"``, one factorization per RGB
        channel stacked on a first axis of length 3: (3, m, r), (3, r), (3, r, n).
        Instead of factors, ``U`` may be a list of :func:`lowrank_panel`
        objects shown side by side (then leave ``s`` and ``Vt`` out).
    layout : {"gray", "channels", "wide", "tall"}, optional
        How the product is the picture: ``"gray"`` (the matrix itself),
        ``"channels"`` (three matrices, R, G, B), ``"wide"`` (an H x 3W matrix,
        channels side by side), ``"tall"`` (a 3H x W matrix, channels stacked).
        Default: ``"channels"`` for 3-D ``U``, else ``"gray"``.
    reference : ndarray, optional
        The picture the readouts compare with (default: the product of all the
        given terms). Pass the original image when ``r`` is less than full rank.
    k : int, optional
        Initial position (default: a tenth of the way).
    name : str
        The parameter's name in the readout.
    title, label : str, optional
        Heading above the slider; caption under the picture.
    clip : (float, float)
        Values shown as black and white; values outside are clipped.
    quantize : {8, 16}
        Bits per stored entry (16 for every term, near-lossless and twice the
        bytes).
    width : int, optional
        Display width in CSS pixels (default: natural size; pictures narrower
        than 160 px are enlarged by a whole factor with crisp pixels).

    Returns
    -------
    LowRankSlider
        Displaying it shows the slider; ``.values(k)`` gives the readout numbers,
        ``.picture(k)`` the 8-bit picture drawn at ``k``, ``.payload_bytes`` the
        size of the static form, ``.step(k)`` moves the live form.

    Examples
    --------
    >>> A = np.add.outer(np.sin(np.linspace(0, 3, 20)), np.cos(np.linspace(0, 2, 30))) / 2 + 0.5
    >>> U, s, Vt = np.linalg.svd(A, full_matrices=False)
    >>> sl = lowrank_slider(U, s, Vt, k=1, title="a rank-2 picture")
    >>> sl.K
    20
    >>> sl.readout(2)[:6]
    'k = 2:'
    >>> sl.picture(2).shape, sl.picture(2).dtype
    ((20, 30), dtype('uint8'))
    >>> abs(sl.picture_psnr(5) - sl.values(5)[0]["psnr"]) <= 0.5
    True

    Two pictures side by side, the second at half the rank:

    >>> halves = [max(1, k // 2) for k in range(1, 21)]
    >>> both = lowrank_slider([lowrank_panel(U, s, Vt, label="rank k"),
    ...                        lowrank_panel(U, s, Vt, label="rank k/2", ranks=halves)])
    >>> [v["rank"] for v in both.values(10)]
    [10, 5]
    """
    if isinstance(U, (list, tuple)) and U and all(isinstance(p, LowRankPanel) for p in U):
        if s is not None or Vt is not None or layout is not None or reference is not None or label is not None:
            raise TypeError("with a list of panels, give layout, reference and label to each lowrank_panel(...), "
                            "and leave s and Vt out.")
        panels = list(U)
    else:
        if s is None or Vt is None:
            raise TypeError("pass the three factors U, s, Vt (or a list of lowrank_panel(...) objects).")
        panels = [LowRankPanel(U, s, Vt, layout=layout, reference=reference, label=label)]
    return LowRankSlider(panels, k=k, name=name, title=title, clip=clip, quantize=quantize, width=width)
