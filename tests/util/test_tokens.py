"""ap_find_token and ap_is_chunked (httpd/util/tokens.py), checked against what
apache2 2.4 does with the same Connection values (a live probe of each row: Apache
keeps the connection, or answers ``Connection: close`` and closes)."""
from __future__ import annotations

import pytest

from httpd.util.tokens import find_token, is_chunked


@pytest.mark.parametrize("line,tok,found", [
    # a token of the line that is a prefix of tok matches (ap_cstr_casecmpn over the
    # token's length): apache2 keeps an HTTP/1.0 connection for "keep" and "kee", and
    # closes an HTTP/1.1 one for "c"
    ("keep", "keep-alive", True), ("kee", "keep-alive", True), ("c", "close", True),
    ("Keep-Alive", "keep-alive", True), ("CLOSE", "close", True),
    ("closed", "close", False), ("keep-alive-x", "keep-alive", False),
    ("k,close", "close", True), ("a, b ,close", "close", True),
    # a byte >= 0x80 ends a token (T_HTTP_TOKEN_STOP since 2.4.25): apache2 closes for
    # each of these
    ("clos\xe9", "close", True), ("close\xe9", "close", True), ("\xe9close", "close", True),
    ("x\xe9c", "close", True), ("Keep-Alive\xe9", "keep-alive", True),
    ("", "close", False), (None, "close", False), (" ,;", "close", False),
])
def test_find_token(line, tok, found):
    assert find_token(line, tok) is found


@pytest.mark.parametrize("line,chunked", [
    ("chunked", True), ("CHUNKED", True), ("gzip, chunked", True), ("gzip,chunked", True),
    ("gzip ,chunked", True), ("gzip ,  chunked", True), (",chunked", True),
    (" chunked", True),
    ("chunked, gzip", False), ("gzip chunked", False), ("gzip,\tchunked", False),
    ("xchunked", False), ("chunke", False), ("", False), (None, False),
])
def test_is_chunked(line, chunked):
    assert is_chunked(line) is chunked


def test_getword_skips_the_run_of_stops():
    from httpd.util.tokens import getword
    assert getword("Basic   abc", " ") == ("Basic", "abc")
    assert getword("user::hash:x", ":") == ("user", "hash:x")
    assert getword("nocolon", ":") == ("nocolon", "")
    assert getword(":x", ":") == ("", "x")
