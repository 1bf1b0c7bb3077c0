"""perchild on a real server: each virtual host is served only by processes of the user
AssignUserID names, whichever child accepted the connection; a connection moves between
children as its requests go from one host to the other (keep-alive, pipelining, a
request body); children die and restart without losing passed connections."""
from __future__ import annotations

import os
import re
import signal
import socket
import threading
import time

import pytest

from tests.e2e.mpm import AS_ROOT, alive, read_all, wait_for

pytestmark = pytest.mark.skipif(not AS_ROOT, reason="perchild's identities need root")


def _req(host: str, path: str = "/own.txt", close: bool = False, method: str = "GET",
         body: bytes = b"") -> bytes:
    extra = "Connection: close\r\n" if close else ""
    if body or method == "POST":
        extra += f"Content-Length: {len(body)}\r\nContent-Type: text/plain\r\n"
    return f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode() + body


def _get(srv, host: str, path: str = "/own.txt", timeout: float = 10.0) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        s.sendall(_req(host, path, close=True))
        data = read_all(s, timeout)
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data.split(b"\r\n\r\n", 1)[-1]


def _responses(data: bytes) -> list[tuple[int, bytes]]:
    """Split a stream of Content-Length responses."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        m = re.search(rb"\r\nContent-Length: (\d+)", head)
        n = int(m.group(1)) if m else 0
        out.append((status, rest[:n]))
        data = rest[n:]
    return out


def _read_responses(s: socket.socket, count: int, timeout: float = 10.0) -> list:
    data = b""
    deadline = time.monotonic() + timeout
    s.settimeout(timeout)
    while time.monotonic() < deadline:
        try:
            got = _responses(data)
            if len(got) >= count and all(
                    len(body) == int(re.search(rb"Content-Length: (\d+)", h).group(1))
                    for h, body in _heads_bodies(data)):
                return got
        except (ValueError, IndexError, AttributeError):
            pass
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return _responses(data)


def _heads_bodies(data: bytes):
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("partial head")
        n = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        if len(rest) < n:
            raise ValueError("partial body")
        yield head, rest[:n]
        data = rest[n:]


def _auto(srv, host: str) -> list[str]:
    status, body = _get(srv, host, "/server-status?auto")
    assert status == 200
    return body.decode().splitlines()


def _fields(line: str) -> dict:
    _, _, rest = line.partition(": ")
    out = {}
    for m in re.finditer(r"(\w+)=(.*?)(?= \w+=|$)", rest):
        out[m.group(1)] = m.group(2)
    return out


def _ids(pid: int) -> tuple[int, int]:
    with open(f"/proc/{pid}/status") as f:
        lines = dict(line.split(":", 1) for line in f if ":" in line)
    uids = [int(x) for x in lines["Uid"].split()]
    gids = [int(x) for x in lines["Gid"].split()]
    assert len(set(uids)) == 1 and len(set(gids)) == 1     # real, effective, saved, fs
    return uids[0], gids[0]


def _child_of(srv, uid: int) -> int:
    kids = [p for p in srv.children() if _ids(p)[0] == uid]
    assert len(kids) == 1, kids
    return kids[0]


def test_each_host_serves_only_its_own_users_files(perchild, users):
    srv = perchild()
    (a, _, _), (b, _, _) = users
    for _ in range(4):             # whichever child accepts, the answer is the same
        for me, other in ((a, b), (b, a)):
            assert _get(srv, f"{me}.test") == (200, f"file of {me}\n".encode())
            assert _get(srv, f"{me}.test", "/other.txt")[0] == 403
    # a name no vhost has: the address's first vhost (Apache's name-based default)
    assert _get(srv, "localhost") == (200, f"file of {a}\n".encode())


def test_children_run_as_their_identities(perchild, users):
    srv = perchild()
    (a, ua, ga), (b, ub, gb) = users
    want = sorted([(ua, ga), (ub, gb), (65534, 65534), (65534, 65534)])

    def switched() -> bool:
        try:
            return sorted(_ids(p) for p in srv.children()) == want
        except (OSError, AssertionError):     # gone, or half-way through the switch
            return False
    # a child just forked is root until its drop_privileges: wait for all four to switch
    assert wait_for(switched, 5), sorted(_ids(p) for p in srv.children())
    assert _ids(srv.pid) == (0, 0)
    # the status page's own table, after Apache's: a row per child with its uid and gid
    status, page = _get(srv, f"{a}.test", "/server-status")
    assert status == 200
    html = page.decode()
    table = html[html.index("<h2>perchild: the identity of each child</h2>"):]
    assert html.index("Scoreboard Key") < html.index("<h2>perchild:")
    for pid in srv.children():
        uid, gid = _ids(pid)
        assert f"<td>{pid}</td><td>{uid}</td><td>{gid}</td>" in table


def test_the_process_that_answers_a_host_runs_as_its_user(perchild, users):
    srv = perchild()
    for name, uid, gid in users:
        for _ in range(3):
            lines = _auto(srv, f"{name}.test")
            mine = [_fields(x) for x in lines if x.startswith("PerchildWorker:")
                    and "request=GET /server-status?auto" in x and "status=W" in x]
            assert len(mine) == 1, lines
            w = mine[0]
            assert (int(w["uid"]), int(w["gid"])) == (uid, gid)
            assert w["vhost"].startswith(f"{name}.test:")
            assert _ids(int(w["pid"])) == (uid, gid)        # the kernel agrees
        children = [_fields(x) for x in lines if x.startswith("PerchildChild:")]
        assert {(int(c["uid"]), int(c["gid"])) for c in children} >= {(uid, gid)}


def test_keep_alive_alternating_between_identities(perchild, users):
    srv = perchild()
    (a, _, _), (b, _, _) = users
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        for i in range(8):
            host = (a, b)[i % 2]
            s.sendall(_req(f"{host}.test"))
            [(status, body)] = _read_responses(s, 1)
            assert (status, body) == (200, f"file of {host}\n".encode()), i
        s.sendall(_req(f"{a}.test", "/other.txt", close=True))
        assert _responses(read_all(s, 10))[0][0] == 403


def test_pipelined_requests_for_both_hosts_in_one_send(perchild, users):
    srv = perchild()
    (a, _, _), (b, _, _) = users
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(_req(f"{a}.test") + _req(f"{b}.test") + _req(f"{a}.test", "/other.txt")
                  + _req(f"{b}.test") + _req(f"{a}.test", close=True))
        got = _responses(read_all(s, 10))
    assert got == [(200, f"file of {a}\n".encode()), (200, f"file of {b}\n".encode()),
                   (403, got[2][1]), (200, f"file of {b}\n".encode()),
                   (200, f"file of {a}\n".encode())]


def test_a_request_body_goes_with_the_connection(perchild, users):
    srv = perchild()
    (a, _, _), (b, _, _) = users
    body = b"x" * 30000
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(_req(f"{a}.test"))
        assert _read_responses(s, 1) == [(200, f"file of {a}\n".encode())]
        # the head and part of the body go in one send, the rest later
        msg = _req(f"{b}.test", "/own.txt", method="POST", body=body)
        s.sendall(msg[:len(msg) - 20000])
        time.sleep(0.2)
        s.sendall(msg[len(msg) - 20000:] + _req(f"{b}.test") + _req(f"{a}.test", close=True))
        got = _responses(read_all(s, 10))
    # the POST is answered by b's child as the core answers it (the static file), and
    # its body was read to the end there: the next two requests are in step
    assert [st for st, _ in got] == [200, 200, 200]
    assert got[0][1] == f"file of {b}\n".encode()
    assert got[1][1] == f"file of {b}\n".encode() and got[2][1] == f"file of {a}\n".encode()


def test_a_killed_child_loses_only_its_connections(perchild, users):
    srv = perchild()
    (a, ua, _), (b, _, _) = users
    victim = _child_of(srv, ua)
    # a request of a's host in the middle of its body: held by a's only child
    held = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    held.sendall(_req(f"{a}.test", "/own.txt", method="POST", body=b"y" * 100)[:-50])
    time.sleep(0.3)
    # another connection held by b's child
    other = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    other.sendall(_req(f"{b}.test"))
    assert _read_responses(other, 1) == [(200, f"file of {b}\n".encode())]
    os.kill(victim, signal.SIGKILL)
    # requests for a's host made while its child restarts wait for the new one
    results = []

    def client():
        results.append(_get(srv, f"{a}.test"))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert results == [(200, f"file of {a}\n".encode())] * 4
    assert read_all(held, 3) == b""                       # the killed child's client
    held.close()
    other.sendall(_req(f"{b}.test", close=True))          # b's connection lives on
    assert _responses(read_all(other, 5)) == [(200, f"file of {b}\n".encode())]
    other.close()
    assert not alive(victim)
    assert wait_for(lambda: len(srv.children()) == 4, 3)
    assert _child_of(srv, ua) != victim


def test_three_graceful_restarts_under_load_fail_no_request(perchild, users):
    srv = perchild()
    (a, _, _), (b, _, _) = users
    stop = threading.Event()
    results: list = []

    def client(i: int) -> None:
        deadline = time.monotonic() + 25
        n = 0
        while not stop.is_set() and time.monotonic() < deadline:
            host = (a, b)[(i + n) % 2]
            n += 1
            try:
                got = _get(srv, f"{host}.test")
                results.append("ok" if got == (200, f"file of {host}\n".encode())
                               else repr(got))
            except OSError as e:
                results.append(repr(e))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):            # 10 s of load, a graceful restart every 2.5 s
            time.sleep(2.5)
            srv.signal(signal.SIGUSR1)
        time.sleep(2.5)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    failed = [r for r in results if r != "ok"]
    print(f"{len(results)} requests, {len(failed)} failed")
    assert len(results) > 100
    assert failed == [], (failed[:2], srv.error_log[-2000:])
    assert srv.error_log.count("SIGUSR1 received.  Doing graceful restart") == 3
    assert wait_for(lambda: len(srv.children()) == 4, 8), srv.children()


def test_thread_pool_grows_and_shrinks(perchild, users):
    srv = perchild()
    (a, ua, _), _ = users

    def threads_of_a() -> int:
        for line in _auto(srv, f"{a}.test"):
            if line.startswith("PerchildChild:") and f"uid={ua} " in line:
                return int(_fields(line)["threads"])
        return -1

    # StartThreads, and more when a request took a thread while only MinSpareThreads
    # (1) was left idle: the status request, and the start-up probe's connection if it
    # still holds one; never more than MaxSpareThreads (4) before any load
    assert threads_of_a() in (2, 3, 4)
    conns = []
    for _ in range(5):                            # each holds a thread of a's child
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(_req(f"{a}.test"))
        assert _read_responses(s, 1) == [(200, f"file of {a}\n".encode())]
        conns.append(s)
    assert wait_for(lambda: threads_of_a() >= 6, 3)
    assert threads_of_a() <= 8                    # MaxThreadsPerChild
    for s in conns:
        s.close()
    # idle threads above MaxSpareThreads (4) leave as they go idle
    assert wait_for(lambda: threads_of_a() <= 5, 5)
