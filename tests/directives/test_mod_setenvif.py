"""mod_setenvif: the messages, and the two phases it runs in."""
from __future__ import annotations

import pytest

from directives import mod_setenvif
from httpd.module.hooks import DECLINED
from tests.directives import harness
from tests.directives.harness import HOOKS
from tests.directives.harness import error_of


def loc(p, path):
    return [harness.section(p, "Location", path)]


class TestSetEnvIfPhases:
    def test_server_lines_run_once_then_directory_lines(self, tmp_path):
        p = harness.load(tmp_path, "SetEnvIf Request_URI . COUNT=server\n<Location /x>\n"
                                   "SetEnvIf Request_URI . DIR=yes\n</Location>\n")
        r = harness.request(p, "/x/y")
        HOOKS.run_all("post_read_request", r)
        assert r.subprocess_env == {"COUNT": "server"}
        r.subprocess_env["COUNT"] = "changed"
        r.per_dir_config = harness.merged(p, p.main_server, loc(p, "/x"))
        HOOKS.run_all("header_parser", r)
        # the second call takes the per-directory list: server-level lines live in the
        # server config only, so they do not run again
        assert r.subprocess_env == {"COUNT": "changed", "DIR": "yes"}

    def test_replacement_too_long_is_500(self, tmp_path, logged):
        value = "$0" * 40000
        p = harness.load(tmp_path, f"SetEnvIf X-Big .+ BIG={value}\n")
        r = harness.request(p, headers=[("X-Big", "ab")])
        assert mod_setenvif.match_headers(r) == 500
        assert "AH01505: Regular expression replacement failed for 'BIG', value too long?" \
            in logged[-1]

    def test_a_template_without_references_is_capped_too(self, tmp_path, logged):
        """regsub_core checks the length with or without a ``$`` in the template."""
        p = harness.load(tmp_path, f"SetEnvIf X-Big .+ BIG={'v' * 70000}\n")
        r = harness.request(p, headers=[("X-Big", "ab")])
        assert mod_setenvif.match_headers(r) == 500
        assert "AH01505" in logged[-1]

    def test_dollar_before_a_non_ascii_digit_is_kept(self, tmp_path):
        """apr_isdigit is ASCII: apache2 2.4 sets PROBE=[$\xb2zz] for /env/zz."""
        p = harness.load(tmp_path, 'SetEnvIf Request_URI "^/env/(.*)$" PROBE=[$\xb2$1]\n')
        r = harness.request(p, "/env/zz")
        mod_setenvif.match_headers(r)
        assert r.subprocess_env["PROBE"] == "[$\xb2zz]"

    def test_expression_error_is_logged_and_skipped(self, tmp_path, logged):
        p = harness.load(tmp_path, "SetEnvIfExpr \"file('/nonexistent-x') == ''\" X\n")
        r = harness.request(p)
        assert mod_setenvif.match_headers(r) == DECLINED
        assert "X" not in r.subprocess_env
        assert "failed: Cannot open file /nonexistent-x" in logged[-1]


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
