"""The output filter chain (httpd/http/filter.py) on the server's response path:
filters by name in ftype order, an unknown name, one pass (a length, ranges of the
filtered bytes) against several (streamed, no ranges), a filter that declines."""
from __future__ import annotations

import pytest

from httpd.http import filter as F
from tests.io.serve import head_of, load_process, respond


@pytest.fixture(scope="module")
def process(tmp_path_factory):
    return load_process(tmp_path_factory.mktemp("filters"))


@pytest.fixture(autouse=True)
def test_filters():
    def upper(f, src):
        f.r.headers_out.unset("Content-Length")
        return (piece.upper() for piece in src)

    def tag(f, src):
        def gen():
            for piece in src:
                yield b"<" + piece + b">"
        return gen()

    def split(f, src):                       # every byte its own pass
        return (bytes([b]) for piece in src for b in piece)

    def decline(f, src):
        return src

    names = {"T-UPPER": (upper, F.AP_FTYPE_RESOURCE), "T-TAG": (tag, F.AP_FTYPE_CONTENT_SET),
             "T-SPLIT": (split, F.AP_FTYPE_RESOURCE), "T-DECLINE": (decline, F.AP_FTYPE_RESOURCE)}
    for name, (func, ftype) in names.items():
        F.register_output_filter(name, func, ftype)
    yield
    for name in names:
        F._OUTPUT.pop(name.lower(), None)


def _answer(process, names, raw=b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n", body=b"abc"):
    _, head = head_of(raw)

    def prepare(r):
        for name in names:
            F.add_output_filter(name, None, r)
    data, r = respond(process, head, content_type="text/plain", body=body, prepare=prepare)
    return data.partition(b"\r\n\r\n"), r


def test_ftype_order_not_insertion_order(process):
    (head, _, body), _ = _answer(process, ["t-tag", "t-upper"])   # names case-insensitive
    assert body == b"<ABC>"                  # RESOURCE (upper) before CONTENT_SET (tag)
    assert b"Content-Length: 5" in head      # one pass: the filtered length


def test_several_passes_stream_chunked(process):
    (head, _, body), _ = _answer(process, ["t-split"])
    assert b"Transfer-Encoding: chunked" in head and b"Content-Length" not in head
    assert body == b"1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n"


def test_ranges_apply_to_the_filtered_output(process):
    raw = b"GET /x HTTP/1.1\r\nHost: a\r\nRange: bytes=1-2\r\n\r\n"
    (head, _, body), r = _answer(process, ["T-TAG"], raw)
    assert r.status == 206 and body == b"ab"
    assert b"Content-Range: bytes 1-2/5" in head


def test_ranges_ignored_on_a_stream(process):
    raw = b"GET /x HTTP/1.1\r\nHost: a\r\nRange: bytes=1-2\r\n\r\n"
    (head, _, body), r = _answer(process, ["T-SPLIT"], raw)
    assert r.status == 200 and b"Content-Range" not in head


def test_unknown_filter_is_logged_and_skipped(process):
    _, head = head_of(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    logged = []

    def prepare(r):
        from httpd.log import errorlog
        real = errorlog.log_rerror
        errorlog.log_rerror = lambda r, m, lvl, msg: logged.append(msg)
        try:
            F.add_output_filter("NO-SUCH", None, r)
        finally:
            errorlog.log_rerror = real
        assert r.filters == ()
    data, _ = respond(process, head, content_type="text/plain", body=b"abc", prepare=prepare)
    assert logged == ["AH00082: an unknown filter was not added: NO-SUCH"]
    assert data.endswith(b"abc")


def test_declining_filter_leaves_the_body(process):
    (head, _, body), _ = _answer(process, ["T-DECLINE"])
    assert body == b"abc" and b"Content-Length: 3" in head


def test_no_filter_no_chain(process):
    _, head = head_of(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    data, r = respond(process, head, content_type="text/plain", body=b"abc")
    assert r.filters == () and data.endswith(b"abc")
