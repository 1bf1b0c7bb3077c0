"""A small stand-in for the config pipeline: the real walk pass, ServerRec and
StartupLog, with a registry that holds only the modules under test.

Directive lines become records the way the read pass makes them, so handlers run
through invoke_cmd exactly as in ``httpd -t``; sections are built by hand.  The
fixtures ``make_process``, ``walk`` and ``invoke`` (tests/conftest.py) hand these out to
the MPM tests (tests/mpm/, tests/mpms/).
"""
from __future__ import annotations

import io
import os

from httpd.config.errors import WalkError
from httpd.config.grammar import getword_conf
from httpd.config.tree import Node
from httpd.config.walk import CmdParms, walk_config
from httpd.log.startup import StartupLog
from tests.module.registries import registry_with
from httpd.config.server import create_server


def FakeRegistry(modules):
    return registry_with(modules)


class FakeProcess:
    """What handlers and check hooks touch on httpd.config.process.Process."""

    def __init__(self, modules, level="warn"):
        self.argv0 = "httpd"
        self.registry = FakeRegistry(modules)
        self.log = StartupLog(stream=io.StringIO(), level=level)
        self.mpm_state = None
        self.server_root = "/tmp"
        self.main_server = None

    def server_root_relative(self, path):
        return path if path.startswith("/") else os.path.join(self.server_root, path)

    @property
    def output(self) -> list[str]:
        return [text for _level, text in self.log.records]


def nodes_from(text: str, filename: str = "httpd.conf") -> list[Node]:
    """Directive records from config text; ``<Section ...>`` lines nest."""
    top: list[Node] = []
    stack: list[Node] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, pos = getword_conf(line)
        rest = line[pos:]
        if name.startswith("</"):
            stack.pop()
            continue
        if name.startswith("<"):
            name, rest = name.rstrip(">"), rest.rstrip(">").strip() or ">"
        node = Node(name, rest, filename, lineno, parent=stack[-1] if stack else None)
        (stack[-1].children if stack else top).append(node)
        if name.startswith("<"):
            node.children = []
            stack.append(node)
    return top


class Config:
    """Walk ``text`` on a fresh main server; ``error`` is the AH00526 message or None."""

    def __init__(self, process: FakeProcess, text: str):
        self.process = process
        self.server = create_server(process)
        process.main_server = self.server
        self.error = None
        self.line = None
        try:
            walk_config(nodes_from(text), CmdParms(process, self.server,
                                                   context=self.server.lookup_defaults))
        except WalkError as e:
            self.error, self.line = e.msg, e.node.line

    def check(self):
        """Run every module's check_config, as the CLI does after the walk."""
        for m in self.process.registry.loaded:
            if m.check_config is not None:
                err = m.check_config(self.process, self.server)
                assert err is None
        return self.process.mpm_state


def invoke_in(process: FakeProcess, section: str, line: str):
    """Run one directive line inside ``section`` (``<VirtualHost *:80>``,
    ``<Directory />``, ...) the way the walk runs a section's children."""
    from httpd.config.walk import SECTION_OVERRIDE, invoke_cmd
    sec_name, _ = getword_conf(section)
    parent = Node(sec_name.rstrip(">"), "x>", "httpd.conf", 1, children=[])
    name, pos = getword_conf(line)
    node = Node(name, line[pos:], "httpd.conf", 2, parent=parent)
    virtual = parent.name.lower() == "<virtualhost"
    server = create_server(process, is_virtual=virtual)
    if virtual:
        parms = CmdParms(process, server, context=server.lookup_defaults)
    else:
        parms = CmdParms(process, server, override=SECTION_OVERRIDE, path="/",
                         context=server.lookup_defaults)
    parms.directive = node
    module, cmd = process.registry.find_command(name)
    return invoke_cmd(cmd, parms, None, node.args)
