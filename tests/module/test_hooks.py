"""httpd/module/hooks.py: hooks are declared, a module's hooks are checked against the
declarations when it is built, and one table per generation runs them all in order:
what the modules declare (FIRST, MIDDLE, LAST) and the order a HookTable runs them in."""
from __future__ import annotations

import pytest

from directives import mod_env, mod_headers, mod_setenvif
from httpd.module import Module
from httpd.module.hooks import (DECLINED, DONE, FIRST, HOOKS, LAST, MIDDLE, OK, HookSpec,
                                HookTable, Kind, declare, failed)
from httpd.module.registry import catalogue, import_module_decl
from tests.directives.harness import HOOKS as TABLE


class TestHookOrder:
    def test_declared_as_apache(self):
        assert mod_headers.MODULE.hooks["fixups"][1] == LAST
        assert mod_headers.MODULE.hooks["post_read_request"][1] == FIRST
        assert mod_env.MODULE.hooks["fixups"][1] == MIDDLE
        assert mod_setenvif.MODULE.hooks["header_parser"][1] == MIDDLE
        assert mod_setenvif.MODULE.hooks["post_read_request"][1] == MIDDLE
        names = [fn.__module__ for fn in TABLE.hooks["fixups"]]
        assert names == ["directives.mod_env", "directives.mod_headers.runtime"]


def test_apaches_hooks_are_declared_by_the_core():
    for name in ("pre_config", "test_config", "post_config", "drop_privileges", "child_init",
                 "child_stopping", "child_stopped", "read_deadlines", "post_read_request",
                 "translate_name", "map_to_storage", "header_parser", "access_checker",
                 "access_checker_ex", "check_user_id", "auth_checker", "type_checker",
                 "fixups", "insert_filter", "insert_error_filter", "handler",
                 "quick_handler", "log_transaction"):
        assert HOOKS[name].declared_by == "core", name
    assert HOOKS["handler"].kind is Kind.RUN_FIRST
    assert HOOKS["fixups"].kind is Kind.RUN_ALL
    assert HOOKS["insert_filter"].kind is Kind.VOID
    assert HOOKS["drop_privileges"].params == ("process", "server")


def test_a_module_declares_its_own_hook():
    from directives import mod_status
    assert HOOKS["status_hook"] == mod_status.STATUS_HOOK
    assert HOOKS["status_hook"].declared_by == "status_module"
    assert HOOKS["status_hook"].params == ("r", "flags")


def test_every_module_of_the_catalogue_joins_only_declared_hooks():
    for name in catalogue().modules:
        m = import_module_decl(name)
        assert set(m.hooks) <= set(HOOKS), name


def test_an_unknown_hook_name_is_refused():
    with pytest.raises(ValueError, match="x_module: no hook 'fixup' is declared"):
        Module("x_module", "mod_x.c", hooks={"fixup": lambda r: OK})


def test_a_function_that_cannot_take_the_parameters_is_refused():
    with pytest.raises(ValueError, match=r"hook 'post_config' calls its functions with "
                                         r"\(process, server\)"):
        Module("x_module", "mod_x.c", hooks={"post_config": lambda process: True})
    with pytest.raises(ValueError, match="hook 'fixups'"):
        Module("x_module", "mod_x.c", hooks={"fixups": lambda: OK})


def test_a_malformed_entry_is_refused():
    with pytest.raises(ValueError, match=r"wants fn or \(fn, order\)"):
        Module("x_module", "mod_x.c", hooks={"fixups": (lambda r: OK, "LAST")})
    with pytest.raises(ValueError, match="is not callable"):
        Module("x_module", "mod_x.c", hooks={"fixups": "fixup_env"})


def test_flexible_signatures_are_accepted():
    Module("x_module", "mod_x.c", hooks={"fixups": lambda *a: OK,
                                         "child_stopped": lambda p, graceful=False: None})


