"""Take the mod_autoindex goldens from real Apache: ``python -m tests.modules.capture_autoindex``.

Starts apache2 (prefork, 127.0.0.1 on a high port, TZ=UTC) once per case on a scratch
copy of the tree, fetches the case's URIs, stops it by its pid, and writes
``autoindex_golden.json`` next to this file.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.modules import autoindex_cases as C

HERE = Path(__file__).parent
TYPES = str(HERE.parent.parent / "conf" / "mime.types")
PORT = 18491
MODS = ("mpm_prefork", "authz_core", "mime", "dir", "autoindex", "alias")


def fetch(uri: str) -> bytes:
    s = socket.create_connection(("127.0.0.1", PORT), 5)
    s.sendall(f"GET {uri} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    return data


def dechunk(data: bytes) -> bytes:
    out = b""
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out, data = out + data[:size], data[size + 2:]


def run_case(case: str, root: Path, run: Path) -> dict:
    loads = "".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n" for m in MODS)
    conf = run / "httpd.conf"
    conf.write_text(loads + f"Listen 127.0.0.1:{PORT}\nServerName localhost\n"
                    f"PidFile {run}/httpd.pid\nErrorLog {run}/error.log\n"
                    + C.config(case, root, TYPES))
    env = dict(os.environ, TZ="UTC", APACHE_RUN_DIR=str(run))
    subprocess.run(["apache2", "-d", str(run), "-f", str(conf), "-k", "start"], env=env,
                   check=True, timeout=20)
    pid = None
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", PORT), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        out = {}
        for uri in C.uris(case):
            head, _, body = fetch(uri).partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            fields = [tuple(l.split(": ", 1)) for l in lines[1:]
                      if not l.startswith(("Date:", "Server:", "Connection:"))]
            if ("Transfer-Encoding", "chunked") in fields:
                body = dechunk(body)
            out[uri] = {"status": lines[0], "fields": fields, "body": body.decode("latin-1")}
        return out
    finally:
        pid = int((run / "httpd.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        for _ in range(200):
            try:
                os.kill(pid, 0)
                time.sleep(0.05)
            except ProcessLookupError:
                break


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = C.make_tree(Path(tmp) / "tree")
        C.header_dir(root)
        os.utime(root, (C.DIR_MTIME, C.DIR_MTIME))
        run = Path(tmp) / "run"
        run.mkdir()
        golden = {case: run_case(case, root, run) for case in C.CASES}
    (HERE / "autoindex_golden.json").write_text(json.dumps(golden, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
