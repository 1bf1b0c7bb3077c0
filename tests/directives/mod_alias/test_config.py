"""mod_alias: Apache 2.4.71's messages and where each form is allowed."""
from __future__ import annotations

import pytest

from directives import mod_alias
from directives.mod_alias import AliasDirConfig, AliasEntry, alias_matches

from tests.directives.conftest import StubProcess

MODS = [mod_alias.MODULE]


def message(conf, text):
    r = conf(MODS, text)
    assert r.error is not None, "expected an error"
    return r.error.split("\n", 1)[1]


def in_section(section, line):
    name = section.split()[0]
    return f"<{section}>\n{line}\n</{name}>\n"


class TestRedirectMessages:
    def test_url_missing_is_pinned(self, conf):
        r = conf(MODS, "Redirect /old\n")
        assert r.error == (f"AH00526: Syntax error on line 1 of {conf.file}:\n"
                           "URL to redirect to is missing")

    @pytest.mark.parametrize("line,msg", [
        ("Redirect /old new", "Redirect to non-URL"),
        ('Redirect /a ""', "Redirect to non-URL"),
        ("Redirect gone /old http://x", "Redirect URL not valid for this status"),
        ("Redirect 200 /a http://x", "Redirect URL not valid for this status"),
        ("Redirect 30 /a /b", "Redirect URL not valid for this status"),
        ("Redirect 3xx /a /b", "Redirect URL not valid for this status"),
        ("Redirect foo /a http://x", "Redirect: invalid first argument (of three)"),
        ("Redirect +301 /a /b", "Redirect: invalid first argument (of three)"),
        ("Redirect permanent /a", "URL to redirect to is missing"),
        ("Redirect seeother /a", "URL to redirect to is missing"),
        ("Redirect 301", "URL to redirect to is missing"),
        ("RedirectMatch ( /x", "Regular expression could not be compiled."),
        ("RedirectMatch 301 ( http://x", "Regular expression could not be compiled."),
        ("RedirectMatch permanent ^/a", "URL to redirect to is missing"),
        ("RedirectTemp /a b", "Redirect to non-URL"),
        ("RedirectTemp /a", "RedirectTemp takes two arguments, a document to be redirected, "
                            "then the destination URL"),
        ("RedirectMatch (", "RedirectMatch takes two or three arguments, an optional status, "
                            "then a regular expression and destination URL"),
        ('Redirect "" /b', "Redirect takes one, two or three arguments, an optional status, "
                           "then document to be redirected and destination URL"),
        ("RedirectRelative maybe", "RedirectRelative must be On or Off"),
    ])
    def test_errors(self, conf, line, msg):
        assert message(conf, line + "\n") == msg

    @pytest.mark.parametrize("line", [
        "Redirect /old /new", "Redirect /old http://x/", "Redirect gone /old",
        "Redirect 410 /old", "Redirect 303 /a http://x", "Redirect 200 /a",
        "Redirect 999 /a", "Redirect 0 /a", 'Redirect gone ""', "Redirect 301x /a /b",
        "Redirect PERMANENT /a /b", "Redirect /a http:", "Redirect /a x:y",
        "RedirectMatch ^/a(.*) x$1", "RedirectMatch gone ^/a",
        "RedirectPermanent /a http://x", "RedirectRelative on", "AliasPreservePath on",
    ])
    def test_accepted(self, conf, line):
        assert conf(MODS, line + "\n").error is None

    @pytest.mark.parametrize("line", ["Redirect gone", "Redirect 403", "Redirect 410",
                                      "Redirect 503"])
    def test_status_alone_outside_sections_is_refused(self, conf, line):
        """Apache accepts these (no URL-path, no section) and its child crashes on the
        first request (alias_matches on NULL); refused here (docs/supported.md)."""
        assert message(conf, line + "\n").endswith(
            ": a URL-path is needed outside <Location>, <Directory>, <Files> and <If>")
        assert message(conf, in_section("VirtualHost *:80", line)).endswith(
            ": a URL-path is needed outside <Location>, <Directory>, <Files> and <If>")

    def test_server_entries(self, conf):
        r = conf(MODS, "Redirect permanent /a http://x/\nRedirectMatch gone ^/g\n"
                       "Redirect /b /c\n")
        got = r.config("alias_module").redirects
        assert [(e.fake, e.real, e.redir_status) for e in got] == [
            ("/a", "http://x/", 301), ("^/g", None, 410), ("/b", "/c", 302)]
        assert got[1].regexp.pattern == "^/g"


