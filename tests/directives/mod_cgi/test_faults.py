"""Scripts that misbehave, each on a real multi-process server (prefork with mod_cgi,
event with mod_cgid): a hang is given up after the timeout and its process group
killed with nothing left behind, a death mid-output is a truncated response and a log
line, a flood of stderr does not block, a client that leaves stops the script, scripts
run as the child's user, and a query never reaches a shell."""
from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from tests.e2e.mpm import AS_ROOT, read_all, start_server, wait_for
from tests.directives.mod_cgi.scripts import config, make_tree

VARIANTS = [("prefork", "cgi"), ("event", "cgid")]


@pytest.fixture(scope="module", params=VARIANTS, ids=lambda v: f"{v[0]}-{v[1]}")
def srv(request):
    mpm, module = request.param
    root = make_tree()
    for d in ("logs", "htdocs"):
        (root / d).mkdir()
        (root / d).chmod(0o755)
    body = config(root, module).replace("User nobody\nGroup nogroup\n", "")
    server = start_server(mpm, body, root=root,
                          modules=("alias", "env", "setenvif", module))
    server.tree = root
    server.module = module
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def request(srv, path: str, timeout: float = 10.0) -> tuple[bytes, float]:
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                  .encode())
        data = read_all(s, timeout)
    return data, time.monotonic() - start


