"""A bug outside any hook (the core's own code raising) still answers the client.

Hooks are guarded by the hook table (tests/e2e/test_redirect_forms.py); here the core's
pipeline itself or the output-filter fixups raise, and the connection answers the
canned 500, logs the exception with where it was raised, and closes.  Served in-process
over a real loopback pair, as test_parking.py does."""
from __future__ import annotations

import socket

import pytest

from httpd.http import request as http_request
from httpd.module import Module
from httpd.module.hooks import HookTable
from httpd.main.cli import load_config, make_process, parse_args
from httpd.io.connection import Serving, serve_connection
from tests.e2e.servers import free_port, write_config


@pytest.fixture
def serving(tmp_path):
    docs = tmp_path / "htdocs"
    docs.mkdir()
    (docs / "a.txt").write_text("hello\n")
    conf = write_config(tmp_path, f"DocumentRoot {docs}\n<Directory {docs}>\n"
                        "Require all granted\n</Directory>\n", free_port())
    opts = parse_args("httpd", ["-X", "-f", str(conf)])
    p = make_process("httpd", opts)
    load_config(p, opts)
    return Serving(p)


def serve(serving, request: bytes) -> bytes:
    srv = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(srv.getsockname(), timeout=5)
    server_side, addr = srv.accept()
    srv.close()
    try:
        client.sendall(request)
        serve_connection(serving, server_side, addr, server_side.getsockname())
        data = b""
        while True:
            chunk = client.recv(65536)
            if not chunk:
                return data
            data += chunk
    finally:
        client.close()
        server_side.close()


GET = b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"


def test_pipeline_bug_answers_500(serving, monkeypatch):
    def broken(r, table=None):
        raise ZeroDivisionError("core bug")
    monkeypatch.setattr(http_request, "process_request", broken)
    data = serve(serving, GET + GET)
    assert data.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"\r\nConnection: close\r\n" in data and data.count(b"HTTP/1.1 ") == 1


def test_output_fixup_bug_before_the_first_byte_answers_500(serving, monkeypatch):
    def broken(r):
        raise LookupError("filter bug")

    def insert(r):                   # an output filter on the handler's response only
        r.output_filters += (broken,)
    m = Module("broken_module", "mod_broken.c", hooks={"insert_filter": insert})
    monkeypatch.setattr(serving, "hooks", HookTable(serving.process.registry.loaded + [m]))
    data = serve(serving, GET)
    assert data.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"hello" not in data


def test_the_exception_is_logged_with_its_place(serving, monkeypatch):
    from httpd.log import errorlog
    lines = []
    monkeypatch.setattr(errorlog, "log_rerror",
                        lambda r, module, level, msg, status=None: lines.append(msg))
    monkeypatch.setattr(http_request, "log_rerror",
                        lambda r, module, level, msg: lines.append(msg))

    def broken(r, table=None):
        raise ZeroDivisionError("core bug")
    monkeypatch.setattr(http_request, "process_request", broken)
    serve(serving, GET)
    assert any(m.startswith("AH00000: request failed: ZeroDivisionError('core bug') at ")
               and "test_internal_error.py:" in m for m in lines), lines
