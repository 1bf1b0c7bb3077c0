"""mod_headers at request time: the response path, early and always headers, errors."""
from __future__ import annotations

import re

from directives import mod_headers
from directives.mod_headers import runtime as mod_headers_runtime
from tests.directives import harness


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
