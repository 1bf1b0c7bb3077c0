"""Serving through a real multi-process server: requests, keep-alive, pipelining, stop,
children as User/Group."""
from __future__ import annotations

import os
import re
import signal
import socket

import pytest

from tests.e2e.mpm import AS_ROOT, owner_of, read_all, try_owner_of, wait_for


def test_serves_from_children_not_the_parent(server):
    assert server.get() == (200, b"hello\n")
    kids = server.children()
    assert len(kids) >= server.min_children
    assert wait_for(lambda: os.path.exists(server.root / "logs" / "httpd.pid"), 5)
    assert (server.root / "logs" / "httpd.pid").read_text().strip() == str(server.pid)
    log = server.error_log
    assert server.says["started"] in log and "configured -- resuming normal operations" in log
    assert f"AH00094: Command line: 'httpd -DFOREGROUND -d {server.root}" in log


def test_keep_alive_serves_several_requests_on_one_connection(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        for _ in range(3):
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while not data.endswith(b"hello\n"):
                chunk = s.recv(4096)
                assert chunk, "connection closed between keep-alive requests"
                data += chunk
            assert data.startswith(b"HTTP/1.1 200 ")


def test_pipelined_requests_are_answered_in_order(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
                  b"GET /nothere HTTP/1.1\r\nHost: localhost\r\n\r\n"
                  b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = read_all(s, 5)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
    assert statuses == [b"200", b"404", b"200"]


def test_stop_ends_children_and_removes_the_pid_file(server):
    kids = server.children()
    server.signal(signal.SIGTERM)
    assert server.proc.wait(10) == 0
    assert all(wait_for(lambda p=p: not os.path.exists(f"/proc/{p}/stat")
                        or open(f"/proc/{p}/stat").read().split(") ")[1][0] == "Z", 5)
               for p in kids)
    assert not (server.root / "logs" / "httpd.pid").exists()
    log = server.error_log
    assert server.says["stop"] in log
    assert f"AH00096: removed PID file {server.root}/logs/httpd.pid (pid={server.pid})" in log


def test_graceful_stop_waits_for_the_request_in_flight(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n")    # the head is not done
    assert wait_for(lambda: len(server.children()) >= server.min_children, 3)
    # accepted by a child: one still in the listen backlog is reset when it closes
    assert wait_for(lambda: try_owner_of(server, s) is not None, 3)
    server.signal(signal.SIGWINCH)
    assert wait_for(lambda: server.says["graceful_stop"] in server.error_log, 5)
    s.sendall(b"Connection: close\r\n\r\n")
    data = read_all(s, 5)
    s.close()
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"hello\n")
    assert server.proc.wait(10) == 0


@pytest.mark.skipif(not AS_ROOT, reason="User/Group switch needs root")
def test_children_run_as_user_and_group_the_parent_stays_root(server):
    assert server.get()[0] == 200

    def ids(pid):
        with open(f"/proc/{pid}/status") as f:
            lines = dict(line.split(":", 1) for line in f if ":" in line)
        return int(lines["Uid"].split()[0]), int(lines["Gid"].split()[0])

    assert ids(server.pid) == (0, 0)

    def all_user() -> bool:      # a child forked this instant is root until it drops
        try:
            return all(ids(kid) == (65534, 65534) for kid in server.children())
        except OSError:         # one just left
            return False
    assert wait_for(all_user, 3)
    # the process that serves a connection (the child, or its child under mpm-itk)
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 200 ")
    assert ids(owner_of(server, s)) == (65534, 65534)
    s.close()


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_several_listeners_with_serialized_accept(server_factory):
    from tests.e2e.servers import free_port
    p2 = free_port()
    extra = f"Listen 127.0.0.1:{p2}\n"
    p3 = None
    if _ipv6_loopback():
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
            p3 = s.getsockname()[1]
        extra += f"Listen [::1]:{p3}\n"
    server = server_factory("StartServers 3\nMinSpareServers 2\nMaxSpareServers 4\n" + extra)
    targets = [("127.0.0.1", server.port), ("127.0.0.1", p2)] + ([("::1", p3)] if p3 else [])
    for _ in range(3):
        for host, port in targets:
            with socket.create_connection((host, port), timeout=5) as s:
                s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
                data = read_all(s, 5)
            assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"hello\n"), (host, port)
    server.signal(signal.SIGUSR1)          # the sockets survive a graceful restart
    assert wait_for(lambda: server.error_log.count("resuming normal operations") == 2, 5)
    for host, port in targets:
        with socket.create_connection((host, port), timeout=5) as s:
            s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
            assert read_all(s, 5).endswith(b"hello\n")


def test_graceful_shutdown_timeout_bounds_a_graceful_stop(server_factory):
    server = server_factory("StartServers 2\nMinSpareServers 1\nMaxSpareServers 3\n"
                            "GracefulShutdownTimeout 1\nTimeout 30\n")
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n")   # never finished
    assert wait_for(lambda: len(server.children()) >= server.min_children, 3)
    server.signal(signal.SIGWINCH)
    assert server.proc.wait(8) == 0
    assert read_all(s, 3) == b""            # the straggler was terminated
    s.close()
