"""Apache's keep-alive decision (ap_set_keepalive) as the pure function of the protocol
package; tests/io/test_response_keepalive.py runs it where the server runs it."""
from __future__ import annotations

import pytest

from httpd.protocol import KeepAlive, set_keepalive, status_drops_connection


def decide(**kw):
    args = dict(policy=KeepAlive(), keepalives=0, proto_num=1001, request_connection=None,
                status=200, header_only=False, has_length=True)
    args.update(kw)
    return set_keepalive(**args)


def test_set_keepalive_is_pure():
    d = decide(keepalives=99, request_connection="keep-alive")
    assert (d.keep_alive, d.headers, d.keepalives) == (
        True, [("Keep-Alive", "timeout=5, max=1"), ("Connection", "Keep-Alive")], 100)
    d = decide(keepalives=100)
    assert (d.keep_alive, d.headers, d.keepalives) == (False, [("Connection", "close")], 101)
    # Apache's ap_find_token matches a token that is a prefix of the one looked for
    assert decide(proto_num=1000, request_connection="keep").keep_alive


def test_chunking_is_chosen_before_the_refusals():
    """"THIS CODE IS CORRECT": an HTTP/1.1 response of unknown length is chunked even
    when a later condition closes the connection, but not after an error or with an
    unanswered Expect (those come first)."""
    d = decide(has_length=False, request_connection="close")
    assert (d.keep_alive, d.chunked) == (False, True)
    assert decide(has_length=False, conn_close=True).chunked is False
    assert decide(has_length=False, expecting_100=True).chunked is False
    assert decide(has_length=False, proto_num=1000).chunked is False


def test_the_last_one_is_counted():
    """A connection closed because MaxKeepAliveRequests is used up still counts it;
    one already marked to close does not."""
    assert decide(keepalives=100).keepalives == 101
    assert decide(keepalives=100, conn_close=True).keepalives == 100
    assert decide(keepalives=3, policy=KeepAlive(max_requests=0)).keepalives == 4


def test_wimpy_response_gets_no_second_close():
    d = decide(response_close=True)
    assert (d.keep_alive, d.headers) == (False, [])


@pytest.mark.parametrize("kw", [dict(policy=KeepAlive(enabled=False)),
                                dict(policy=KeepAlive(timeout=0)), dict(stopping=True),
                                dict(nokeepalive=True), dict(status=503),
                                dict(request_connection="Keep-Alive, Close")])
def test_refusals(kw):
    assert decide(**kw).keep_alive is False


def test_status_drops_connection():
    """ap_status_drops_connection (httpd.h)."""
    assert [s for s in range(100, 600) if status_drops_connection(s)] == [
        400, 408, 411, 413, 414, 500, 501, 503]
