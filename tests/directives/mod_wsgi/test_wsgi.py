"""PEP 3333 over real HTTP, embedded and daemon mode: every request through
wsgiref.validate.validator (app_script.py), and no violation in the error log."""
from __future__ import annotations

import json
import os
import socket
import time

import pytest

from tests.directives.mod_wsgi.helpers import clean_log, request, start

MODES = ["embedded", "daemon"]


@pytest.fixture(scope="module", params=MODES)
def server(request, tmp_path_factory):
    mode = request.param
    s = start(tmp_path_factory.mktemp(mode), mode)
    s.mode = mode
    yield s
    s.stop()


def test_hello(server):
    status, headers, body = request(server, "GET", "/app/hello")
    assert (status, body) == (200, b"Hello world!\n")
    assert headers["Content-Type"] == "text/plain"
    clean_log(server)


def test_environ(server):
    status, _, body = request(server, "GET", "/app/env?a=1&b=2",
                              headers={"X-Custom-Header": "v", "Authorization": "Basic eA=="})
    env = json.loads(body)
    assert status == 200
    assert env["SCRIPT_NAME"] == "/app"
    assert env["PATH_INFO"] == "/env"
    assert env["QUERY_STRING"] == "a=1&b=2"
    assert env["REQUEST_URI"] == "/app/env?a=1&b=2"
    assert env["HTTP_X_CUSTOM_HEADER"] == "v"
    assert "HTTP_AUTHORIZATION" not in env                 # WSGIPassAuthorization Off
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.input_terminated"] is True
    assert env["SERVER_PORT"] == str(server.port)
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert env["SCRIPT_FILENAME"].endswith("/app.wsgi")
    if server.mode == "daemon":
        assert env["mod_wsgi.process_group"] == "tg"
        assert env["wsgi.multithread"] is True and env["wsgi.multiprocess"] is True
    else:
        assert env["mod_wsgi.process_group"] == ""
        # -X: one process, a pool of threads
        assert env["wsgi.multithread"] is True and env["wsgi.multiprocess"] is False
    assert env["mod_wsgi.application_group"] == f"localhost:{server.port}|/app"
    clean_log(server)


@pytest.mark.parametrize("size", [0, 1, 70000])
def test_post_body(server, size):
    data = os.urandom(size)
    status, _, body = request(server, "POST", "/app/echo", body=data)
    assert status == 200 and body == data
    clean_log(server)


def _chunked(parts):
    for p in parts:
        yield p


def test_chunked_request_body(server):
    parts = [b"a" * 1000, b"b" * 5000, b"c\n" * 10]
    status, _, body = request(server, "POST", "/app/echo", body=_chunked(parts),
                              headers={"Transfer-Encoding": "chunked"})
    assert status == 200 and body == b"".join(parts)
    clean_log(server)


def test_readline(server):
    status, _, body = request(server, "POST", "/app/lines", body=b"one\ntwo\nthree")
    assert status == 200 and body == b"3 lines\none\ntwo\nthree"
    clean_log(server)


def test_write_callable(server):
    status, _, body = request(server, "GET", "/app/write")
    assert (status, body) == (200, b"written then returned\n")
    clean_log(server)


def test_start_response_exc_info(server):
    status, _, body = request(server, "GET", "/app/excinfo")
    assert (status, body) == (503, b"replaced\n")
    clean_log(server)


def test_exception_gives_apache_500_and_traceback(server):
    status, headers, body = request(server, "GET", "/app/raise")
    assert status == 500
    assert b"<title>500 Internal Server Error</title>" in body
    deadline = time.monotonic() + 5
    while "the application failed" not in server.error_log and time.monotonic() < deadline:
        time.sleep(0.05)
    log = server.error_log
    assert "Exception occurred processing WSGI script" in log
    assert "RuntimeError: the application failed" in log
    assert 'File "' in log                       # the traceback itself
    # the worker lives on
    assert request(server, "GET", "/app/hello")[0] == 200


def test_exception_after_head_closes_connection(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(b"GET /app/raise-late HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        got = s.recv(65536)
        if not got:
            break
        data += got
    s.close()
    # what was buffered with the head may or may not have gone out; never a clean end
    assert not data.endswith(b"0\r\n\r\n")
    deadline = time.monotonic() + 5
    while "failed after the head" not in server.error_log and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "RuntimeError: failed after the head" in server.error_log
    assert request(server, "GET", "/app/hello")[0] == 200


def test_streaming_is_chunked(server):
    status, headers, body = request(server, "GET", "/app/stream")
    assert status == 200
    assert headers.get("Transfer-Encoding") == "chunked"
    assert body == b"".join(b"chunk %d\n" % i for i in range(20))
    clean_log(server)


def test_file_wrapper(server):
    data = (server.site / "data.bin").read_bytes()
    status, _, body = request(server, "GET", "/app/file")
    assert status == 200 and body == data
    status, headers, body = request(server, "GET", "/plain/file")      # sendfile path
    assert status == 200 and body == data
    clean_log(server)


@pytest.mark.parametrize("query,length,body", [
    ("", "5", b"Hello"), ("5", "5", b"Hello"), ("3", "3", b"Hel"), ("05", "05", b"Hello")])
def test_list_of_one_body(server, query, length, body):
    status, headers, got = request(server, "GET", "/plain/list" + ("?" + query if query
                                                                   else ""))
    if not query and server.mode == "daemon":     # the daemon's frames: chunked
        length = headers.get("Content-Length")
    assert (status, headers.get("Content-Length"), got) == (200, length, body)


def test_wsgi_errors_go_to_error_log(server):
    assert request(server, "GET", "/app/errors")[0] == 200
    deadline = time.monotonic() + 5
    while "a line for the error log" not in server.error_log and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "a line for the error log" in server.error_log


def test_close_called_when_client_leaves(server):
    marker = server.site / "closed-gone"
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(b"GET /app/close?gone HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(1000)
    s.close()                                     # 12 MB unread
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text() == "closed"
    clean_log(server)


def test_head_request_closes_iterable(server):
    status, _, body = request(server, "HEAD", "/app/close?head")
    assert status == 200 and body == b""
    deadline = time.monotonic() + 5
    while not (server.site / "closed-head").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (server.site / "closed-head").exists()
    clean_log(server)


def test_static_alias_beside(server):
    assert request(server, "GET", "/static/s.txt")[2] == b"static file\n"


def test_access_log(server):
    request(server, "GET", "/app/hello")
    deadline = time.monotonic() + 5
    log = ""
    while time.monotonic() < deadline:
        p = server.root / "logs" / "access_log"
        log = p.read_text() if p.exists() else ""
        if '"GET /app/hello HTTP/1.1" 200 13 ' in log:
            break
        time.sleep(0.05)
    line = [x for x in log.splitlines() if "/app/hello" in x][-1]
    assert line.split()[-3:-1] == ["200", "13"]
    assert int(line.split()[-1]) > 0                  # %D
