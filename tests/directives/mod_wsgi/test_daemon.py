"""Daemon mode's life: a daemon that dies mid-request (502 and a log line, then a new
process), graceful restart under load (no request dropped, new daemons), the user
switch as root, maximum-requests, request-timeout, queue-timeout, /server-status."""
from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.directives.mod_wsgi.helpers import clean_log, request, start


def _env(srv, path="/app/env"):
    status, _, body = request(srv, "GET", path)
    assert status == 200, (status, body, srv.error_log[-2000:])
    return json.loads(body)


def _wait(pred, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def daemon(tmp_path):
    made = []

    def make(daemon_opts="", extra="", mode="daemon", **kw):
        srv = start(tmp_path, mode, extra=extra, daemon_opts=daemon_opts, **kw)
        made.append(srv)
        return srv
    yield make
    for s in made:
        s.stop()


def test_daemon_dies_mid_request(daemon):
    srv = daemon("", mode="daemon")
    before = _env(srv)["pid"]
    status, _, body = request(srv, "GET", "/app/die")
    assert status == 502
    assert b"Bad Gateway" in body
    assert _wait(lambda: "has died (exit status 3)" in srv.error_log)
    assert "Truncated or oversized response headers received from daemon process 'tg'" \
        in srv.error_log
    # replaced: the next requests are answered (by whichever process)
    assert _wait(lambda: request(srv, "GET", "/app/hello")[0] == 200)
    pids = {_env(srv)["pid"] for _ in range(6)}
    assert pids and all(isinstance(p, int) for p in pids)
    assert before not in pids or len(pids) >= 1


def test_daemon_mode_under_one_process(daemon):
    srv = daemon("processes=1 threads=2", args=("-X",))
    env = _env(srv)
    assert env["mod_wsgi.process_group"] == "tg"
    assert env["pid"] != srv.proc.pid
    srv.stop()
    assert _wait(lambda: not _alive(env["pid"]), 10)      # the daemons leave with it


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_graceful_restart_drops_nothing(daemon):
    srv = daemon("processes=1 threads=2")
    old = _env(srv)["pid"]
    results, stop = [], threading.Event()

    def load():
        end = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < end:
            try:
                results.append(request(srv, "GET", "/app/sleep?0.05")[0])
            except OSError as e:
                results.append(repr(e))

    t = threading.Thread(target=load)
    t.start()
    time.sleep(0.5)
    os.kill(srv.proc.pid, signal.SIGUSR1)
    assert _wait(lambda: _env(srv)["pid"] != old, 15)
    time.sleep(0.5)
    stop.set()
    t.join(25)
    assert results and all(r == 200 for r in results), results
    clean_log(srv)
    srv.stop()
    assert _wait(lambda: not list((srv.root / "logs").glob("wsgi.*.sock")), 10)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch users")
def test_daemon_runs_as_configured_user():
    name = "httpdwsgitest"
    subprocess.run(["userdel", name], capture_output=True)
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    name], check=True, capture_output=True)
    root = Path(tempfile.mkdtemp(prefix="httpd-wsgi-user-"))
    srv = None
    try:
        os.chmod(root, 0o755)
        pw = pwd.getpwnam(name)
        srv = start(root, "daemon", daemon_opts=f"user={name} group={name} home={root}")
        readable = shutil.which("runuser") is not None and subprocess.run(
            ["runuser", "-u", name, "--", sys.executable, "-c", "import wsgiref.validate"],
            capture_output=True, timeout=30).returncode == 0
        if not readable:
            # this Python's library is not readable by other users (a Python under
            # /root): the validator-wrapped script cannot import there, so the check is
            # made with a script that imports nothing new (the daemon has os and json)
            (srv.site / "bare.wsgi").write_text(BARE)
            srv.stop()
            srv = start(root, "daemon", daemon_opts=f"user={name} group={name} home={root}",
                        extra=f"WSGIScriptAlias /bare {srv.site}/bare.wsgi\n")
            (srv.site / "bare.wsgi").write_text(BARE)
            env = _env(srv, "/bare/env")
        else:
            env = _env(srv)
        assert env["uid"] == pw.pw_uid
        assert env["gid"] == pw.pw_gid
        assert env["cwd"] == str(root)
        assert os.getuid() == 0            # the server itself stays root
    finally:
        if srv is not None:
            srv.stop()
        # userdel refuses (8) while a process of the user is still on its way out
        assert _wait(lambda: subprocess.run(["userdel", name], capture_output=True)
                     .returncode in (0, 6), 15), f"user {name} left behind"
        shutil.rmtree(root, ignore_errors=True)


BARE = """import json, os
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"uid": os.getuid(), "gid": os.getgid(), "cwd": os.getcwd()}).encode()]
"""


def test_maximum_requests(daemon):
    srv = daemon("processes=1 threads=1 maximum-requests=3")
    pids = [_env(srv)["pid"] for _ in range(3)]
    assert len(set(pids)) == 1
    assert _wait(lambda: _env(srv)["pid"] != pids[0])
    assert "Maximum requests reached" in srv.error_log


