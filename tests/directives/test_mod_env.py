"""mod_env: its messages (PassEnv, SetEnv, UnsetEnv) and its fixup."""
from __future__ import annotations

import pytest

from directives import mod_env
from httpd.module.hooks import DECLINED, OK
from tests.directives import harness
from tests.directives.harness import error_of, warnings_of


class TestEnv:
    def test_no_vars_declines(self, tmp_path):
        p = harness.load(tmp_path, "")
        assert mod_env.fixup_env_module(harness.request(p)) == DECLINED

    def test_earlier_values_win(self, tmp_path):
        p = harness.load(tmp_path, "SetEnv foo a\nSetEnv BAR b\n")
        r = harness.request(p)
        r.subprocess_env["FOO"] = "from-setenvif"
        assert mod_env.fixup_env_module(r) == OK
        assert r.subprocess_env == {"FOO": "from-setenvif", "BAR": "b"}


class TestEnvMessages:
    def test_passenv_undefined_warns(self, tmp_path, monkeypatch):
        monkeypatch.delenv("NOPE_X", raising=False)
        assert warnings_of(tmp_path, "PassEnv NOPE_X\n") == [
            "[env:warn] AH01506: PassEnv variable NOPE_X was undefined"]

    @pytest.mark.parametrize("line,shown", [
        ("SetEnv A=B", "'SetEnv A B'"), ("SetEnv A=B C", "'SetEnv A B'"),
        ("SetEnv A==B", "'SetEnv A =B'"), ("SetEnv =A", "'SetEnv A '"),
        ("SetEnv A=", "'SetEnv A '"), ("SetEnv A=B=C x", "'SetEnv A B=C'"),
    ])
    def test_equals_in_name_warns(self, tmp_path, line, shown):
        assert warnings_of(tmp_path, line + "\n") == [
            "[env:warn] AH10032: Spurious usage of '=' in an environment variable name. "
            f"{shown} expected instead?"]

    def test_arity(self, tmp_path):
        assert error_of(tmp_path, "SetEnv a b c\n") == (
            "SetEnv takes 1-2 arguments, an environment variable name and optional value "
            "to pass to CGI.")

    def test_merge(self, tmp_path):
        p = harness.load(tmp_path, "SetEnv A 1\nSetEnv B 2\n<Location /x>\nUnsetEnv A\n"
                                   "SetEnv C 3\nSetEnv D 4\nUnsetEnv D\nSetEnv b low\n"
                                   "</Location>\n")
        merged = harness.merged(p, p.main_server, [harness.section(p, "Location", "/x")])
        assert merged["env_module"].vars == {"B": "low", "C": "3"}

    def test_passenv(self, tmp_path, monkeypatch):
        monkeypatch.setenv("MOD_ENV_TEST", "v")
        p = harness.load(tmp_path, "PassEnv MOD_ENV_TEST\n")
        assert p.main_server.lookup_defaults["env_module"].vars == {"MOD_ENV_TEST": "v"}