class TestRedirectInSections:
    @pytest.mark.parametrize("section", ["Location /l", "Directory /d", "Files f",
                                         "LocationMatch ^/l", "If true"])
    def test_one_argument_forms_are_expressions(self, conf, section):
        r = conf(MODS, in_section(section, "Redirect /old"))
        assert r.error is None
        assert conf(MODS, in_section(section, "Redirect gone")).error is None
        assert message(conf, in_section(section, "Redirect permanent")) == \
            "URL to redirect to is missing"

    def test_dir_handler_sets_section_redirect(self):
        cmd = _Cmd(path="/l")
        d = AliasDirConfig()
        assert mod_alias.add_redirect.handler(cmd, d, "permanent", "/x", None) is None
        source = getattr(d.redirect, "source", d.redirect)   # compiled when the engine exists
        assert (source, d.redirect_status, d.redirect_set) == ("/x", 301, True)
        d = AliasDirConfig()
        assert mod_alias.add_redirect.handler(cmd, d, "gone", "/x", None) is None
        assert d.redirects == [AliasEntry("/x", None, None, None, 410)]

    @pytest.mark.parametrize("args,status,expr", [
        (("403", None), 403, None), (("404", None), 404, None), (("gone", None), 410, None),
        (("410", None), 410, None), (("503", None), 503, None),
        (("permanent", "/x"), 301, "/x"), (("308", "/x"), 308, "/x"),
        (("/x", None), 302, "/x")])
    def test_section_status_and_target(self, args, status, expr):
        """add_redirect_internal's grokarg1: a non-3xx status alone is the section's
        own status (no entry with a NULL URL-path: that was the crash)."""
        d = AliasDirConfig()
        assert mod_alias.add_redirect.handler(_Cmd(path="/l"), d, *args, None) is None
        source = getattr(d.redirect, "source", d.redirect)
        assert (d.redirect_set, d.redirect_status, source, d.redirects) == \
            (True, status, expr, [])

    @pytest.mark.parametrize("arg1", ["403", "404", "gone", "410"])
    def test_section_status_with_path_is_an_entry(self, arg1):
        """``Redirect 403 /p`` in a section is an entry for /p, not the section's
        target (Apache: grokarg1 < 0 with a second word)."""
        d = AliasDirConfig()
        assert mod_alias.add_redirect.handler(_Cmd(path="/l"), d, arg1, "/l/p", None) is None
        assert not d.redirect_set
        assert [(e.fake, e.real) for e in d.redirects] == [("/l/p", None)]

    @pytest.mark.parametrize("line", ["Redirect /old", "Redirect permanent /x",
                                      'Redirect "%{foo"'])
    def test_virtual_host_is_server_level(self, conf, line):
        assert message(conf, in_section("VirtualHost *:80", line)) == \
            "URL to redirect to is missing"


class _Cmd:
    def __init__(self, path=None):
        self.path = path
        self.server = None
        self.directive = None
        self.process = StubProcess()


class TestAlias:
    def test_one_argument_globally(self, conf):
        assert message(conf, "Alias /x\n") == "Alias must have two arguments when used globally"
        assert message(conf, in_section("VirtualHost *:80", "ScriptAlias /x")) == \
            "Alias must have two arguments when used globally"

    @pytest.mark.parametrize("section,line,msg", [
        ("Location /l", "Alias /x /y", "Alias cannot occur within directory context"),
        ("Directory /d", "Alias /x /y", "Alias cannot occur within directory context"),
        ("Directory /d", "Alias /x", "Alias cannot occur within <Directory> section"),
        ("Directory /d", "ScriptAlias /x", "ScriptAlias cannot occur within <Directory> section"),
        ("Files f", "Alias /x", "Alias cannot occur within <Files> section"),
        ("If true", "Alias /x", "Alias cannot occur within <If> section"),
        ("Location /l", "AliasMatch ^/x /y", "AliasMatch not allowed in <Location> context"),
        ("Directory /d", "AliasMatch ^/x /y", "AliasMatch not allowed in <Directory> context"),
    ])
    def test_contexts(self, conf, section, line, msg):
        assert message(conf, in_section(section, line)) == msg

    def test_alias_in_location_sets_section_target(self, conf):
        for section in ("Location /l", "LocationMatch ^/l"):
            assert conf(MODS, in_section(section, "ScriptAlias /srv/cgi")).error is None

    def test_bad_regex(self, conf):
        assert message(conf, "AliasMatch ( /x\n") == "Regular expression could not be compiled."

    def test_entries_and_handlers(self, conf):
        r = conf(MODS, "Alias /a /srv/a\nScriptAliasMatch ^/cgi/(.*) /srv/cgi/$1\n")
        a, s = r.config("alias_module").aliases
        assert (a.fake, a.real, a.handler, a.regexp) == ("/a", "/srv/a", None, None)
        assert s.handler == "cgi-script" and s.regexp.match("/cgi/x")

    @pytest.mark.parametrize("lines,earlier", [
        ("Alias /a /d\nAlias /a/b /c", "Alias"),
        ("Alias /a/ /b\nAlias /a/c /b", "Alias"),
        ("Alias /a /b\nAlias //a//b /b", "Alias"),
        ("ScriptAlias /a /d\nAlias /a/b /c", "ScriptAlias"),
        ("AliasMatch ^/a /d\nAlias /a/b /c", "AliasMatch"),
    ])
    def test_overlap_warning(self, conf, lines, earlier):
        r = conf(MODS, lines + "\n")
        assert r.error is None
        assert r.process.warnings == [
            f"[alias:warn] AH00671: The Alias directive in {conf.file} at line 2 will "
            f"probably never match because it overlaps an earlier {earlier}."]

    @pytest.mark.parametrize("lines", ["Alias /a/b /c\nAlias /a /d",
                                       "AliasMatch ^/a/(.*) /b\nScriptAliasMatch ^/a/c /b"])
    def test_no_overlap_warning(self, conf, lines):
        assert conf(MODS, lines + "\n").process.warnings == []


