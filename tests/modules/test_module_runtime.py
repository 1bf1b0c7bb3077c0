"""Request-time details of the four modules that the goldens do not show: hook order
and phases, the response path, error handling, and the text routines of the listing."""
from __future__ import annotations

import os
import re

import pytest

from directives.mod_autoindex import listing
from directives import mod_env, mod_headers, mod_setenvif
from directives.mod_headers import runtime as mod_headers_runtime
from directives.mod_autoindex.text import natkey, strfsize, terminate_description
from httpd.module.hooks import DECLINED, FIRST, LAST, MIDDLE, OK, HookTable
from tests.modules import harness

HOOKS = HookTable([mod_env.MODULE, mod_setenvif.MODULE, mod_headers.MODULE])


@pytest.fixture
def logged(monkeypatch):
    """What the modules log per request (ap_log_rerror), as "[module:level] text"."""
    lines: list[str] = []

    def record(r, module, level, msg):
        lines.append(f"[{module}:{level}] {msg}")
    import httpd.http.request
    monkeypatch.setattr(httpd.http.request, "log_rerror", record)
    return lines


def loc(p, path):
    return [harness.section(p, "Location", path)]


class TestHookOrder:
    def test_declared_as_apache(self):
        assert mod_headers.MODULE.hooks["fixups"][1] == LAST
        assert mod_headers.MODULE.hooks["post_read_request"][1] == FIRST
        assert mod_env.MODULE.hooks["fixups"][1] == MIDDLE
        assert mod_setenvif.MODULE.hooks["header_parser"][1] == MIDDLE
        assert mod_setenvif.MODULE.hooks["post_read_request"][1] == MIDDLE
        names = [fn.__module__ for fn in HOOKS.hooks["fixups"]]
        assert names == ["directives.mod_env", "directives.mod_headers.runtime"]


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


def listing_request(p, tmp_path, uri="/", **kw):
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "f.txt").write_text("x")
    r = harness.request(p, uri, picked=[], filename=str(docs) + "/", **kw)
    r.handler = listing.DIR_MAGIC_TYPE
    r.finfo = os.stat(docs)
    return r


class TestHeadersRuntime:
    def test_always_only_on_the_error_path(self, tmp_path):
        p = harness.load(tmp_path, "Header set A 1\nHeader always set B 2\n")
        r = harness.request(p)
        mod_headers.apply_response_headers(r, error=True)
        assert (r.headers_out.items(), r.err_headers_out.items()) == ([], [("B", "2")])
        r = harness.request(p)
        mod_headers.apply_response_headers(r)
        assert (r.headers_out.items(), r.err_headers_out.items()) == ([("A", "1")],
                                                                      [("B", "2")])

    def test_content_type_follows_set_and_edit(self, tmp_path):
        p = harness.load(tmp_path, "RequestHeader set Content-Type text/x-in\n"
                                   "Header edit Content-Type ^text/ app/\n")
        r = harness.request(p)
        mod_headers_runtime.headers_fixup(r)
        # Apache's ap_set_content_type runs for RequestHeader too
        assert r.content_type == "text/x-in"
        r.content_type = "text/plain"
        mod_headers.apply_response_headers(r)
        assert r.content_type == "app/plain"

    def test_note(self, tmp_path):
        p = harness.load(tmp_path, "RequestHeader note X-Id req-id\nRequestHeader note X-No n\n")
        r = harness.request(p, headers=[("X-Id", "42")])
        mod_headers_runtime.headers_fixup(r)
        assert r.notes == {"req-id": "42"}

    def test_time_and_duration(self, tmp_path):
        p = harness.load(tmp_path, 'Header set X-T "%t %D"\n')
        r = harness.request(p)
        mod_headers.apply_response_headers(r)
        m = re.fullmatch(r"t=(\d+) D=(\d+)", r.headers_out["X-T"])
        assert m and int(m.group(1)) == int(round(r.request_time * 1e6))

    def test_env_value_cannot_break_the_header(self, tmp_path):
        p = harness.load(tmp_path, "Header set X %{V}e\n")
        r = harness.request(p)
        r.subprocess_env["V"] = "a\r\nb"
        mod_headers.apply_response_headers(r)
        assert r.headers_out["X"] == "a  b"

    def test_edit_star_with_empty_matches_ends(self, tmp_path):
        # Apache recurses forever (and its child crashes); here each empty match
        # steps over one character, like a global substitution
        p = harness.load(tmp_path, "Header edit* X b* - \nHeader edit* Y ^ +\n")
        r = harness.request(p)
        r.headers_out.set("X", "abba")
        r.headers_out.set("Y", "abc")
        mod_headers.apply_response_headers(r)
        assert (r.headers_out["X"], r.headers_out["Y"]) == ("-a--a-", "+abc")

    def test_early_edit_overflow_is_500(self, tmp_path, logged):
        p = harness.load(tmp_path, "RequestHeader edit X (.+) " + "$1" * 1000 + " early\n")
        r = harness.request(p, headers=[("X", "a" * 100)])
        assert mod_headers_runtime.headers_early(r) == 500
        assert "AH01504" in logged[-1]

    def test_condition_error_is_logged_and_applied(self, tmp_path, logged):
        p = harness.load(tmp_path, "Header set X y \"expr=file('/nonexistent-x') == ''\"\n")
        r = harness.request(p)
        mod_headers.apply_response_headers(r)
        assert r.headers_out["X"] == "y"        # Apache applies it and says "ignoring"
        assert "AH01501: Failed to evaluate expression (Cannot open file " \
            "/nonexistent-x) - ignoring" in logged[-1]

    def test_vary_from_conditions_only(self, tmp_path):
        p = harness.load(tmp_path, "Header set X expr=%{req:X-A}\n"
                                   "Header set Y y \"expr=%{req:X-B} == %{HTTP_HOST}\"\n"
                                   "Header set Z z \"expr=req('Host') == ''\"\n")
        r = harness.request(p, headers=[("X-A", "a"), ("Host", "h")])
        mod_headers.apply_response_headers(r)
        assert r.headers_out.get_all("Vary") == ["X-B"]


