"""The connection's life: pipelining, unread bodies, errors, end of input, timeouts."""
from __future__ import annotations

import pytest

from httpd.protocol import (NEED_DATA, PAUSED, BodyData, ConnectionClosed, EndOfBody,
                            HTTPConnection, ProtocolError, RequestHead)

GET = b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"


# ``start_next_request(True)``: the server answered the current request and its
# keep-alive decision (ap_set_keepalive, tests/io/test_response_keepalive.py) was to keep
# the connection; the protocol still closes when it must (an error, CL with TE).


def test_three_pipelined_gets():
    conn = HTTPConnection()
    conn.receive_data(GET * 3)
    for _ in range(3):
        head = conn.next_event()
        assert isinstance(head, RequestHead) and head.path == "/hello.txt"
        assert conn.next_event() is PAUSED
        assert conn.next_event() is PAUSED            # the response is not finished
        assert conn.start_next_request(True)
    assert conn.next_event() is NEED_DATA
    assert conn.buffered == 0


def test_pipelined_requests_arriving_in_pieces():
    data = (GET + b"POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello" + GET)
    conn = HTTPConnection()
    heads, bodies = [], []
    for i in range(0, len(data), 7):
        conn.receive_data(data[i:i + 7])
        while True:
            ev = conn.next_event()
            if isinstance(ev, RequestHead):
                heads.append(ev.method)
                conn.start_body(1000)
            elif isinstance(ev, BodyData):
                bodies.append(ev.data)
            elif isinstance(ev, EndOfBody):
                assert conn.start_next_request(True)
            else:
                assert ev is NEED_DATA
                break
    assert heads == ["GET", "POST", "GET"] and b"".join(bodies) == b"hello"


def test_unread_body_is_skipped_before_the_next_request():
    """A GET with a 44-byte body that looks like a request: the body is read and
    dropped, and only the request after it is parsed (smug-get-with-body-then-next)."""
    conn = HTTPConnection()
    conn.receive_data(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 44\r\n\r\n"
                      + GET[:20])
    conn.next_event()
    assert conn.start_next_request(True)
    assert conn.next_event() is NEED_DATA             # 24 body bytes still to come
    conn.receive_data(GET[20:] + b"GET /second HTTP/1.1\r\nHost: localhost\r\n\r\n")
    head = conn.next_event()
    assert isinstance(head, RequestHead) and head.path == "/second"
    assert conn.start_next_request(True)
    assert conn.next_event() is NEED_DATA


def test_partly_read_chunked_body_is_skipped():
    conn = HTTPConnection()
    conn.receive_data(b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\n")
    conn.next_event()
    conn.start_body(0)
    assert conn.next_event() == BodyData(b"hello")
    assert conn.start_next_request(True)
    conn.receive_data(b"3\r\nabc\r\n0\r\nT: 1\r\n\r\n" + GET)
    assert conn.next_event().path == "/hello.txt"


def test_a_bad_request_after_a_good_one_closes():
    conn = HTTPConnection()
    conn.receive_data(GET + b"GET /x HTTP/1.1\r\nBad Header\r\n\r\n" + GET)
    conn.next_event()
    assert conn.start_next_request(True)
    ev = conn.next_event()
    assert isinstance(ev, ProtocolError) and ev.status == 400
    assert ev.request_line == "GET /x HTTP/1.1"
    assert conn.start_next_request(True) is False
    assert isinstance(conn.next_event(), ConnectionClosed)
    conn.receive_data(GET)                            # nothing is ever read again
    assert isinstance(conn.next_event(), ConnectionClosed)
    assert conn.buffered == 0


def test_a_closing_response_stops_the_pipeline():
    conn = HTTPConnection()
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + GET)
    conn.next_event()
    assert conn.start_next_request(False) is False
    assert isinstance(conn.next_event(), ConnectionClosed)
    assert conn.buffered == 0


