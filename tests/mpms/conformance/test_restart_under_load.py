"""`httpd -k restart` (SIGHUP) under load: only the requests in flight may be lost.

The listening sockets stay open in the parent across the restart, so a connection made
during it waits in the backlog for the new generation: never refused, never reset
before its request was read.  Each client thread has at most one request in flight
when the old children are killed, so at most that many requests fail."""
from __future__ import annotations

import signal
import threading
import time

from tests.e2e.mpm import alive, wait_for

CLIENTS = 4


def _client(server, stop: threading.Event, results: list) -> None:
    deadline = time.monotonic() + 20
    while not stop.is_set() and time.monotonic() < deadline:
        t = time.monotonic()
        try:
            status, body = server.get(timeout=5)
            results.append((t, status if body == b"hello\n" else f"truncated {status}"))
        except OSError as e:
            results.append((t, repr(e)))


def test_hard_restart_under_load_aborts_only_requests_in_flight(server):
    old = set(server.children())
    stop = threading.Event()
    results: list[list] = [[] for _ in range(CLIENTS)]
    threads = [threading.Thread(target=_client, args=(server, stop, results[i]))
               for i in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        server.signal(signal.SIGHUP)
        assert wait_for(lambda: server.says["restart"] in server.error_log, 5)
        assert wait_for(lambda: not any(alive(p) for p in old), 5)
        assert wait_for(lambda: len(set(server.children()) - old) >= server.min_children, 5)
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(25)
    flat = [r for per in results for _, r in per]
    failed = [r for r in flat if r != 200]
    assert len(flat) > 40
    # at most one request per client was in flight when the old children went away
    assert len(failed) <= CLIENTS, failed
    assert not any("ConnectionRefused" in str(r) for r in failed), failed
    for per in results:                    # every client is served again afterwards
        assert per and per[-1][1] == 200, per[-3:]
    assert server.proc.poll() is None
