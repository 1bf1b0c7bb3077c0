"""serve_connection's hand-over to the event MPM's selector (park / resume / linger).

The connection server runs in-process over a real loopback TCP pair; the "selector" is
the test itself, which records what was parked and resumes it."""
from __future__ import annotations

import socket
import threading

import pytest

from httpd.main.cli import load_config, make_process, parse_args
from httpd.io.connection import Serving, resume_connection, serve_connection
from tests.e2e.servers import free_port, write_config


@pytest.fixture
def serving(tmp_path):
    docs = tmp_path / "htdocs"
    docs.mkdir()
    (docs / "a.txt").write_text("hello\n")
    conf = write_config(tmp_path, f"DocumentRoot {docs}\n<Directory {docs}>\n"
                        "Require all granted\n</Directory>\n", free_port(), mpm="event")
    opts = parse_args("httpd", ["-X", "-f", str(conf)])
    p = make_process("httpd", opts)
    load_config(p, opts)
    return Serving(p)


@pytest.fixture
def pair():
    srv = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(srv.getsockname(), timeout=5)
    server_side, addr = srv.accept()
    srv.close()
    yield client, server_side, addr
    client.close()
    server_side.close()


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"hello\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_idle_keepalive_connection_is_parked_then_resumed(serving, pair):
    client, server_side, addr = pair
    parked = []
    park = lambda conn, reason, timeout: parked.append((conn, reason, timeout))
    client.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
    serve_connection(serving, server_side, addr, server_side.getsockname(), park=park)
    assert b"200 OK" in _read_response(client)
    assert [(r, t) for _, r, t in parked] == [("keepalive", 5.0)]
    conn = parked.pop()[0]
    assert conn.sock is server_side and server_side.fileno() >= 0   # not closed
    client.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    resume_connection(conn, park=park)
    assert b"200 OK" in _read_response(client)
    assert [r for _, r, _ in parked] == ["linger"]
    conn = parked.pop()[0]
    client.close()
    assert conn.linger_read() is False          # EOF: lingering is over
    conn.close()
    assert server_side.fileno() == -1


def test_pipelined_requests_are_served_before_parking(serving, pair):
    client, server_side, addr = pair
    parked = []
    req = b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
    client.sendall(req * 3)
    serve_connection(serving, server_side, addr, server_side.getsockname(),
                     park=lambda c, r, t: parked.append(r))
    client.settimeout(5)
    data = b""
    while data.count(b"hello\n") < 3:
        data += client.recv(65536)
    assert data.count(b"HTTP/1.1 200 OK") == 3
    assert parked == ["keepalive"]


def test_without_park_the_connection_is_served_to_the_end(serving, pair):
    client, server_side, addr = pair
    client.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    t = threading.Thread(target=serve_connection,
                         args=(serving, server_side, addr, server_side.getsockname()))
    t.start()
    assert b"200 OK" in _read_response(client)
    client.close()
    t.join(5)
    assert not t.is_alive()


def test_a_served_request_leaves_no_reference_cycle(serving, pair):
    """A request record and what it holds are freed when the request ends, not left to
    the cyclic collector (its body reader referred back to it: 20 objects a request)."""
    import gc
    client, server_side, addr = pair
    head = b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
    client.sendall(head * 50 + head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        serve_connection(serving, server_side, addr, server_side.getsockname())
        found = gc.collect()
    finally:
        if was:
            gc.enable()
    assert found < 50, found
