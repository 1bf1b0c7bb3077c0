"""core's default handler, TRACE and OPTIONS against the real apache2 on the same files.

Each request goes to Apache over a socket and through our hooks by hand; the status
line, every field but Date (in order) and the body must agree.  For the error statuses
another module writes the page, so the status and the Allow field are compared.
"""
from __future__ import annotations

import errno
import os

import pytest

from httpd.core import handler as H
from httpd.module.hooks import DONE, OK, REALLY_FIRST, REALLY_LAST
from httpd.http.header_filter import make_allow
from tests.e2e import static as harness
from tests.e2e.static import req

ETAG = '"c-59b1f7226f340"'


SAME = [
    req("GET", "/a.txt"),
    req("GET", "/i.html"),
    req("GET", "/big.bin"),
    req("GET", "/noext"),                          # no type: no Content-Type at all
    req("GET", "/empty.txt"),
    req("HEAD", "/empty.txt"),
    req("HEAD", "/a.txt"),
    req("GET", "/a.txt", proto="HTTP/1.0"),
    req("GET", "/a.txt", "Connection: keep-alive", proto="HTTP/1.0"),
    req("GET", "/a.txt", "Connection: keep-alive"),
    req("GET", "/a.txt", "Connection: close"),
    req("POST", "/a.txt", "Content-Length: 3", body="abc"),   # served like GET
    req("OPTIONS", "/a.txt"),
    req("OPTIONS", "/nothere"),
    req("OPTIONS", "*"),
    req("OPTIONS", "/a.txt", "Host: trace-off"),
    req("GET", "/pathinfo/a.txt/extra"),           # AcceptPathInfo On
    req("TRACE", "/a.txt"),
    req("TRACE", "/nothere", "X-A: b", "Connection: close"),
    req("TRACE", "/a.txt", "Host: trace-ext", "Content-Length: 5", body="hello"),
    req("GET", "/md5/a.txt"),                      # ContentDigest On
    req("GET", "/charset/a.txt"),
    req("GET", "/charset/i.html"),
    req("GET", "/charset/big.bin"),
    req("GET", "/charset-named/a.txt"),
    req("GET", "/etag-all/a.txt"),
    req("GET", "/etag-inode/a.txt"),
    req("GET", "/etag-inode-size/a.txt"),
    req("GET", "/etag-mtime/a.txt"),
    req("GET", "/etag-size/a.txt"),
    req("GET", "/etag-none/a.txt"),
    req("GET", "/etag-digest/a.txt"),
    req("GET", "/etag-digest/empty.txt"),
    req("GET", "/etag-minus/a.txt"),               # -MTime alone: still MTime Size
    req("GET", "/etag-plus/a.txt"),
    req("HEAD", "/etag-digest/big.bin"),
]


@pytest.mark.parametrize("raw", SAME, ids=lambda b: b.split(b"\r\n")[0].decode())
def test_same_as_apache(pair, raw):
    pair.same(raw)


ERRORS = [
    (req("PUT", "/a.txt", "Content-Length: 3", body="abc"), 405),
    (req("DELETE", "/a.txt"), 405),
    (req("FOO", "/a.txt"), 501),
    (req("GET", "/dir/"), 404),
    (req("GET", "/dir"), 404),
    (req("GET", "/nothere"), 404),
    (req("GET", "/a.txt/extra"), 404),            # path info refused by default
    (req("TRACE", "/a.txt", "Content-Length: 5", body="hello"), 413),
    (req("TRACE", "/a.txt", "Host: trace-off"), 405),
]


@pytest.mark.parametrize("raw,status", ERRORS, ids=lambda x: x.split(b"\r\n")[0].decode()
                         if isinstance(x, bytes) else str(x))
def test_error_status_and_allow(pair, raw, status):
    ours, r = pair.serve(raw)
    theirs = pair.theirs(raw)
    assert ours.status == theirs.status == status
    if status in (405, 501):
        assert sorted(make_allow(r).split(",")) == sorted(theirs.get("Allow").split(","))


def test_weak_etag_for_a_file_changed_within_the_second(pair):
    fresh = pair.doc / "fresh.txt"
    fresh.write_bytes(b"new\n")
    raw = req("GET", "/fresh.txt")
    ours, theirs = pair.both(raw)
    assert ours.get("ETag").startswith('W/"') and theirs.get("ETag").startswith('W/"')
    assert harness.normalise(ours) == harness.normalise(theirs)


