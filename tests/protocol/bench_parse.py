"""Parse throughput of the protocol layer for a typical browser GET (not a pytest file).

    python tests/protocol/bench_parse.py

Prints requests per second (best of 5 runs) for: the head alone on a fresh connection;
a keep-alive cycle (head, the keep-alive decision, start_next_request); 100 pipelined requests from
one buffer; and a POST with a 4 KB chunked body read through.
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from httpd.protocol import HTTPConnection, KeepAlive, RequestHead, set_keepalive  # noqa: E402

BROWSER_GET = (
    b"GET /index.html?lang=en HTTP/1.1\r\n"
    b"Host: www.example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    b"*/*;q=0.8\r\n"
    b"Accept-Language: en-US,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"Connection: keep-alive\r\n"
    b"Cookie: session=abcdef0123456789; theme=dark\r\n"
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"Sec-Fetch-Dest: document\r\n"
    b"Sec-Fetch-Mode: navigate\r\n"
    b"Sec-Fetch-Site: none\r\n"
    b"Sec-Fetch-User: ?1\r\n"
    b"\r\n")
POLICY = KeepAlive()


def head_only(n: int) -> None:
    for _ in range(n):
        conn = HTTPConnection()
        conn.receive_data(BROWSER_GET)
        conn.next_event()


def keepalive_cycle(n: int) -> None:
    conn = HTTPConnection()
    for _ in range(n):
        conn.receive_data(BROWSER_GET)
        conn.next_event()
        d = set_keepalive(policy=POLICY, keepalives=0, proto_num=1001,
                          request_connection="keep-alive", status=200, header_only=False,
                          has_length=True)
        conn.start_next_request(d.keep_alive)


def pipelined(n: int) -> None:
    data = BROWSER_GET * 100
    for _ in range(n // 100):
        conn = HTTPConnection()
        conn.receive_data(data)
        for _ in range(100):
            assert isinstance(conn.next_event(), RequestHead)
            conn.start_next_request(True)


CHUNKED = (b"POST /upload HTTP/1.1\r\nHost: www.example.com\r\nTransfer-Encoding: chunked\r\n"
           b"Content-Type: application/octet-stream\r\n\r\n"
           + b"".join(b"400\r\n" + b"x" * 1024 + b"\r\n" for _ in range(4)) + b"0\r\n\r\n")


def chunked_post(n: int) -> None:
    for _ in range(n):
        conn = HTTPConnection()
        conn.receive_data(CHUNKED)
        conn.next_event()
        conn.start_body(1 << 30)
        while type(conn.next_event()).__name__ == "BodyData":
            pass


def rate(fn, n: int) -> float:
    best = 0.0
    for _ in range(5):
        t = time.perf_counter()
        fn(n)
        best = max(best, n / (time.perf_counter() - t))
    return best


def main() -> None:
    print(f"browser GET: {len(BROWSER_GET)} bytes, 12 fields; Python {sys.version.split()[0]}")
    for name, fn, n in [("head only, fresh connection", head_only, 20000),
                        ("keep-alive cycle (head + set_keepalive)", keepalive_cycle, 20000),
                        ("100 pipelined per buffer", pipelined, 20000),
                        ("POST, 4 KB chunked body read", chunked_post, 10000)]:
        r = rate(fn, n)
        print(f"{name:42} {r:>10,.0f} req/s  {1e6 / r:6.1f} us/req")


if __name__ == "__main__":
    main()
