"""mod_macro: definitions, expansion and Apache 2.4.71's messages and warnings.

Line numbers: the macro definitions below start on line 1 of the test file.
"""
from __future__ import annotations

import pytest

from directives import mod_macro

MODS = [mod_macro.MODULE]


def read_error(conf, text):
    r = conf(MODS, text)
    assert r.error is not None, "expected an error"
    return r.error


class TestUse:
    def test_wrong_argument_count_is_pinned(self, conf):
        err = read_error(conf, "# c\n\n\n\n<Macro M $a>\nServerAdmin $a\n</Macro>\nUse M x y\n")
        assert err == (f"Syntax error on line 8 of {conf.file}: macro 'm' (defined on line 5 "
                       f"of \"{conf.file}\") used with 2 arguments instead of 1")

    def test_expansion_is_read_as_a_named_source(self, conf):
        r = conf(MODS, "<Macro VHost $name $admin>\nServerName $name\n"
                       "ServerAdmin $admin\n</Macro>\nUse VHost example.org a@b\n")
        assert r.error is None
        (n1, n2) = r.tree
        where = (f"macro 'vhost' (defined on line 1 of \"{conf.file}\") used on line 5 of "
                 f"\"{conf.file}\"")
        assert (n1.name, n1.args, n1.filename, n1.line) == ("ServerName", "example.org", where, 1)
        assert (n2.args, n2.line) == ("a@b", 2)

    def test_walk_error_points_into_the_macro(self, conf):
        r = conf(MODS, "<Macro M $a>\nServerAdmin $a\n</Macro>\n\nUse M \"x y\"\n")
        assert r.error == (
            f"AH00526: Syntax error on line 1 of macro 'm' (defined on line 1 of "
            f"\"{conf.file}\") used on line 5 of \"{conf.file}\":\n"
            "ServerAdmin takes one argument, The email address of the server administrator")

    def test_empty_argument_warning_and_ignore(self, conf):
        r = conf(MODS, '<Macro M $a>\nServerName x$a\n</Macro>\nUse M ""\n')
        assert r.process.warnings == [
            f"[macro:warn] AH02798: macro 'm' (defined on line 1 of \"{conf.file}\") used on "
            f"line 4 of \"{conf.file}\": empty argument #1"]
        r = conf(MODS, 'MacroIgnoreEmptyArgs x y z\n<Macro M $a>\nServerName x$a\n</Macro>\n'
                       'Use M ""\n')
        assert r.process.warnings == []
        r = conf(MODS, '<Macro M /IgnoreEmptyArgs $a>\nServerName x$a\n</Macro>\nUse M ""\n')
        assert r.process.warnings == [] and r.error is None

    @pytest.mark.parametrize("text,line,msg", [
        ("Use\n", 1, "no macro defined before Use"),
        ("Use x\n", 1, "no macro defined before Use"),
        ("<Macro M>\nServerName x\n</Macro>\nUse\n", 4, "no macro name specified with Use"),
        ("<Macro M>\nServerName x\n</Macro>\nUse N\n", 4, "macro 'n' undefined"),
        ("UndefMacro x\n", 1, "no macro defined before UndefMacro"),
        ("UndefMacro\n", 1, "UndefMacro takes one argument, Remove a macro definition."),
        ("UndefMacro a b\n", 1, "UndefMacro takes one argument, Remove a macro definition."),
        ("<Macro M>\nServerName x\n</Macro>\nUndefMacro m\nUndefMacro M\n", 5,
         "cannot remove undefined macro 'm'"),
    ])
    def test_errors(self, conf, text, line, msg):
        assert read_error(conf, text) == f"Syntax error on line {line} of {conf.file}: {msg}"

    def test_recursion(self, conf):
        err = read_error(conf, "<Macro M>\nUse M\n</Macro>\nUse M\n")
        where = (f"macro 'm' (defined on line 1 of \"{conf.file}\") used on line 4 of "
                 f"\"{conf.file}\"")
        assert err == f"Syntax error on line 1 of {where}: recursive use of macro 'm' is invalid"

    def test_unclosed_section_in_expansion(self, conf):
        err = read_error(conf, "<Macro M $a>\n<Directory $a>\n</Macro>\nUse M /tmp\n")
        where = (f"macro 'm' (defined on line 1 of \"{conf.file}\") used on line 4 of "
                 f"\"{conf.file}\"")
        assert err == f"Syntax error on line 1 of {where}: {where}:1: <Directory> was not closed."

    def test_section_may_close_after_the_use_line(self, conf):
        """The expansion is spliced into the file, so sections span the boundary."""
        r = conf(MODS, "<Macro Open $d>\n<Directory $d>\n</Macro>\nUse Open /tmp\n"
                       "</Directory>\n")
        assert r.error is None

    def test_macros_in_macros_and_undef(self, conf):
        r = conf(MODS, "<Macro Outer $x>\n<Macro Inner $y>\nServerName $y-$x\n</Macro>\n"
                       "</Macro>\nUse Outer a\nUse Inner b\nUndefMacro inner\n")
        assert r.error is None
        assert [n.args for n in r.tree] == ["b-a"]
        assert set(mod_macro.state(r.process).macros) == {"outer"}


