"""The slow and vanishing clients of bad-requests.json, with short deadlines.

Apache took 20-40 s on these (mod_reqtimeout's header=20-40 and body=20 at MinRate 500);
here the same stages are scaled down (header=2-4, body=2, KeepAliveTimeout 1) so the
suite stays fast, and each case must end the way Apache's did, within a bounded time,
with the server alive afterwards.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.conformance import apache
from tests.conformance.apache import statuses
from tests.e2e.docroot import make_docroot, reliability_config
from tests.e2e.servers import start_httpd

CASES = {c["name"]: c for c in apache.load("bad_requests", "bad-requests.json")}

# Where the answer differs from Apache's, and why (none so far).
DIFFERENT: dict = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("timeouts")
    docs = make_docroot(root)
    body = reliability_config(root, docs) + (
        "RequestReadTimeout header=2-4,MinRate=500 body=2,MinRate=500\n"
        "KeepAliveTimeout 1\nTimeout 5\n")
    srv = start_httpd(root, body, modules=("authz_core", "authz_host", "mime", "dir", "alias",
                                           "reqtimeout"))
    yield srv
    srv.stop()


def run(port: int, raw: bytes, trickle: bytes = b"", rate: float = 0.0,
        limit: float = 12.0) -> tuple[bytes, bool, float]:
    """Send ``raw``, then ``trickle`` one byte per ``rate`` seconds (in a thread), and read
    until the server closes.  Returns (bytes, closed, seconds until closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=limit)
    start = time.monotonic()
    s.sendall(raw)
    stop = threading.Event()

    def feed():
        for b in trickle:
            if stop.wait(rate):
                return
            try:
                s.sendall(bytes([b]))
            except OSError:
                return

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    out, closed = bytearray(), False
    try:
        while time.monotonic() - start < limit:
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionError:
                closed = True
                break
            if not data:
                closed = True
                break
            out += data
    finally:
        stop.set()
        s.close()
    return bytes(out), closed, time.monotonic() - start


PLANS = {
    "misc-only-crlf": {},
    "misc-incomplete-headers": {},
    "slowloris-1-byte-per-100ms": {"trickle": b"a" * 100, "rate": 0.1},
    "slow-headers-at-600Bps": {"trickle": (b"X-Long: " + b"v" * 70 + b"\r\n") * 40,
                               "rate": 1 / 600},
    "slow-body-static-1Bps": {"trickle": b"x" * 20, "rate": 1.0},
    "body-stalls-after-5-of-10-bytes": {},
    "chunk-missing-last-chunk": {},
    "keepalive-idle-after-response": {},
    "expect-100-continue-static": {},
}


@pytest.fixture(scope="module")
def results(server):
    """All the slow clients at once, each on its own connection."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=len(PLANS)) as pool:
        futures = {name: pool.submit(run, server.port,
                                     CASES[name]["raw"].encode("latin-1"), **plan)
                   for name, plan in PLANS.items()}
        return {name: f.result() for name, f in futures.items()}


@pytest.mark.parametrize("name", list(PLANS))
def test_slow_client(server, results, name):
    case = CASES[name]
    data, closed, seconds = results[name]
    finals = [s for s in statuses(data) if s >= 200]
    want = (case["apache_status"], case["apache_closes"])
    if name in DIFFERENT:
        want = DIFFERENT[name][:2]
    assert (finals[0] if finals else None, closed) == want
    assert seconds < 10, "the deadline must end it"
    assert server.proc.poll() is None


def test_client_disappears_mid_response(server):
    """The client reads 64 KiB of a 20 MB file and goes: the request is logged as 200
    with %X 'X' (aborted) and the server goes on serving."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(b"GET /huge.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
    got = 0
    while got < 65536:
        got += len(s.recv(65536))
    s.close()
    deadline = time.monotonic() + 10
    log = server.root / "logs" / "access_log"
    while time.monotonic() < deadline:
        if log.exists() and '"GET /huge.bin HTTP/1.1" 200' in log.read_text():
            break
        time.sleep(0.1)
    line = [l for l in log.read_text().splitlines() if "/huge.bin" in l][-1]
    assert " 200 " in line and "conn=X" in line
    s2 = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s2.sendall(b"GET /hello.txt HTTP/1.0\r\n\r\n")
    assert s2.recv(100).startswith(b"HTTP/1.1 200 OK")
    s2.close()
