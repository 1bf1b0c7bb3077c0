"""beos (Apache 2.0): its directive table and the warnings beos.c prints while reading
them, its build, and a real server: one process whose threads fill every slot up to
MaxClients, MaxRequestsPerThread, and the "die!" datagrams of a restart."""
from __future__ import annotations

import os
import signal
import socket

import pytest

from tests.e2e.mpm import wait_for
from tests.mpms.portable import check, httpd

MPM = "beos"


@pytest.mark.parametrize("body, expected", [
    ("MinSpareThreads 0", "WARNING: detected MinSpareThreads set to non-positive.\n"
                          "Resetting to 1 to avoid almost certain Apache failure.\n"
                          "Please read the documentation.\n"),
    ("StartThreads -2", "StartThreads set to a value less than 0, reset to 1\n"),
    ("MaxClients 60", "WARNING: MaxClients of 60 exceeds compile time limit of 50 servers,\n"
                      " lowering MaxClients to 50.  To increase, please see the\n"
                      " HARD_THREAD_LIMIT define in server/mpm/beos/mpm_default.h.\n"),
    ("MaxClients 0", "WARNING: Require MaxClients > 0, setting to 50\n"),
    ("User nobody\nGroup nogroup\nMaxRequestsPerThread 5\nMaxSpareThreads 3", ""),
])
def test_directives_warn_as_beos_c(tmp_path, body, expected):
    assert check(MPM, tmp_path, body) == (0, expected + "Syntax OK\n")


@pytest.mark.parametrize("other", ["StartServers 2", "ThreadsPerChild 4", "MaxRequestWorkers 4",
                                   "ServerLimit 1", "MaxThreads 5", "ListenCoresBucketsRatio 2",
                                   "GracefulShutdownTimeout 1"])
def test_other_mpms_directives_are_invalid_commands(tmp_path, other):
    rc, out = check(MPM, tmp_path, other)
    assert rc == 1 and f"Invalid command '{other.split()[0]}', perhaps misspelled" in out


def test_listen_takes_no_protocol_in_2_0(tmp_path):
    rc, out = check(MPM, tmp_path, "Listen 127.0.0.1:8123 https")
    assert rc == 1 and "Listen takes one argument" in out


def test_build(tmp_path):
    out = httpd(MPM, tmp_path, "", "-V")[1]
    assert "Server MPM:     beos\n" in out
    assert "  threaded:     yes (variable thread count)\n    forked:     no\n" in out


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_one_process_fills_max_clients_threads(start):
    srv = start(MPM, "StartThreads 1\nMaxClients 8\n")
    assert srv.children() == []
    base = _threads(srv.pid)
    assert base < 1 + 8
    # 1 + 2 + 4 ... a second: the eight slots are full within a few ticks
    assert wait_for(lambda: _threads(srv.pid) >= base - 1 + 8, 6)
    assert srv.get() == (200, b"hello\n")


def test_max_requests_per_thread_refills_the_slot(start):
    srv = start(MPM, "StartThreads 1\nMaxClients 1\nMaxRequestsPerThread 2\nLogLevel info\n")
    for _ in range(3):
        assert srv.get() == (200, b"hello\n")
    assert wait_for(lambda: "spawning a new worker thread in slot 0" in srv.error_log, 3)
    assert "worker_thread " in srv.error_log and " exiting" in srv.error_log


def test_restart_tells_threads_to_die_over_the_control_socket(start):
    srv = start(MPM, "StartThreads 3\nMaxClients 3\n")
    held = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    held.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n")
    srv.signal(signal.SIGUSR1)
    assert wait_for(lambda: "SIGUSR1 received.  Doing graceful restart" in srv.error_log, 5)
    held.sendall(b"Connection: close\r\n\r\n")
    assert held.recv(100).startswith(b"HTTP/1.1 200 ")     # its thread finished first
    held.close()
    assert wait_for(lambda: srv.error_log.count("resuming normal operations") == 2, 10)
    assert srv.error_log.count("worker_thread ") >= 3
    assert srv.get() == (200, b"hello\n")
