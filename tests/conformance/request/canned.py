"""The canned-error corpus (apache_canned_errors.json): what Apache 2.4.71 answered to
``GET /sNNN`` for every status NNN it knows, with ``Redirect NNN /sNNN`` (a target for
3xx), ServerSignature On and no ServerAdmin; and the same config on this server's
pipeline.  Re-record: ``python -m tests.conformance.request.record_canned``.
"""
from __future__ import annotations

from pathlib import Path

from tests.conformance import apache

CANNED = apache.load("request", "apache_canned_errors.json")
TARGET = "http://example.com/x?a=1&b=<2>"
BODY = "DocumentRoot $ROOT\nServerSignature On\n" + "".join(
    f"Redirect {c} /s{c} {TARGET}\n" if 300 <= int(c) < 400 else f"Redirect {c} /s{c}\n"
    for c in CANNED)


def pages(root: Path):
    """A pipeline Server (tests/request/pipeline.py) on the corpus' config."""
    from tests.request.pipeline import Server
    return Server(root, "<Directory />\nRequire all granted\n</Directory>\n" + BODY)
