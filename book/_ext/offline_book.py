"""Make every page of the book work offline, with a clean browser console.

- Remove sphinx-thebe's scripts. The book has no live code cells (its sliders
  need no kernel), and Jupyter Book 1.x registers thebe's inline configuration
  twice, which throws "Identifier 'THEBE_JS_URL' has already been declared".
- Give pydata-sphinx-theme a valid default colour mode; with none it logs
  "Got invalid theme mode" as a console error on a reader's first visit.
"""


def _drop_thebe(app, pagename, templatename, context, doctree):
    context["default_mode"] = context.get("default_mode") or "auto"
    scripts = context.get("script_files", [])
    scripts[:] = [s for s in scripts
                  if "thebe" not in (getattr(s, "filename", None) or str(s))
                  and "THEBE_JS_URL" not in str(getattr(s, "attributes", {}).get("body", ""))]


def setup(app):
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
