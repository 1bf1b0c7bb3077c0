"""THE record/replay harness for real Apache's answers.

Recording (``python -m tests.conformance.<area>.record``, see tests/README.md): run
``apache2 -t`` on a scratch config (``run_t``), or start a real apache2 on one
(``Apache.foreground`` = ``apache2 -X``, ``Apache.daemon`` = ``apache2 -k start``, both
stopped by their own pid), send raw requests (``Apache.exchange``, ``Apache.get``), and
write what came back to a corpus (``save``).

Replaying: ``load(area, name)`` reads a corpus of tests/conformance/<area>/; the replay
tests beside each corpus run the same inputs through this server's code and compare.

Parsing of recorded answers (``parse_head``, ``dechunk``, ``Response``) lives here too,
for recorders and for the live side-by-side tests (tests/e2e/static.py).  The sockets,
ports and process handles are tests/e2e/servers.py's: one copy of each.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

from tests.e2e.servers import APACHE, MODDIR, ROOT, Server, free_port, raw_request, spawn

__all__ = ["APACHE", "MODDIR", "HERE", "Apache", "Response", "corpus", "dechunk", "free_port",
           "load", "load_modules", "parse_head", "run_t", "save", "statuses"]

HERE = Path(__file__).resolve().parent          # tests/conformance


# -- corpora ----------------------------------------------------------------------------

def corpus(area: str, name: str) -> Path:
    """The path of corpus ``name`` in tests/conformance/<area>/."""
    return HERE / area / name


def load(area: str, name: str) -> Any:
    """A recorded corpus (JSON), for replay."""
    return json.loads(corpus(area, name).read_text(encoding="utf-8"))


def save(area: str, name: str, data: Any, newline: bool = True) -> Path:
    """Write a corpus the way every recorder writes one: indent 1, keys sorted."""
    path = corpus(area, name)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + ("\n" if newline else ""))
    return path


# -- `-t` on a scratch config ------------------------------------------------------------

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HTTPD = [sys.executable, "-m", "httpd"]
STAMP = re.compile(r"^\[[^\]]+\] \[([^\]]+)\] \[pid \d+:tid \d+\] ", re.M)
FULL_STAMP = r"[<TIMESTAMP>] [\1] [pid <PID>:tid <TID>] "     # as the config corpus has it
SHORT_STAMP = r"[\1] "


def run_t(argv: list, case: Path, args=(), env: Optional[dict] = None, mark: str = "<CASE>",
          stamp: str = FULL_STAMP) -> tuple[int, str]:
    """``argv -t -d case -f case/httpd.conf args`` from ``case``, with PATH (PYTHONPATH for
    httpd) and ``env`` the only variables: (exit status, stdout and stderr together), the
    case folder written ``mark`` and each error-log prefix ``stamp``."""
    e = {"PATH": PATH}
    if argv[0] == sys.executable:
        e["PYTHONPATH"] = str(ROOT)
    e.update(env or {})
    p = subprocess.run([*argv, "-t", "-d", str(case), "-f", str(case / "httpd.conf"), *args],
                       cwd=case, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    out = p.stdout.decode("latin-1").replace(str(case), mark)
    return p.returncode, STAMP.sub(stamp, out)


# -- a real apache2 ---------------------------------------------------------------------

def load_modules(*names: str) -> str:
    """``LoadModule`` lines for Debian's module files (``mpm_prefork``, ``mime``, ...)."""
    return "".join(f"LoadModule {m}_module {MODDIR}/mod_{m}.so\n" for m in names)


