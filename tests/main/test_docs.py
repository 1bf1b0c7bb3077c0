"""The generated docs stay in step with the module tables."""
from pathlib import Path

from httpd.main.docgen import render

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_directive_reference_is_current():
    """docs/directives.md is `python -m httpd.main.docgen` output; regenerate it when a table
    changes."""
    assert (DOCS / "directives.md").read_text() == render()
