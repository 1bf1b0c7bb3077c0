"""Conditional requests (ap_meets_conditions), HTTP dates and entity-tag lists: against
apache2 on the same file, and Apache's parsing rules pinned as unit tests."""
from __future__ import annotations

import os
import time

import pytest

from httpd.http import conditional as C
from httpd.request.record import Headers
from tests.e2e.static import req

LM = "Thu, 02 Jan 2020 03:04:05 GMT"
ET = '"c-59b1f7226f340"'

CASES = [
    # If-None-Match: weak comparison for GET/HEAD, strong with Range or another method
    ("If-None-Match: " + ET,),
    ("If-None-Match: W/" + ET,),
    ('If-None-Match: "x", ' + ET,),
    ('If-None-Match: W/"x",W/' + ET,),
    ("If-None-Match: *",),
    ('If-None-Match: "other"',),
    ('If-None-Match: "C-59B1F7226F340"',),          # case counts inside quotes
    ("If-None-Match:  ,  " + ET + "  ",),
    ("If-None-Match: " + ET + " x",),
    ("If-None-Match: " + ET, "Range: bytes=0-1"),
    ("If-None-Match: W/" + ET, "Range: bytes=0-1"),
    # If-Match: strong comparison, a weak tag stops the list
    ("If-Match: " + ET,),
    ("If-Match: W/" + ET,),
    ('If-Match: W/"x", ' + ET,),
    ('If-Match: "x", ' + ET,),
    ("If-Match: *",),
    ('If-Match: "nope"',),
    # If-Modified-Since: the three date forms, bad dates, future dates
    ("If-Modified-Since: " + LM,),
    ("If-Modified-Since: Thu, 02 Jan 2020 03:04:04 GMT",),
    ("If-Modified-Since: Thu, 02 Jan 2020 03:04:06 GMT",),
    ("If-Modified-Since: Thu, 02 Jan 2099 03:04:06 GMT",),
    ("If-Modified-Since: garbage",),
    ("If-Modified-Since: Thursday, 02-Jan-20 03:04:05 GMT",),
    ("If-Modified-Since: Thu Jan  2 03:04:05 2020",),
    ("If-Modified-Since: Thu, 2 Jan 2020 03:04:05 GMT",),
    ("If-Modified-Since: Thu, 02 Jan 2020 03:04:05",),
    ("If-Modified-Since: Thu, 02 jan 2020 03:04:05 GMT",),
    ("If-Modified-Since: Thu, 31 Apr 2020 03:04:05 GMT",),
    ("If-Modified-Since: " + LM, 'If-None-Match: "other"'),
    ("If-Modified-Since: Thu, 02 Jan 2019 03:04:04 GMT", "If-None-Match: " + ET),
    ("If-Modified-Since: " + LM, "Range: bytes=0-1"),
    # If-Unmodified-Since
    ("If-Unmodified-Since: " + LM,),
    ("If-Unmodified-Since: Thu, 02 Jan 2020 03:04:04 GMT",),
    ("If-Unmodified-Since: nonsense",),
    ("If-Unmodified-Since: Thu, 02 Jan 2020 03:04:04 GMT", "If-None-Match: " + ET),
    ("If-Match: " + ET, "If-None-Match: " + ET),
    # If-Range: exact tag or an old enough exact date, else the whole entity
    ("If-Range: " + ET, "Range: bytes=0-1"),
    ('If-Range: "no"', "Range: bytes=0-1"),
    ("If-Range: W/" + ET, "Range: bytes=0-1"),
    ("If-Range: " + LM, "Range: bytes=0-1"),
    ("If-Range: Thu, 02 Jan 2020 03:04:06 GMT", "Range: bytes=0-1"),
    ("If-Range: " + ET,),
    ("If-Range: " + ET, "If-None-Match: " + ET, "Range: bytes=0-1"),
    ('If-Range: "no"', "If-None-Match: " + ET, "Range: bytes=0-1"),
]


@pytest.mark.parametrize("fields", CASES, ids=lambda f: " | ".join(f))
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_same_as_apache(pair, method, fields):
    pair.same(req(method, "/a.txt", *fields))


@pytest.mark.parametrize("fields", [
    ("If-None-Match: " + ET,), ("If-None-Match: W/" + ET,), ('If-Match: "nope"',),
    ("If-Modified-Since: " + LM,), ("If-Unmodified-Since: Thu, 02 Jan 2020 03:04:04 GMT",),
])
def test_post_is_compared_strongly(pair, fields):
    pair.same(req("POST", "/a.txt", "Content-Length: 0", *fields))


@pytest.mark.parametrize("fields", [('If-Match: "nope"',), ("If-Match: *",),
                                    ("If-None-Match: *",)])
def test_without_etag(pair, fields):
    pair.same(req("GET", "/etag-none/a.txt", *fields))


def test_fresh_file_is_not_304_by_date(pair):
    """A file changed in the last minute only matches If-Modified-Since weakly: still
    304 without Range, but not with one."""
    fresh = pair.doc / "fresh2.txt"
    fresh.write_bytes(b"fresh\n")
    lm = pair.theirs(req("HEAD", "/fresh2.txt")).get("Last-Modified")
    pair.same(req("GET", "/fresh2.txt", f"If-Modified-Since: {lm}"))
    pair.same(req("GET", "/fresh2.txt", f"If-Modified-Since: {lm}", "Range: bytes=0-1"))
    pair.same(req("GET", "/fresh2.txt", f"If-Range: {lm}", "Range: bytes=0-1"))


