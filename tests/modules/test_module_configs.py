"""The four modules' directive tables and config-time messages, as Apache 2.4.71 has
them (`apache2 -L` for the tables, `apache2 -t` for every message pinned here)."""
from __future__ import annotations

import json
import os
import re

import pytest

from directives import mod_autoindex, mod_env, mod_headers, mod_setenvif
from httpd.module import OR_ALL, OR_FILEINFO, OR_INDEXES, Args
from tests.modules import harness

# directive tables captured from the real `apache2 -L` (name, help, arity, context)
TABLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                      "apache_L_tables.json")
MODULES = (mod_autoindex.MODULE, mod_headers.MODULE, mod_env.MODULE, mod_setenvif.MODULE)
_STAMP = re.compile(r"^\[[^\]]+\] \[([^\]]+)\] \[pid \d+:tid \d+\] ")


def error_of(tmp_path, body: str) -> str:
    """The message of the AH00526 error ``body`` causes."""
    with pytest.raises(AssertionError) as e:
        harness.load(tmp_path, body)
    first, _, msg = str(e.value).partition("\n")
    assert first.startswith("AH00526: Syntax error on line "), str(e.value)
    return msg.rstrip("\n")


def warnings_of(tmp_path, body: str) -> list[str]:
    process = harness.load(tmp_path, body)
    return [_STAMP.sub(r"[\1] ", text) for level, text in process.log.records
            if level == "warn"]


class TestTables:
    @pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.source)
    def test_matches_apache_L(self, mod):
        want = [(d["name"], d["help"]) for d in json.load(open(TABLES))[mod.source].values()]
        assert [(d.name, d.help) for d in mod.directives] == want

    @pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.source)
    def test_arity_messages(self, mod, tmp_path):
        """A bare directive gets the message apache2 -t printed for it."""
        for d in json.load(open(TABLES))[mod.source].values():
            if d["probe"]:
                assert error_of(tmp_path, d["name"] + "\n") == d["probe"], d["name"]

    def test_overrides(self):
        for d in mod_autoindex.MODULE.directives:
            want = OR_ALL if d.name == "FancyIndexing" else OR_INDEXES
            assert d.req_override == want, d.name
        for m in (mod_headers.MODULE, mod_env.MODULE, mod_setenvif.MODULE):
            assert all(d.req_override == OR_FILEINFO for d in m.directives)
        assert mod_env.MODULE.find("SetEnv").args is Args.TAKE12
        assert mod_headers.MODULE.find("Header").args is Args.RAW_ARGS


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


class TestSetEnvIfMessages:
    @pytest.mark.parametrize("line,message", [
        ("SetEnvIf", "Missing header-field name for SetEnvIf"),
        ('SetEnvIf "" x y', "Missing header-field name for SetEnvIf"),
        ("SetEnvIf Host", "Missing regular expression for SetEnvIf"),
        ('SetEnvIf Host "" y', "Missing regular expression for SetEnvIf"),
        ("SetEnvIf Host x", "Missing envariable expression for SetEnvIf"),
        ("SetEnvIf Host ( x", "SetEnvIf regex could not be compiled."),
        ("SetEnvIf H(o ^x x", "SetEnvIfHeader name regex could not be compiled."),
        ("SetEnvIfNoCase Host", "Missing regular expression for SetEnvIfNoCase"),
        ("SetEnvIfExpr", "Missing expression for SetEnvIfExpr"),
        ('SetEnvIfExpr "1 ==" x',
         'Could not parse expression "1 ==": syntax error, unexpected $end'),
        ('SetEnvIfExpr "true"', "Missing envariable expression for SetEnvIfExpr"),
        ("BrowserMatch", "Missing regular expression for BrowserMatch"),
        ("BrowserMatch x", "Missing envariable expression for BrowserMatch"),
        ("BrowserMatchNoCase x", "Missing envariable expression for BrowserMatchNoCase"),
    ])
    def test_messages(self, tmp_path, line, message):
        assert error_of(tmp_path, line + "\n") == message

    def test_entries(self, tmp_path):
        p = harness.load(tmp_path, "SetEnvIf Host a\\.b X Y=1 !Z\nSetEnvIf host a\\.b W=$1\n"
                                   "SetEnvIf ^X-[ab]$ x V\nBrowserMatchNoCase ^Moz M\n"
                                   "SetEnvIf Remote_Addr ^1 R\n")
        entries = p.main_server.module_config["setenvif_module"].conditionals
        # the same attribute and regex on consecutive lines share one entry
        assert len(entries) == 4
        host, hdr_rx, browser, remote = entries
        assert host.pattern == "a.b" and host.preg is None
        assert host.features == {"X": "1", "Y": "1", "Z": "!", "W": "$1"}
        assert hdr_rx.pnamereg is not None and hdr_rx.pattern == "x"
        assert browser.name == "User-Agent" and browser.icase
        assert remote.special_type == mod_setenvif.SPECIAL_REMOTE_ADDR

    def test_section_lines_stay_in_the_section(self, tmp_path):
        p = harness.load(tmp_path, "<Location /x>\nSetEnvIf Host a X\n</Location>\n")
        assert p.main_server.module_config["setenvif_module"].conditionals == []
        sec = harness.section(p, "Location", "/x")
        assert len(sec.configs["setenvif_module"].conditionals) == 1

    @pytest.mark.parametrize("regex,literal", [
        ("abc", "abc"), ("a\\.b", "a.b"), ("a\\\\b", "a\\b"), ("a.b", None), ("^a", None),
        ("a\\b", None), ("x{2}", None)])
    def test_non_regex_pattern(self, regex, literal):
        assert mod_setenvif.non_regex_pattern(regex) == literal


