"""A small harness for directive tests: the real read and walk passes, a stand-in core.

The real core and CLI are written in parallel, so these tests run the engine
(``reader.build_config``, ``walk.walk_config``, ``invoke_cmd``) with a process that
holds only the modules under test plus a minimal core that has the sections these
modules care about (``<Directory>``, ``<Location>``, ``<Files>``, ``<VirtualHost>``,
``<Limit>``, ``<If>``) and one plain directive (``ServerAdmin``).  Messages come out
in Apache's two formats, so expectations read like ``apache2 -t`` output.
"""
from __future__ import annotations

import io
import os
from typing import Optional

import pytest

from httpd.config import reader
from httpd.config.errors import ConfigError, WalkError
from httpd.config.grammar import getword_conf
from httpd.config.lines import ConfigFile
from httpd.config.walk import CmdParms, walk_config
from httpd.log.startup import StartupLog
from httpd.module import (
    ACCESS_CONF,
    NOT_IN_DIR_CONTEXT,
    OR_ALL,
    OR_AUTHCFG,
    OR_LIMIT,
    RSRC_CONF,
    Args,
    Module,
    directive,
)
from tests.module.registries import registry_with  # noqa: E402
from httpd.config.server import create_server
from httpd.protocol import METHODS


def _section_path(cmd, arg: str) -> str:
    endp = arg.rfind(">")
    word, _ = getword_conf(arg[:endp])
    return word


def _dir_section(cmd, mconfig, arg):
    path = _section_path(cmd, arg)
    override = ACCESS_CONF | OR_ALL
    cmd.walk(cmd.directive.children, {}, path=path, override=override)
    return None


def _vhost(cmd, mconfig, arg):
    s = create_server(cmd.process, is_virtual=True)
    cmd.process.vhosts.append(s)
    cmd.walk(cmd.directive.children, s.lookup_defaults, server=s)
    return None


def _limit(cmd, mconfig, arg):
    bits = 0
    for m in arg[:arg.rfind(">")].split():
        bits |= 1 << METHODS[m]
    cmd.walk(cmd.directive.children, cmd.context, limited=bits)
    return None


def _server_admin(cmd, mconfig, arg):
    return None


class CoreServerStub:
    """The two fields of core's server config that modules read through the core's
    helpers (regex_cflags, method_number)."""

    def __init__(self, server=None):
        self.regex_default_cflags = None
        self.methods: dict = {}


FAKE_CORE = Module("core_module", "core.c", create_server_config=CoreServerStub, directives=(
    directive("<Directory", Args.RAW_ARGS, RSRC_CONF)(_dir_section),
    directive("<Location", Args.RAW_ARGS, RSRC_CONF)(_dir_section),
    directive("<LocationMatch", Args.RAW_ARGS, RSRC_CONF)(_dir_section),
    directive("<Files", Args.RAW_ARGS, OR_ALL)(_dir_section),
    directive("<If", Args.RAW_ARGS, OR_ALL)(_dir_section),
    directive("<VirtualHost", Args.RAW_ARGS, RSRC_CONF)(_vhost),
    directive("<Limit", Args.RAW_ARGS, OR_AUTHCFG | OR_LIMIT)(_limit),
    directive("ServerAdmin", Args.TAKE1, RSRC_CONF,
              "The email address of the server administrator")(_server_admin),
    directive("ServerName", Args.TAKE1, RSRC_CONF, "The hostname and port of the server",
              forbidden=NOT_IN_DIR_CONTEXT)(_server_admin),
))


class StubProcess:
    """Enough of a process for handlers called directly."""

    def __init__(self):
        server = type("Server", (), {})()
        server.module_config = {"core_module": CoreServerStub()}
        self.main_server = server


def FakeRegistry(modules):
    return registry_with(modules)


class FakeProcess:
    """What handlers use of httpd.config.process.Process."""

    def __init__(self, modules, server_root: str):
        self.registry = FakeRegistry([FAKE_CORE] + list(modules))
        self.stream = io.StringIO()
        self.log = StartupLog(stream=self.stream, level="warn")
        self.server_root = server_root
        self.variables: dict[str, str] = {}
        self.defines: list[str] = []
        self.vhosts = []
        self.main_server = None

    def resolve_env(self, line: str) -> str:
        return line

    def server_root_relative(self, path: str) -> str:
        return path if path.startswith("/") else os.path.join(self.server_root, path)

    @property
    def warnings(self) -> list[str]:
        """Error-log lines with the variable prefix cut, like ``[macro:warn] AH...``."""
        out = []
        for line in self.stream.getvalue().splitlines():
            if line.startswith("[") and "] [pid " in line:
                head, _, rest = line.partition("] [")
                level, _, rest = rest.partition("] [pid ")
                line = f"[{level}] " + rest.partition("] ")[2]
            out.append(line)
        return out


class Result:
    def __init__(self, process, tree, error: Optional[str]):
        self.process = process
        self.tree = tree
        self.error = error

    @property
    def server(self):
        return self.process.main_server

    def config(self, module: str):
        return self.server.module_config[module]

    def dir_config(self, module: str):
        return self.server.lookup_defaults[module]


def run_config(modules, text: str, tmp_path, name: str = "httpd.conf",
               check: bool = False) -> Result:
    """Read and walk ``text`` as Apache would; ``error`` holds the output on failure.

    A read-pass error reads ``Syntax error on line N of FILE: msg`` (what follows
    ``apache2: ``); a walk error is the two AH00526 lines joined by a newline.
    """
    path = str(tmp_path / name)
    process = FakeProcess(modules, str(tmp_path))
    process.registry.hooks.run("pre_config", process)
    tree: list = []
    cfg = ConfigFile(path, text)
    try:
        reader.build_config(CmdParms(process, None, cfg=cfg), tree)
    except ConfigError as e:
        node = e.node
        line, fname = (node.line, node.filename) if node else (cfg.line_number, cfg.name)
        return Result(process, tree, f"Syntax error on line {line} of {fname}: {e.msg}")
    server = process.main_server = create_server(process)
    try:
        walk_config(tree, CmdParms(process, server, context=server.lookup_defaults))
    except WalkError as e:
        return Result(process, tree, f"AH00526: Syntax error on line {e.node.line} of "
                                     f"{e.node.filename}:\n{e.msg}")
    if check:
        from httpd.main.cli import check_config
        if not check_config(process, server):
            return Result(process, tree, "AH00014: Configuration check failed")
    return Result(process, tree, None)


@pytest.fixture
def conf(tmp_path):
    """``conf(modules, text)`` -> Result; the file is ``<tmp>/httpd.conf``."""
    def make(modules, text, **kw):
        return run_config(modules, text, tmp_path, **kw)
    make.dir = tmp_path
    make.file = str(tmp_path / "httpd.conf")
    return make


@pytest.fixture
def logged(monkeypatch):
    """What the modules log per request (ap_log_rerror), as "[module:level] text"."""
    lines: list[str] = []

    def record(r, module, level, msg, status=None):
        lines.append(f"[{module}:{level}] {msg}")
    # every ap_log_rerror of the request layer ends in this one function, looked up
    # at each call (httpd.http.request.log_rerror and httpd.request.expr_context's call it)
    import httpd.log.errorlog
    monkeypatch.setattr(httpd.log.errorlog, "log_rerror", record)
    return lines