def gone(pid: int) -> bool:
    """No such process: ended and reaped (a zombie still answers kill 0)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def dead(pid: int) -> bool:
    """Ended: reaped, or a zombie (an orphan waits there for the init of a container
    that may never reap it)."""
    if gone(pid):
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] == "Z"
    except OSError:
        return True


def pids(srv, name: str) -> list[int]:
    p = srv.tree / "pids" / name
    assert wait_for(lambda: p.exists() and p.read_text().strip(), 5)
    return [int(x) for x in p.read_text().split()]


def test_hang_before_headers_is_504_and_killed(srv):
    data, took = request(srv, "/cgi-bin/hangfirst.sh")
    assert data.startswith(b"HTTP/1.1 504 ")
    assert 1.5 < took < 9
    script, child = pids(srv, "hangfirst")
    assert wait_for(lambda: gone(script), 5), "the script is left (or a zombie)"
    assert wait_for(lambda: dead(child), 5), "its process group is left"
    assert wait_for(lambda: "Script timed out before returning headers: hangfirst.sh"
                    in srv.error_log, 5)


def test_hang_after_headers_truncates_and_kills(srv):
    data, took = request(srv, "/cgi-bin/hang.sh")
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b"before hang" in data
    assert not data.endswith(b"0\r\n\r\n"), "a truncated body must not look whole"
    script, child = pids(srv, "hang")
    assert wait_for(lambda: gone(script), 6)
    assert wait_for(lambda: dead(child), 6)
    assert wait_for(lambda: "AH01220: Timeout waiting for output from CGI script" in
                    srv.error_log, 5)


def test_death_mid_output_is_truncated_and_logged(srv):
    data, _ = request(srv, "/cgi-bin/dies.sh")
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b"partial" in data
    assert not data.endswith(b"0\r\n\r\n")
    assert wait_for(lambda: "dies.sh was killed by signal 9 before it finished"
                    in srv.error_log, 5)


def test_stderr_flood_does_not_block(srv):
    data, took = request(srv, "/cgi-bin/flood.sh", timeout=30)
    assert data.startswith(b"HTTP/1.1 200 ")
    assert data.endswith(b"flooded\n\r\n0\r\n\r\n") or data.endswith(b"flooded\n")
    assert wait_for(lambda: "noise line 2999 with some padding" in srv.error_log, 10)
    line = next(x for x in srv.error_log.splitlines() if "noise line 17 " in x)
    assert "AH01215: stderr from " in line and "[client 127.0.0.1:" in line


def test_client_disconnect_stops_the_script(srv):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(b"GET /cgi-bin/slow.sh HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert b"tick 0" in s.recv(4096) or b"tick" in s.recv(4096)
    (script,) = pids(srv, "slow")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()                       # RST: the next write to it fails
    assert wait_for(lambda: gone(script), 8), "the script went on after the client left"


@pytest.mark.skipif(not AS_ROOT, reason="needs root to have a User to switch to")
def test_scripts_run_as_the_childs_user(srv):
    import pwd
    data, _ = request(srv, "/cgi-bin/whoami.sh")
    assert f"\r\n{pwd.getpwnam('nobody').pw_uid}\n".encode() in data


def test_query_never_reaches_a_shell(srv):
    target = srv.tree / "pids" / "pwned"
    data, _ = request(srv, f"/cgi-bin/env.sh?;touch+{target}+%60touch%20{target}%60+$(touch%20{target})")
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b"argv1=\\;touch" in data
    assert b"argv3=\\`touch " in data
    time.sleep(0.2)
    assert not target.exists()


def test_cgid_daemon_gone_is_503():
    """A daemon that died: 503, AH01258 (kill(daemon_pid, 0) fails), without the
    fifteen retries' wait; then the parent starts another (cgid_maint)."""
    root = make_tree()
    for d in ("logs", "htdocs"):
        (root / d).mkdir()
        (root / d).chmod(0o755)
    body = config(root, "cgid").replace("User nobody\nGroup nogroup\n", "")
    server = start_server("event", body, root=root, modules=("alias", "env", "setenvif", "cgid"))
    server.tree = root
    try:
        data, _ = request(server, "/cgi-bin/hello.sh")
        assert data.startswith(b"HTTP/1.1 200 ")
        sock = next(p for p in (root / "logs").iterdir() if p.name.startswith("cgisock."))
        daemon = next((pid for pid in server.children() if _listens_on(pid, sock)), None)
        assert daemon is not None
        os.kill(daemon, 9)
        assert wait_for(lambda: gone(daemon), 5)
        data, took = request(server, "/cgi-bin/hello.sh")
        assert data.startswith(b"HTTP/1.1 503 ")
        assert took < 3
        assert wait_for(lambda: "AH01258: stderr from " in server.error_log, 5)
        # the parent's monitor starts another one on the same socket (AH01239)
        assert wait_for(lambda: "AH01239: cgid daemon process died, restarting" in
                        server.error_log, 5)
        assert wait_for(lambda: request(server, "/cgi-bin/hello.sh")[0]
                        .startswith(b"HTTP/1.1 200 "), 5)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _listens_on(pid: int, path: Path) -> bool:
    inodes = {line.split()[6] for line in Path("/proc/net/unix").read_text().splitlines()[1:]
              if line.rstrip().endswith(str(path))}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            return True
    return False


@pytest.mark.skipif(not AS_ROOT or shutil.which("useradd") is None,
                    reason="needs root and useradd")
def test_scripts_take_mpm_itks_assigned_user():
    """Under mpm-itk, mod_cgi's script runs as the virtual host's AssignUserID."""
    import pwd
    import subprocess
    name = f"cgit{os.getpid() % 100000}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--user-group", "--shell",
                    "/usr/sbin/nologin", name], check=True, capture_output=True, timeout=30)
    root = make_tree()
    try:
        for d in ("logs", "htdocs"):
            (root / d).mkdir()
            (root / d).chmod(0o755)
        body = config(root).replace("User nobody\nGroup nogroup\n", "")
        body += f"AssignUserID {name} {name}\n"
        server = start_server("itk", body, root=root,
                              modules=("alias", "env", "setenvif", "cgi"))
        try:
            data, _ = request(server, "/cgi-bin/whoami.sh")
        finally:
            server.stop()
        assert f"\n{pwd.getpwnam(name).pw_uid}\n".encode() in data.replace(b"\r\n", b"\n")
    finally:
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run(["userdel", name], capture_output=True, timeout=30)
        subprocess.run(["groupdel", name], capture_output=True, timeout=30)
