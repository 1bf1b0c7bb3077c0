"""event: idle connections wait in the child's selector, not in a thread."""
from __future__ import annotations

import re
import signal
import time

from tests.e2e.mpm import wait_for

from tests.mpms.clients import HEAD, answered_within, closed_within, hold, keepalive, response

ONE_PROCESS = ("StartServers 1\nServerLimit 1\nThreadsPerChild 2\nMaxRequestWorkers 2\n"
               "MinSpareThreads 1\nMaxSpareThreads 3\nKeepAliveTimeout 30\n")
STATUS = "<Location /server-status>\nSetHandler server-status\n</Location>\n"


def _auto(server) -> dict:
    status, body = server.get("/server-status?auto")
    assert status == 200
    return dict(line.split(": ", 1) for line in body.decode().splitlines() if ": " in line)


def test_idle_keep_alive_connections_hold_no_thread(start):
    # 2 threads, 10 idle keep-alive clients (the limit is 2 + 2 idle x 10 = 22)
    server = start("event", ONE_PROCESS + "AsyncRequestWorkerFactor 10\n" + STATUS,
                   modules=("status",))
    idle = [keepalive(server) for _ in range(10)]
    t0 = time.monotonic()
    assert server.get() == (200, b"hello\n")
    assert time.monotonic() - t0 < 1.0

    def counts_settled() -> bool:
        # the ten and the status request (the listener's counts may lag by a loop,
        # and the last request's connection may still linger)
        auto = _auto(server)
        return (auto["ConnsAsyncKeepAlive"] == "10" and auto["Processes"] == "1"
                and int(auto["ConnsTotal"]) - int(auto["ConnsAsyncClosing"]) == 11)

    assert wait_for(counts_settled, 2.0)
    for s in idle[:3]:                            # and each is served when it speaks
        s.sendall(HEAD + b"\r\n")
        assert response(s).startswith(b"HTTP/1.1 200 ")


def test_the_keep_alive_timeout_is_kept_by_the_selector(start):
    server = start("event", ONE_PROCESS.replace("KeepAliveTimeout 30", "KeepAliveTimeout 1"))
    s = keepalive(server)
    t0 = time.monotonic()
    assert closed_within(s, 4)
    assert 0.8 <= time.monotonic() - t0 < 3.0


def test_above_the_connection_limit_new_connections_wait(start):
    # 2 threads, factor 1: a process takes connections while
    #   connections < 2 + (idle threads - listeners disabled) * 1
    # The third idle client leaves 3 < 2 + (2 - 1) false: the listeners stay disabled.
    server = start("event", ONE_PROCESS + "AsyncRequestWorkerFactor 1\n")
    idle = []
    for _ in range(3):
        idle.append(keepalive(server))
        time.sleep(0.1)                            # parked before the next one
    waiting = hold(server)
    waiting.sendall(b"\r\n")
    assert not answered_within(waiting, 1.0)       # left in the listen backlog
    idle[0].close()                                # 2 < 3: accepting again
    assert response(waiting, 5).startswith(b"HTTP/1.1 200 ")


def test_all_workers_busy_closes_the_idle_keep_alive_connections(start):
    server = start("event", ONE_PROCESS + "AsyncRequestWorkerFactor 4\n")
    speaker, bystander = keepalive(server), keepalive(server)
    # (let the threads park them first: a connection accepted while a thread is still
    # busy with the last response disables the listeners, event's damping, for good
    # here as 2 threads + 2 idle connections leave no room to re-enable)
    time.sleep(0.3)
    busy = [hold(server), hold(server)]            # both threads
    time.sleep(0.3)
    speaker.sendall(HEAD + b"\r\n")                # needs a thread: none is free
    assert closed_within(bystander, 3)             # so the idle ones are let go
    busy[0].sendall(b"Connection: close\r\n\r\n")
    assert response(busy[0]).startswith(b"HTTP/1.1 200 ")
    assert response(speaker).startswith(b"HTTP/1.1 200 ")


def test_graceful_restart_closes_idle_connections_and_finishes_busy_ones(start):
    server = start("event", ONE_PROCESS.replace("ServerLimit 1", "ServerLimit 2"))
    idle, busy = keepalive(server), hold(server)
    time.sleep(0.3)
    old = set(server.children())
    server.signal(signal.SIGUSR1)
    assert closed_within(idle, 3)                   # a dying process keeps no idle client
    busy.sendall(b"\r\n")
    assert response(busy).startswith(b"HTTP/1.1 200 ")
    assert wait_for(lambda: not (set(server.children()) & old), 5)
    assert server.get() == (200, b"hello\n")


