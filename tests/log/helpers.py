"""Hand-built requests and servers for the logging tests (tests/log/ and
tests/directives/mod_log_config/), and a real config loader; the ``loaded`` fixture
(tests/conftest.py) opens a loaded config's logs."""
from __future__ import annotations

import io
from pathlib import Path

from directives import mod_log_config as lc
from directives import mod_logio
from httpd.core.config import CoreServerConfig, LogConfig
from httpd.http.core import HttpServerConfig
from directives.mod_log_config.items import ITEMS, compile_format, render
from httpd.main import cli
from httpd.request.record import ConnInfo, Headers, Request
from httpd.config.server import ServerRec

HANDLERS = {**lc.LOG_HANDLERS, **mod_logio.LOG_HANDLERS}
FUNCTIONS = {**ITEMS, **mod_logio.ITEMS}
COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'
COMMON = '%h %l %u %t "%r" %>s %b'
VHOST_COMBINED = '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"'

# 2026-11-26 11:11:53.429158 UTC
T0 = 1795691513.429158


def make_server(hostname: str = "localhost", port: int = 0, **core) -> ServerRec:
    c = CoreServerConfig(server_hostname=hostname, port=port, log=LogConfig(4),
                         error_fname="logs/error_log")
    for k, v in core.items():
        setattr(c, k, v)
    return ServerRec(module_config={"core_module": c, "http_module": HttpServerConfig()})


def make_request(server=None, headers=(), **kw) -> Request:
    conn = kw.pop("conn", None) or ConnInfo("127.0.0.1", 43256, "127.0.0.1", 18081)
    fields = dict(the_request="GET /index.html?a=b HTTP/1.1", method="GET",
                  unparsed_uri="/index.html?a=b", uri="/index.html", args="a=b",
                  protocol="HTTP/1.1", hostname="x", request_time=T0, status=200,
                  bytes_sent=6, sent_bodyct=True)
    fields.update(kw)
    return Request(conn, server if server is not None else make_server(), None,
                   headers_in=Headers(list(headers)), **fields)


def line(fmt: str, r: Request, orig: Request = None) -> str:
    """The line ``fmt`` logs for ``r`` (without its newline)."""
    items, err = lc.parse_log_string(fmt, HANDLERS)
    assert err is None, err
    return render(compile_format(items, FUNCTIONS), r, orig or r)[:-1]


PREFIX = ("LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n"
          "ServerName localhost\n")


def load(tmp_path: Path, body: str, *defines: str):
    """Read and walk ``PREFIX + body`` with ServerRoot ``tmp_path``: the Process."""
    (tmp_path / "logs").mkdir(exist_ok=True)
    conf = tmp_path / "httpd.conf"
    conf.write_text(PREFIX + body, encoding="latin-1")
    args = ["-d", str(tmp_path), "-f", str(conf)]
    for d in defines:
        args += ["-D", d]
    opts = cli.parse_args("httpd", args)
    process = cli.make_process("httpd", opts, stream=io.StringIO())
    cli.load_config(process, opts)
    return process