class TestHelpersAndMerges:
    def test_alias_matches(self):
        assert alias_matches("/a/b", "/a") == 2
        assert alias_matches("/ab", "/a") == 0
        assert alias_matches("//a///b", "/a/b") == 7
        assert alias_matches("/a", "/a/") == 0

    def test_dir_merge_is_pure(self):
        base = AliasDirConfig(redirects=[AliasEntry("/b", "/x")], alias="/srv", alias_set=True,
                              allow_relative=True)
        add = AliasDirConfig(redirects=[AliasEntry("/a", "/y")], redirect="/r",
                             redirect_status=301, redirect_set=True, preserve_path=False)
        m = mod_alias.merge_dir_config(base, add)
        assert [e.fake for e in m.redirects] == ["/a", "/b"]
        assert (m.alias, m.alias_set, m.redirect, m.redirect_status) == ("/srv", True, "/r", 301)
        assert (m.allow_relative, m.preserve_path) == (True, False)
        assert len(base.redirects) == len(add.redirects) == 1

    def test_server_merge_vhost_first(self):
        main = mod_alias.AliasServerConfig([AliasEntry("/m", "/m")], [])
        vhost = mod_alias.AliasServerConfig([AliasEntry("/v", "/v")], [])
        assert [e.fake for e in mod_alias.merge_server_config(main, vhost).aliases] == \
            ["/v", "/m"]


@pytest.mark.parametrize("body", [
    "Redirect /old\n", "Redirect /old new\n", "Redirect foo /a http://x\n",
    "RedirectMatch ( /x\n", "Alias /x\n", "Alias /a /d\nAlias /a/b /c\n",
    "<Location /l>\nAlias /x /y\n</Location>\n", "<Directory /d>\nAlias /x\n</Directory>\n",
    "<Location /l>\nRedirect /old\n</Location>\n",
    "<VirtualHost *:80>\nRedirect permanent /x\n</VirtualHost>\n",
])
def test_against_apache(differential, body):
    differential(body)


class TestExpressions:
    UNTERMINATED = ("syntax error, unexpected T_ERROR, expecting T_VAR_END or ':': "
                    "Unterminated string or variable")

    def test_alias_and_redirect_expressions(self, conf):
        assert message(conf, in_section("Location /l", 'Alias "%{foo"')) == \
            f"Cannot parse alias expression '%{{foo': {self.UNTERMINATED}"
        assert message(conf, in_section("Directory /d", 'Redirect 301 "%{foo"')) == \
            f"Cannot parse redirect expression '%{{foo': {self.UNTERMINATED}"
        assert message(conf, in_section("Files f", 'Redirect "%{foo"')) == \
            f"Cannot parse redirect expression '%{{foo': {self.UNTERMINATED}"

    def test_compiled_targets_are_kept(self):
        d = AliasDirConfig()
        cmd = _Cmd(path="/l")
        assert mod_alias.add_redirect.handler(cmd, d, "/new/%{REQUEST_URI}", None, None) is None
        assert getattr(d.redirect, "source", d.redirect) == "/new/%{REQUEST_URI}"
        assert d.redirect_status == 302
