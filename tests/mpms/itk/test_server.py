"""mpm-itk on a real server (prefork + mpm_itk_module), as root: two users made for the
test and removed after it, two name-based vhosts each assigned to one of them, a 0600
file owned by each in a world-readable DocumentRoot.  Servers listen on 127.0.0.1
port 0 and are stopped by pid; every wait is bounded."""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from tests.e2e.mpm import (MPMServer, alive, owner_of, read_all, scratch_root,
                           start_server, wait_for)

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("useradd") is None,
                                reason="mpm-itk switches users: needs root and useradd")


@pytest.fixture(scope="module")
def users():
    """Two system users (and their groups), removed at teardown."""
    tag = f"{os.getpid() % 100000}"
    names = [f"itkt{tag}a", f"itkt{tag}b"]
    made = []
    try:
        for name in names:
            subprocess.run(["useradd", "--system", "--no-create-home", "--user-group",
                            "--shell", "/usr/sbin/nologin", name], check=True,
                           capture_output=True, timeout=30)
            made.append(name)
        yield [(n, pwd.getpwnam(n).pw_uid, pwd.getpwnam(n).pw_gid) for n in names]
    finally:
        for name in made:
            subprocess.run(["userdel", name], capture_output=True, timeout=30)
            subprocess.run(["groupdel", name], capture_output=True, timeout=30)


def make_root(users):
    root = scratch_root()
    docs = root / "htdocs"
    for (name, uid, gid), fname in zip(users, ("a.txt", "b.txt")):
        p = docs / fname
        p.write_text(f"secret of {name}\n")
        os.chown(p, uid, gid)
        p.chmod(0o600)
    private = docs / "private"          # root's alone: no one else may even look inside
    private.mkdir()
    (private / "x.txt").write_text("x\n")
    private.chmod(0o700)
    return root


def vhosts(users, extra_a: str = "", extra_b: str = "") -> str:
    (ua, _, _), (ub, _, _) = users
    return ("StartServers 2\nMinSpareServers 2\nMaxSpareServers 4\nMaxRequestWorkers 10\n"
            "<Location /server-status>\nSetHandler server-status\n</Location>\n"
            f"<VirtualHost *:*>\nServerName a.test\nAssignUserID {ua} {ua}\n{extra_a}"
            "</VirtualHost>\n"
            f"<VirtualHost *:*>\nServerName b.test\nAssignUserID {ub} {ub}\n{extra_b}"
            "</VirtualHost>\n"
            "<VirtualHost *:*>\nServerName expr.test\nAssignUserIDExpr %{HTTP:X-User}\n"
            "AssignGroupIDExpr %{HTTP:X-Group}\n</VirtualHost>\n")


def request(host: str, path: str, close: bool = True, extra: str = "") -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}"
            + ("Connection: close\r\n" if close else "") + "\r\n").encode()


def get(server: MPMServer, host: str, path: str, extra: str = "") -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(request(host, path, extra=extra))
        data = read_all(s, 5)
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data.partition(b"\r\n\r\n")[2]


def one_response(s: socket.socket, timeout: float = 5.0) -> bytes:
    """One response with a Content-Length body from a kept-alive connection (b"" when
    the server closed it first)."""
    s.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = [int(ln.split(b":")[1]) for ln in head.split(b"\r\n")
                      if ln.lower().startswith(b"content-length:")]
            if length and len(body) >= length[0]:
                return data
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionError):
            break
        if not chunk:
            break
        data += chunk
    return data


CAPS = (1 << 2) | (1 << 6) | (1 << 7) | (1 << 23)  # DAC_READ_SEARCH SETGID SETUID SYS_NICE


def proc_status(pid: int) -> dict:
    with open(f"/proc/{pid}/status") as f:
        return dict((k, v.split()) for k, _, v in (ln.partition(":") for ln in f))


def nice_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    return int(stat[stat.rindex(")") + 2:].split()[16])


