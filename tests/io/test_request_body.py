"""The request body as handlers read or drop it (httpd/io/request_body.py), on the
sans-I/O connection, with the default handler's ap_discard_request_body."""
from __future__ import annotations

import types

import pytest

from httpd import protocol as proto
from httpd.core.handler import discard_request_body
from httpd.io.request_body import BodyReader
from httpd.module.hooks import OK
from httpd.request.record import ConnInfo

from httpd.io.connection import request_from_head

from tests.io.serve import load_process


class Channel:
    """Bytes the client sends after the head arrive on recv; what is sent is kept."""

    def __init__(self, later: bytes = b""):
        self.later, self.sent = later, bytearray()

    def send(self, data, timeout):
        self.sent += data

    def recv(self, wait):
        data, self.later = self.later, b""
        return data


@pytest.fixture(scope="module")
def process(tmp_path_factory):
    return load_process(tmp_path_factory.mktemp("body"))


def request(process, raw: bytes, later: bytes = b"", status: int = 200):
    conn = proto.HTTPConnection()
    conn.receive_data(raw)
    head = conn.next_event()
    r = request_from_head(process, ConnInfo("127.0.0.1", 1, "127.0.0.1", 80),
                          process.main_server, head)
    r.status = status
    ch = Channel(later)
    body = BodyReader(ch, conn, r, 5.0, NO_DEADLINE)
    r.read_body, r.discard_body = body.read, body.discard
    return conn, ch, r


NO_DEADLINE = types.SimpleNamespace(timeout=0, max_timeout=0, min_rate=0)   # no mod_reqtimeout
EXPECT = (b"POST /deny/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
          b"Expect: 100-continue\r\n\r\n")


def test_an_error_status_gets_no_continue_and_the_body_is_not_read(process):
    """apache2 2.4 answers a POST with Expect: 100-continue that ends in a 403
    ErrorDocument at once, with no 100 Continue, without reading the body, and closes:
    ap_http_filter sends 100 only while r->status is a 2xx."""
    conn, ch, r = request(process, EXPECT, later=b"hello", status=403)
    assert discard_request_body(r) == OK
    assert ch.sent == b"" and ch.later == b"hello"          # nothing sent, nothing read
    assert r.expecting_100 and conn.start_next_request(True) is False


def test_a_success_gets_continue_and_the_body_is_dropped(process):
    conn, ch, r = request(process, EXPECT, later=b"hello" + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert discard_request_body(r) == OK
    assert ch.sent == proto.CONTINUE and ch.later == b"" and not r.expecting_100
    assert conn.start_next_request(True)
    assert conn.next_event().path == "/"


def test_a_status_that_drops_the_connection_reads_nothing(process):
    conn, ch, r = request(process, EXPECT, later=b"hello", status=400)
    assert discard_request_body(r) == OK
    assert ch.sent == b"" and ch.later == b"hello" and r.conn.keepalive is False


def test_a_body_over_the_limit(process):
    conn, ch, r = request(process, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                                   b"\r\n\r\nzz\r\n")
    assert discard_request_body(r) == 400 and r.conn.keepalive is False


def test_reading_part_then_dropping_the_rest(process):
    conn, ch, r = request(process, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
                                   b"hello", later=b"world")
    assert r.read_body(3) == b"hel"
    assert discard_request_body(r) == OK and ch.later == b""
    assert r.read_body(10) == b""
