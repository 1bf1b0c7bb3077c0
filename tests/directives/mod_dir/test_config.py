"""mod_dir: DirectoryIndex parsing and Apache 2.4.71's messages."""
from __future__ import annotations

import pytest

from directives import mod_dir
from directives.mod_dir import DirConfig

MODS = [mod_dir.MODULE]


def dir_conf(conf, text) -> DirConfig:
    r = conf(MODS, text)
    assert r.error is None, r.error
    return r.dir_config("dir_module")


def message(conf, text):
    r = conf(MODS, text)
    assert r.error is not None
    return r.error.split("\n", 1)[1]


class TestDirectoryIndex:
    @pytest.mark.parametrize("line,names", [
        ("DirectoryIndex index.html index.php", ["index.html", "index.php"]),
        ("DirectoryIndex disabled", []),
        ("DirectoryIndex DISABLED", []),
        ("DirectoryIndex disabled x", ["disabled", "x"]),
        ("DirectoryIndex x disabled", ["x", "disabled"]),
        ('DirectoryIndex a "" b', ["a"]),       # stops at the first empty word
        ('DirectoryIndex ""', []),
        ("DirectoryIndex", []),                  # accepted: no index file at all
    ])
    def test_names(self, conf, line, names):
        assert dir_conf(conf, line + "\n").index_names == names

    def test_lines_append_and_disabled_clears(self, conf):
        d = dir_conf(conf, "DirectoryIndex a\nDirectoryIndex b c\n")
        assert d.index_names == ["a", "b", "c"]
        assert dir_conf(conf, "DirectoryIndex a\nDirectoryIndex disabled\n").index_names == []

    def test_default(self):
        assert DirConfig().effective_index_names == ["index.html"]


class TestOtherDirectives:
    @pytest.mark.parametrize("arg,status", [("on", 302), ("OFF", 0), ("permanent", 301),
                                            ("temp", 302), ("seeother", 303), ("399", 399),
                                            ("301x", 301)])
    def test_index_redirect(self, conf, arg, status):
        assert dir_conf(conf, f"DirectoryIndexRedirect {arg}\n").redirect_index == status

    @pytest.mark.parametrize("arg,msg", [
        ("foo", "DirectoryIndexRedirect ON|OFF|permanent|temp|seeother|3xx"),
        ("200", "DirectoryIndexRedirect only accepts values between 300 and 399"),
        ("3xx", "DirectoryIndexRedirect only accepts values between 300 and 399"),
    ])
    def test_index_redirect_errors(self, conf, arg, msg):
        assert message(conf, f"DirectoryIndexRedirect {arg}\n") == msg

    def test_flags_and_fallback(self, conf):
        d = dir_conf(conf, "DirectorySlash off\nDirectoryCheckHandler on\nFallbackResource /x\n")
        assert (d.do_slash, d.checkhandler, d.dflt) == (False, True, "/x")
        assert message(conf, "DirectorySlash x\n") == "DirectorySlash must be On or Off"
        assert message(conf, "FallbackResource\n") == \
            "FallbackResource takes one argument, Set a default handler"

    def test_allowed_in_location(self, conf):
        assert conf(MODS, "<Location /x>\nDirectoryIndex x\n</Location>\n").error is None


def test_merge_is_pure():
    base = DirConfig(index_names=["a"], do_slash=False, redirect_index=301, dflt="/f")
    add = DirConfig(checkhandler=True, redirect_index=0)
    m = mod_dir.merge_dir_config(base, add)
    assert (m.index_names, m.do_slash, m.checkhandler, m.redirect_index, m.dflt) == \
        (["a"], False, True, 0, "/f")
    assert mod_dir.merge_dir_config(base, DirConfig(index_names=[])).index_names == []
    assert add.index_names is None and base.checkhandler is None


@pytest.mark.parametrize("body", [
    "DirectoryIndex\n", "DirectoryIndex disabled x\n", "DirectoryIndexRedirect 3xx\n",
    "DirectoryIndexRedirect foo\n", "DirectorySlash x\n", "FallbackResource\n",
])
def test_against_apache(differential, body):
    differential(body)