def test_lingering_close_does_not_hold_a_thread(start):
    server = start("event", ONE_PROCESS + "AsyncRequestWorkerFactor 4\n" + STATUS,
                   modules=("status",))
    # clients that never close their side: the server lingers up to 2 s on each
    for _ in range(2):
        s = hold(server)
        s.sendall(b"Connection: close\r\n\r\n")
        assert response(s).startswith(b"HTTP/1.1 200 ")
    t0 = time.monotonic()
    assert server.get() == (200, b"hello\n")
    assert time.monotonic() - t0 < 1.0             # the threads were free meanwhile
    # (the count is the listener's: it may lag the status request by a loop)
    assert wait_for(lambda: _auto(server)["ConnsAsyncClosing"] in ("2", "3"), 1.0)


def test_the_html_status_page_has_the_process_table(start):
    server = start("event", ONE_PROCESS.replace("ServerLimit 1", "ServerLimit 2")
                   + "AsyncRequestWorkerFactor 10\n" + STATUS, modules=("status",))
    idle = []
    for _ in range(3):
        idle.append(keepalive(server))
        time.sleep(0.1)                            # parked before the next one
    status, body = server.get("/server-status")
    assert status == 200 and idle
    page = body.decode()
    assert "Async connections" in page
    pid = server.children()[0]
    # Slot, PID, Stopping, Connections total/accepting, Threads busy/graceful/idle,
    # Async connections wait-io/writing/keep-alive/closing
    row = re.search(rf"<tr><td>0</td><td>{pid}</td><td>no</td><td>(\d+)</td><td>yes</td>"
                    r"<td>(\d+)</td><td>0</td><td>(\d+)</td><td>0</td><td>0</td>"
                    r"<td>(\d+)</td><td>(\d+)</td></tr>", page)
    assert row, page[page.find("Async"):][:600]
    assert row.group(4) == "3"                     # the three parked clients


def _slow_client(server, rcvbuf: int = 4096):
    import socket as _socket
    s = _socket.socket()
    s.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", server.port))
    server.opened.append(s)
    return s


def _read_response(s, length: int) -> bytes:
    data = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep and len(body) >= length:
            break
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_write_completion_frees_the_thread_while_the_client_reads_slowly(start):
    """The last bytes of a response the socket cannot take wait in the selector
    (ConnsAsyncWriting), not in a worker thread; the client still gets every byte, and
    the connection goes on with its next request."""
    server = start("event", ONE_PROCESS + "SendBufferSize 4096\n" + STATUS,
                   modules=("status",))
    body = bytes(range(256)) * 200                      # 51,200 bytes: under 64 KB
    (server.root / "htdocs" / "big.bin").write_bytes(body)
    slow = _slow_client(server)
    slow.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")

    def writing() -> bool:
        auto = _auto(server)
        return auto["ConnsAsyncWriting"] == "1" and auto["BusyWorkers"] == "1"

    assert wait_for(writing, 3.0)     # BusyWorkers: the status request's own thread
    data = _read_response(slow, len(body))
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(body)
    slow.sendall(HEAD + b"\r\n")                         # kept alive
    assert response(slow).startswith(b"HTTP/1.1 200 ")
    assert wait_for(lambda: _auto(server)["ConnsAsyncWriting"] == "0", 2.0)


def test_write_completion_gives_up_after_the_timeout(start):
    server = start("event", ONE_PROCESS + "SendBufferSize 4096\nTimeout 1\n" + STATUS,
                   modules=("status",))
    (server.root / "htdocs" / "big.bin").write_bytes(b"x" * 51200)
    slow = _slow_client(server)
    slow.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert wait_for(lambda: _auto(server)["ConnsAsyncWriting"] == "1", 3.0)
    assert wait_for(lambda: _auto(server)["ConnsAsyncWriting"] == "0", 4.0)
    slow.settimeout(2)
    got = b""
    try:
        while chunk := slow.recv(65536):
            got += chunk
    except OSError:
        pass
    assert len(got) < 51200          # closed before the whole body went out
