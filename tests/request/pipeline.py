"""Run requests through the whole pipeline on a real config, without sockets.

``Server(tmp_path, body)`` reads and walks ``httpd.conf`` (the body after a prefix that
loads the modules under test), runs post_config (mod_mime's types), and
``server.get("/path")`` answers like the connection would: vhost selection, then
``process_request``; it returns the request whose response goes out.  The ``server`` fixture
(tests/conftest.py) makes one in the test's tmp_path.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

from httpd.main import cli
from httpd.module.hooks import failed

from httpd.request import vhost as vhost_select
from httpd.http.request import die, final_request, hook_table, process_request
from httpd.io.connection import protocol_error_request, request_from_head
from httpd.protocol import HTTPConnection, Limits, ProtocolError
from httpd.request.record import ConnInfo, Request
from tests.conformance.request.scenarios_base import MIME_TYPES

MODULES = ("authz_core", "authz_host", "mime", "dir", "alias")
PREFIX = ("LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n"
          + "".join(f"LoadModule {m}_module modules/mod_{m}.so\n" for m in MODULES)
          + "ServerName localhost\nErrorLog error.log\nTypesConfig mime.types\n")


def head_bytes(target: str, method: str = "GET", host=None, headers=(),
               protocol: str = "HTTP/1.1") -> bytes:
    fields = ([("Host", host)] if host is not None else []) + list(headers)
    return (f"{method} {target} {protocol}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n").encode("latin-1")


def parse_request(process, conn: ConnInfo, raw: bytes) -> Request:
    """What httpd.io.connection does with the bytes of a head: the base server by the
    local address, the head read by HTTPConnection with that server's limits, the record
    built by request_from_head and its virtual host chosen by name; a head the protocol
    refuses is answered with its status (ap_die), as _answer_protocol_error does."""
    base = vhost_select.update_vhost_given_ip(process, conn)
    hconn = HTTPConnection(Limits.from_core(base.module_config["core_module"]))
    hconn.receive_data(raw)
    head = hconn.next_event()
    if isinstance(head, ProtocolError):
        return protocol_error_request(process, conn, base, head)
    r = request_from_head(process, conn, base, head)
    status = vhost_select.update_vhost_from_headers(r)
    r.per_dir_config = r.server.lookup_defaults
    if status != 200:
        die(status, r)
    return r


class Server:
    def __init__(self, root: Path, body: str, prefix: str = PREFIX):
        self.root = root
        (root / "mime.types").write_text(MIME_TYPES)
        conf = root / "httpd.conf"
        conf.write_text(prefix + body.replace("$ROOT", str(root)), encoding="latin-1")
        self.stream = io.StringIO()
        opts = cli.parse_args("httpd", ["-d", str(root), "-f", str(conf), "-e", "debug"])
        self.process = cli.make_process("httpd", opts, stream=self.stream)
        cli.load_config(self.process, opts)
        assert not failed(self.process.registry.hooks.run(
            "post_config", self.process, self.process.main_server))
        self.table = hook_table(self.process)

    def request(self, target: str, method: str = "GET", host: str = "localhost",
                headers=(), client_ip: str = "127.0.0.1", local_ip: str = "127.0.0.1",
                local_port: int = 80, protocol: str = "HTTP/1.1") -> Request:
        """The request as the connection serves it: the head parsed by the protocol
        layer (its Host check, fix_hostname, included), the record built from it, the
        virtual host chosen, the pipeline run."""
        conn = ConnInfo(client_ip, 40000, local_ip, local_port)
        r = parse_request(self.process, conn, head_bytes(target, method, host, headers,
                                                         protocol))
        if r.status != 200:           # the protocol layer answered the head itself
            return r
        process_request(r, self.table)
        return final_request(r)

    get = request

    def log(self) -> str:
        return self.stream.getvalue()


def tree(root: Path, files: dict) -> None:
    """Create files ({"a/b.txt": "text"}) and symlinks ({"l": ("->", target)})."""
    for name, content in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, tuple):
            os.symlink(content[1], p)
        elif content is None:
            p.mkdir(exist_ok=True)
        else:
            p.write_text(content)


# a DocumentRoot open to all and a small tree, for the modules' request-time tests
OPEN = """DocumentRoot $ROOT/htdocs
<Directory />
Require all granted
</Directory>
"""
FILES = {"htdocs/a.txt": "a", "other/z.txt": "z", "other/sub/y.txt": "y",
         "htdocs/d/index.html": "i", "htdocs/fallback.txt": "fb"}