@pytest.fixture(scope="module")
def server(users):
    root = make_root(users)
    limited = (f"<VirtualHost *:*>\nServerName limited.test\nAssignUserID {users[1][0]} "
               f"{users[1][0]}\nMaxClientsVHost 1\n</VirtualHost>\n")
    srv = start_server("itk", vhosts(users, extra_a="NiceValue 5\n") + limited,
                       root=root, modules=("status",), raw=True)
    yield srv
    srv.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_each_host_serves_its_own_users_file_only(server, users):
    (ua, _, _), (ub, _, _) = users
    assert get(server, "a.test", "/a.txt") == (200, f"secret of {ua}\n".encode())
    assert get(server, "b.test", "/b.txt") == (200, f"secret of {ub}\n".encode())
    assert get(server, "a.test", "/b.txt")[0] == 403
    assert get(server, "b.test", "/a.txt")[0] == 403
    # the main server's User (nobody) reads neither
    assert get(server, "localhost", "/index.html")[0] == 200


def test_the_version_component(server):
    from httpd.http.header_filter import server_banner
    full = f"{server_banner('Full')} mpm-itk/2.4.7-04"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(request("a.test", "/a.txt"))
        head = read_all(s, 5).partition(b"\r\n\r\n")[0]
    assert f"\r\nServer: {full}\r\n".encode() in head
    assert f"{full} configured -- resuming normal operations" in server.error_log


def test_the_connections_process_runs_as_the_vhosts_user(server, users):
    (_, uid, gid), _ = users
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(request("a.test", "/a.txt", close=False))
        assert one_response(s).startswith(b"HTTP/1.1 200 ")
        pid = owner_of(server, s)
        st = proc_status(pid)
        assert pid not in server.children()            # the prefork child's child
        assert (int(st["Uid"][0]), int(st["Gid"][0])) == (uid, gid)
        assert st["Seccomp"] == ["2"]                   # LimitUIDRange's filter
        assert nice_of(pid) == 5                        # NiceValue 5
        assert int(st["CapEff"][0], 16) == 0            # none left after the switch
        parent = int(st["PPid"][0])
        # EnableCapabilities On: the prefork child is User with four capabilities
        pst = proc_status(parent)
        assert int(pst["Uid"][0]) == 65534
        assert int(pst["CapEff"][0], 16) == CAPS
        # /server-status lists the slot's uid (mpm-itk's status_hook table)
        status, body = get(server, "localhost", "/server-status")
        assert status == 200
        assert (f"<td>{parent}</td><td>K</td><td>{uid}</td>").encode() in body
        assert body.index(b"<h2>mpm-itk</h2>") < body.index(b"</body>")


def test_keep_alive_across_users_closes_and_every_answer_is_right(server, users):
    (ua, _, _), (ub, _, _) = users
    want = {"a.test": f"secret of {ua}\n".encode(), "b.test": f"secret of {ub}\n".encode()}
    plan = ["a.test", "a.test", "b.test", "a.test", "b.test", "b.test", "a.test"]
    answers, reconnects = [], 0
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        for host in plan:
            path = "/a.txt" if host == "a.test" else "/b.txt"
            s.sendall(request(host, path, close=False))
            data = one_response(s)
            if not data:                 # the other user's request closed it: again
                s.close()
                reconnects += 1
                s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                s.sendall(request(host, path, close=False))
                data = one_response(s)
            assert data.startswith(b"HTTP/1.1 200 "), (host, data[:80])
            answers.append(data.partition(b"\r\n\r\n")[2] == want[host])
    finally:
        s.close()
    assert all(answers) and len(answers) == len(plan)
    assert reconnects == 4                 # every change of host
    assert wait_for(lambda: "Couldn't set uid/gid/priority, closing connection."
                    in server.error_log, 3)


