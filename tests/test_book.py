"""The built book: every page there, no warnings, no broken links or images, sliders static."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

pytestmark = [pytest.mark.book, pytest.mark.slow]

PAGES = ["book/intro", "notebooks/01_evd_to_svd", "notebooks/02_image_compression",
         "notebooks/03_robust_pca", "notebooks/04_nmf_faces", "notebooks/05_recommender", "notebooks/06_text",
         "book/notation",
         "book/api", "book/bibliography", "book/changelog"]
CHAPTERS = [p for p in PAGES if p.startswith("notebooks/")]
MAX_PAGE_PAYLOAD = 2.5e6   # bytes of embedded slider frames a page may carry ("about 2 MB")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        ref = attrs.get("href") if tag in ("a", "link") else attrs.get("src")
        if ref and tag in ("a", "link", "img", "script", "source"):
            self.refs.append((tag, ref))


SPHINX_WARNING = re.compile(r"(^|: )(WARNING|ERROR|CRITICAL):")


def test_build_has_no_warnings(built_book):
    # Sphinx's own format ("file:line: WARNING: ..."); the kernel's log lines are not build warnings.
    _, log = built_book
    warnings = [line for line in log.splitlines() if SPHINX_WARNING.search(line)]
    assert not warnings, "\n".join(warnings)


def test_every_chapter_was_executed_not_taken_from_a_cache(built_book):
    """The test build starts from an empty cache: a change in mflib must reach the pages checked here."""
    _, log = built_book
    assert "Using cached notebook" not in log
    assert log.count("Executed notebook in") == len(CHAPTERS), log[-3000:]


def test_every_chapter_has_a_corrections_box(built_book):
    html, _ = built_book
    for page in CHAPTERS:
        text = (html / f"{page}.html").read_text()
        assert 'admonition-title">Corrections to the sources<' in text, page


def test_every_page_is_built(built_book):
    html, _ = built_book
    for page in PAGES:
        assert (html / f"{page}.html").is_file(), page


def test_no_broken_local_links_or_images(built_book):
    html, _ = built_book
    broken = []
    pages = [p for p in sorted(html.rglob("*.html")) if "_static" not in p.relative_to(html).parts]
    assert len(pages) >= len(PAGES)
    for page in pages:            # the book's pages, not the theme's template files in _static/
        parser = Links()
        parser.feed(page.read_text(errors="replace"))
        for tag, ref in parser.refs:
            url = urlparse(ref)
            if url.scheme or ref.startswith(("#", "//", "data:", "mailto:")):
                continue
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if not target.exists():
                broken.append(f"{page.relative_to(html)}: <{tag}> {ref}")
    assert not broken, "\n".join(broken)


def test_nothing_is_fetched_from_the_internet(built_book):
    """Scripts, styles and images all come from the book: the pages work offline."""
    html, _ = built_book
    for page in PAGES:
        parser = Links()
        parser.feed((html / f"{page}.html").read_text())
        remote = [ref for tag, ref in parser.refs
                  if tag != "a" and urlparse(ref).scheme in ("http", "https")]
        assert not remote, f"{page}: {remote}"


def test_chapters_show_static_sliders_within_budget(built_book):
    html, _ = built_book
    for page in CHAPTERS:
        text = (html / f"{page}.html").read_text()
        sliders = re.findall(r'<div class="mflib-slider".*?</script></div>', text, re.S)
        assert sliders, f"{page} has no static slider"
        assert "application/vnd.jupyter.widget-view+json" not in text
        payload = sum(len(s.encode()) for s in sliders)
        assert payload < MAX_PAGE_PAYLOAD, f"{page}: sliders embed {payload / 1e6:.2f} MB"


def test_api_reference_documents_the_package(built_book):
    html, _ = built_book
    text = (html / "book/api.html").read_text()
    for name in ["datasets.olivetti_faces", "datasets.cdnet", "io.load_video", "io.load_image",
                 "io.write_animation", "imaging.to_gray", "datasets.sample_image", "sliders.Slider",
                 "sliders.LowRankSlider", "plotting.image_grid", "svd.SVDCompressor", "rpca.RobustPCA",
                 "video.foreground_masks", "metrics.cdnet_fmeasure", "layout.frames_to_matrix",
                 "background.learn_background", "recommend.SparkALS", "nmf.beta_divergence", "datasets.brown",
                 "corpora.read_brown", "text.TopicModel", "text.word_vectors", "text.npmi_coherence",
                 "sliders.NearestWordsExplorer"]:
        assert f'id="mflib.{name}"' in text, name


def test_math_and_bibliography_rendered(built_book):
    html, _ = built_book
    chapter1 = (html / "notebooks/01_evd_to_svd.html").read_text()
    assert "mathjax/tex-chtml-full.js" in chapter1
    assert chapter1.count("\\(") + chapter1.count("\\[") > 10     # math left for MathJax
    bib = (html / "book/bibliography.html").read_text()
    root = Path(__file__).resolve().parent.parent
    entries = sum(f.read_text().count("\n@") + f.read_text().startswith("@")
                  for f in [root / "book/references.bib", *sorted((root / "book/bib").glob("*.bib"))])
    assert bib.count('role="doc-biblioentry"') == entries


def test_chapters_ran_on_a_readers_machine(built_book, original_sources, data_dir):
    """The build had no MFLIB_DATA: the chapters downloaded, verified and cached what they use."""
    import nbformat

    html, _ = built_book
    cache = html.parent.parent / "reader-cache"
    cached = {p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file()}
    for relpath in ["olivettifaces.mat", "cdnet2014/baseline/highway/input/in000470.jpg",
                    "movielens/ml-100k/u1.base"]:
        assert relpath in cached, f"{relpath} was not downloaded into the reader's cache"
        assert (cache / relpath).read_bytes() == (data_dir / relpath).read_bytes(), relpath
    assert not list(cache.rglob(".download-*")), "staging folders must be cleaned up"
    executed = nbformat.read(html.parent / "jupyter_execute" / "notebooks" / "04_nmf_faces.ipynb", as_version=4)
    progress = [out for cell in executed.cells for out in cell.get("outputs", [])
                if out.get("output_type") == "display_data" and out.get("data", {}).get("text/html") == ""]
    assert progress, "a download shows its progress in the notebook, then removes it"