class TestHeaderMessages:
    @pytest.mark.parametrize("line,message", [
        ("Header", mod_headers.BAD_ACTION), ("Header foo X", mod_headers.BAD_ACTION),
        ("Header always", mod_headers.BAD_ACTION),
        ("RequestHeader always set X Y", mod_headers.BAD_ACTION),
        ("Header set", "Header requires three arguments"),
        ("Header always set X", "Header requires three arguments"),
        ("Header unset X Y Z", "header unset takes two arguments"),
        ("Header echo X Y Z", "Header echo takes two arguments"),
        ("RequestHeader echo X", "Header echo only valid on Header directives"),
        ("Header echo (", "Header echo regex could not be compiled"),
        ("Header edit X Y", "Header edit requires a match and a substitution"),
        ("Header edit X ( Z", "Header edit regex could not be compiled"),
        ("Header set X Y env=", "error: missing environment variable name. envclause "
                                "should be in the form env=envar "),
        ("Header set X Y env=!", "error: missing environment variable name. envclause "
                                 "should be in the form env=envar "),
        ("Header set X Y bogus", "Unknown parameter: bogus"),
        ("Header set X Y expr=1==", "Can't parse envclause/expression: syntax error, "
                                    "unexpected $end"),
        ('Header set X Y "expr=-f /x"', "Can't parse envclause/expression: syntax error, "
                                        "unexpected $end"),
        ("Header set X %Z", "Unrecognized header format %Z"),
        ("Header set X %{foo", "Unrecognized header format %"),
        ("Header set X expr=%{", "Can't parse value expression : syntax error, unexpected "
                                 "T_ERROR, expecting T_ID: Unterminated string or variable"),
        ("Header set X Y Z W", "Too many arguments to directive"),
        ("Header set X Y Z W V", "Header has too many arguments"),
    ])
    def test_messages(self, tmp_path, line, message):
        assert error_of(tmp_path, line + "\n") == message

    @pytest.mark.parametrize("line", [
        "Header onsuccess set X Y", "Header set X %", 'Header set X "%{HOME}e %t" early',
        "<Directory />\nHeader set X Y early\n</Directory>", "Header edit* X a b early",
        "Header unset X env=Y", "Header note X Y", "RequestHeader set X Y env=Z",
        "Header always echo ^X", "Header set X:colon Y"])
    def test_accepted(self, tmp_path, line):
        harness.load(tmp_path, line + "\n")

    def test_lists_and_entries(self, tmp_path):
        p = harness.load(tmp_path, "Header set X-A:ignored 1\nHeader always add X-B 2\n"
                                   "RequestHeader unset X-C early\nHeader echo ^X\n"
                                   "Header set X-D \"a%%b\\t%{FOO}e\" env=!BAR\n"
                                   "Header set Content-type expr=%{REQUEST_URI}\n")
        conf = p.main_server.lookup_defaults["headers_module"]
        assert [e.header for e in conf.fixup_out] == ["X-A", "^X", "X-D", "Content-type"]
        assert [e.header for e in conf.fixup_err] == ["X-B"]
        assert conf.fixup_in == [] and [(e.header, e.early) for e in conf.early_in] == [
            ("X-C", True)]
        a, echo, d, ct = conf.fixup_out
        assert list(a.tags) == [(None, "1")] and echo.regex.search("X-Y")
        assert d.condition_var == "!BAR"
        assert d.tags[0] == (None, "a%b\t") and d.tags[1][1] == "FOO"
        assert ct.is_content_type and ct.expr_out is not None

    def test_section_lists_append(self, tmp_path):
        p = harness.load(tmp_path, "Header set X 1\n<Location /x>\nHeader set Y 2\n"
                                   "</Location>\n")
        merged = harness.merged(p, p.main_server, [harness.section(p, "Location", "/x")])
        assert [e.header for e in merged["headers_module"].fixup_out] == ["X", "Y"]

    @pytest.mark.parametrize("fmt,tags", [
        ("plain", [(None, "plain")]), ("a\\\\b\\qc", [(None, "a\\b\\qc")]),
        ("100%%", [(None, "100%")]), ("end%", [(None, "end%")]),
        ("x\\r\\n", [(None, "x\r\n")]),
    ])
    def test_format_literals(self, fmt, tags):
        assert list(mod_headers.parse_format_string(fmt)[0]) == tags


