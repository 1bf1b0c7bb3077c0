"""mpm_netware: its directive table and clamps (AH00228-AH00234), its build, and a real
server: idle threads kept between MinSpareThreads and MaxSpareThreads (one retired a
second), and the console's APACHE2 commands on a terminal."""
from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time

import pytest

from tests.e2e.mpm import config_body, scratch_root, wait_for
from tests.e2e.servers import ROOT, free_port, write_config
from tests.mpms.portable import check, httpd

MPM = "netware"


@pytest.mark.parametrize("body, expected", [
    ("MaxThreads 3000", "AH00228: WARNING: MaxThreads of 3000 exceeds compile-time limit of 2048 "
                        "threads, decreasing to 2048. To increase, please see the "
                        "HARD_THREAD_LIMIT define in server/mpm/netware/mpm_default.h."),
    ("MaxThreads 0", "AH00230: WARNING: MaxThreads of 0 not allowed, increasing to 1."),
    ("StartThreads -1", "AH00231: WARNING: StartThreads of -1 not allowed, increasing to 1."),
    ("MinSpareThreads 0", "AH00233: WARNING: MinSpareThreads of 0 not allowed, increasing to 1 "
                          "to avoid almost certain server failure. Please read the "
                          "documentation."),
])
def test_check_config_warns_as_apache(tmp_path, body, expected):
    assert check(MPM, tmp_path, body) == (0, expected + "\nSyntax OK\n")


@pytest.mark.parametrize("other", ["StartServers 2", "ThreadsPerChild 4", "MaxRequestWorkers 4",
                                   "MaxClients 4", "ServerLimit 1", "MaxRequestsPerThread 3",
                                   "GracefulShutdownTimeout 1"])
def test_other_mpms_directives_are_invalid_commands(tmp_path, other):
    rc, out = check(MPM, tmp_path, other)
    assert rc == 1 and f"Invalid command '{other.split()[0]}', perhaps misspelled" in out


def test_build(tmp_path):
    out = httpd(MPM, tmp_path, "", "-V")[1]
    assert "Server MPM:     NetWare\n" in out
    assert "  threaded:     yes (variable thread count)\n    forked:     no\n" in out


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_idle_threads_between_min_and_max_spare(start):
    srv = start(MPM, "StartThreads 8\nMinSpareThreads 2\nMaxSpareThreads 4\nMaxThreads 10\n")
    assert srv.children() == []
    assert wait_for(lambda: _threads(srv.pid) >= 8, 3)
    peak = _threads(srv.pid)
    t0 = time.monotonic()
    # four too many: marked I one a second, each leaves before its next connection
    assert wait_for(lambda: _threads(srv.pid) <= peak - 4, 8)
    assert time.monotonic() - t0 >= 2.5
    assert srv.get() == (200, b"hello\n")


def _read_until(fd: int, needle: bytes, seconds: float) -> bytes:
    out = b""
    deadline = time.monotonic() + seconds
    while needle not in out and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out


def test_console_commands_on_a_terminal():
    root = scratch_root()
    master, slave = pty.openpty()
    proc = None
    try:
        port = free_port()
        write_config(root, config_body(root, "StartThreads 2\n"), port, mpm=MPM,
                     modules=("authz_core", "mime", "dir"))
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-m", "httpd", "-DFOREGROUND", "-d", str(root),
                                 "-f", str(root / "httpd.conf")], env=env, stdin=slave,
                                stdout=slave, stderr=subprocess.DEVNULL)
        out = _read_until(master, b"Listening on port(s): %d" % port, 15)
        assert b"Listening on port(s): %d" % port in out
        os.write(master, b"VERSION\n")
        out = _read_until(master, b"Server built:", 5)
        assert b"Server version: " in out and b"Server built:   " in out
        os.write(master, b"APACHE2 HELP\n")
        out = _read_until(master, b"VERSION    - Display", 5)
        assert b"Usage: APACHE2 [command] [-p <instance ID>]" in out
        os.write(master, b"FOO\n")
        assert b"Unknown APACHE2 command FOO" in _read_until(master, b"VERSION    -", 5)
        os.write(master, b"MODULES\n")
        assert b"Compiled in modules:" in _read_until(master, b"mod_unixd.c", 5)
        os.write(master, b"SETTINGS\n")
        assert b"Total Running:" in _read_until(master, b"Requests per interval:", 5)
        os.write(master, b"SETTINGS\n")       # off again
        os.write(master, b"RESTART\n")
        assert b"Restart Requested..." in _read_until(master, b"Restart Requested...", 5)
        log = root / "logs" / "error_log"
        assert wait_for(lambda: "AH00227: Graceful restart requested, doing restart"
                        in log.read_text(), 10)
        assert wait_for(lambda: log.read_text().count("AH00224: ") == 2, 10)
        os.write(master, b"SHUTDOWN\n")
        assert b"Shutdown Requested..." in _read_until(master, b"Shutdown Requested...", 5)
        assert proc.wait(20) == 0
        assert "AH00226: caught SIGTERM, shutting down" in log.read_text()
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(master)
        os.close(slave)
        shutil.rmtree(root, ignore_errors=True)
