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
