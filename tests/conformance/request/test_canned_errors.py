"""Error pages byte for byte against the pages the real Apache 2.4.71 sent
(apache_canned_errors.json, see canned.py)."""
from __future__ import annotations

import pytest

from httpd.http.status import index_of_response
from httpd.http.header_filter import server_banner
from tests.conformance.request import canned
from tests.conformance.request.canned import CANNED


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return canned.pages(tmp_path_factory.mktemp("pages"))


def _apache(code: str) -> tuple[int, str]:
    head, _, body = CANNED[code].partition("\r\n\r\n")
    return int(head.split()[1]), body.replace("Apache/2.4.71 (Debian)", server_banner("Full"))


@pytest.mark.parametrize("code", sorted(CANNED))
def test_canned_page_is_apaches(pages, code):
    r = pages.get(f"/s{code}")
    status, body = _apache(code)
    assert r.status == int(code)
    assert index_of_response(r.status) == status          # the line Apache sends
    mine = r.body.decode("latin-1") if r.body else ""
    assert mine == body
