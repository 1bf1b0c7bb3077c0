"""mpmt_os2: its directive table and clamps (AH00213-AH00216), its build, and a real
server: exactly StartServers children, threads kept per child by the maintenance
thread between MinSpareThreads and MaxSpareThreads."""
from __future__ import annotations

import json
import os
import signal
import socket

import pytest

from tests.e2e.mpm import wait_for
from tests.mpms.portable import check, configure, httpd

MPM = "mpmt_os2"


@pytest.mark.parametrize("body, expected", [
    ("StartServers -1", "AH00213: WARNING: StartServers of -1 not allowed, increasing to 1.\n"),
    ("StartServers 0", ""),
    ("MinSpareThreads 0", "AH00215: WARNING: MinSpareThreads of 0 not allowed, increasing to 1 "
                          "to avoid almost certain server failure. Please read the "
                          "documentation.\n"),
    ("User nobody\nGroup nogroup\nScoreBoardFile /no/such/dir/sb\nMaxSpareThreads 3", ""),
])
def test_check_config_warns_as_apache(tmp_path, body, expected):
    assert check(MPM, tmp_path, body) == (0, expected + "Syntax OK\n")


@pytest.mark.parametrize("other", ["ThreadsPerChild 4", "MaxRequestWorkers 4",
                                   "MinSpareServers 2", "StartThreads 2", "ServerLimit 2",
                                   "GracefulShutdownTimeout 3"])
def test_other_mpms_directives_are_invalid_commands(tmp_path, other):
    rc, out = check(MPM, tmp_path, other)
    name = other.split()[0]
    assert rc == 1 and f"Invalid command '{name}', perhaps misspelled" in out


def test_build_lists_the_source_file_and_answers_threaded_not_forked(tmp_path):
    rc, out = httpd(MPM, tmp_path, "", "-l")
    assert rc == 0 and "  mpmt_os2.c\n" in out
    rc, out = httpd(MPM, tmp_path, "", "-V")
    assert "Server MPM:     mpmt_os2\n" in out
    assert "  threaded:     yes (variable thread count)\n" in out
    assert "    forked:     no\n" in out


def test_configure_builds_it_statically_only(tmp_path):
    rc, out, data = configure("--with-mpm=mpmt_os2", where=tmp_path)
    assert rc == 0 and json.loads(data)["static_mpm"] == "mpmt_os2"
    rc, out, _ = configure("--with-mpm=mpmt_os2", "--enable-mpms-shared", where=tmp_path)
    assert rc == 1 and "MPM mpmt_os2 does not support dynamic loading." in out
    rc, out, _ = configure("--enable-mpms-shared=prefork mpmt_os2", where=tmp_path)
    assert rc == 1 and "MPM mpmt_os2 does not support dynamic loading." in out
    rc, out, data = configure("--host=i386-pc-os2-emx", where=tmp_path)
    assert rc == 0 and json.loads(data)["default_mpm"] == "mpmt_os2"


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_exactly_start_servers_children_and_spare_threads_per_child(start):
    srv = start(MPM, "StartServers 3\nMinSpareThreads 3\nMaxSpareThreads 5\n")
    assert wait_for(lambda: len(srv.children()) == 3, 5)
    kids = srv.children()
    # main thread + maintenance thread + MinSpareThreads workers
    assert wait_for(lambda: all(_threads(k) == 2 + 3 for k in kids), 3)
    # load one child: its maintenance thread keeps 3 idle beside the busy ones
    held = []
    for _ in range(4):
        c = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        c.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n")
        held.append(c)
    assert wait_for(lambda: sum(_threads(k) for k in kids) >= 3 * 5 + 4, 3)
    for c in held:
        c.sendall(b"Connection: close\r\n\r\n")
        assert c.recv(100).startswith(b"HTTP/1.1 200 ")
        c.close()
    # idle above MaxSpareThreads: one retired per child every 0.5 s, down to 5
    assert wait_for(lambda: all(_threads(k) <= 2 + 5 for k in kids), 6)
    # a dead child is replaced at once; the count stays StartServers
    os.kill(kids[0], signal.SIGKILL)
    assert wait_for(lambda: kids[0] not in srv.children() and len(srv.children()) == 3, 3)
    assert srv.get() == (200, b"hello\n")


def test_sigwinch_is_not_a_graceful_stop(start):
    srv = start(MPM, "StartServers 1\n")
    srv.signal(signal.SIGWINCH)
    assert not wait_for(lambda: srv.proc.poll() is not None, 1.5)
    assert srv.get() == (200, b"hello\n")
