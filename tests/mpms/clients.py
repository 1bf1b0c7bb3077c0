"""Clients for the thread- and connection-level tests of worker and event: held,
answered and idle keep-alive connections on a server of the ``start`` fixture
(tests/mpms/conftest.py).  Every wait is bounded.
"""
from __future__ import annotations

import socket
import time

from tests.e2e.mpm import MPMServer

HEAD = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n"


def connect(server: MPMServer, timeout: float = 5.0) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    server.opened.append(s)
    return s


def hold(server: MPMServer) -> socket.socket:
    """A connection whose request head is not finished: it holds a worker thread."""
    s = connect(server)
    s.sendall(HEAD)
    return s


def response(s: socket.socket, timeout: float = 5.0) -> bytes:
    """One keep-alive response to GET /index.html (its body is b"hello\\n")."""
    s.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"hello\n") and time.monotonic() < deadline:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def keepalive(server: MPMServer) -> socket.socket:
    """A connection that was answered once and now waits idle between requests."""
    s = connect(server)
    s.sendall(HEAD + b"\r\n")
    assert response(s).startswith(b"HTTP/1.1 200 ")
    return s


def answered_within(s: socket.socket, seconds: float) -> bool:
    """Whether anything arrives on ``s`` within ``seconds``."""
    s.settimeout(seconds)
    try:
        return bool(s.recv(1, socket.MSG_PEEK))
    except (TimeoutError, BlockingIOError):
        return False
    finally:
        s.settimeout(5.0)


def closed_within(s: socket.socket, seconds: float) -> bool:
    s.settimeout(seconds)
    try:
        return s.recv(4096) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    finally:
        s.settimeout(5.0)
