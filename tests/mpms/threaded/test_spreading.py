"""Connections spread over the processes (ThreadedChild.fair_to_accept): the threads
of one Python process share an interpreter lock, so a burst of connections taken by
one process would leave the other cores idle."""
from __future__ import annotations

import os
import time

import pytest

from tests.mpms.clients import HEAD, connect, response

TWO = ("StartServers 2\nServerLimit 2\nThreadsPerChild 10\nMinSpareThreads 1\n"
       "MaxSpareThreads 20\nMaxRequestWorkers 20\n")


def sockets_of(pid: int) -> int:
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n


@pytest.mark.parametrize("mpm", ["worker", "event"])
def test_keep_alive_connections_spread_over_the_processes(start, mpm):
    server = start(mpm, TWO)
    deadline = time.monotonic() + 10
    while len(server.children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    kids = server.children()
    assert len(kids) == 2
    time.sleep(0.3)                # the start-up probe's connection is gone by now
    before = {pid: sockets_of(pid) for pid in kids}
    burst = [connect(server) for _ in range(8)]     # all in the backlog at once
    for s in burst:
        s.sendall(HEAD + b"\r\n")
    for s in burst:                # answered once, then held open (keep-alive)
        assert response(s).startswith(b"HTTP/1.1 200 ")
    held = {pid: sockets_of(pid) - before[pid] for pid in kids}
    assert min(held.values()) >= 2, held     # 4 and 4 when nothing else runs
