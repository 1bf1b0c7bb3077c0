"""The header checks of the response (check_headers, AH02428-30) where the server runs
them, with what Apache does when they fail: ap_die(500), or a bare 500 when the error
response fails them too.  Each case was sent to apache2 2.4 with mod_headers setting
the field (``Header set`` / ``Header always set``)."""
from __future__ import annotations

import pytest

from tests.io.serve import fields_of, head_of, load_process, respond

GET = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.fixture(scope="module")
def process(tmp_path_factory):
    return load_process(tmp_path_factory.mktemp("checks"))


@pytest.fixture
def logged(monkeypatch):
    lines = []
    from httpd.log import errorlog
    monkeypatch.setattr(errorlog, "log_rerror",
                        lambda r, module, level, msg: lines.append(f"[{module}:{level}] {msg}"))
    return lines


def answer(process, **kw):
    conn, head = head_of(GET)
    return respond(process, head, conn=conn, body=b"x" * 19, **kw)


def test_a_bad_name_gets_the_500_page(process, logged):
    """Header set "X Y" v: AH02429 once, then ap_die(500): the canned page, and 500
    drops the connection."""
    data, r = answer(process, fields=[("X Y", "v")])
    assert data.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert ("Connection", "close") in fields_of(data) and b"<h1>Internal Server Error</h1>" in data
    assert logged == ["[http:error] AH02429: Response header name 'X Y' contains invalid "
                      "characters, aborting request"]


def test_a_bad_field_the_error_response_keeps_gets_a_bare_500(tmp_path, logged):
    """Header always set "X Y" v: the error response has the field again, so Apache
    gives up after the second AH02429: 500, Content-Length: 0, no page."""
    always = load_process(tmp_path, "LoadModule headers_module modules/mod_headers.so\n"
                                    'Header always set "X Y" v\n')
    data, r = answer(always)
    assert data.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert [k for k, _ in fields_of(data)] == ["Date", "Server", "Content-Length"]
    assert data.endswith(b"Content-Length: 0\r\n\r\n") and not r.conn.keepalive
    assert len(logged) == 2 and all("AH02429" in line for line in logged)


def test_a_transfer_coding_that_is_not_chunked_is_refused(process, logged):
    """Header set Transfer-Encoding gzip on a file: the 500 page, Connection: close, and
    no log line (check_headers returns 0 without one); this server sent the file with
    both Content-Length and Transfer-Encoding: gzip."""
    data, r = answer(process, fields=[("Transfer-Encoding", "gzip")])
    assert data.startswith(b"HTTP/1.1 500 ") and ("Connection", "close") in fields_of(data)
    assert logged == []


def test_a_chunked_transfer_coding_drops_the_length(process):
    """Header set Transfer-Encoding "gzip, chunked" on a file: Content-Length goes and
    the connection closes; the keep-alive decision was taken before, so no Connection
    field (apache2 2.4 sends none)."""
    data, r = answer(process, fields=[("Transfer-Encoding", "gzip, chunked")])
    fields = fields_of(data)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and not r.conn.keepalive
    assert ("Transfer-Encoding", "gzip, chunked") in fields
    assert "Content-Length" not in dict(fields) and "Connection" not in dict(fields)
