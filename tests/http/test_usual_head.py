"""The header filter's usual path (finalize_head's shortcut for the common 200) against
the general one (finalize_headers then response_head): for every variation of the
request and the handler's answer, the same head bytes and the same record afterwards
(status line, keep-alive decision and count, framing, the fields logged)."""
from __future__ import annotations

import pytest

from httpd.http import header_filter as P
from httpd.http import usual_head as U
from httpd.request.record import ConnInfo, FileRange
from httpd.io.connection import request_from_head
from tests.io.serve import head_of, load_process

T = 1_700_000_000.25


@pytest.fixture(scope="module")
def process(tmp_path_factory):
    return load_process(tmp_path_factory.mktemp("usual"),
                        "MaxKeepAliveRequests 3\nAddDefaultCharset On\n")


def build(process, raw, *, status=200, ctype="application/octet-stream", body=b"x" * 10,
          fields=(), err=(), env=None, notes=None, keepalives=0, conn_keepalive=None,
          **attrs):
    _, head = head_of(raw.encode("latin-1"))
    info = ConnInfo("127.0.0.1", 40000, "127.0.0.1", 80, keepalives=keepalives)
    r = request_from_head(process, info, process.main_server, head)
    r.request_time = T
    r.status = status
    r.content_type = ctype
    r.body = body
    for k, v in fields:
        r.headers_out.add(k, v)
    for k, v in err:
        r.err_headers_out.add(k, v)
    r.subprocess_env.update(env or {})
    r.notes.update(notes or {})
    if conn_keepalive is not None:
        r.conn.keepalive = conn_keepalive
    for k, v in attrs.items():
        setattr(r, k, v)
    return r


def outcome(r, head):
    return (head, r.status_line, r.conn.keepalive, r.conn.keepalives, r.chunked, r.proto_num,
            r.headers_out.items(), r.err_headers_out.items(), r.content_type,
            r.content_encoding, r.content_languages)


def both(process, raw, **kw):
    """(general, usual) outcomes; a BadResponseHeader is an outcome too."""
    results = []
    for fn in (lambda r: P.response_head(*P.finalize_headers(r)), U.finalize_head):
        r = build(process, raw, **kw)
        try:
            results.append(outcome(r, fn(r)))
        except P.BadResponseHeader as e:
            results.append(("refused", str(e)))
    return results


GET11 = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
VALIDATORS = (("Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT"), ("ETag", '"a-b-c"'),
              ("Accept-Ranges", "bytes"))

