"""Response heads and Apache's keep-alive decision (ap_set_keepalive)."""
from __future__ import annotations

import pytest

from httpd.protocol import (HTTPConnection, KeepAlive, ResponseHeaderError, RequestHead,
                            set_keepalive, status_drops_connection)


def conn_for(raw: str) -> HTTPConnection:
    conn = HTTPConnection()
    conn.receive_data(raw.encode("latin-1"))
    assert isinstance(conn.next_event(), RequestHead)
    return conn


def fields(data: bytes) -> list:
    lines = data.decode("latin-1").split("\r\n")
    assert lines[-2:] == ["", ""]
    return [tuple(line.split(": ", 1)) for line in lines[1:-2]]


def test_static_file_over_http11():
    conn = conn_for("GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
    head = conn.response_head("200 OK", [("Date", "D"), ("Server", "Apache"),
                                         ("Content-Type", "text/html"), ("ETag", '"x"')], 35)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    # no Keep-Alive field unless the client sent the token; Content-Type goes last
    assert fields(head) == [("Date", "D"), ("Server", "Apache"), ("ETag", '"x"'),
                            ("Content-Length", "35"), ("Content-Type", "text/html")]
    assert conn.keep_alive and conn.keepalives == 1
    assert conn.chunk(b"abc") == b"abc" and conn.end_chunks() == b""


def test_keep_alive_token_is_answered():
    conn = conn_for("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n")
    head = conn.response_head("200 OK", [("Content-Type", "text/html")], 35)
    assert fields(head) == [("Content-Length", "35"), ("Keep-Alive", "timeout=5, max=100"),
                            ("Connection", "Keep-Alive"), ("Content-Type", "text/html")]


def test_unknown_length_is_chunked_on_http11():
    conn = conn_for("GET /cgi-bin/x HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n")
    head = conn.response_head("200 OK", [("Content-Type", "text/plain")])
    assert fields(head) == [("Keep-Alive", "timeout=5, max=100"), ("Connection", "Keep-Alive"),
                            ("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")]
    assert conn.chunk(b"hi\n") == b"3\r\nhi\n\r\n"
    assert conn.chunk(b"") == b""
    assert conn.end_chunks() == b"0\r\n\r\n"
    assert conn.end_chunks([("X-T", "1")]) == b"0\r\nX-T: 1\r\n\r\n"


def test_connection_close_still_chunks():
    """ap_set_keepalive marks the response chunked before it looks at Connection: close."""
    conn = conn_for("GET /cgi-bin/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    head = conn.response_head("200 OK", [("Content-Type", "text/plain")])
    assert fields(head) == [("Connection", "close"), ("Transfer-Encoding", "chunked"),
                            ("Content-Type", "text/plain")]
    assert not conn.keep_alive and conn.response_chunked


def test_http10_without_length_closes():
    conn = conn_for("GET /cgi-bin/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    head = conn.response_head("200 OK", [("Content-Type", "text/plain")])
    assert fields(head) == [("Connection", "close"), ("Content-Type", "text/plain")]
    assert conn.chunk(b"hi") == b"hi"
    conn = conn_for("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    conn.response_head("200 OK", [], 35)
    assert conn.keep_alive


def test_cl_with_te_is_never_kept_alive_nor_chunked():
    conn = conn_for("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    head = conn.response_head("200 OK", [("Content-Type", "text/plain")])
    assert fields(head) == [("Connection", "close"), ("Content-Type", "text/plain")]
    assert not conn.response_chunked


def test_unanswered_expect_closes_without_chunking():
    conn = conn_for("GET /cgi-bin/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n")
    head = conn.response_head("200 OK", [])
    assert fields(head) == [("Connection", "close")]


def test_head_requests():
    conn = conn_for("HEAD /cgi-bin/x HTTP/1.1\r\nHost: x\r\n\r\n")
    head = conn.response_head("200 OK", [("Content-Type", "text/plain")])
    assert fields(head) == [("Content-Type", "text/plain")]
    assert conn.keep_alive and conn.chunk(b"body") == b"" and conn.end_chunks() == b""
    conn = conn_for("HEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
    assert ("Content-Length", "35") in fields(conn.response_head("200 OK", [], 35))


def test_statuses_without_a_body():
    conn = conn_for("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert fields(conn.response_head("304 Not Modified", [("ETag", "e")])) == [("ETag", "e")]
    assert conn.keep_alive and conn.chunk(b"x") == b""
    conn = conn_for("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert fields(conn.response_head("204 No Content", [], 0)) == []


@pytest.mark.parametrize("status", [400, 408, 411, 413, 414, 500, 501, 503])
def test_statuses_that_drop_the_connection(status):
    conn = conn_for("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
    head = conn.response_head(f"{status} X", [], 10)
    assert ("Connection", "close") in fields(head) and not conn.keep_alive


@pytest.mark.parametrize("status", [403, 404, 405, 416, 417])
def test_statuses_that_keep_it(status):
    conn = conn_for("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    conn.response_head(f"{status} X", [], 10)
    assert conn.keep_alive


def test_max_keep_alive_requests():
    """MaxKeepAliveRequests 100: max=100 .. max=1, then the 101st response closes
    (measured on Apache with 103 pipelined requests: 101 answers)."""
    raw = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n" * 103
    conn = HTTPConnection()
    conn.receive_data(raw)
    seen = []
    while True:
        assert isinstance(conn.next_event(), RequestHead)
        head = fields(conn.response_head("200 OK", [], 1))
        seen.append(dict(head).get("Keep-Alive") or dict(head)["Connection"])
        if not conn.start_next_request():
            break
    assert len(seen) == 101
    assert seen[0] == "timeout=5, max=100" and seen[99] == "timeout=5, max=1"
    assert seen[100] == "close"


def test_keep_alive_policies():
    raw = "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
    conn = conn_for(raw)
    head = conn.response_head("200 OK", [], 1, KeepAlive(max_requests=0))
    assert ("Keep-Alive", "timeout=5") in fields(head)
    conn = conn_for(raw)
    head = conn.response_head("200 OK", [], 1, KeepAlive(timeout=15.9, max_requests=3))
    assert ("Keep-Alive", "timeout=15, max=3") in fields(head)
    for policy in (False, KeepAlive(enabled=False), KeepAlive(timeout=0)):
        conn = conn_for(raw)
        assert ("Connection", "close") in fields(conn.response_head("200 OK", [], 1, policy))
    conn = conn_for(raw)
    assert ("Connection", "close") in fields(conn.response_head("200 OK", [], 1, stopping=True))
    conn = conn_for(raw)
    conn.response_head("200 OK", [], 1, nokeepalive=True)
    assert not conn.keep_alive
    conn = conn_for("GET / HTTP/1.1\r\nHost: x\r\nVia: proxy\r\n\r\n")
    conn.response_head("200 OK", [], 1, nokeepalive=True)
    assert conn.keep_alive


def test_handler_connection_fields():
    conn = conn_for("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
    head = conn.response_head("200 OK", [("Connection", "close")], 1)
    assert fields(head) == [("Connection", "close"), ("Content-Length", "1")]
    assert not conn.keep_alive
    conn = conn_for("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
    head = conn.response_head("101 Switching Protocols", [("Upgrade", "h2c")])
    assert head == b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"
    head = conn.response_head("200 OK", [("Connection", "Upgrade")], 1)
    assert ("Connection", "Upgrade, Keep-Alive") in fields(head)


def test_framing_fields_from_the_handler_are_replaced():
    conn = conn_for("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    head = conn.response_head("200 OK", [("Transfer-Encoding", "gzip"), ("Content-Length", "7")])
    assert fields(head) == [("Content-Length", "7")]


def test_error_responses():
    conn = HTTPConnection()
    conn.receive_data(b"GET  / HTTP/1.1\r\n\r\n")
    assert conn.next_event().status == 400
    head = conn.response_head("400 Bad Request", [("Content-Type", "text/html")], 226)
    assert fields(head) == [("Content-Length", "226"), ("Connection", "close"),
                            ("Content-Type", "text/html")]
    assert conn.start_next_request() is False


@pytest.mark.parametrize("name,value,message", [
    ("X", "a\r\nSet-Cookie: evil", "AH02430: Response header 'X' value of "
                                   "'a\r\nSet-Cookie: evil' contains invalid characters, "
                                   "aborting request"),
    ("X", "a\nb", "AH02430"), ("X", "a\x00", "AH02430"), ("X Y", "v", "AH02429"),
    ("", "v", "AH02428: Empty response header name, aborting request"),
])
def test_response_splitting_is_refused(name, value, message):
    conn = conn_for("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    with pytest.raises(ResponseHeaderError) as info:
        conn.response_head("200 OK", [(name, value)], 1)
    assert str(info.value).startswith(message)


def test_folded_response_values_are_joined():
    conn = conn_for("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert ("X", "a b") in fields(conn.response_head("200 OK", [("X", "a\r\n\t b")], 1))


def test_set_keepalive_is_pure():
    d = set_keepalive(policy=KeepAlive(), keepalives=99, proto_num=1001,
                      request_connection="keep-alive", status=200, header_only=False,
                      has_length=True)
    assert (d.keep_alive, d.headers, d.keepalives) == (
        True, [("Keep-Alive", "timeout=5, max=1"), ("Connection", "Keep-Alive")], 100)
    d = set_keepalive(policy=KeepAlive(), keepalives=100, proto_num=1001,
                      request_connection=None, status=200, header_only=False, has_length=True)
    assert (d.keep_alive, d.headers, d.keepalives) == (False, [("Connection", "close")], 101)
    # Apache's ap_find_token matches a token that is a prefix of the one looked for
    d = set_keepalive(policy=KeepAlive(), keepalives=0, proto_num=1000,
                      request_connection="keep", status=200, header_only=False,
                      has_length=True)
    assert d.keep_alive


def test_status_drops_connection():
    """ap_status_drops_connection (httpd.h)."""
    assert [s for s in range(100, 600) if status_drops_connection(s)] == [
        400, 408, 411, 413, 414, 500, 501, 503]
