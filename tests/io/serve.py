"""The response path the server runs, for tests that have no socket.

A request head is parsed by the sans-I/O ``HTTPConnection``, its record built by
``httpd.io.connection.request_from_head`` (what ``_serve_request`` does), and the
response written by ``httpd.io.response_write.send_response`` into a channel that keeps
the bytes: so the header filter (``finalize_headers``) and the keep-alive decision
(``set_keepalive``) are the ones the server calls.
"""
from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any, Iterable, Optional

from httpd import protocol as proto
from httpd.io.connection import request_from_head
from httpd.io.response_write import send_response
from httpd.main import cli
from httpd.request.record import ConnInfo, Request


def load_process(root: Path, conf: str = ""):
    """A process from ``conf`` (Apache's defaults otherwise: KeepAlive On, 5 s, 100)."""
    (root / "logs").mkdir(exist_ok=True)
    (root / "htdocs").mkdir(exist_ok=True)
    path = root / "serve.conf"
    path.write_text("LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n"
                    f"ServerName localhost\nErrorLog {root}/logs/error_log\n"
                    f"DocumentRoot {root}/htdocs\n{conf}")
    opts = cli.parse_args("httpd", ["-t", "-d", str(root), "-f", str(path)])
    process = cli.make_process("httpd", opts, stream=io.StringIO())
    cli.load_config(process, opts)
    return process


class Channel:
    """Keeps what the response writer sends."""

    def __init__(self):
        self.out = bytearray()

    def send(self, data, timeout):
        self.out += data

    def sendv(self, a, b, timeout):
        self.out += a + b

    def sendfile(self, fr, timeout, use_sendfile):
        with open(fr.path, "rb") as f:
            f.seek(fr.offset)
            data = f.read(fr.length)
        self.out += data
        return len(data)


class _Serving:
    """What send_response reads of the connection's serving state: nothing here."""


def head_of(raw: bytes, conn: Optional[proto.HTTPConnection] = None,
            limits: Optional[proto.Limits] = None):
    """(connection, the next event) after ``raw`` arrives."""
    if conn is None:
        conn = proto.HTTPConnection(limits or proto.Limits())
    conn.receive_data(raw)
    return conn, conn.next_event()


def respond(process, head: Any, *, status: int = 200, content_type: Optional[str] = None,
            body: Any = b"", fields: Iterable[tuple] = (), env: Optional[dict] = None,
            info: Optional[ConnInfo] = None, conn: Optional[proto.HTTPConnection] = None,
            prepare=None) -> tuple[bytes, Request]:
    """Answer ``head`` as the server would once the handler set ``status``, the
    content type, ``body`` (bytes, or an iterator for a body of unknown length) and
    the response ``fields``: the bytes written and the request record whose response
    went out (its ``conn.keepalive`` is the keep-alive decision).  ``prepare(r)`` runs
    before; the loaded modules' insert_filter hooks run as ap_invoke_handler runs them
    (mod_headers' output filters)."""
    if info is None:
        info = ConnInfo("127.0.0.1", 40000, "127.0.0.1", 80)
    if conn is None:
        conn = proto.HTTPConnection()
    r = request_from_head(process, info, process.main_server, head)
    r.request_time = time.time()
    r.status = status
    r.content_type = content_type
    r.body = body
    for name, value in fields:
        r.headers_out.add(name, value)
    if env:
        r.subprocess_env.update(env)
    if prepare is not None:
        prepare(r)
    ch = Channel()
    process.registry.hooks.run_void("insert_filter", r)
    r = send_response(_Serving(), ch, r, 5.0)
    return bytes(ch.out), r


def fields_of(data: bytes, names: Optional[Iterable[str]] = None) -> list:
    """The header fields of a response (those named, when ``names`` is given)."""
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    out = [tuple(line.split(": ", 1)) for line in lines]
    if names is not None:
        names = set(names)
        out = [f for f in out if f[0] in names]
    return out
