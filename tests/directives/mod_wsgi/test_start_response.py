"""start_response's checks (embedded.Response), unit by unit: a header name found
valid once is remembered, and every bad name, value, tuple or list still gets its
mod_wsgi error, before and after a good name was seen."""
from __future__ import annotations

import pytest

from directives.mod_wsgi import embedded


class Name(str):
    pass


BAD = [
    ([("X-A", "1\n")], ValueError, "embedded newline in response header"),
    ([("X-A", 1)], TypeError, "expected unicode object"),
    ([(b"X-A", "1")], TypeError, "expected unicode object"),
    ([(["X-A"], "1")], TypeError, "expected unicode object"),
    ([("X A", "1")], ValueError, "invalid character"),
    ([("X:A", "1")], ValueError, "invalid character"),
    ([("X-A\r", "1")], ValueError, "invalid character"),
    ([("X-A", "1", "2")], TypeError, "list of tuple values expected"),
    ([["X-A", "1"]], TypeError, "list of tuple values expected"),
    ((("X-A", "1"),), TypeError, "response headers must be a list"),
]


@pytest.mark.parametrize("headers, error, text", BAD)
def test_bad_headers_are_refused_before_and_after_a_good_name(headers, error, text):
    for _ in range(2):
        with pytest.raises(error, match=text):
            embedded.Response().start_response("200 OK", headers)
        embedded.Response().start_response("200 OK", [("X-A", "ok")])
        assert "X-A" in embedded._GOOD_NAMES


def test_good_headers_pass_and_are_kept():
    resp = embedded.Response()
    headers = [("Content-Type", "text/plain"), (Name("X-Sub"), "v")]
    assert resp.start_response("200 OK", headers) == resp.write
    assert resp.status == "200 OK" and resp.headers is headers
    # a str subclass is checked every time, never remembered
    assert "X-Sub" not in embedded._GOOD_NAMES
    with pytest.raises(RuntimeError, match="headers have already been set"):
        resp.start_response("200 OK", headers)


@pytest.mark.parametrize("status", ["200", "20x OK", "200-OK", b"200 OK"])
def test_bad_status(status):
    with pytest.raises((ValueError, TypeError)):
        embedded.Response().start_response(status, [])