def test_a_path_the_user_may_not_look_at_ends_a_kept_alive_connection(server):
    # a new connection's process looks at the path as root, then becomes the user: 403
    assert get(server, "a.test", "/private/x.txt")[0] == 403
    # once it is the user, the walk itself is refused: the connection ends, unanswered
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(request("a.test", "/a.txt", close=False))
        assert one_response(s).startswith(b"HTTP/1.1 200 ")
        s.sendall(request("a.test", "/private/x.txt", close=False))
        assert one_response(s) == b""
    path = server.root / "htdocs" / "private" / "x.txt"
    assert wait_for(lambda: f"(13)Permission denied: Couldn't read {path}, closing "
                            "connection." in server.error_log, 3)


def test_max_clients_vhost_answers_503(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as held:
        held.sendall(request("limited.test", "/b.txt", close=False))
        assert one_response(held).startswith(b"HTTP/1.1 200 ")   # a slot busy for it
        assert get(server, "limited.test", "/b.txt")[0] == 503
        assert get(server, "b.test", "/b.txt")[0] == 200         # no limit there
    assert wait_for(lambda: f"MaxClientsVhost reached for limited.test:{server.port}, "
                            "refusing client." in server.error_log, 3)
    # the held connection is gone: the host serves again
    assert wait_for(lambda: get(server, "limited.test", "/b.txt")[0] == 200, 5)


def test_assign_user_id_expr(server, users):
    (ua, _, _), (ub, _, _) = users
    status, body = get(server, "expr.test", "/b.txt", extra=f"X-User: {ub}\r\nX-Group: {ub}\r\n")
    assert (status, body) == (200, f"secret of {ub}\n".encode())
    assert get(server, "expr.test", "/a.txt",
               extra=f"X-User: {ub}\r\nX-Group: {ub}\r\n")[0] == 403
    assert get(server, "expr.test", "/a.txt",
               extra=f"X-User: {ua}\r\nX-Group: {ua}\r\n")[0] == 200
    (_, uid_a, gid_a) = users[0]
    assert get(server, "expr.test", "/a.txt",
               extra=f"X-User: #{uid_a}\r\nX-Group: #{gid_a}\r\n")[0] == 200
    assert get(server, "expr.test", "/a.txt", extra="X-User: #0\r\n")[0] == 500
    assert wait_for(lambda: "AssignUserIDExpr returned '#0', which cannot be parsed as an "
                            "uid in the allowed range" in server.error_log, 3)
    assert get(server, "expr.test", "/a.txt",
               extra=f"X-User: no-such-itk-user\r\nX-Group: {ua}\r\n")[0] == 500
    assert wait_for(lambda: "AssignUserIDExpr returned 'no-such-itk-user', which is not a "
                            "valid user name" in server.error_log, 3)
    assert get(server, "expr.test", "/a.txt",
               extra=f"X-User: {ua}\r\nX-Group: no-such-itk-group\r\n")[0] == 500
    assert wait_for(lambda: "AssignGroupIDExpr returned 'no-such-itk-group', which is not a "
                            "valid group name" in server.error_log, 3)


def test_a_killed_connection_process_loses_only_its_connection(server, users):
    (ua, _, _), _ = users
    victim_conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    victim_conn.sendall(request("a.test", "/a.txt", close=False))
    assert one_response(victim_conn).startswith(b"HTTP/1.1 200 ")
    victim = owner_of(server, victim_conn)
    other = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    other.sendall(request("a.test", "/a.txt", close=False))
    assert one_response(other).startswith(b"HTTP/1.1 200 ")
    assert owner_of(server, other) != victim
    os.kill(victim, signal.SIGKILL)
    assert read_all(victim_conn, 3) == b""
    victim_conn.close()
    other.sendall(request("a.test", "/a.txt"))
    assert read_all(other, 5).endswith(f"secret of {ua}\n".encode())
    other.close()
    assert wait_for(lambda: "child died with signal 9" in server.error_log, 3)
    assert wait_for(lambda: not alive(victim), 3)
    assert get(server, "a.test", "/a.txt")[0] == 200


def test_stopping_the_server_ends_the_connection_processes(users):
    root = make_root(users)
    srv = start_server("itk", vhosts(users), root=root, raw=True)
    try:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(request("a.test", "/a.txt", close=False))
        assert one_response(s).startswith(b"HTTP/1.1 200 ")
        grandchild = owner_of(srv, s)
        srv.stop()
        assert wait_for(lambda: not alive(grandchild), 5)
        s.close()
    finally:
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_that_ends_the_prefork_child_ends_its_connection_process(server, sig):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(request("a.test", "/a.txt", close=False))
    assert one_response(s).startswith(b"HTTP/1.1 200 ")
    grandchild = owner_of(server, s)
    child = int(proc_status(grandchild)["PPid"][0])
    assert child in server.children()
    os.kill(child, sig)
    assert wait_for(lambda: not alive(grandchild) and not alive(child), 5)
    assert read_all(s, 3) == b""
    s.close()
    assert wait_for(lambda: get(server, "a.test", "/a.txt")[0] == 200, 5)


def test_limit_uid_range_is_the_kernels_refusal(users):
    """LimitUIDRange leaves out user b and the default LimitGIDRange leaves out root's
    group: the connection's process, still root, is refused those switches by the
    seccomp filter (root itself may always switch)."""
    (ua, uid_a, _), (ub, uid_b, _) = users
    root = make_root(users)     # EnableCapabilities Off: the prefork child stays root
    extra = (f"EnableCapabilities Off\n"
             f"LimitUIDRange {uid_a} {uid_a}\n<VirtualHost *:*>\nServerName root.test\n"
             "AssignUserID root root\n</VirtualHost>\n")
    srv = start_server("itk", vhosts(users) + extra, root=root, raw=True)
    try:
        assert get(srv, "a.test", "/a.txt") == (200, f"secret of {ua}\n".encode())
        assert get(srv, "b.test", "/b.txt")[0] == 500
        assert wait_for(lambda: f"setuid({uid_b}): Operation not permitted" in srv.error_log
                        and "This is most likely due to the current LimitUIDRange setting."
                        in srv.error_log, 3)
        kid = srv.children()[0]
        assert int(proc_status(kid)["Uid"][0]) == 0
        assert proc_status(kid)["Seccomp"] == ["2"]
        assert get(srv, "root.test", "/a.txt")[0] == 500
        assert wait_for(lambda: "setgid(0): Operation not permitted" in srv.error_log
                        and "This is most likely due to the current LimitGIDRange setting."
                        in srv.error_log, 3)
    finally:
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_three_graceful_restarts_under_load_lose_nothing(users):
    (ua, _, _), (ub, _, _) = users
    root = make_root(users)
    srv = start_server("itk", vhosts(users), root=root, raw=True)
    want = {"a.test": (200, f"secret of {ua}\n".encode()),
            "b.test": (200, f"secret of {ub}\n".encode())}
    stop = threading.Event()
    results: list[list] = [[], [], [], []]

    def client(host: str, out: list) -> None:
        path = "/a.txt" if host == "a.test" else "/b.txt"
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                out.append(get(srv, host, path) == want[host])
            except OSError as e:
                out.append(repr(e))

    hosts = ["a.test", "b.test", "a.test", "b.test"]
    threads = [threading.Thread(target=client, args=(h, results[i]))
               for i, h in enumerate(hosts)]
    try:
        for t in threads:
            t.start()
        for n in range(2, 5):
            time.sleep(2.5)
            srv.signal(signal.SIGUSR1)
            assert wait_for(lambda n=n: srv.error_log.count("resuming normal operations") >= n,
                            8)
        time.sleep(2.0)
    finally:
        stop.set()
        for t in threads:
            t.join(25)
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)
    flat = [r for per in results for r in per]
    assert len(flat) > 100
    assert [r for r in flat if r is not True] == []