class TestAutoindexHandler:
    def test_declines_other_handlers_and_methods(self, tmp_path):
        p = harness.load(tmp_path, "<Directory />\nOptions Indexes\n</Directory>\n")
        r = listing_request(p, tmp_path)
        r.handler = "text/plain"
        assert listing.handle_autoindex(r) == DECLINED
        r = listing_request(p, tmp_path, method="POST")
        r.method_number = 2
        assert listing.handle_autoindex(r) == DECLINED
        assert r.allowed & 1                       # GET is allowed here

    def test_forbidden_without_options_indexes(self, tmp_path, logged):
        p = harness.load(tmp_path, "")
        r = listing_request(p, tmp_path)
        r.per_dir_config["core_module"] = p.main_server.lookup_defaults["core_module"]
        r.per_dir_config["core_module"].opts = 0
        r.notes["dir-index-names"] = "index.html"
        assert listing.handle_autoindex(r) == 403
        assert logged[-1].endswith(
            f"AH01276: Cannot serve directory {tmp_path}/docs/: No matching DirectoryIndex "
            "(index.html) found, and server-generated directory index forbidden by Options "
            "directive")

    def test_head_has_no_body(self, tmp_path):
        p = harness.load(tmp_path, "<Directory />\nOptions Indexes\n</Directory>\n")
        r = listing_request(p, tmp_path)
        r.per_dir_config["core_module"] = p.main_server.lookup_defaults["core_module"]
        r.per_dir_config["core_module"].opts = 1
        r.header_only = True
        assert listing.handle_autoindex(r) == OK
        assert r.body is None and r.content_type == "text/html;charset=ISO-8859-1"


class TestContentType:
    @pytest.mark.parametrize("lines,ctype", [
        ("", "text/html;charset=ISO-8859-1"),
        ("IndexOptions Type=", ";charset=ISO-8859-1"),        # as Apache 2.4.71 sends it
        ("IndexOptions Type=text/x-a Charset=", "text/x-a"),
        ("IndexOptions Type=\n<Location />\nIndexOptions Charset=x\n</Location>",
         ";charset=x")])
    def test_type_and_charset(self, tmp_path, lines, ctype):
        p = harness.load(tmp_path, "<Directory />\nOptions Indexes\n</Directory>\n" + lines)
        r = listing_request(p, tmp_path)
        r.per_dir_config = harness.merged(p, p.main_server, [
            s for s in harness.sections(p) if s.path == "/"])
        assert listing.handle_autoindex(r) == OK
        assert r.content_type == ctype


class TestText:
    @pytest.mark.parametrize("size,text", [
        (-1, "  - "), (0, "  0 "), (972, "972 "), (973, "1.0K"), (1451, "1.4K"),
        (10240, " 10K"), (9 * 1024 + 972, "9.9K"), (9 * 1024 + 973, " 10K"),
        (2_500_000, "2.4M"), (9 * 1024 ** 2, "9.0M"), (1023 * 1024, "1.0M"),
        (5 * 1024 ** 4, "5.0T"), (1 << 62, "4.0E")])
    def test_strfsize(self, size, text):
        assert strfsize(size) == text

    def test_version_sort_examples_from_the_manual(self):
        """apr_strnatcmp's order, as the listing sorts with it (natkey)."""
        names = ["foo-1.12", "foo-1.8.2a", "foo-1.7.12", "foo-1.7", "foo-1.8.2", "foo-1.7.2"]
        assert sorted(names, key=natkey) == [
            "foo-1.7", "foo-1.7.2", "foo-1.7.12", "foo-1.8.2", "foo-1.8.2a", "foo-1.12"]
        fractions = ["foo-1.04", "foo-1.030", "foo-1.002", "foo-1.001"]
        assert sorted(fractions, key=natkey) == [
            "foo-1.001", "foo-1.002", "foo-1.030", "foo-1.04"]

    @pytest.mark.parametrize("desc,width,cut", [
        # what Apache's loop leaves, oddities included: the ';' of a cut entity and the
        # '>' of a closing tag are what becomes the final '>'
        ("short", 23, "short"), ("abcdef", 3, "ab>"), ("a &amp; b", 3, "a &amp>"),
        ("<b>bold</b> text", 4, "<b>bold</b>"), ("x", 0, ""), ("a <b", 1, ">")])
    def test_terminate_description(self, desc, width, cut):
        assert terminate_description(desc, width) == cut
