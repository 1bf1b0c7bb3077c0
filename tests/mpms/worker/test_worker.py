"""worker (and what event shares with it): threads as the unit of capacity."""
from __future__ import annotations

import os
import signal
import time

import pytest

from tests.e2e.mpm import wait_for

from tests.mpms.clients import answered_within, hold, keepalive, response

ONE_PROCESS = ("StartServers 1\nServerLimit 1\nThreadsPerChild 2\nMaxRequestWorkers 2\n"
               "MinSpareThreads 1\nMaxSpareThreads 3\n")


def test_connections_beyond_the_threads_wait_in_the_backlog(start):
    server = start("worker", ONE_PROCESS)
    busy = [hold(server), hold(server)]          # both threads of the only process
    time.sleep(0.3)
    waiting = hold(server)
    waiting.sendall(b"\r\n")                     # a complete request, but no thread
    assert not answered_within(waiting, 1.0)
    busy[0].sendall(b"Connection: close\r\n\r\n")
    assert response(busy[0]).startswith(b"HTTP/1.1 200 ")
    # the freed thread takes the waiting connection from the backlog
    assert response(waiting, 5).startswith(b"HTTP/1.1 200 ")


def test_a_worker_thread_holds_its_keep_alive_connection(start):
    server = start("worker", ONE_PROCESS)
    idle = [keepalive(server), keepalive(server)]   # idle, but each owns a thread
    fresh = hold(server)
    fresh.sendall(b"\r\n")
    assert not answered_within(fresh, 1.0)
    idle[0].close()
    assert response(fresh, 5).startswith(b"HTTP/1.1 200 ")


def test_busy_threads_make_the_parent_fork_another_process(start):
    server = start("worker", "StartServers 1\nThreadsPerChild 2\nMinSpareThreads 2\n"
                             "MaxSpareThreads 5\nMaxRequestWorkers 8\n")
    assert wait_for(lambda: len(server.children()) == 1, 3)
    time.sleep(1.2)
    assert len(server.children()) == 1           # 2 idle threads: enough
    hold(server)                                 # 1 idle thread left < MinSpareThreads
    assert wait_for(lambda: len(server.children()) == 2, 3)


def test_the_status_page_has_a_slot_per_thread(start):
    server = start("worker", ONE_PROCESS.replace("ServerLimit 1", "ServerLimit 2")
                   .replace("MaxRequestWorkers 2", "MaxRequestWorkers 4")
                   + "<Location /server-status>\nSetHandler server-status\n</Location>\n",
                   modules=("status",))

    def auto() -> dict:
        status, body = server.get("/server-status?auto")
        assert status == 200
        return dict(line.split(": ", 1) for line in body.decode().splitlines() if ": " in line)

    # MaxRequestWorkers 4 / ThreadsPerChild 2: two processes of two thread slots; any
    # thread may answer (the startup probe's thread may still be closing: wait)
    seen: list = []

    def settled() -> bool:
        seen.append(auto())
        a = seen[-1]
        return (sorted(a["Scoreboard"]) == [".", ".", "W", "_"]
                and (a["BusyWorkers"], a["IdleWorkers"]) == ("1", "1"))

    assert wait_for(settled, 3), seen[-1]
    assert seen[-1]["ServerMPM"] == "worker"
    assert "ConnsTotal" not in seen[-1]           # the async table is event's


def test_graceful_restart_lets_every_busy_thread_finish(start):
    # ServerLimit 2: the finishing process keeps its slot, the new one takes the other
    server = start("worker", ONE_PROCESS.replace("ServerLimit 1", "ServerLimit 2"))
    a, b = hold(server), hold(server)
    time.sleep(0.3)
    old = set(server.children())
    server.signal(signal.SIGUSR1)
    assert wait_for(lambda: set(server.children()) - old, 5)   # a new process serves
    assert server.get() == (200, b"hello\n")
    for s in (a, b):
        s.sendall(b"Connection: close\r\n\r\n")
        assert response(s).startswith(b"HTTP/1.1 200 ")
    assert wait_for(lambda: not (set(server.children()) & old), 5)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="two listener buckets need 2 cores")
@pytest.mark.parametrize("mpm", ["worker", "event"])
def test_every_listener_bucket_is_served(start, mpm):
    # ListenCoresBucketsRatio 1 on 2+ cores: SO_REUSEPORT buckets, slot i in bucket i % n;
    # the kernel spreads connections over the buckets, so each must have a child
    server = start(mpm, "StartServers 1\nThreadsPerChild 2\nMinSpareThreads 2\n"
                        "MaxSpareThreads 8\nMaxRequestWorkers 8\nListenCoresBucketsRatio 1\n")
    assert wait_for(lambda: len(server.children()) >= 2, 3)
    for _ in range(20):
        assert server.get(timeout=3) == (200, b"hello\n")
    assert "AH02819: Using 2 listeners bucket(s)" in server.error_log or \
        (os.cpu_count() or 1) > 2