def test_smuggled_request_after_cl_te_is_never_parsed():
    conn = HTTPConnection()
    conn.receive_data(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 36\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nX: y\r\n\r\n")
    head = conn.next_event()
    assert head.must_close
    conn.start_body(1000)
    assert conn.next_event() == EndOfBody([])
    assert conn.start_next_request(True) is False


def test_short_content_length_then_garbage():
    conn = HTTPConnection()
    conn.receive_data(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nhelloGARBAGE\r\n\r\n")
    conn.next_event()
    conn.start_body(1000)
    assert conn.next_event() == BodyData(b"hel")
    assert conn.next_event() == EndOfBody([])
    assert conn.start_next_request(True)
    ev = conn.next_event()
    assert ev.status == 400 and ev.reason == "AH03454: HTTP Request Line; URI incorrectly encoded: ''"


def test_next_request_after_a_bodiless_one():
    conn = HTTPConnection()
    conn.receive_data(GET + GET)
    conn.next_event()
    assert conn.start_next_request(True)
    assert isinstance(conn.next_event(), RequestHead)


def test_error_while_skipping_a_body_after_the_response():
    """The response went out: Apache just closes, it does not answer twice."""
    conn = HTTPConnection()
    conn.receive_data(b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    conn.next_event()
    assert conn.start_next_request(True)
    ev = conn.next_event()
    assert ev == ConnectionClosed("AH01590: Error reading/parsing chunk  ")


# --- end of input -----------------------------------------------------------------------

def test_peer_closes_between_requests():
    conn = HTTPConnection()
    conn.receive_data(GET)
    conn.next_event()
    conn.start_next_request(True)
    conn.receive_data(b"")
    assert conn.next_event() == ConnectionClosed("")


@pytest.mark.parametrize("data,status", [
    (b"GET /ind", None), (b"\r\n\r\n", None), (b"GET / HTTP/1.1\r\nHost: x\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab", 400),
])
def test_peer_closes_inside_a_request(data, status):
    conn = HTTPConnection()
    conn.receive_data(data)
    conn.receive_data(b"")
    ev = conn.next_event()
    if isinstance(ev, RequestHead):
        conn.start_body(0)
        ev = conn.next_event()
        if isinstance(ev, BodyData):
            ev = conn.next_event()
    if status is None:
        assert isinstance(ev, ConnectionClosed)
    else:
        assert isinstance(ev, ProtocolError) and ev.status == status


# --- timeouts ----------------------------------------------------------------------------

def test_timeout_before_any_byte_of_the_next_request():
    """KeepAliveTimeout on an idle connection: closed without a word."""
    conn = HTTPConnection()
    conn.receive_data(GET)
    conn.next_event()
    conn.start_next_request(True)
    assert conn.next_event() is NEED_DATA
    assert conn.timed_out() == ConnectionClosed("")


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n\r\n", b"GET /ind"])
def test_timeout_in_the_request_line(data):
    """mod_reqtimeout: no response until a request line has arrived (AH01382 logged)."""
    conn = HTTPConnection()
    if data:
        conn.receive_data(data)
    assert conn.next_event() is NEED_DATA
    assert conn.timed_out() == ConnectionClosed("AH01382: Request header read timeout")
    assert isinstance(conn.next_event(), ConnectionClosed)


def test_timeout_in_the_fields():
    conn = HTTPConnection()
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    assert conn.next_event() is NEED_DATA
    ev = conn.timed_out()
    assert (ev.status, ev.log) == (408, ("AH01382: Request header read timeout",
                                         "AH00567: request failed: error reading the headers"))
    assert ev.request_line == "GET / HTTP/1.1"


def test_timeout_in_the_body():
    conn = HTTPConnection()
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
    conn.next_event()
    conn.start_body(0)
    assert conn.next_event() == BodyData(b"hello")
    assert conn.next_event() is NEED_DATA
    ev = conn.timed_out()
    assert (ev.status, ev.reason) == (408, "AH01382: Request body read timeout")
    assert ev.request_line == "POST / HTTP/1.1"
    assert conn.start_next_request(True) is False


def test_paused_until_the_caller_acts():
    conn = HTTPConnection()
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
    conn.next_event()
    assert conn.next_event() is PAUSED
    conn.start_body(0)
    assert conn.next_event() == BodyData(b"ab")
    assert conn.next_event() == EndOfBody([])
    assert conn.next_event() is PAUSED


def test_the_connection_counts_the_requests_it_was_kept_alive_after():
    """Nobody sets its fields from outside: start_next_request counts (c->keepalives),
    and an idle keep-alive wait that times out closes without AH01382."""
    conn = HTTPConnection()
    conn.receive_data(GET * 2)
    for _ in range(2):
        assert isinstance(conn.next_event(), RequestHead)
        assert conn.start_next_request(True)
    assert conn.keepalives == 2
    assert conn.next_event() is NEED_DATA
    assert conn.timed_out() == ConnectionClosed("")
