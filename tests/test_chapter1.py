"""Structure of chapter 1 that nbval does not see: exercises, hidden solutions, citations, corrections box."""

import re
from pathlib import Path

import nbformat
import pytest
from chapter_structure import exercises

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_evd_to_svd.ipynb"
BIB = ROOT / "book" / "bib" / "ch1.bib"
SHARED_BIB = ROOT / "book" / "references.bib"    # works cited by several chapters


@pytest.fixture(scope="module")
def cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def test_at_least_five_exercises_with_unique_prefixed_labels(cells):
    labels = [label for label, _, _ in exercises(cells)]
    assert len(labels) >= 5
    assert len(set(labels)) == len(labels)
    assert all(label.startswith("ch1-") for label in labels)


def test_every_solution_is_hidden_and_asserts_its_answer(cells):
    for label, start, body in exercises(cells):
        assert f"{{solution-start}} {label}" in start.source, label
        assert ":class: dropdown" in start.source, f"{label}: solution is not hidden"
        code = [c.source for c in body if c.cell_type == "code"]
        assert code and any("assert " in src for src in code), f"{label}: solution code asserts nothing"


def test_every_citation_is_in_the_chapter_or_shared_bib(cells):
    keys = set(re.findall(r"@\w+\{([^,]+),", BIB.read_text()))
    shared = set(re.findall(r"@\w+\{([^,]+),", SHARED_BIB.read_text()))
    cited = set()
    for cell in cells:
        if cell.cell_type == "markdown":
            for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", cell.source):
                cited.update(k.strip() for k in group.split(","))
    assert cited, "chapter 1 cites nothing"
    assert cited <= keys | shared, f"cited but in neither bib file: {sorted(cited - keys - shared)}"
    assert all(k.startswith("ch1-") for k in keys)
    assert keys <= cited, f"in ch1.bib but never cited: {sorted(keys - cited)}"


def test_proofs_use_sphinx_proof(cells):
    """The Eckart-Young theorem is stated and proved with prf directives, not only tested."""
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert "```{prf:theorem}" in text and "```{prf:proof}" in text
    assert re.search(r"```\{exercise\}\n:label: \S+\n\n\*\(A proof\.\)\*", text), "no proof exercise"


def test_no_process_text_in_the_chapter(cells):
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert not re.search(r"[Ii]ssue \d|[Rr]eview notes|this chapter, before", text)


def test_corrections_box_is_followed_by_its_checks(cells):
    at = [i for i, c in enumerate(cells) if "{admonition} Corrections to the sources" in c.source]
    assert len(at) == 1
    check = cells[at[0] + 1]
    assert check.cell_type == "code" and "assert ok" in check.source
    assert "nbval-check-output" in check.metadata.get("tags", [])
