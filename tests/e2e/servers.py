"""Start real servers for tests: httpd -X, and Apache on the same config.

The one copy of free_port, wait_listening, the Server handle (stopped by its own pid),
write_config and raw_request: every test that starts a server or speaks raw HTTP to
one uses these (tests/e2e/mpm.py builds the multi-process servers on them,
tests/conformance/apache.py the record/replay harness).

Each server gets a scratch ServerRoot, a free 127.0.0.1 port, and is stopped by its own
pid.  The config text is shared: LoadModule lines name Debian's module files, which
Apache loads and httpd resolves by module name.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent.parent
APACHE = shutil.which("apache2") or ("/usr/sbin/apache2" if os.path.exists("/usr/sbin/apache2")
                                     else None)
MODDIR = "/usr/lib/apache2/modules"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start listening")


class Server:
    """A running server; ``stop()`` ends it by pid."""

    def __init__(self, kind: str, root: Path, port: int, proc: subprocess.Popen):
        self.kind, self.root, self.port, self.proc = kind, root, port, proc

    @property
    def error_log(self) -> str:
        p = self.root / "logs" / "error_log"
        return p.read_text(errors="replace") if p.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe:
                pipe.close()


def write_config(root: Path, body: str, port: int, mpm: str = "prefork",
                 modules: tuple = ("authz_core", "authz_host", "mime", "dir", "alias")) -> Path:
    (root / "logs").mkdir(exist_ok=True)
    loads = "".join(f"LoadModule {m}_module {MODDIR}/mod_{m}.so\n"
                    for m in (f"mpm_{mpm}",) + tuple(modules))
    conf = root / "httpd.conf"
    types = f"TypesConfig {ROOT}/conf/mime.types\n" if "mime" in modules else ""
    conf.write_text(f"ServerRoot {root}\n{loads}Listen 127.0.0.1:{port}\n"
                    f"ServerName localhost\nPidFile {root}/logs/httpd.pid\n"
                    f"ErrorLog {root}/logs/error_log\n{types}{body}")
    return conf


def spawn(kind: str, argv: list, root: Path, port: int, env: Optional[dict] = None,
          seconds: float = 10.0, **popen) -> Server:
    """Start ``argv`` and wait (bounded) until it listens on ``port``; on failure it is
    killed and RuntimeError carries what it printed."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.STDOUT)
    proc = subprocess.Popen(argv, env=env, **popen)
    try:
        wait_listening(port, proc, seconds)
    except RuntimeError:
        proc.kill()
        out = b"".join(x or b"" for x in proc.communicate(timeout=5)).decode(errors="replace")
        raise RuntimeError(f"{kind} did not start:\n{out}") from None
    return Server(kind, root, port, proc)


def start_httpd(root: Path, body: str, env: Optional[dict] = None, args: tuple = ("-X",),
                seconds: float = 10.0, popen: Optional[dict] = None, **kw) -> Server:
    """``python -m httpd`` (``-X`` unless ``args`` say otherwise) on ``write_config``'s
    file; ``kw`` go to write_config, ``popen`` to subprocess.Popen."""
    port = free_port()
    conf = write_config(root, body, port, **kw)
    env = dict(os.environ, **(env or {}))
    # this checkout first; an env PYTHONPATH (a test's own plug-in modules) after it
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH"))
                                        if p)
    return spawn("httpd", [sys.executable, "-m", "httpd", *args, "-d", str(root), "-f",
                           str(conf)], root, port, env, seconds, **(popen or {}))


def start_apache(root: Path, body: str, env: Optional[dict] = None, args: tuple = ("-X",),
                 popen: Optional[dict] = None, **kw) -> Optional[Server]:
    """The real apache2 on the same kind of file (None where it is not installed)."""
    if APACHE is None:
        return None
    port = free_port()
    conf = write_config(root, body, port, **kw)
    return spawn("apache2", [APACHE, *args, "-d", str(root), "-f", str(conf)], root, port,
                 dict(os.environ, **(env or {})), **(popen or {}))


def raw_request(port: int, data: bytes, wait: float = 2.5, total: float = 10.0,
                ip: str = "127.0.0.1", done=None) -> tuple[bytes, bool]:
    """Send ``data``; read until the server closes (True) or is silent ``wait`` s (False),
    ``total`` s at most, or until ``done(bytes so far)`` says the answer is whole."""
    out = bytearray()
    closed = False
    with socket.create_connection((ip, port), timeout=wait) as s:
        s.sendall(data)
        deadline = time.monotonic() + total
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            out += chunk
            if done is not None and done(bytes(out)):
                break
    return bytes(out), closed


def start_pair(root: Path, body: str, **kw) -> tuple[Server, Optional[Server]]:
    """httpd and (when installed) Apache on the same config, each in its own folder of
    ``root`` ("ours", "theirs"); Apache is None without the apache2 binary.  Stop both
    with ``stop_pair``."""
    for name in ("ours", "theirs"):
        (root / name).mkdir(exist_ok=True)
    ours = start_httpd(root / "ours", body, **kw)
    try:
        theirs = start_apache(root / "theirs", body, **kw)
    except Exception:          # never leave httpd behind
        ours.stop()
        raise
    return ours, theirs


def stop_pair(pair: tuple) -> None:
    for server in pair:
        if server is not None:
            server.stop()


def answer(server: Server, raw: str) -> tuple[int, dict, bytes]:
    """(status, fields by lower-cased name (first of each), body) of one raw request on
    a fresh connection; the server's own port reads ``PORT`` in fields and body.
    Status 0: the server closed without a byte."""
    data, _ = raw_request(server.port, raw.encode("latin-1"), wait=2.0)
    if not data:
        return 0, {}, b""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").replace(f":{server.port}", ":PORT").split("\r\n")
    fields: dict = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields.setdefault(k.strip().lower(), v.strip())
    return int(lines[0].split(" ")[1]), fields, body.replace(f":{server.port}".encode(),
                                                             b":PORT")