def test_declaring_twice():
    spec = HookSpec("test_hook_twice", Kind.VOID, ("r",), declared_by="x_module")
    try:
        assert declare(spec) is spec
        declare(HookSpec("test_hook_twice", Kind.VOID, ("r",), declared_by="x_module"))
        with pytest.raises(ValueError, match="already declared by x_module"):
            declare(HookSpec("test_hook_twice", Kind.RUN_ALL, ("r",), declared_by="y_module"))
    finally:
        HOOKS.pop("test_hook_twice", None)


def _m(name, **hooks):
    return Module(name, f"mod_{name}.c", hooks=hooks)


def test_one_table_covers_every_hook_in_order():
    seen = []
    a = _m("a", fixups=(lambda r: seen.append("a") or DECLINED, LAST),
           pre_config=lambda process: seen.append("pre a"))
    b = _m("b", fixups=(lambda r: seen.append("b") or OK, FIRST),
           pre_config=lambda process: seen.append("pre b"))
    table = HookTable([a, b])
    assert table.run_all("fixups", None) == OK and seen == ["b", "a"]
    assert table.run("pre_config", None) == OK and seen[2:] == ["pre a", "pre b"]
    assert table.functions("child_init") == ()          # declared, joined by nobody
    with pytest.raises(KeyError):
        table.functions("no_such_hook")


def test_kinds_run_as_apache_runs_them():
    calls = []
    first = HookTable([_m("a", read_deadlines=lambda s: DECLINED),
                       _m("b", read_deadlines=lambda s: ("h", "b")),
                       _m("c", read_deadlines=lambda s: calls.append("c"))])
    assert first.run("read_deadlines", None) == ("h", "b") and calls == []
    assert HookTable([]).run("read_deadlines", None) == DECLINED
    every = HookTable([_m("a", post_config=lambda p, s: True),
                       _m("b", post_config=lambda p, s: False),
                       _m("c", post_config=lambda p, s: calls.append("c"))])
    assert every.run("post_config", None, None) is False and calls == []
    assert failed(False) and failed("AH02162: setuid failed") and failed(DONE) and failed(500)
    assert not failed(OK) and not failed(DECLINED) and not failed(None) and not failed(True)
    void = HookTable([_m("a", child_init=lambda p, s: calls.append("a") or 500),
                      _m("b", child_init=lambda p, s: calls.append("b"))])
    assert void.run("child_init", None, None) is None and calls == ["a", "b"]


class TestOptionalHooks:
    """Module.optional_hooks (APR_OPTIONAL_HOOK): a hook another module declares, joined
    without importing it."""

    def test_undeclared_is_accepted_and_never_run(self):
        m = Module("opt_a_module", "mod_opt_a.c",
                   optional_hooks={"no_such_hook_yet": lambda r, flags: "x"})
        table = HookTable([m])
        assert "no_such_hook_yet" not in HOOKS
        with pytest.raises(KeyError):
            table.functions("no_such_hook_yet")

    def test_declared_is_joined_in_order(self):
        declare(HookSpec("opt_test_hook", Kind.RUN_ALL, ("r", "flags"), "a test hook",
                         declared_by="opt_b_module"))
        try:
            def first(r, flags):
                return "1"

            def second(r, flags):
                return "2"
            m1 = Module("opt_c_module", "mod_opt_c.c",
                        optional_hooks={"opt_test_hook": (second, LAST)})
            m2 = Module("opt_d_module", "mod_opt_d.c",
                        hooks={"opt_test_hook": (first, FIRST)})
            assert HookTable([m1, m2]).functions("opt_test_hook") == (first, second)
            bad = Module("opt_e_module", "mod_opt_e.c",
                         optional_hooks={"opt_test_hook": lambda r: None})
            with pytest.raises(ValueError):
                HookTable([bad])
        finally:
            del HOOKS["opt_test_hook"]

    def test_perchild_joins_status_hook_only_with_mod_status(self):
        import mpms.perchild as pc
        assert "status_hook" not in pc.MODULE.hooks
        assert pc.MODULE.optional_hooks["status_hook"][0] is pc.perchild_status
