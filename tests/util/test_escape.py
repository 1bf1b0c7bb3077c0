"""ap_escape_html, ap_escape_logitem and ap_escape_errorlog_item (httpd/util/escape.py)."""
from __future__ import annotations

import random

import pytest

from httpd.util.escape import escape_errorlog_item, escape_html, escape_logitem


def test_escape_html():
    assert escape_html('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert escape_html("plain 'quotes' \xe9") == "plain 'quotes' \xe9"


def test_escape_html_is_the_one_replacement_chain():
    rng = random.Random(7)
    for _ in range(2000):
        s = "".join(rng.choice('<>&"\' a\xe9\x00\n;') for _ in range(rng.randrange(12)))
        want = "".join({"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;"}.get(c, c)
                       for c in s)
        assert escape_html(s) == want


@pytest.mark.parametrize("raw,logitem,errorlog", [
    ("plain", "plain", "plain"),
    ('a"b', 'a\\"b', 'a"b'),                 # the error log leaves '"' alone
    ("a\\b", "a\\\\b", "a\\\\b"),
    ("\b\n\r\t\v", "\\b\\n\\r\\t\\v", "\\b\\n\\r\\t\\v"),
    ("\x00\x1f\x7f\x80\xff", "\\x00\\x1f\\x7f\\x80\\xff", "\\x00\\x1f\\x7f\\x80\\xff"),
    ("\xe9", "\\xe9", "\\xe9"), ("\u20ac", "\\xe2\\x82\\xac", "\\xe2\\x82\\xac"),
])
def test_log_escapes(raw, logitem, errorlog):
    assert escape_logitem(raw) == logitem
    assert escape_errorlog_item(raw) == errorlog


def test_a_missing_item_stays_missing():
    assert escape_logitem(None) is None


def test_escape_quotes_as_ap_escape_quotes():
    from httpd.util.escape import escape_quotes
    assert escape_quotes('plain') == 'plain'
    assert escape_quotes('say "hi"') == 'say \\"hi\\"'
    assert escape_quotes('already \\" done') == 'already \\" done'
    assert escape_quotes('a\\\\"b') == 'a\\\\\\"b'       # an escaped backslash, then "
    assert escape_quotes('end\\') == 'end\\'            # a last backslash stays
    assert escape_quotes('"\\') == '\\"\\'
