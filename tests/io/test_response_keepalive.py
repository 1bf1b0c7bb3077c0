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
    conn, head = head_of(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 4)
    seen = []
    while True:
        _, r = respond(process, head, conn=conn, info=info, body=b"abc")
        seen.append(f"{log_requests_on_connection(r, '')} {log_connection_status(r, '')}")
        if not conn.start_next_request(bool(r.conn.keepalive)):
            break
        head = conn.next_event()
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


# -- the decisions, as the server makes them ------------------------------------------------

def test_static_response_over_http11(process):
    data, r = respond(process, head_of(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")[1],
                      content_type="text/html", body=b"x" * 35, fields=[("ETag", '"x"')])
    # no Keep-Alive field unless the client sent the token; Content-Type goes last
    assert [k for k, _ in fields_of(data)] == ["Date", "Server", "ETag", "Content-Length",
                                               "Content-Type"]
    assert r.conn.keepalive and r.conn.keepalives == 1


def test_keep_alive_token_is_answered(process):
    fields, keep = answer(process, "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
                          body=b"x" * 35)
    assert fields == [("Content-Length", "35"), ("Keep-Alive", "timeout=5, max=100"),
                      ("Connection", "Keep-Alive")] and keep


def test_unknown_length_is_chunked_on_http11(process):
    conn, head = head_of(b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
    data, r = respond(process, head, conn=conn, body=iter([b"hi\n", b"", b"yo"]))
    assert fields_of(data, FRAMING) == [("Keep-Alive", "timeout=5, max=100"),
                                        ("Connection", "Keep-Alive"),
                                        ("Transfer-Encoding", "chunked")]
    assert data.endswith(b"\r\n\r\n3\r\nhi\n\r\n2\r\nyo\r\n0\r\n\r\n") and r.conn.keepalive


def test_connection_close_still_chunks(process):
    """ap_set_keepalive marks the response chunked before it looks at Connection: close."""
    conn, head = head_of(b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data, r = respond(process, head, conn=conn, body=iter([b"hi"]))
    assert fields_of(data, FRAMING) == [("Connection", "close"), ("Transfer-Encoding", "chunked")]
    assert data.endswith(b"2\r\nhi\r\n0\r\n\r\n") and not r.conn.keepalive


def test_http10_without_length_closes(process):
    conn, head = head_of(b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    data, r = respond(process, head, conn=conn, body=iter([b"hi"]))
    assert fields_of(data, FRAMING) == [("Connection", "close")] and data.endswith(b"\r\n\r\nhi")
    assert answer(process, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", body=b"x")[1]


def test_unanswered_expect_closes_without_chunking(process):
    fields, keep = answer(process, "GET /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
                          body=iter([b"x"]))
    assert fields == [("Connection", "close")] and not keep


def test_head_requests(process):
    conn, head = head_of(b"HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n")
    data, r = respond(process, head, conn=conn, body=iter([b"body"]))
    assert fields_of(data, FRAMING) == [] and data.endswith(b"\r\n\r\n") and r.conn.keepalive
    fields, _ = answer(process, "HEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\n", body=b"x" * 35)
    assert ("Content-Length", "35") in fields


def test_statuses_without_a_body(process):
    conn, head = head_of(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data, r = respond(process, head, conn=conn, status=304, body=b"x", fields=[("ETag", "e")])
    assert fields_of(data, FRAMING) == [] and data.endswith(b"\r\n\r\n") and r.conn.keepalive
    fields, keep = answer(process, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", status=204, body=None)
    assert fields == [] and keep


@pytest.mark.parametrize("status", [400, 408, 411, 413, 414, 500, 501, 503])
def test_statuses_that_drop_the_connection(process, status):
    fields, keep = answer(process, "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
                          status=status, body=b"x" * 10)
    assert ("Connection", "close") in fields and not keep


@pytest.mark.parametrize("status", [403, 404, 405, 416, 417])
def test_statuses_that_keep_it(process, status):
    assert answer(process, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", status=status, body=b"x")[1]


def test_max_keep_alive_requests(process):
    """MaxKeepAliveRequests 100: max=100 .. max=1, then the 101st response closes
    (measured on Apache with 103 pipelined requests: 101 answers)."""
    from httpd.request.record import ConnInfo
    conn, head = head_of(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n" * 103)
    info = ConnInfo("127.0.0.1", 40000, "127.0.0.1", 80)
    seen = []
    while True:
        data, r = respond(process, head, conn=conn, info=info, body=b"x")
        fields = dict(fields_of(data))
        seen.append(fields.get("Keep-Alive") or fields["Connection"])
        if not conn.start_next_request(bool(r.conn.keepalive)):
            break
        head = conn.next_event()
    assert len(seen) == 101
    assert seen[0] == "timeout=5, max=100" and seen[99] == "timeout=5, max=1"
    assert seen[100] == "close"


@pytest.mark.parametrize("conf,keep_alive", [
    ("MaxKeepAliveRequests 0\n", ("Keep-Alive", "timeout=5")),
    ("KeepAliveTimeout 15\nMaxKeepAliveRequests 3\n", ("Keep-Alive", "timeout=15, max=3")),
    ("KeepAlive Off\n", ("Connection", "close")),
    ("KeepAliveTimeout 0\n", ("Connection", "close")),
])
def test_keep_alive_settings(tmp_path, conf, keep_alive):
    fields, _ = answer(load_process(tmp_path, conf),
                       "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", body=b"x")
    assert keep_alive in fields


def test_a_stopping_process_closes(process):
    raw = "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
    fields, keep = answer(process, raw, body=b"x",
                          prepare=lambda r: setattr(r, "process", _Stopping(r.process)))
    assert ("Connection", "close") in fields and not keep


class _Stopping:
    """The process as the MPM sees it while it shuts down (mpm_stopping)."""

    mpm_stopping = True

    def __init__(self, process):
        self._process = process

    def __getattr__(self, name):
        return getattr(self._process, name)


def test_handler_connection_fields(process):
    raw = "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
    fields, keep = answer(process, raw, body=b"x", fields=[("Connection", "close")])
    assert [f for f in fields if f[0] == "Connection"] == [("Connection", "close")] and not keep
    fields, keep = answer(process, raw, body=b"x", fields=[("Connection", "Upgrade")])
    assert ("Connection", "Upgrade, Keep-Alive") in fields and keep


def test_a_refused_head_gets_the_plain_error_page(process):
    """ap_read_request resets r->status to HTTP_OK before ap_die, so the 400 page of a
    bad head has no "Additionally, a 400 Bad Request error was encountered while trying
    to use an ErrorDocument" paragraph (apache2 2.4 sends none; this server did)."""
    from httpd.io.connection import protocol_error_request
    from httpd.request.record import ConnInfo
    conn, err = head_of(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n")
    r = protocol_error_request(process, ConnInfo("127.0.0.1", 1, "127.0.0.1", 80),
                               process.main_server, err)
    assert r.status == 400 and r.conn.keepalive is False
    assert r.body.endswith(b"<p>Your browser sent a request that this server could not "
                           b"understand.<br />\n</p>\n</body></html>\n")


def test_a_refused_expectation_is_named_on_its_page(process):
    """The head was read whole, so Apache has its fields in r->headers_in when it
    answers 417: apache2 2.4's page says ``The client sent ... Expect: foo&lt;bar&gt;``
    (this server's said no expectation was seen)."""
    from httpd.io.connection import protocol_error_request
    from httpd.request.record import ConnInfo
    conn, err = head_of(b"GET / HTTP/1.1\r\nHost: x\r\nExpect: foo<bar>\r\n\r\n")
    r = protocol_error_request(process, ConnInfo("127.0.0.1", 1, "127.0.0.1", 80),
                               process.main_server, err)
    assert r.status == 417 and r.headers_in.get("Host") == "x"
    assert (b"The client sent<pre>\n    Expect: foo&lt;bar&gt;\n</pre>\n</p><p>Only the "
            b"100-continue expectation is supported.</p>\n") in r.body


def test_nokeepalive_is_found_in_any_case(process):
    """subprocess_env is an apr table to Apache: SetEnv NoKeepAlive closes too."""
    _, kept = answer(process, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", body=b"abc",
                     env={"NoKeepAlive": "1"})
    assert kept is False
