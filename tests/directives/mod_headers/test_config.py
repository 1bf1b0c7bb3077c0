"""mod_headers: its config-time messages, as Apache 2.4.71 prints them (`apache2 -t`);
the table itself is replayed in tests/conformance/tables/."""
from __future__ import annotations

import re

import pytest

from directives import mod_headers
from tests.directives import harness
from tests.directives.harness import error_of

_STAMP = re.compile(r"^\[[^\]]+\] \[([^\]]+)\] \[pid \d+:tid \d+\] ")


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
