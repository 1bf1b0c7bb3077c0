"""httpd -k start|stop|restart|graceful|graceful-stop: Apache's texts and exit codes
(apache-config-cli.md 11.13), on a real detached prefork server."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from httpd.main.control import PidFileError, read_pid
from tests.e2e.servers import ROOT, free_port, write_config
from tests.e2e.mpm import (alive, children_of, config_body, scratch_root,
                                            wait_for)


def test_read_pid(tmp_path):
    p = tmp_path / "httpd.pid"
    assert read_pid(str(p)) is None
    p.write_text("1234\n")
    assert read_pid(str(p)) == 1234
    p.write_text("garbage\n")
    with pytest.raises(PidFileError):
        read_pid(str(p))


class Daemon:
    def __init__(self):
        self.root = scratch_root()
        self.port = free_port()
        write_config(self.root, config_body(self.root, "StartServers 1\nMinSpareServers 1\n"
                                            "MaxSpareServers 2\n"), self.port,
                     modules=("authz_core", "mime", "dir"))
        self.pidfile = self.root / "logs" / "httpd.pid"
        self.started: set[int] = set()

    def k(self, *args) -> subprocess.CompletedProcess:
        res = subprocess.run([sys.executable, "-m", "httpd", "-d", str(self.root), "-f",
                              str(self.root / "httpd.conf"), *args],
                             env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
                             text=True, timeout=30)
        pid = self.pid()
        if pid:
            self.started.add(pid)
        return res

    def pid(self):
        try:
            return int(self.pidfile.read_text())
        except (OSError, ValueError):
            return None

    def cleanup(self):
        for pid in self.started:
            kids = children_of(pid)
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
            for kid in kids:
                if alive(kid):
                    os.kill(kid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def daemon():
    d = Daemon()
    yield d
    d.cleanup()


def test_start_detaches_and_a_second_start_says_already_running(daemon):
    res = daemon.k("-k", "start")
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")
    assert wait_for(lambda: daemon.pid() is not None, 5)
    pid = daemon.pid()
    daemon.started.add(pid)
    assert wait_for(lambda: len(children_of(pid)) >= 1, 5)
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read().rsplit(")", 1)[1].split()
    assert int(stat[3]) != os.getsid(0)         # a session of its own (setsid), no terminal
    res = daemon.k()                                          # plain start
    assert (res.returncode, res.stdout) == (0, f"httpd (pid {pid}) already running\n")
    res = daemon.k("-k", "graceful")
    assert (res.returncode, res.stdout) == (0, "")
    assert wait_for(lambda: "AH00171: Graceful restart requested" in
                    (daemon.root / "logs" / "error_log").read_text(), 5)
    res = daemon.k("-k", "stop")
    assert (res.returncode, res.stdout) == (0, "")
    assert wait_for(lambda: not alive(pid), 10)
    assert not daemon.pidfile.exists()
    res = daemon.k("-k", "stop")
    assert (res.returncode, res.stdout) == (0, "httpd (no pid file) not running\n")
    res = daemon.k("-k", "graceful-stop")
    assert (res.returncode, res.stdout) == (0, "httpd (no pid file) not running\n")


def test_stale_and_garbage_pid_files(daemon):
    daemon.pidfile.write_text("999999\n")
    res = daemon.k("-k", "stop")
    assert (res.returncode, res.stdout) == (0, "httpd (pid 999999?) not running\n")
    daemon.pidfile.write_text("garbage\n")
    res = daemon.k("-k", "stop")
    assert res.returncode == 1
    assert res.stderr == ("(20014)Internal error (specific information not available): "
                          f"AH00058: Error retrieving pid file {daemon.pidfile}\n"
                          "AH00059: Remove it before continuing if it is corrupted.\n")


def test_restart_when_not_running_starts(daemon):
    res = daemon.k("-k", "restart")
    assert (res.returncode, res.stdout) == (0, "httpd not running, trying to start\n")
    assert wait_for(lambda: daemon.pid() is not None, 5)
    pid = daemon.pid()
    daemon.started.add(pid)
    res = daemon.k("-k", "restart")
    assert (res.returncode, res.stdout) == (0, "")
    assert wait_for(lambda: "AH00173: SIGHUP received.  Attempting to restart" in
                    (daemon.root / "logs" / "error_log").read_text(), 5)
    res = daemon.k("-k", "graceful-stop")
    assert (res.returncode, res.stdout) == (0, "")
    assert wait_for(lambda: not alive(pid), 10)
    assert "AH00170: caught SIGWINCH, shutting down gracefully" in \
        (daemon.root / "logs" / "error_log").read_text()


def test_a_taken_port_fails_before_detaching(daemon):
    import socket
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", daemon.port))
        s.listen(1)
        res = daemon.k("-k", "start")
    assert res.returncode == 1
    assert res.stderr == (f"(98)Address already in use: AH00072: make_sock: could not bind "
                          f"to address 127.0.0.1:{daemon.port}\n"
                          "no listening sockets available, shutting down\n"
                          "AH00015: Unable to open logs\n")


def test_a_bad_config_fails_graceful_before_any_signal(daemon):
    res = daemon.k("-k", "start")
    assert res.returncode == 0
    assert wait_for(lambda: daemon.pid() is not None, 5)
    pid = daemon.pid()
    daemon.started.add(pid)
    conf = daemon.root / "httpd.conf"
    good = conf.read_text()
    conf.write_text(good + "NoSuchDirective\n")
    res = daemon.k("-k", "graceful")
    assert res.returncode == 1 and "Invalid command 'NoSuchDirective'" in res.stderr
    assert "AH00171" not in (daemon.root / "logs" / "error_log").read_text()
    conf.write_text(good)
    assert daemon.k("-k", "stop").returncode == 0
    assert wait_for(lambda: not alive(pid), 10)