class Apache:
    """A running apache2 on a scratch config; ``stop()`` ends it by its own pid."""

    def __init__(self, root: Path, port: int, pid: int, server: Optional[Server] = None,
                 pidfile: Optional[Path] = None):
        self.root, self.port, self.pid = root, port, pid
        self._server, self._pidfile = server, pidfile

    @classmethod
    def foreground(cls, root: Path, conf_text: str, port: int, name: str = "httpd.conf",
                   env: Optional[dict] = None) -> "Apache":
        """``apache2 -X`` on ``root/name``; RuntimeError (with its output) if it does not
        start listening on 127.0.0.1:``port`` within 10 s."""
        if APACHE is None:
            raise RuntimeError("apache2 is not installed")
        (root / "logs").mkdir(parents=True, exist_ok=True)
        conf = root / name
        conf.write_text(conf_text)
        srv = spawn("apache2", [APACHE, "-X", "-d", str(root), "-f", str(conf)], root, port,
                    dict(os.environ, **(env or {})))
        return cls(root, port, srv.proc.pid, server=srv)

    @classmethod
    def daemon(cls, root: Path, conf_text: str, port: int, pidfile: Path,
               name: str = "httpd.conf", env: Optional[dict] = None,
               server_root: bool = False, ip: str = "127.0.0.1") -> "Apache":
        """``apache2 [-d root] -f root/name -k start``: the parent detaches and its
        children serve as the config's User; its pid is read from ``pidfile``.  Waits
        (bounded) until ``ip:port`` accepts."""
        if APACHE is None:
            raise RuntimeError("apache2 is not installed")
        conf = root / name
        conf.write_text(conf_text)
        argv = [APACHE] + (["-d", str(root)] if server_root else []) + ["-f", str(conf),
                                                                        "-k", "start"]
        p = subprocess.run(argv, env=dict(os.environ, **(env or {})), capture_output=True,
                           text=True, timeout=30)
        if p.returncode:
            raise RuntimeError(f"apache2 did not start:\n{p.stderr}")
        deadline = time.monotonic() + 10
        while not (pidfile.exists() and pidfile.read_text().strip()):
            if time.monotonic() > deadline:
                raise RuntimeError("apache2 wrote no pid file")
            time.sleep(0.05)
        self = cls(root, port, int(pidfile.read_text()), pidfile=pidfile)
        while True:
            try:
                socket.create_connection((ip, port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("apache2 did not start listening") from None
                time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(200):                 # 10 s at most
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def __enter__(self) -> "Apache":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def exchange(self, raw: bytes, wait: float = 2.0, total: float = 10.0,
                 ip: str = "127.0.0.1", whole: bool = False) -> bytes:
        """Send ``raw`` on a new connection; read until Apache closes, stays silent
        ``wait`` s or (``whole``) the response is complete by its framing."""
        head_only = raw.startswith(b"HEAD ")
        done = (lambda data: complete(data, head_only)) if whole else None
        return raw_request(self.port, raw, wait=wait, total=total, ip=ip, done=done)[0]

    def get(self, uri: str, headers=(), wait: float = 5.0) -> bytes:
        """``GET uri`` with ``Connection: close`` (and ``headers``), the whole answer."""
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
        return self.exchange(f"GET {uri} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                             f"{extra}\r\n".encode("latin-1"), wait=wait, total=60)


# -- answers ----------------------------------------------------------------------------

def complete(data: bytes, head_only: bool = False) -> bool:
    """A whole response (by Content-Length or the last chunk) is there."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    if head_only:
        return True
    status, fields = parse_head(head.decode("latin-1"))
    names = {k.lower(): v for k, v in fields}
    if status in (204, 304) or status < 200:
        return True
    if names.get("transfer-encoding", "").lower() == "chunked":
        return body.endswith(b"0\r\n\r\n")
    if "content-length" in names:
        return len(body) >= int(names["content-length"])
    return False


def parse_head(head: str) -> tuple[int, list[tuple[str, str]]]:
    lines = head.split("\r\n")
    status = int(lines[0].split(" ")[1])
    fields = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields.append((k, v.strip()))
    return status, fields


def dechunk(body: bytes) -> bytes:
    out = bytearray()
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return bytes(out)


class Response:
    def __init__(self, status_line: str, fields: list, body: Optional[bytes],
                 status: Optional[int] = None):
        self.status_line = status_line
        self.status = status if status is not None else int(status_line.split(" ")[1])
        self.fields = fields
        self.body = body

    @classmethod
    def parse(cls, data: bytes, head_only: bool = False) -> "Response":
        head, _, body = data.partition(b"\r\n\r\n")
        text = head.decode("latin-1")
        status, fields = parse_head(text)
        names = {k.lower(): v for k, v in fields}
        if names.get("transfer-encoding", "").lower() == "chunked" and not head_only:
            body = dechunk(body)
        return cls(text.split("\r\n")[0], fields, None if head_only else body, status)

    def get(self, name: str) -> Optional[str]:
        for k, v in self.fields:
            if k.lower() == name.lower():
                return v
        return None

    def names(self) -> list[str]:
        return [k for k, _ in self.fields]


def statuses(data: bytes) -> list[int]:
    """The status codes of the responses in a byte stream, in order (1xx included)."""
    out = []
    pos = 0
    while True:
        m = re.compile(rb"HTTP/\d\.\d (\d{3})[^\r\n]*\r\n").match(data, pos)
        if not m:
            return out
        status = int(m.group(1))
        out.append(status)
        end = data.find(b"\r\n\r\n", m.end() - 2)
        if end < 0:
            return out
        head = data[m.start():end].decode("latin-1").lower()
        pos = end + 4
        if 100 <= status < 200 or status in (204, 304):
            continue
        cl = re.search(r"\r\ncontent-length: *(\d+)", head)
        if "transfer-encoding: chunked" in head:
            while True:
                nl = data.find(b"\r\n", pos)
                if nl < 0:
                    return out
                size = int(data[pos:nl].split(b";")[0] or b"0", 16)
                pos = nl + 2 + size + 2
                if size == 0:
                    break
        elif cl:
            n = int(cl.group(1))
            # a HEAD response carries the length but no body
            if data[pos:pos + 5] in (b"HTTP/",) and n:
                continue
            pos += n
        else:
            return out