class TestSubstitution:
    def _expand(self, args, body, values):
        m = mod_macro.Macro("m", list(args), [body], 'defined on line 1 of "f"')
        lines, err = mod_macro.process_content(m, list(values))
        assert err is None
        return lines[0]

    def test_longest_name_wins(self):
        assert self._expand(["$a", "$ab"], "x $ab $a", ["1", "2"]) == "x 2 1"

    def test_at_arguments_are_quoted(self):
        assert self._expand(["@v"], "SetEnv X @v", ['say "hi" \\o/']) == \
            'SetEnv X "say \\"hi\\" \\\\o/"'

    def test_replacement_is_not_rescanned(self):
        assert self._expand(["$a", "$b"], "$a $b", ["$b", "z"]) == "$b z"

    def test_buffer_limit(self):
        m = mod_macro.Macro("m", ["$a"], ["X $a"], 'defined on line 1 of "f"')
        _, err = mod_macro.process_content(m, ["y" * 8200])
        assert err == ("while processing line 1 of macro 'm' (defined on line 1 of \"f\") "
                       "cannot substitute, buffer size too small")


class TestDefinition:
    def test_redefinition_and_unused_argument(self, conf):
        r = conf(MODS, "<Macro M $a $b>\nServerName $a\n</Macro>\n<Macro m $x>\n"
                       "ServerName $x\n</Macro>\nUse m a\n")
        f = conf.file
        assert r.error is None
        assert r.process.warnings == [
            f"[macro:warn] AH02800: macro 'm' (defined on line 1 of \"{f}\"): argument '$b' "
            "(#2) never used",
            f"[macro:warn] AH02802: macro 'm' multiply defined: defined on line 1 of \"{f}\", "
            f"redefined on line 4 of \"{f}\""]

    @pytest.mark.parametrize("text,msg", [
        ("<Macro>\n</Macro>\n", "<Macro macro definition: empty name"),
        ("<Macro M\n", "<Macro> directive missing closing '>'"),
        ('<Macro "">\n</Macro>\n', "<Macro macro definition: name not found"),
        ("<Macro M $a $a>\nServerName $a\n</Macro>\n",
         "argument name conflict in macro 'm' (defined on line 1 of \"{f}\"): argument '$a': "
         "#1 and #2, change argument names!"),
        ('<Macro M "">\nServerName x\n</Macro>\n',
         "macro 'm' (defined on line 1 of \"{f}\"): empty argument #1 name"),
        ("<Macro M $a>\nServerName $a\n",
         "macro 'm' (defined on line 1 of \"{f}\")\n\tcontents error: expected token not "
         "found: </Macro>"),
    ])
    def test_errors(self, conf, text, msg):
        assert read_error(conf, text) == \
            f"Syntax error on line 1 of {conf.file}: " + msg.replace("{f}", conf.file)

    def test_warnings(self, conf):
        f = conf.file
        r = conf(MODS, "<Macro M a $b $bc>\nServerName a $b $bc\n</Macro>\n"
                       "<Macro $N>\nServerName x\n</Macro>\n"
                       "<Macro E> junk\n</Macro> more\n")
        assert r.error is None
        assert r.process.warnings == [
            f"[macro:warn] AH02796: macro 'm' (defined on line 1 of \"{f}\") argument name 'a' "
            "(#1) without expected prefix, better prefix argument names with one of '$%@'.",
            f"[macro:warn] AH02797: macro 'm' (defined on line 1 of \"{f}\"): argument name "
            "prefix conflict ($b #2 and $bc #3), be careful about your macro definition!",
            f"[macro:warn] AH02803: macro '$n' (defined on line 4 of \"{f}\") better prefix a "
            "macro name with any of '$%@'",
            f"[macro:warn] AH02989: AH02801: non blank chars found after <Macro closing '>' on "
            f"line 7 of {f}:  junk",
            f"[macro:warn] AH02989: AH02794: non blank chars found after directive closing on "
            f"line 8 of {f}:  more",
            f"[macro:warn] AH02799: macro 'e' (defined on line 7 of \"{f}\"): empty contents!"]

    def test_nesting_warnings(self, conf):
        f = conf.file
        r = conf(MODS, "<Macro M $a>\n</Directory>\n</Macro>\n")
        assert r.process.warnings == [
            f"[macro:warn] AH02793: bad (negative) nesting on line 2 of macro 'm' (defined on "
            f"line 1 of \"{f}\")",
            f"[macro:warn] AH02795: bad cumulated nesting (-1) in macro 'm' (defined on line 1 "
            f"of \"{f}\")",
            f"[macro:warn] AH02800: macro 'm' (defined on line 1 of \"{f}\"): argument '$a' "
            "(#1) never used"]
        r = conf(MODS, "MacroIgnoreBadNesting\n<Macro M>\n<Directory x>\n</Macro>\n")
        assert r.process.warnings == []

    def test_comment_lines_are_not_stored(self, conf):
        r = conf(MODS, "<Macro M>\n# note\n\nServerName x\n</Macro>\nUse M\n")
        assert mod_macro.state(r.process).macros["m"].contents == ["", "ServerName x"]
        assert r.tree[0].line == 2

    def test_unknown_flag(self, conf):
        r = conf(MODS, "<Macro M /Bogus $a>\nServerName $a\n</Macro>\n")
        assert r.process.warnings == [
            f"[macro:warn] AH02804: macro 'm' (defined on line 1 of \"{conf.file}\"): unknown "
            "flag '/Bogus'"]
        assert mod_macro.state(r.process).macros["m"].arguments == ["$a"]


@pytest.mark.parametrize("body", [
    "<Macro M $a>\nServerAdmin $a\n</Macro>\nUse M x y\n",
    "<Macro M $a>\nServerAdmin $a\n</Macro>\n\nUse M \"x y\"\n",
    "<Macro M $a $b>\nServerAdmin $a\n</Macro>\n<Macro m $x>\nServerAdmin $x\n</Macro>\n"
    "Use m a@b\n",
    "<Macro M $a>\nServerAdmin $a\n",
    "<Macro M /Bogus $a>\nServerName $a\n</Macro>\n",
    "<Macro M>\nUse M\n</Macro>\nUse M\n",
    "<Macro M $a>\n<Directory $a>\n</Macro>\nUse M /tmp\n",
    "<Macro M> junk\n</Macro> more\n",
    "Use\n", "UndefMacro a b\n",
])
def test_against_apache(differential, body):
    differential(body)
