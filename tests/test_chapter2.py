"""Structure of chapter 2 that nbval does not see: exercises, hidden solutions, citations, the corrections box,
and generated Markdown whose math the book typesets."""

import ast
import re
from pathlib import Path

import nbformat
import pytest
from chapter_structure import exercises

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_image_compression.ipynb"
BIBS = [ROOT / "book" / "references.bib", *(ROOT / "book" / "bib" / f"{name}.bib" for name in ("ch1", "ch2"))]


@pytest.fixture(scope="module")
def cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def test_exercises_have_unique_prefixed_labels(cells):
    labels = [label for label, _, _ in exercises(cells)]
    assert len(labels) >= 5
    assert len(set(labels)) == len(labels)
    assert all(label.startswith("ch2-") for label in labels)
    # the harder exercises that replaced a repeat of chapter 1 and a repeat of a printed output
    assert {"ch2-ex-bits", "ch2-ex-blocks", "ch2-ex-powerlaw"} <= set(labels)
    assert not {"ch2-ex-shear", "ch2-ex-float16"} & set(labels)


def test_every_solution_is_hidden_and_asserts_its_answer(cells):
    for label, start, body in exercises(cells):
        assert f"{{solution-start}} {label}" in start.source, label
        assert ":class: dropdown" in start.source, f"{label}: solution is not hidden"
        code = [c.source for c in body if c.cell_type == "code"]
        assert code and any("assert " in src for src in code), f"{label}: solution code asserts nothing"


def test_every_citation_is_in_a_bib_file_with_a_verification_note(cells):
    entries = {}
    for text in (path.read_text() for path in BIBS):
        for key, body in re.findall(r"@\w+\{([^,]+),(.*?)\n\}", text, flags=re.S):
            entries[key] = body
    cited = set()
    for cell in cells:
        if cell.cell_type == "markdown":
            for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", cell.source):
                cited.update(k.strip() for k in group.split(","))
    assert cited, "chapter 2 cites nothing"
    assert cited <= set(entries), f"cited but in no bib file: {sorted(cited - set(entries))}"
    own = [k for k in cited if k.startswith("ch2-")]
    assert own and all("note" in entries[k] for k in own), "every ch2 entry says what was checked"


def test_corrections_box_quotes_and_is_followed_by_its_checks(cells):
    at = [i for i, c in enumerate(cells) if "{admonition} Corrections to the sources" in c.source]
    assert len(at) == 1
    box = cells[at[0]].source
    assert box.count("\"") >= 6, "each item quotes the sentence it corrects"
    assert "在很多情况下" in box, "the 1 %/10 % claim is quoted with its hedge, in the original language"
    assert "earlier version" not in box.lower(), "the course's own mistakes go to book/changelog.md"
    check = cells[at[0] + 1]
    assert check.cell_type == "code" and "nbval-check-output" in check.metadata.get("tags", [])
    assert check.source.count("assert ") >= 5


def test_no_process_text_in_the_chapter(cells):
    for cell in cells:
        text = cell.source.lower()
        assert not re.search(r"\bissue\s*#?\d+|review note|earlier version of this chapter", text), cell.source[:80]


def _markdown_strings(source):
    """Every string literal (f-strings included) inside a Markdown(...) call of a code cell."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Markdown":
            for sub in ast.walk(node):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    found.append(sub.value)
    return found


def test_generated_markdown_is_rendered_with_its_math(cells):
    # A cell's Markdown output is read as plain CommonMark unless the cell asks for MyST: without it, $...$
    # stays literal text in the book and a backslash before punctuation is dropped.
    generating = [c for c in cells if c.cell_type == "code" and _markdown_strings(c.source)]
    assert generating, "the chapter builds its verdict sentences in code"
    for cell in generating:
        assert cell.metadata.get("mystnb", {}).get("markdown_format") == "myst", cell.source[:80]
    strings = [s for c in generating for s in _markdown_strings(c.source)]
    assert any("$" in s for s in strings)
    assert not [s for s in strings if "\\(" in s], "write math as $...$; the cells render it as MyST"
