"""Reading a chapter's structure from its notebook: the exercises and their hidden solutions."""

import re


def exercises(cells):
    """``(label, solution-start cell, cells up to solution-end)`` for every exercise, in order."""
    found = []
    for i, cell in enumerate(cells):
        m = re.search(r"```\{exercise\}\n:label: (\S+)", cell.source) if cell.cell_type == "markdown" else None
        if m:
            start = next(j for j in range(i + 1, len(cells)) if "{solution-start}" in cells[j].source)
            end = next(j for j in range(start, len(cells)) if "{solution-end}" in cells[j].source)
            found.append((m.group(1), cells[start], cells[start + 1:end]))
    return found
