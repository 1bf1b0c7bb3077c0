"""Restarts, crashes, recycling and spare children of a real multi-process server."""
from __future__ import annotations

import os
import signal
import socket
import threading
import time

from tests.e2e.mpm import (FIXED_PROCESS_COUNT, OTHER_MPM, alive, owner_of, read_all,
                           try_owner_of, wait_for)


def _load(server, stop: threading.Event, results: list) -> None:
    """Light load: one request at a time, each on a new connection, until told to stop."""
    deadline = time.monotonic() + 20
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            results.append(server.get()[0])
        except OSError as e:
            results.append(repr(e))
        time.sleep(0.01)


def test_graceful_restart_under_light_load_loses_no_request(server):
    old = set(server.children())
    stop, results = threading.Event(), []
    t = threading.Thread(target=_load, args=(server, stop, results))
    t.start()
    try:
        time.sleep(0.5)
        server.signal(signal.SIGUSR1)
        assert wait_for(lambda: not (set(server.children()) & old), 5)
        time.sleep(0.5)
    finally:
        stop.set()
        t.join(25)
    assert len(results) > 10
    assert set(results) == {200}, [r for r in results if r != 200][:5]
    assert server.pid == server.proc.pid and server.proc.poll() is None
    log = server.error_log
    assert server.says["graceful"] in log
    assert log.count("configured -- resuming normal operations") == 2
    assert wait_for(lambda: len(server.children()) >= server.min_children, 3)


def test_graceful_restart_lets_a_busy_child_finish_its_connection(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n")
    time.sleep(0.3)
    server.signal(signal.SIGUSR1)
    time.sleep(0.5)
    s.sendall(b"Connection: close\r\n\r\n")
    data = read_all(s, 5)
    s.close()
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"hello\n")


def test_hard_restart_replaces_every_child(server):
    old = set(server.children())
    server.signal(signal.SIGHUP)
    assert wait_for(lambda: server.says["restart"] in server.error_log, 5)
    assert wait_for(lambda: len(set(server.children()) - old) >= server.min_children, 5)
    # (winnt's parent does not wait for the old child, which leaves on its own)
    assert wait_for(lambda: not any(alive(p) for p in old), 3)
    assert server.get() == (200, b"hello\n")
    assert server.proc.poll() is None


def test_broken_config_on_restart_keeps_the_old_generation_serving(server):
    good = server.conf.read_text()
    server.conf.write_text(good + "NoSuchDirective here\n")
    server.signal(signal.SIGUSR1)
    assert wait_for(lambda: "NoSuchDirective" in server.error_log, 5)
    assert server.proc.poll() is None
    assert server.get() == (200, b"hello\n")
    server.conf.write_text(good)
    server.signal(signal.SIGUSR1)
    assert wait_for(lambda: server.error_log.count("resuming normal operations") == 2, 5)
    assert server.get() == (200, b"hello\n")


def test_changing_the_mpm_on_restart_stops_the_server(server_factory):
    server = server_factory("StartServers 2\n")      # valid for both MPMs
    other = OTHER_MPM[server.mpm]
    text = server.conf.read_text().replace(f"mod_mpm_{server.mpm}.so", f"mod_mpm_{other}.so") \
        .replace(f"mpm_{server.mpm}_module", f"mpm_{other}_module")
    server.conf.write_text(text)
    server.signal(signal.SIGHUP)
    assert server.proc.wait(15) == 1
    assert "AH00534: httpd: Configuration error: The MPM cannot be changed during restart." \
        in server.error_log


def test_a_child_killed_mid_request_loses_only_its_connection(server):
    victim_conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    victim_conn.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n")
    assert wait_for(lambda: try_owner_of(server, victim_conn) is not None, 3)
    victim = owner_of(server, victim_conn)
    # Under worker and event a process holds several connections, and they die with it:
    # the survivor must be one that another child holds.
    other, same = None, []
    for _ in range(server.in_a_row + 1):
        c = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        c.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n")
        assert wait_for(lambda c=c: try_owner_of(server, c) is not None, 3)
        if owner_of(server, c) != victim:
            other = c
            break
        same.append(c)
    assert other is not None
    os.kill(victim, signal.SIGKILL)
    other.sendall(b"Connection: close\r\n\r\n")
    assert read_all(other, 5).startswith(b"HTTP/1.1 200 ")
    other.close()
    for c in [victim_conn] + same:
        assert read_all(c, 3) == b""        # the killed child's clients see the end
        c.close()
    # the parent notices and the spare count is back within 2 s
    assert wait_for(lambda: not alive(victim) and len(server.children()) >= server.min_children, 2.5)
    assert server.get() == (200, b"hello\n")
    # the parent logs it (stricter than Apache, which is silent about SIGKILL)
    killed = server.says.get("killed", "AH00052: child pid {pid} exit signal Killed (9)")
    assert wait_for(lambda: killed.format(pid=victim) in server.error_log, 2)


def test_a_crashing_child_is_logged_as_apache_does(server):
    kid = server.children()[0]
    os.kill(kid, signal.SIGSEGV)
    assert wait_for(lambda: f"AH00052: child pid {kid} exit signal Segmentation fault (11)"
                    in server.error_log, 3)


def test_max_connections_per_child_recycles_children(server_factory):
    server = server_factory("StartServers 1\nMinSpareServers 1\nMaxSpareServers 2\n"
                            "MaxRequestWorkers 4\nMaxConnectionsPerChild 2\n")
    first = set(server.children())
    for _ in range(8):
        assert server.get() == (200, b"hello\n")
    assert wait_for(lambda: not (first & set(server.children())), 3)
    assert wait_for(lambda: 1 <= len(server.children()) <= 4, 3)


def test_idle_children_rise_to_min_spare_servers(server_factory):
    server = server_factory("StartServers 1\nMinSpareServers 4\nMaxSpareServers 6\n"
                            "MaxRequestWorkers 10\n")
    # the ramp: +1, +2 ... per second
    assert wait_for(lambda: len(server.children()) >= 4, 5)
    time.sleep(1.5)
    assert 4 <= len(server.children()) <= 6


def test_idle_children_above_max_spare_are_retired_one_per_second(server_factory):
    server = server_factory("StartServers 6\nMinSpareServers 1\nMaxSpareServers 3\n"
                            "MaxRequestWorkers 10\n")
    assert wait_for(lambda: len(server.children()) == 6, 3)
    if server.mpm in FIXED_PROCESS_COUNT:      # NumServers 6: idle children stay
        time.sleep(2.5)
        assert len(server.children()) == 6
        return
    t0 = time.monotonic()
    assert wait_for(lambda: len(server.children()) <= 3, 8)
    assert time.monotonic() - t0 >= 1.5          # one per second, never all at once
    time.sleep(1.5)
    assert len(server.children()) == 3


def test_max_request_workers_reached_is_logged_once(server_factory):
    server = server_factory("StartServers 1\nMinSpareServers 10\nMaxSpareServers 12\n"
                            "MaxRequestWorkers 3\nServerLimit 3\n")
    said = server.says["max_workers"]
    if said is None:          # a fixed count: NumServers lowered to ServerLimit at start
        assert wait_for(lambda: len(server.children()) == 3, 6)
        time.sleep(1.2)
        assert len(server.children()) == 3
        return
    assert wait_for(lambda: said in server.error_log, 6)
    assert len(server.children()) == 3
    time.sleep(1.2)
    assert server.error_log.count(said.split(":")[0]) == 1
