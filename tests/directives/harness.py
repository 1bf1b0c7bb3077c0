"""Load a config with the real engine and core, and build requests against it.

The request pipeline is written in parallel, so the module tests build the Request a
hook would see by hand: the per-directory config is the server's, merged with the
sections the test names (in the order Apache would merge them), and the hooks are
called directly.
"""
from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Iterable, Optional

import pytest

from directives import mod_env, mod_headers, mod_setenvif
from httpd.main import cli
from httpd.module.hooks import HookTable
from httpd.request.record import ConnInfo, Headers, Request
from tests.core.run import PREFIX

MODULES = ("env", "setenvif", "headers", "autoindex", "mime", "dir", "alias", "authz_core")
_STAMP = re.compile(r"^\[[^\]]+\] \[([^\]]+)\] \[pid \d+:tid \d+\] ")
# the request-time hooks of mod_env, mod_setenvif and mod_headers, in one table
HOOKS = HookTable([mod_env.MODULE, mod_setenvif.MODULE, mod_headers.MODULE])
LOADS = "".join(f"LoadModule {m}_module modules/mod_{m}.so\n" for m in MODULES)


def load(tmp_path: Path, body: str, vhost: bool = False):
    """The Process for ``body`` with this folder's modules (and mod_mime, mod_dir) loaded;
    a config error raises AssertionError with what httpd -t would print."""
    conf = tmp_path / "httpd.conf"
    conf.write_text(PREFIX + LOADS + body, encoding="latin-1")
    opts = cli.parse_args("httpd", ["-t", "-d", str(tmp_path), "-f", str(conf)])
    stream = io.StringIO()
    process = cli.make_process("httpd", opts, stream=stream)
    try:
        cli.load_config(process, opts)
    except cli.ConfigFailed:
        raise AssertionError(stream.getvalue()) from None
    return process


def sections(process, server=None) -> list:
    core = (server or process.main_server).module_config["core_module"]
    return list(core.sec_dir) + list(core.sec_url)


def merged(process, server, picked: Iterable) -> dict:
    """The per-directory configs: server defaults, then each section of ``picked``."""
    out = {}
    for m in process.registry.loaded:
        if m.create_dir_config is None:
            continue
        cfg = server.lookup_defaults[m.name]
        for sec in picked:
            add = sec.configs.get(m.name)
            if add is not None:
                cfg = m.merge_dir_config(cfg, add) if m.merge_dir_config else add
        out[m.name] = cfg
    return out


def request(process, uri: str = "/", headers: Iterable = (), method: str = "GET",
            picked: Optional[Iterable] = None, server=None, args: Optional[str] = None,
            filename: Optional[str] = None, client_ip: str = "127.0.0.1") -> Request:
    """A Request as the hooks see it after map_to_storage (``picked`` sections merged);
    with ``picked`` None the per-dir config is the server's (post_read_request time)."""
    server = server or process.main_server
    conn = ConnInfo(client_ip, 40000, "127.0.0.1", 8080)
    r = Request(conn, server, process, the_request=f"{method} {uri} HTTP/1.1", method=method,
                unparsed_uri=uri + (f"?{args}" if args else ""), uri=uri, args=args,
                hostname="localhost", headers_in=Headers(list(headers)),
                request_time=time.time())
    r.filename = filename
    if picked is not None:
        r.per_dir_config = merged(process, server, picked)
    return r


def section(process, kind: str, path: str, server=None):
    """The recorded section of ``kind`` ("Location", "Directory", ...) for ``path``."""
    for sec in sections(process, server):
        if sec.kind == kind and sec.path == path:
            return sec
    raise KeyError((kind, path))


def error_of(tmp_path, body: str) -> str:
    """The message of the AH00526 error ``body`` causes."""
    with pytest.raises(AssertionError) as e:
        load(tmp_path, body)
    first, _, msg = str(e.value).partition("\n")
    assert first.startswith("AH00526: Syntax error on line "), str(e.value)
    return msg.rstrip("\n")


def warnings_of(tmp_path, body: str) -> list[str]:
    process = load(tmp_path, body)
    return [_STAMP.sub(r"[\1] ", text) for level, text in process.log.records
            if level == "warn"]