def test_digest_etag_is_base64_sha1_and_strong(pair):
    ours = pair.ours(req("GET", "/etag-digest/a.txt"))
    assert ours.get("ETag") == '"IlljY7PeQLBvmB+4XYIxLowO1RE="'


# -- without Apache: our own choices and the corners Apache cannot show ---------------------

def test_trace_is_off_by_default(ours_only, tmp_path):
    process = harness.load_process(tmp_path, f"DocumentRoot {ours_only.doc}\n")
    r = harness.build_request(process, ours_only.doc, req("TRACE", "/a.txt"))
    assert H.core_methods(r) == 405
    assert r.notes["error-notes"] == "TRACE denied by server configuration"
    assert "TRACE" not in make_allow(r)


def test_trace_echo_is_chunked_message_http(ours_only):
    resp, r = harness.serve(ours_only.process, ours_only.doc,
                            req("TRACE", "/x", "X-Secret: 1"))
    assert resp.status == 200 and r.content_type == "message/http"
    assert resp.get("Transfer-Encoding") == "chunked" and resp.get("Content-Length") is None
    assert resp.body == b"TRACE /x HTTP/1.1\r\nHost: localhost\r\nX-Secret: 1\r\n\r\n"


def test_extended_trace_body_limit(ours_only):
    big = "x" * 65537
    r = harness.build_request(ours_only.process, ours_only.doc,
                              req("TRACE", "/a.txt", "Host: trace-ext",
                                  f"Content-Length: {len(big)}", body=big))
    assert H.core_methods(r) == 413
    assert r.notes["error-notes"] == "Extended TRACE request bodies cannot exceed 64k\n"


def test_options_star_is_answered_before_the_handler(ours_only):
    r = harness.build_request(ours_only.process, ours_only.doc, req("OPTIONS", "*"))
    assert H.core_methods(r) == DONE and "Allow" not in r.headers_out


def test_hooks_declared():
    assert H.HOOKS["handler"] == (H.default_handler, REALLY_LAST)
    assert H.HOOKS["header_parser"] == (H.core_methods, REALLY_FIRST)


def test_file_body_is_a_file_range(ours_only):
    r = harness.build_request(ours_only.process, ours_only.doc, req("GET", "/big.bin"))
    assert H.default_handler(r) == OK
    assert (r.body.path, r.body.offset, r.body.length) == (r.filename, 0, 10240)


def test_out_of_descriptors_is_503_not_403(ours_only, monkeypatch):
    r = harness.build_request(ours_only.process, ours_only.doc, req("GET", "/a.txt"))

    def no_fds(*a, **k):
        raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))
    monkeypatch.setattr(H.os, "open", no_fds)
    assert H.default_handler(r) == 503


def test_unreadable_file_is_403(ours_only, monkeypatch):
    r = harness.build_request(ours_only.process, ours_only.doc, req("GET", "/a.txt"))

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    monkeypatch.setattr(H.os, "open", denied)
    assert H.default_handler(r) == 403


def test_fifo_is_not_served(ours_only, tmp_path):
    fifo = ours_only.doc / "pipe.txt"
    if not fifo.exists():
        os.mkfifo(fifo)
    r = harness.build_request(ours_only.process, ours_only.doc, req("GET", "/pipe.txt"))
    assert H.default_handler(r) == 404


def test_unsatisfiable_range_adds_content_range_for_the_error_page(ours_only):
    r = harness.build_request(ours_only.process, ours_only.doc,
                              req("GET", "/a.txt", "Range: bytes=50-60"))
    assert H.default_handler(r) == 416
    # err_headers_out survives the error response (Apache 2.4.71 sends none: RFC 9110)
    assert r.err_headers_out.get("Content-Range") == "bytes */12"


def test_request_body_is_discarded(ours_only):
    r = harness.build_request(ours_only.process, ours_only.doc,
                              req("POST", "/a.txt", "Content-Length: 3", body="abc"))
    assert H.default_handler(r) == OK
    assert r.read_body(10) == b""


def test_bad_request_body_closes(ours_only):
    r = harness.build_request(ours_only.process, ours_only.doc, req("GET", "/a.txt"))

    class BadBody(Exception):
        status = 400

    def discard(r):
        raise BadBody()
    r.discard_body = discard
    r.remaining = 5          # the client announced a body
    assert H.default_handler(r) == 400 and r.conn.keepalive is False