# -- apr_date_parse_http --------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("Thu, 02 Jan 2020 03:04:05 GMT", 1577934245),
    ("Thursday, 02-Jan-20 03:04:05 GMT", 1577934245),
    ("Thu Jan  2 03:04:05 2020", 1577934245),
    ("Thu, 2 Jan 2020 03:04:05 GMT", 1577934245),
    ("  Thu, 02 Jan 2020 03:04:05 whatever", 1577934245),
    ("x 02 Jan 2020 03:04:05 ", 1577934245),       # the weekday is not checked
    ("Sun, 06 Nov 1994 08:49:37 GMT", 784111777),
    ("Sunday, 06-Nov-94 08:49:37 GMT", 784111777),
    ("Sun Nov  6 08:49:37 1994", 784111777),
    ("Thu, 29 Feb 2024 00:00:00 GMT", 1709164800),
    ("Thu, 29 Feb 2023 00:00:00 GMT", 0),
    ("Thu, 29 Feb 2000 00:00:00 GMT", 951782400),
    ("Thu, 29 Feb 1900 00:00:00 GMT", 0),
    ("Thu, 31 Apr 2020 00:00:00 GMT", 0),
    ("Thu, 02 jan 2020 03:04:05 GMT", 0),
    ("Thu, 02 Jan 2020 24:00:00 GMT", 0),
    ("Thu, 02 Jan 2020 23:59:61 GMT", 1578009601),
    ("Thu, 02 Jan 1969 00:00:00 GMT", 0),
    ("Thu, 02 Jan 1800 00:00:00 GMT", 0),
    ("Thu,02 Jan 2020 03:04:05 GMT", 0),
    ("", 0), ("garbage", 0), (None, 0),
])
def test_parse_http_date(text, expected):
    assert C.parse_http_date(text) == expected


# -- ap_find_etag_strong / ap_find_etag_weak -------------------------------------------------

@pytest.mark.parametrize("line,tok,strong,expected", [
    ('"a"', '"a"', True, True),
    ('"a"', '"b"', True, False),
    ('"b", "a"', '"a"', True, True),
    ('W/"b", "a"', '"a"', True, False),     # a strong search stops at a weak tag
    ('W/"a"', '"a"', True, False),
    ('W/"a"', '"a"', False, True),
    ('"a"', 'W/"a"', False, True),
    ('"a"', 'W/"a"', True, False),
    ('"A"', '"a"', False, False),           # inside quotes, case counts
    ('  ,, "a" ', '"a"', False, True),
    ('"a" x', '"a"', False, False),
    ('"a"x', '"a"', False, False),
    ('"a,b"', '"a,b"', True, True),         # a comma inside quotes is not a separator
    ('"a\\"b"', '"a\\"b"', True, True),
    ('"ab"', '"a"', True, False),           # a prefix is not a match
    ('"a"', '"ab"', True, False),
    ('', '"a"', True, False),
    ('"a"', '', True, False),
    ('*', '"a"', True, False),
])
def test_find_etag(line, tok, strong, expected):
    assert C.find_etag(line, tok, strong) is expected


# -- ap_make_etag ----------------------------------------------------------------------------

class _R:
    def __init__(self, st, bits, request_time, filename=None):
        self.finfo, self.filename, self.request_time, self.mtime = st, filename, request_time, None
        self.notes, self.headers_out = {}, Headers()
        self._d = type("D", (), {"etag_bits": bits, "etag_add": 0, "etag_remove": 0})()

    def module_config(self, name):
        return self._d


def test_make_etag_components(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"x" * 300)
    os.utime(p, (1577934245, 1577934245))
    st = os.stat(p)
    now = time.time()
    mt = f"{st.st_mtime_ns // 1000:x}"
    assert C.make_etag(_R(st, C.ETAG_UNSET, now)) == f'"12c-{mt}"'
    assert C.make_etag(_R(st, C.ETAG_INODE | C.ETAG_SIZE | C.ETAG_MTIME, now)) == \
        f'"{st.st_ino:x}-12c-{mt}"'
    assert C.make_etag(_R(st, C.ETAG_SIZE, now)) == '"12c"'
    assert C.make_etag(_R(st, C.ETAG_NONE, now)) == ""
    assert C.make_etag(_R(st, C.ETAG_SIZE, st.st_mtime + 0.5)) == 'W/"12c"'
    assert C.make_etag(_R(st, C.ETAG_SIZE, st.st_mtime + 1.5)) == '"12c"'
    r = _R(st, C.ETAG_NONE, now)
    C.set_etag(r)
    assert r.notes == {"no-etag": "omit"} and "ETag" not in r.headers_out


def test_digest_etag_reads_once(tmp_path, monkeypatch):
    p = tmp_path / "f"
    p.write_bytes(b"abc")
    st = os.stat(p)
    first = C.file_digest(str(p), st)
    monkeypatch.setattr("builtins.open", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    assert C.file_digest(str(p), st) == first == "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
