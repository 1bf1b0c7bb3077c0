"""mpm_winnt: its directive table and clamps (AH00439-AH00447), its build and -k, and a
real server: one control process, exactly one child of ThreadsPerChild threads, the
restart event, MaxConnectionsPerChild, a broken config at a restart, AcceptFilter and
Timeout at the child's exit."""
from __future__ import annotations

import json
import os
import signal
import socket

import pytest

from tests.e2e.mpm import read_all, wait_for
from tests.mpms.portable import build_env, check, configure, httpd

MPM = "winnt"


@pytest.mark.parametrize("body, expected", [
    ("ThreadLimit 20000", "AH00439: WARNING: ThreadLimit of 20000 exceeds compile-time limit of "
                          "15000 threads, decreasing to 15000."),
    ("ThreadLimit 0", "AH00441: WARNING: ThreadLimit of 0 not allowed, increasing to 1.\n"
                      "AH00444: WARNING: ThreadsPerChild of 64 exceeds ThreadLimit of 1 "
                      "threads, decreasing to 1. To increase, please see the ThreadLimit "
                      "directive."),
    ("ThreadsPerChild 0", "AH00446: WARNING: ThreadsPerChild of 0 not allowed, increasing to 1."),
    ("ThreadsPerChild 2000", "AH00444: WARNING: ThreadsPerChild of 2000 exceeds ThreadLimit of "
                             "1920 threads, decreasing to 1920. To increase, please see the "
                             "ThreadLimit directive."),
])
def test_check_config_warns_as_apache(tmp_path, body, expected):
    assert check(MPM, tmp_path, body) == (0, expected + "\nSyntax OK\n")


@pytest.mark.parametrize("other", ["StartServers 2", "MaxRequestWorkers 4", "MinSpareThreads 2",
                                   "ServerLimit 1", "GracefulShutdownTimeout 3",
                                   "MaxThreads 5"])
def test_other_mpms_directives_are_invalid_commands(tmp_path, other):
    rc, out = check(MPM, tmp_path, other)
    assert rc == 1 and f"Invalid command '{other.split()[0]}', perhaps misspelled" in out


def test_build(tmp_path):
    assert "  mpm_winnt.c\n" in httpd(MPM, tmp_path, "", "-l")[1]
    out = httpd(MPM, tmp_path, "", "-V")[1]
    assert "Server MPM:     WinNT\n" in out
    assert "  threaded:     yes (fixed thread count)\n    forked:     no\n" in out
    rc, out, _ = configure("--with-mpm=winnt", "--enable-mpms-shared=winnt", where=tmp_path)
    assert rc == 1 and "MPM winnt does not support dynamic loading." in out
    rc, out, data = configure("--host=x86_64-w64-mingw32", where=tmp_path)
    assert rc == 0 and json.loads(data)["static_mpm"] == "winnt"
    rc, out, data = configure("--with-mpm=mpm_winnt", where=tmp_path)
    assert rc == 0 and json.loads(data)["static_mpm"] == "winnt"


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_one_child_of_threads_per_child_threads(start):
    srv = start(MPM, "ThreadsPerChild 7\n")
    assert srv.children() and len(srv.children()) == 1
    kid = srv.children()[0]
    # main thread + 7 workers + one accept thread per listener
    assert wait_for(lambda: _threads(kid) == 1 + 7 + 1, 3)
    assert srv.get() == (200, b"hello\n")
    assert "AH00354: Child: Starting 7 worker threads." in srv.error_log


def test_graceful_is_no_command_of_this_mpm(start, tmp_path):
    srv = start(MPM, "ThreadsPerChild 2\n")
    env = build_env(MPM, tmp_path)
    import subprocess
    import sys
    for word in ("graceful", "graceful-stop"):
        p = subprocess.run([sys.executable, "-m", "httpd", "-k", word, "-d", str(srv.root),
                            "-f", str(srv.conf)], env=env, capture_output=True, text=True,
                           timeout=60)
        # the word is not one of winnt's -k commands: httpd runs, and cannot bind
        assert p.returncode == 1, p.stdout + p.stderr
        assert "could not bind to address" in p.stdout + p.stderr
    assert srv.proc.poll() is None and srv.get() == (200, b"hello\n")
    assert "AH00424" not in srv.error_log


def test_max_connections_per_child_restarts_through_the_parent(start):
    srv = start(MPM, "ThreadsPerChild 2\nMaxConnectionsPerChild 3\n")
    first = srv.children()
    for _ in range(3):
        assert srv.get() == (200, b"hello\n")
    assert wait_for(lambda: srv.children() and srv.children() != first, 5)
    log = srv.error_log
    assert "AH00358: Child: Process exiting because it reached MaxConnectionsPerChild. " \
           "Signaling the parent to restart a new child process." in log
    assert "AH00424: Parent: Received restart signal -- Restarting the server." in log
    assert srv.get() == (200, b"hello\n")


def test_a_config_broken_at_a_restart_stops_the_server(start):
    srv = start(MPM, "ThreadsPerChild 2\n")
    srv.conf.write_text(srv.conf.read_text() + "NoSuchDirective here\n")
    srv.signal(signal.SIGHUP)
    assert srv.proc.wait(40) == 1
    assert "Invalid command 'NoSuchDirective'" in srv.error_log


def test_a_child_that_cannot_start_aborts_and_one_that_dies_restarts(start):
    srv = start(MPM, "ThreadsPerChild 2\n")
    kid = srv.children()[0]
    os.kill(kid, signal.SIGKILL)
    assert wait_for(lambda: f"AH00428: Parent: child process {kid} exited with status 9 -- "
                            "Restarting." in srv.error_log, 5)
    assert wait_for(lambda: srv.children() and kid not in srv.children(), 5)
    assert srv.get() == (200, b"hello\n")


def test_accept_filters(start):
    srv = start(MPM, "ThreadsPerChild 2\nLogLevel debug\nAcceptFilter http none\n")
    assert srv.get() == (200, b"hello\n")
    assert wait_for(lambda: "using AcceptFilter none" in srv.error_log, 3)
    srv2 = start(MPM, "ThreadsPerChild 2\nLogLevel info\n")         # the default: data
    assert srv2.get() == (200, b"hello\n")
    assert "AH03458: winnt_accept: 'data' accept filter is no longer supported. Using " \
           "'connect' instead" in srv2.error_log


def test_a_busy_request_gets_timeout_seconds_at_the_childs_exit(start):
    srv = start(MPM, "ThreadsPerChild 2\nTimeout 1\n")
    kid = srv.children()[0]
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n")      # never finished
    srv.signal(signal.SIGHUP)
    assert wait_for(lambda: kid not in srv.children(), 5)
    data = read_all(s, 5)      # the old child ends it within Timeout (or times it out)
    assert data == b"" or data.startswith(b"HTTP/1.1 408 ")
    s.close()
    assert srv.get() == (200, b"hello\n")