CASES = {
    "file": dict(fields=VALIDATORS + (("Content-Length", "10"),)),
    "file range": dict(body=FileRange("/nonexistent", 0, 10, b"x" * 10),
                       fields=VALIDATORS + (("Content-Length", "10"),)),
    "no length field": dict(),
    "empty body": dict(body=b""),
    "parts": dict(body=[b"ab", b"cd"]),
    "unknown length": dict(body=iter([b"ab"])),
    "wrong length field": dict(fields=(("Content-Length", "99"),)),
    "two length fields": dict(fields=(("Content-Length", "10"), ("Content-Length", "10"))),
    "no type": dict(ctype=None),
    "text gets a charset": dict(ctype="text/html"),
    "text with charset": dict(ctype="text/plain; charset=utf-8"),
    "suppress-charset": dict(ctype="text/html", notes={"suppress-charset": "1"}),
    "bad type": dict(ctype="text/x\x01y"),
    "bad field": dict(fields=(("X-Bad", "a\x01b"),)),
    "folded field": dict(fields=(("X-Fold", "a\r\n b"),)),
    "bad name": dict(fields=(("X Bad", "v"),)),
    "vary": dict(fields=(("Vary", "Accept, accept"),)),
    "date and server": dict(fields=(("Date", "x"), ("Server", "y"))),
    "type field": dict(fields=(("Content-Type", "text/plain"),)),
    "framing field": dict(fields=(("Transfer-Encoding", "chunked"),)),
    "connection close": dict(fields=(("Connection", "close"),)),
    "err fields": dict(err=(("X-Err", "1"),)),
    "201": dict(status=201),
    "404": dict(status=404),
    "404 page": dict(status=404, ctype="text/html; charset=iso-8859-1",
                     body=b"<html>not found</html>"),
    "404 status line": dict(status=404, status_line="404 Not Found"),
    "404 odd status line": dict(status=404, status_line="404 Gone Fishing"),
    "403": dict(status=403, ctype="text/html; charset=iso-8859-1"),
    "301 with location": dict(status=301, fields=(("Location", "http://x/a/"),),
                              ctype="text/html; charset=iso-8859-1"),
    "302": dict(status=302, fields=(("Location", "http://x/b"),)),
    "405 with allow": dict(status=405, fields=(("Allow", "GET,HEAD,POST,OPTIONS"),)),
    "410": dict(status=410),
    "400": dict(status=400),
    "500": dict(status=500),
    "503": dict(status=503),
    "304": dict(status=304, fields=VALIDATORS),
    "304 no body": dict(status=304, body=None, fields=VALIDATORS),
    "304 length field": dict(status=304, body=None,
                             fields=VALIDATORS + (("Content-Length", "10"),)),
    "304 two length fields": dict(status=304, fields=(("Content-Length", "1"),
                                                      ("Content-Length", "x"))),
    "304 no fields": dict(status=304, body=None, ctype=None),
    "304 status line": dict(status=304, status_line="304 Not Modified", fields=VALIDATORS),
    "304 odd status line": dict(status=304, status_line="304 Same", fields=VALIDATORS),
    "304 header only": dict(status=304, header_only=True, fields=VALIDATORS),
    "304 encoding and languages": dict(status=304, content_encoding="gzip",
                                       content_languages=["en"], fields=VALIDATORS),
    "304 bad field": dict(status=304, fields=(("X-Bad", "a\x01b"),)),
    "304 vary": dict(status=304, fields=(("Vary", "Accept, accept"),)),
    "304 type field": dict(status=304, fields=(("Content-Type", "text/plain"),)),
    "304 err fields": dict(status=304, err=(("X-Err", "1"),)),
    "304 no cache": dict(status=304, no_cache=True),
    "304 unknown length": dict(status=304, body=iter([b"ab"])),
    "304 nokeepalive": dict(status=304, env={"nokeepalive": "1"}),
    "304 no-etag": dict(status=304, fields=VALIDATORS, notes={"no-etag": "omit"}),
    "304 keep-alives used up": dict(status=304, keepalives=3),
    "status line": dict(status_line="200 Fine"),
    "chunked": dict(chunked=True),
    "no cache": dict(no_cache=True),
    "encoding": dict(content_encoding="gzip"),
    "languages": dict(content_languages=["en", "fr"]),
    "header only": dict(header_only=True),
    "expecting 100": dict(expecting_100=True),
    "nokeepalive": dict(env={"nokeepalive": "1"}),
    "NoKeepAlive": dict(env={"NoKeepAlive": "1"}),
    "force-no-vary": dict(env={"force-no-vary": "1"}),
    "downgrade": dict(env={"downgrade-1.0": "1"}),
    "other env": dict(env={"HTTPS": "on"}),
    "no-etag": dict(fields=VALIDATORS, notes={"no-etag": "omit"}),
    "other note": dict(notes={"x": "y"}),
    "last keep-alive": dict(keepalives=2),
    "keep-alives used up": dict(keepalives=3),
    "connection closing": dict(conn_keepalive=False),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("raw", [
    GET11,
    "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "GET /a HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
    "GET /a HTTP/1.1\r\nHost: x\r\nVia: 1.1 proxy\r\n\r\n",
    "GET /a HTTP/1.0\r\n\r\n",
    "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
], ids=["1.1", "1.1 close", "1.1 keep-alive", "via", "1.0", "1.0 keep-alive"])
def test_usual_path_answers_as_the_general_one(process, name, raw):
    general, usual = both(process, raw, **CASES[name])
    assert usual == general


@pytest.mark.parametrize("name", ["file", "file range", "no length field", "empty body",
                                  "parts", "text gets a charset", "other env", "other note",
                                  "last keep-alive", "304", "304 no body", "304 length field",
                                  "304 status line", "304 header only",
                                  "304 encoding and languages", "404", "404 page",
                                  "404 status line", "403", "301 with location", "302",
                                  "405 with allow", "410"])
def test_the_usual_cases_take_the_shortcut(process, name):
    both(process, GET11, **CASES[name])        # the general path's checks pass the fields
    r = build(process, GET11, **CASES[name])
    assert U._usual_head(r) is not None


@pytest.mark.parametrize("name", ["bad field", "vary", "err fields", "201", "chunked",
                                  "nokeepalive", "NoKeepAlive", "keep-alives used up",
                                  "unknown length", "wrong length field", "304 odd status line",
                                  "304 bad field", "304 vary", "304 err fields",
                                  "304 no cache", "304 unknown length", "304 no-etag",
                                  "304 keep-alives used up", "404 odd status line", "400",
                                  "500", "503"])
def test_the_unusual_cases_do_not(process, name):
    both(process, GET11, **CASES[name])
    r = build(process, GET11, **CASES[name])
    assert U._usual_head(r) is None