class TestAutoindexMessages:
    @pytest.mark.parametrize("line,message", [
        ("IndexOptions Bogus", "Invalid directory indexing option"),
        ("IndexOptions +None", "Cannot combine '+' or '-' with 'None' keyword"),
        ("IndexOptions None FancyIndexing",
         "Cannot combine other IndexOptions keywords with 'None'"),
        ("IndexOptions NameWidth", "NameWidth with no value may only appear as '-NameWidth'"),
        ("IndexOptions -NameWidth=3", "Cannot combine '-' with NameWidth=n"),
        ("IndexOptions NameWidth=3", "NameWidth value must be greater than 5"),
        ("IndexOptions DescriptionWidth",
         "DescriptionWidth with no value may only appear as '-DescriptionWidth'"),
        ("IndexOptions DescriptionWidth=5", "DescriptionWidth value must be greater than 12"),
        ("IndexOptions -IconWidth=5", "Cannot combine '-' with IconWidth=n"),
        ("IndexOptions -IconHeight=5", "Cannot combine '-' with IconHeight=n"),
        ("IndexOptions Charset", "Invalid directory indexing option"),
        ("IndexOrderDefault Foo Name", "First keyword must be 'Ascending' or 'Descending'"),
        ("IndexOrderDefault Ascending Foo",
         "Second keyword must be 'Name', 'Date', 'Size', or 'Description'"),
        ("AddIcon (a /x", "missing closing paren"),
        ("FancyIndexing on",
         "The FancyIndexing directive is no longer supported. Use IndexOptions "
         "FancyIndexing."),
        ("IndexIgnoreReset x", "IndexIgnoreReset must be On or Off"),
        ("HeaderName a b", "HeaderName takes one argument, a filename"),
    ])
    def test_messages(self, tmp_path, line, message):
        assert error_of(tmp_path, line + "\n") == message

    @pytest.mark.parametrize("line", [
        "IndexOptions", "IndexOptions NameWidth=0", "IndexOptions Charset=",
        "IndexOptions Type=", "IndexOptions -Charset=x", "IndexOptions +Type=x",
        "IndexOptions ShowForbidden AddAltClass UseOldDateFormat IgnoreCase XHTML",
        "IndexOptions IconWidth=abc", "IndexOptions None None", "IndexIgnoreReset on",
        'IndexHeadInsert "<x>"'])
    def test_accepted(self, tmp_path, line):
        harness.load(tmp_path, line + "\n")

    def test_icon_with_alt(self, tmp_path):
        p = harness.load(tmp_path, "AddIcon (TXT,/i/t.gif) .txt\nAddIconByEncoding "
                                   "(CMP,/i/c.gif) X-GZIP\nAddIcon /i/d.gif **DIRECTORY**\n"
                                   "AddIcon (A,,/x) .a\nAddIcon (NOCOMMA) .b\n")
        d = p.main_server.lookup_defaults["autoindex_module"]
        assert [(i.type, i.apply_to, i.data) for i in d.icon_list] == [
            ("path", "*.txt", "/i/t.gif"), ("encoding", "x-gzip", "/i/c.gif"),
            ("path", "*^^DIRECTORY^^", "/i/d.gif"), ("path", "*.a", "/x"),
            ("path", "*.b", "")]
        assert [(i.apply_to, i.data) for i in d.alt_list] == [
            ("*.txt", "TXT"), ("x-gzip", "CMP"), ("*.a", "A"), ("*.b", "NOCOMMA)")]

    def test_options_merge(self, tmp_path):
        p = harness.load(tmp_path, "IndexOptions FancyIndexing HTMLTable\n"
                                   "<Location /inc>\nIndexOptions -HTMLTable +FoldersFirst\n"
                                   "</Location>\n<Location /abs>\nIndexOptions FancyIndexing\n"
                                   "IndexOptions +HTMLTable\n</Location>\n"
                                   "<Location /none>\nIndexOptions None\n</Location>\n")
        A = mod_autoindex

        def opts(path):
            return harness.merged(p, p.main_server, [harness.section(p, "Location", path)])[
                "autoindex_module"].opts & ~A.OPTION_UNSET
        assert opts("/inc") == A.FANCY_INDEXING | A.FOLDERS_FIRST
        assert opts("/abs") == A.FANCY_INDEXING     # Apache drops the section's own +/-
        assert opts("/none") == A.NO_OPTIONS


@pytest.mark.parametrize("to,wildcards", [("a[\\]", False), ("a[b]", True), ("x.txt", False),
                                          ("*.txt", True), ("d/x", True)])
def test_add_description_wildcards_by_apr_fnmatch_test(tmp_path, to, wildcards):
    """add_desc: a pattern only when it names a path or apr_fnmatch_test finds a
    wildcard; in ``a[\\]`` the backslash takes the ``]`` away, so it is a plain name
    (mod_autoindex's own test took it for a pattern)."""
    p = harness.load(tmp_path, f'AddDescription "d" {to}\n')
    d = p.main_server.lookup_defaults[mod_autoindex.MODULE_NAME]
    assert [e.wildcards for e in d.desc_list] == [wildcards]
