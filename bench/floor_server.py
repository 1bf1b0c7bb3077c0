#!/usr/bin/env python3
"""The floor: the least a CPython prefork server can do per request, for comparison.

    python bench/floor_server.py --port P --docs DIR [--procs 4] [--parse none|httptools]

Not a server anyone should run: it answers every GET with bytes made at start-up (the
file's whole response, head and body, looked up by path with the query cut off), and
does nothing an HTTP server must do beyond that (no Date, no header checks, no
conditional requests, no logging, no config).  Its only use is as a bound in
bench/http_bench.py (``--floor``): whatever a CPython server does per request costs at
least what this costs, so its rate beside Apache's says which ratios any server written
in CPython can reach on this machine.

--parse none finds the end of the head and the request line's path and nothing else;
--parse httptools also parses every field with httptools (llhttp), as a real server
must read them.  The parent forks --procs children that share the listening socket and
block in accept, as prefork does (no accept mutex: Linux wakes one).
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from pathlib import Path


def responses(docs: Path) -> dict:
    out = {}
    for p in docs.rglob("*"):
        if p.is_file():
            body = p.read_bytes()
            head = (f"HTTP/1.1 200 OK\r\nServer: floor\r\nContent-Length: {len(body)}\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n").encode()
            out["/" + str(p.relative_to(docs))] = head + body
    return out


NOT_FOUND = (b"HTTP/1.1 404 Not Found\r\nServer: floor\r\nContent-Length: 9\r\n"
             b"Content-Type: text/plain\r\n\r\nnot found")


def serve_plain(conn: socket.socket, table: dict) -> None:
    buf = b""
    recv = conn.recv
    send = conn.sendall
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            data = recv(65536)
            if not data:
                return
            buf += data
            continue
        line = buf[:buf.find(b"\r\n")]
        target = line.split(b" ", 2)[1]
        path = target.split(b"?", 1)[0].decode("latin-1")
        buf = buf[end + 4:]
        send(table.get(path, NOT_FOUND))


def serve_httptools(conn: socket.socket, table: dict) -> None:
    import httptools

    class Proto:
        __slots__ = ("url", "headers", "done")

        def __init__(self):
            self.url = b""
            self.headers = []
            self.done = []

        def on_url(self, url):
            self.url += url

        def on_header(self, name, value):
            self.headers.append((name, value))

        def on_message_complete(self):
            self.done.append((self.url, self.headers))
            self.url = b""
            self.headers = []

    proto = Proto()
    parser = httptools.HttpRequestParser(proto)
    recv = conn.recv
    send = conn.sendall
    while True:
        data = recv(65536)
        if not data:
            return
        parser.feed_data(data)
        for url, _headers in proto.done:
            path = url.split(b"?", 1)[0].decode("latin-1")
            send(table.get(path, NOT_FOUND))
        proto.done.clear()


def child(lsock: socket.socket, table: dict, parse: str) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    serve = serve_httptools if parse == "httptools" else serve_plain
    while True:
        conn, _ = lsock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            serve(conn, table)
        except (OSError, IndexError, ValueError):
            pass
        finally:
            conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--docs", required=True)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--parse", choices=("none", "httptools"), default="none")
    args = ap.parse_args()
    table = responses(Path(args.docs))
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.port))
    lsock.listen(511)
    kids = []
    for _ in range(args.procs):
        pid = os.fork()
        if pid == 0:
            try:
                child(lsock, table, args.parse)
            finally:
                os._exit(0)
        kids.append(pid)

    def stop(*_):
        for pid in kids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in kids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
