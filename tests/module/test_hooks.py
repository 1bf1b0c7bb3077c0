"""Hook order: what the modules declare (FIRST, MIDDLE, LAST) and the order a HookTable
runs them in."""
from __future__ import annotations

from directives import mod_env, mod_headers, mod_setenvif
from httpd.module.hooks import FIRST, LAST, MIDDLE
from tests.directives.harness import HOOKS


class TestHookOrder:
    def test_declared_as_apache(self):
        assert mod_headers.MODULE.hooks["fixups"][1] == LAST
        assert mod_headers.MODULE.hooks["post_read_request"][1] == FIRST
        assert mod_env.MODULE.hooks["fixups"][1] == MIDDLE
        assert mod_setenvif.MODULE.hooks["header_parser"][1] == MIDDLE
        assert mod_setenvif.MODULE.hooks["post_read_request"][1] == MIDDLE
        names = [fn.__module__ for fn in HOOKS.hooks["fixups"]]
        assert names == ["directives.mod_env", "directives.mod_headers.runtime"]
