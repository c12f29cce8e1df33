"""One bibliography entry per work, across book/references.bib and book/bib/*.bib, and none left uncited."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIB_FILES = [ROOT / "book" / "references.bib", *sorted((ROOT / "book" / "bib").glob("*.bib"))]
ENTRY = re.compile(r"@\w+\{([^,]+),(.*?)\n\}", re.S)


def _entries():
    for path in BIB_FILES:
        for key, body in ENTRY.findall(path.read_text()):
            fields = dict((name.lower(), value) for name, value in
                          re.findall(r"(\w+)\s*=\s*\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}", body))
            yield path.name, key.strip(), fields


def _normalized(title):
    return re.sub(r"[^a-z0-9]", "", re.sub(r"\\[a-z]+|[{}$]", "", title.lower()))


def test_no_key_is_defined_twice():
    seen = {}
    for name, key, _ in _entries():
        assert key not in seen, f"{key} is in both {seen[key]} and {name}"
        seen[key] = name


def test_no_work_is_listed_twice():
    by_title, by_doi = {}, {}
    for name, key, fields in _entries():
        title = _normalized(fields.get("title", ""))
        assert title, f"{key} has no title"
        assert title not in by_title, f"{key} ({name}) repeats {by_title[title]}: keep one entry"
        by_title[title] = f"{key} ({name})"
        doi = fields.get("doi", "").lower()
        if doi:
            assert doi not in by_doi, f"{key} ({name}) has the DOI of {by_doi[doi]}"
            by_doi[doi] = f"{key} ({name})"


def test_every_entry_is_cited_somewhere():
    """The bibliography page prints every entry (`:all:`), so an uncited one is a stray."""
    sources = [*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "book").glob("*.md")]
    text = "\n".join(p.read_text() for p in sources)
    cited = set()
    for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text):
        cited.update(k.strip() for k in group.split(","))
    keys = {key for _, key, _ in _entries()}
    assert keys <= cited, f"never cited: {sorted(keys - cited)}"