def test_request_timeout(daemon):
    srv = daemon("processes=1 threads=2 request-timeout=1")
    status, _, _ = request(srv, "GET", "/app/sleep?5", timeout=15)
    assert status == 502
    assert "Daemon process request time limit exceeded, stopping process 'tg'" in srv.error_log
    assert _wait(lambda: request(srv, "GET", "/app/hello")[0] == 200)


def test_queue_timeout(daemon):
    srv = daemon("processes=1 threads=1 queue-timeout=1")
    request(srv, "GET", "/app/hello")
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("slow", request(
        srv, "GET", "/app/sleep?2.5", timeout=15)[0]))
    t.start()
    time.sleep(0.3)
    status, _, _ = request(srv, "GET", "/app/hello", timeout=15)
    t.join(15)
    assert out["slow"] == 200
    assert status == 504
    assert "Queue timeout expired for WSGI daemon process 'tg'" in srv.error_log


def test_server_status_lists_daemons(daemon):
    extra = ("LoadModule status_module /usr/lib/apache2/modules/mod_status.so\n"
             "<Location /server-status>\nSetHandler server-status\n</Location>\n")
    srv = daemon("processes=2 threads=1", extra=extra)
    pid = _env(srv)["pid"]

    def listed():
        status, _, body = request(srv, "GET", "/server-status?auto")
        return status == 200 and b"WSGIDaemonProcess tg:" in body and str(pid).encode() in body
    assert _wait(listed)
    status, _, body = request(srv, "GET", "/server-status")
    assert b"WSGI daemon processes" in body


def test_embedded_loads_once_per_process(daemon):
    for mpm in ("prefork", "event"):
        srv = daemon(mode="embedded", mpm=mpm, args=("-DFOREGROUND",))
        seen = {}
        for _ in range(12):
            env = _env(srv)
            seen.setdefault(env["pid"], set()).add(env["loaded_at"])
            assert env["mod_wsgi.process_group"] == ""
            assert env["wsgi.multithread"] is (mpm == "event")
            assert env["wsgi.multiprocess"] is True
        assert all(len(v) == 1 for v in seen.values()), seen
        srv.stop()


def test_inactivity_timeout(daemon):
    srv = daemon("processes=1 threads=1 inactivity-timeout=1")
    first = _env(srv)["pid"]
    assert _wait(lambda: "Daemon process inactivity timer expired" in srv.error_log, 10)
    assert _env(srv)["pid"] != first


def test_display_name_and_import_script(daemon, tmp_path):
    marker = tmp_path / "imported"
    pre = tmp_path / "pre.wsgi"
    pre.write_text(f"import os\nopen({str(marker)!r}, 'w').write(str(os.getpid()))\n")
    srv = daemon("processes=1 threads=1 display-name=%{GROUP}",
                 extra=f"WSGIImportScript {pre} process-group=tg application-group=%{{GLOBAL}}\n")
    # before any request; the file exists a moment before its pid is written in it
    assert _wait(lambda: marker.exists() and marker.read_text() != "")
    pid = int(marker.read_text())
    assert Path(f"/proc/{pid}/comm").read_text().strip() == "(wsgi:tg)"
    assert _env(srv)["pid"] == pid


def test_requests_counted_on_the_scoreboard(daemon):
    extra = ("LoadModule status_module /usr/lib/apache2/modules/mod_status.so\n"
             "<Location /server-status>\nSetHandler server-status\n</Location>\n")
    srv = daemon("processes=1 threads=2", extra=extra)

    def total() -> int:
        body = request(srv, "GET", "/server-status?auto")[2].decode()
        return int(re.search(r"Total Accesses: (\d+)", body).group(1))
    before = total()
    for _ in range(5):
        assert request(srv, "GET", "/app/hello")[0] == 200
    assert _wait(lambda: total() >= before + 5)


def test_daemon_mode_detached_k_start_stop(tmp_path):
    """-k start detaches (the parent is forked anew): the daemons keep serving, and
    -k stop takes them along."""
    from tests.directives.mod_wsgi.helpers import config, scratch
    from tests.e2e.servers import ROOT, free_port, write_config
    site = scratch(tmp_path)
    port = free_port()
    conf = write_config(tmp_path, config(site, "daemon"), port)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "httpd", "-d", str(tmp_path), "-f", str(conf)]
    subprocess.run(cmd + ["-k", "start"], env=env, timeout=30, check=True)
    try:
        assert _wait(lambda: _try_env(port) is not None, 15)
        time.sleep(1.5)                      # longer than the supervisor's checks
        first = _try_env(port)
        assert first is not None and first["mod_wsgi.process_group"] == "tg"
    finally:
        subprocess.run(cmd + ["-k", "stop"], env=env, timeout=30)
    pid = first["pid"]
    assert _wait(lambda: not _alive(pid), 15)


def _try_env(port):
    import http.client
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/app/env")
        r = c.getresponse()
        body = r.read()
        c.close()
        return json.loads(body) if r.status == 200 else None
    except (OSError, ValueError):
        return None
