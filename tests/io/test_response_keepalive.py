"""The keep-alive decision (ap_set_keepalive) and the framing of responses, through the
path the server runs: httpd.io.response_write.send_response -> finalize_headers ->
set_keepalive (tests/io/serve.py)."""
from __future__ import annotations

import pytest

from tests.io.serve import fields_of, head_of, load_process, respond

FRAMING = ("Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length")


@pytest.fixture(scope="module")
def process(tmp_path_factory):
    return load_process(tmp_path_factory.mktemp("ka"))


def answer(process, raw: str, **kw):
    conn, head = head_of(raw.encode("latin-1"))
    data, r = respond(process, head, conn=conn, **kw)
    return fields_of(data, FRAMING), bool(r.conn.keepalive)


def test_a_transfer_coding_after_chunked_is_no_framing(process):
    """ap_is_chunked: the handler's ``Transfer-Encoding: chunked, gzip`` does not frame
    the body (chunked is not the last coding), so an HTTP/1.0 response of unknown length
    closes; ``gzip, chunked`` frames it."""
    raw = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
    fields, keep = answer(process, raw, body=iter([b"x"]),
                          fields=[("Transfer-Encoding", "chunked, gzip")])
    assert not keep and ("Connection", "close") in fields
    fields, keep = answer(process, raw, body=iter([b"x"]),
                          fields=[("Transfer-Encoding", "gzip, chunked")])
    assert keep and ("Connection", "Keep-Alive") in fields


@pytest.mark.parametrize("value,proto,keep", [
    ("keep", "1.0", True), ("kee", "1.0", True), ("c", "1.1", False),
    ("clos\xe9", "1.1", False), ("x\xe9c", "1.1", False), ("closed", "1.1", True),
])
def test_connection_tokens_as_apache_reads_them(process, value, proto, keep):
    """Measured on apache2 2.4: a token that is a prefix of keep-alive / close counts,
    and a byte >= 0x80 ends a token (ap_find_token)."""
    fields, kept = answer(process, f"GET / HTTP/{proto}\r\nHost: x\r\nConnection: {value}\r\n\r\n",
                          body=b"abc")
    assert kept is keep
    if proto == "1.0" and keep:
        assert ("Keep-Alive", "timeout=5, max=100") in fields


def test_keepalives_are_counted_where_apache_counts_them(tmp_path):
    """c->keepalives is bumped by ap_set_keepalive, so %k and %X of each response read
    as apache2 2.4 logs them with MaxKeepAliveRequests 3 and four requests on one
    connection: ``0 +``, ``1 +``, ``2 -``, ``3 -`` (measured)."""
    from directives.mod_log_config.items import log_connection_status, log_requests_on_connection
    from httpd.request.record import ConnInfo
    process = load_process(tmp_path, "MaxKeepAliveRequests 3\n")
    info = ConnInfo("127.0.0.1", 40000, "127.0.0.1", 80)
    conn, seen = None, []
    raw = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 4
    for i in range(4):
        conn, head = head_of(raw if conn is None else b"", conn)
        _, r = respond(process, head, conn=conn, info=info, body=b"abc")
        seen.append(f"{log_requests_on_connection(r, '')} {log_connection_status(r, '')}")
        if not conn.start_next_request():
            break
    assert seen == ["0 +", "1 +", "2 -", "3 -"]


def test_content_length_with_transfer_encoding_says_close(process):
    """ap_read_request marks such a connection AP_CONN_CLOSE, so the response carries
    ``Connection: close`` (apache2 2.4 sends it; the connection was closed before
    without saying so)."""
    raw = ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
           "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    fields, keep = answer(process, raw, body=b"abc")
    assert not keep and ("Connection", "close") in fields


@pytest.mark.parametrize("via,keep", [(False, False), (True, True)])
def test_nokeepalive_set_empty_still_counts(process, via, keep):
    """``SetEnv nokeepalive ""``: apr_table_get finds the variable, so Apache closes
    (unless the request came through a proxy, Via)."""
    raw = "GET / HTTP/1.1\r\nHost: x\r\n" + ("Via: 1.1 p\r\n" if via else "") + "\r\n"
    _, kept = answer(process, raw, body=b"abc", env={"nokeepalive": ""})
    assert kept is keep
