"""Run requests through the whole pipeline on a real config, without sockets.

``Server(tmp_path, body)`` reads and walks ``httpd.conf`` (the body after a prefix that
loads the modules under test), runs post_config (mod_mime's types), and
``server.get("/path")`` answers like the connection would: vhost selection, then
``process_request``; it returns the request whose response goes out.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from httpd.main import cli

from httpd.request import vhost as vhost_select
from httpd.http.request import die, final_request, hook_table, process_request
from httpd.protocol import M_INVALID, METHODS
from httpd.request.record import ConnInfo, Headers, Request
from tests.request.scenarios import MIME_TYPES

MODULES = ("authz_core", "authz_host", "mime", "dir", "alias")
PREFIX = ("LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n"
          + "".join(f"LoadModule {m}_module modules/mod_{m}.so\n" for m in MODULES)
          + "ServerName localhost\nErrorLog error.log\nTypesConfig mime.types\n")


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
        for m in self.process.registry.loaded:
            hook = m.hooks.get("post_config")
            if hook is not None:
                assert hook(self.process, self.process.main_server) is not False
        self.table = hook_table(self.process)

    def request(self, target: str, method: str = "GET", host: str = "localhost",
                headers=(), client_ip: str = "127.0.0.1", local_ip: str = "127.0.0.1",
                local_port: int = 80, protocol: str = "HTTP/1.1") -> Request:
        conn = ConnInfo(client_ip, 40000, local_ip, local_port)
        base = vhost_select.update_vhost_given_ip(self.process, conn)
        fields = ([("Host", host)] if host is not None else []) + list(headers)
        hostname = None
        if target.startswith(("http://", "https://")):      # what the protocol layer does
            hostname, _, rest = target.split("://", 1)[1].partition("/")
            hostname = hostname.rpartition(":")[0] or hostname
            path_and_query = "/" + rest
        else:
            path_and_query = target
        path, q, query = path_and_query.partition("?")
        r = Request(conn=conn, server=base, process=self.process, method=method,
                    method_number=METHODS.get(method, M_INVALID), header_only=method == "HEAD",
                    the_request=f"{method} {target} {protocol}", protocol=protocol,
                    proto_num=1000 + int(protocol[-1]) if protocol[-3:-2] == "1" else 1001,
                    unparsed_uri=target, uri=path, args=query if q else None,
                    hostname=hostname, headers_in=Headers(fields))
        status = vhost_select.update_vhost_from_headers(r)
        if status != 200:           # the protocol layer answers a bad Host itself
            die(status, r)
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


@pytest.fixture
def server(tmp_path):
    def make(body: str, files: dict = None, prefix: str = PREFIX) -> Server:
        tree(tmp_path, files or {})
        return Server(tmp_path, body, prefix)
    return make
