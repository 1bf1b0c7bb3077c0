"""Every ``%`` code of mod_log_config and mod_logio on a hand-built Request.

Expected texts come from Apache 2.4.71 logging the same request (a ``CustomLog`` with
every code, run against real apache2 while this was written; the first request below
is curl's ``GET /index.html?a=b`` with a cookie, a Referer with UTF-8 and a
User-Agent with a quote and a backslash).  The differential tests against a running
apache2 are in test_against_apache.py.
"""
from __future__ import annotations

import os
import threading
import time

import pytest

from directives.mod_log_config import items
from directives.mod_log_config import times as log_times
from directives.mod_logio import LogioDirConfig
from httpd.request.record import ConnInfo, Headers

from tests.log.helpers import T0, line, make_request, make_server

UA = 'Mozilla "x" \\ y'
REFERER = "http://ref/\xc3\xa9"          # latin-1 held: the UTF-8 bytes of "é"


@pytest.fixture
def r():
    req = make_request(headers=[("Host", "127.0.0.1:18081"), ("User-Agent", UA),
                                ("Referer", REFERER), ("Cookie", "foo=bar; baz=1")],
                       hostname="127.0.0.1", filename="/tmp/ap1/htdocs/index.html",
                       request_time_end=T0 + 0.000384)
    req.conn.keepalive = True
    req.conn.bytes_in, req.conn.bytes_out = 145, 206
    return req


class TestEveryCode:
    @pytest.mark.parametrize("fmt,expected", [
        ("%%", "%"),
        ("%a", "127.0.0.1"), ("%{c}a", "127.0.0.1"), ("%A", "127.0.0.1"),
        ("%B", "6"), ("%b", "6"),
        ("%{foo}C", "bar"), ("%{baz}C", "1"), ("%{nope}C", "-"),
        ("%D", "384"),
        ("%{HOME}e", "-"),
        ("%f", "/tmp/ap1/htdocs/index.html"),
        ("%h", "127.0.0.1"), ("%{c}h", "127.0.0.1"),
        ("%H", "HTTP/1.1"),
        ("%{Host}i", "127.0.0.1:18081"), ("%{user-agent}i", 'Mozilla \\"x\\" \\\\ y'),
        ("%k", "0"), ("%l", "-"), ("%L", "-"), ("%{c}L", "-"), ("%m", "GET"),
        ("%{n}n", "-"), ("%{Content-Type}o", "-"),
        ("%p", "80"), ("%{canonical}p", "80"), ("%{local}p", "18081"),
        ("%{remote}p", "43256"), ("%{bogus}p", "bogus"),
        ("%q", "?a=b"), ("%r", "GET /index.html?a=b HTTP/1.1"), ("%R", "-"),
        ("%s", "200"), ("%>s", "200"), ("%<s", "200"),
        ("%t", "[26/Nov/2026:11:11:53 +0000]"), ("%{%Y}t", "2026"),
        ("%{sec}t", "1795691513"), ("%{msec}t", "1795691513429"),
        ("%{usec}t", "1795691513429158"), ("%{msec_frac}t", "429"),
        ("%{usec_frac}t", "429158"), ("%{begin:%d}t", "26"), ("%{end:sec}t", "1795691513"),
        ("%{beginfoo}t", "beginfoo"), ("%{begin}t", "[26/Nov/2026:11:11:53 +0000]"),
        ("%{end}t", "[26/Nov/2026:11:11:53 +0000]"), ("%{end:usec_frac}t", "429542"),
        ("%T", "0"), ("%{ms}T", "0"), ("%{us}T", "384"), ("%{US}T", "384"),
        ("%{s}T", "0"), ("%{bogus}T", "bogus"),
        ("%u", "-"), ("%U", "/index.html"), ("%v", "localhost"), ("%V", "127.0.0.1"),
        ("%X", "+"),
        ("%I", "145"), ("%O", "206"), ("%S", "351"), ("%^FB", "-"),
        ("%{x}^ti", "-"), ("%{x}^to", "-"),
        ("%400,501{User-Agent}i", "-"), ("%!200,304{User-Agent}i", "-"),
        ("%200{User-Agent}i", 'Mozilla \\"x\\" \\\\ y'),
        ("%{bogus}P", "bogus"),
    ])
    def test_code(self, r, fmt, expected):
        assert line(fmt, r) == expected

    def test_process_and_thread(self, r):
        assert line("%P", r) == line("%{pid}P", r) == str(os.getpid())
        assert line("%{tid}P", r) == str(threading.get_ident())
        assert line("%{hextid}P", r) == "%x" % threading.get_ident()

    def test_all_in_one_line_as_apache_wrote_it(self, r):
        # the 2.4.71 line, bar pid/tid and the timing
        fmt = ("%a|%{c}a|%A|%B|%b|%{foo}C|%{HOME}e|%f|%h|%{c}h|%H|%{Host}i|%k|%l|%L|%m|"
               "%{n}n|%{Content-Type}o|%p|%{canonical}p|%{local}p|%{remote}p|%q|%r|%R|"
               "%s|%>s|%<s|%t|%{%Y}t|%u|%U|%v|%V|%X|%I|%O|%S|%^FB|%{x}^ti|%{x}^to|"
               "%400,501{User-Agent}i|%!200,304{User-Agent}i|%{bogus}p|%{bogus}P|"
               "%{beginfoo}t")
        assert line(fmt, r) == (
            "127.0.0.1|127.0.0.1|127.0.0.1|6|6|bar|-|/tmp/ap1/htdocs/index.html|127.0.0.1|"
            "127.0.0.1|HTTP/1.1|127.0.0.1:18081|0|-|-|GET|-|-|80|80|18081|43256|?a=b|"
            "GET /index.html?a=b HTTP/1.1|-|200|200|200|[26/Nov/2026:11:11:53 +0000]|2026|"
            "-|/index.html|localhost|127.0.0.1|+|145|206|351|-|-|-|-|-|bogus|bogus|beginfoo")


class TestValues:
    def test_bytes_when_nothing_was_sent(self):
        # HEAD: Apache logs %b "-" and %B "0"; likewise when no body was counted
        r = make_request(method="HEAD", the_request="HEAD / HTTP/1.1", bytes_sent=0)
        assert line("%b %B", r) == "- 0"
        r = make_request(bytes_sent=6, sent_bodyct=False)
        assert line("%b %B", r) == "- 0"

    def test_status_not_set_yet(self):
        assert line("%s", make_request(status=0)) == "-"

    def test_user(self):
        assert line("%u", make_request(user="")) == '""'
        assert line("%u", make_request(user="bob\n")) == "bob\\n"

    def test_remote_host_name_when_looked_up(self):
        r = make_request()
        r.conn.remote_host = "client.example"
        assert line("%h %a", r) == "client.example 127.0.0.1"
        r.conn.remote_host = ""                 # the lookup failed: the address
        assert line("%h", r) == "127.0.0.1"

    def test_query_string_empty_and_absent(self):
        assert line("[%q]", make_request(args="")) == "[?]"
        assert line("[%q]", make_request(args=None)) == "[]"
        assert line("%q", make_request(args='a"b')) == '?a\\"b'

    def test_repeated_request_headers_are_joined(self):
        # Apache merges repeated fields when it reads them: "a, b"
        r = make_request(headers=[("User-Agent", "a"), ("User-Agent", "b")])
        assert line("%{User-Agent}i", r) == "a, b"

    def test_empty_header_prints_empty_not_dash(self):
        r = make_request(headers=[("X-Empty", "")])
        assert line("[%{X-Empty}i] [%{X-None}i]", r) == "[] [-]"

    def test_response_headers(self):
        r = make_request(content_type="text/html; charset=utf-8")
        r.headers_out.add("Set-Cookie", "a=1")
        r.headers_out.add("Set-Cookie", "b=2")
        r.headers_out.add("X-Dup", "one")
        r.headers_out.add("X-Dup", "two")
        r.err_headers_out.add("Location", "/err")
        r.headers_out.add("Location", "/out")
        assert line("%{Content-Type}o|%{set-cookie}o|%{X-Dup}o|%{Location}o|%{no}o", r) == \
            "text/html|a=1, b=2|one|/err|-"

    def test_notes_and_environment_are_case_insensitive(self):
        r = make_request(notes={"Note": "n v"}, subprocess_env={"HOME": "/root", "X": "a\tb"})
        assert line("%{note}n|%{home}e|%{X}e", r) == "n v|/root|a\\tb"

    @pytest.mark.parametrize("cookies,name,value", [
        ("foo=bar; baz=1", "baz", "1"),
        ("  FOO = bar ;x=y", "foo", "bar"),
        ("a=1, foo=2", "foo", "-"),             # commas do not separate cookies
        ("a=b=c", "a", "b=c"),
        ("=x; foo=", "foo", "-"),               # empty values are skipped
        ("foo", "foo", "-"),
        ("k=\"q\"", "k", '\\"q\\"'),
    ])
    def test_cookies(self, cookies, name, value):
        r = make_request(headers=[("Cookie", cookies)])
        assert line(f"%{{{name}}}C", r) == value

    def test_handler_filename_protocol_method_escaped(self):
        r = make_request(handler="cgi-script", filename="/a b/\x01", protocol="HTTP/1.0",
                         method="G\x7fT")
        assert line("%R|%f|%H|%m", r) == "cgi-script|/a b/\\x01|HTTP/1.0|G\\x7fT"

    def test_request_line_escaping(self):
        r = make_request(the_request="GET /\x00\x1b\xff\u20ac\"\\ HTTP/1.1")
        assert line("%r", r) == 'GET /\\x00\\x1b\\xff\\xe2\\x82\\xac\\"\\\\ HTTP/1.1'

    def test_request_line_hides_a_password(self):
        # what 2.4.71 logged for "GET http://user:pw@x/index.html HTTP/1.1"
        r = make_request(the_request="GET http://user:pw@x/index.html HTTP/1.1",
                         unparsed_uri="http://user:pw@x/index.html")
        assert line("%r", r) == "GET http://user:XXXXXXXX@x/index.html HTTP/1.1"
        r = make_request(the_request="GET http://u:p@x:80/a?b HTTP/1.1",
                         unparsed_uri="http://u:p@x:80/a?b")
        assert line("%r", r) == "GET http://u:XXXXXXXX@x/a?b HTTP/1.1"
        r = make_request(the_request="GET http://u:p@[::1]:8080/ HTTP/1.0",
                         unparsed_uri="http://u:p@[::1]:8080/", protocol="HTTP/1.0")
        assert line("%r", r) == "GET http://u:XXXXXXXX@[::1]:8080/ HTTP/1.0"
        # a user without a password, or an @ elsewhere, is left alone
        for target in ("http://user@x/", "/a@b"):
            r = make_request(the_request=f"GET {target} HTTP/1.1", unparsed_uri=target)
            assert line("%r", r) == f"GET {target} HTTP/1.1"

    def test_http09_request_line(self):
        r = make_request(the_request="GET /index.html", protocol="HTTP/0.9")
        assert line('"%r" %H', r) == '"GET /index.html" HTTP/0.9'

    def test_server_port_configured(self):
        r = make_request(server=make_server("www.example.com", 8080))
        assert line("%v:%p", r) == "www.example.com:8080"

    def test_default_port_of_an_https_server_name(self):
        """ap_default_port is http_core's http_port: 443 for ``ServerName https://x``
        without a port (apache2 2.4 logs ``443 443`` for ``%{canonical}p %p``)."""
        r = make_request(server=make_server("x", server_scheme="https"))
        assert line("%{canonical}p %p", r) == "443 443"

    def test_server_name_by_use_canonical_name(self):
        r = make_request(hostname=None)
        assert line("%V", r) == "localhost"     # HTTP/1.0 without Host: the server's
        r = make_request(hostname="client.given")

        class Dir:
            use_canonical_name = "on"
        r.per_dir_config["core_module"] = Dir()
        assert line("%V", r) == "localhost"

    def test_log_ids(self):
        r = make_request()
        r.log_id, r.conn.log_id = "nR7JAoxj264", "XJRFEYza3bM"
        assert line("%L %{c}L", r) == "nR7JAoxj264 XJRFEYza3bM"


class TestConnection:
    # ``served`` is c->keepalives at logging time: set_keepalive has counted this
    # response already when it kept the connection
    @pytest.mark.parametrize("served,keepalive,aborted,k,x", [
        (1, True, False, "0", "+"),     # first of a keep-alive connection
        (2, True, False, "1", "+"),
        (2, False, False, "1", "-"),    # the third, with Connection: close
        (0, False, False, "0", "-"),
        (0, None, False, "0", "-"),     # nobody decided: not kept
        (4, True, True, "3", "X"),
        (99, True, False, "98", "+"),
        (100, True, False, "99", "-"),  # MaxKeepAliveRequests 100 used up
        (101, False, False, "100", "-"),  # the 101st closes (and is counted)
    ])
    def test_keepalives_and_status(self, served, keepalive, aborted, k, x):
        conn = ConnInfo("127.0.0.1", 1, "127.0.0.1", 80, keepalives=served,
                        keepalive=keepalive, aborted=aborted)
        assert line("%k %X", make_request(conn=conn)) == f"{k} {x}"

    def test_keep_alive_max_zero_is_unlimited(self):
        from httpd.http.core import HttpServerConfig
        server = make_server()
        server.module_config["http_module"] = HttpServerConfig(keep_alive_max=0)
        conn = ConnInfo("127.0.0.1", 1, "127.0.0.1", 80, keepalives=5000, keepalive=True)
        assert line("%X", make_request(server=server, conn=conn)) == "+"


class TestTimes:
    def test_clf_time_offsets(self, monkeypatch):
        for tz, text in (("America/Los_Angeles", "[26/Nov/2026:03:11:53 -0800]"),
                         ("Asia/Kolkata", "[26/Nov/2026:16:41:53 +0530]"),
                         ("UTC", "[26/Nov/2026:11:11:53 +0000]")):
            monkeypatch.setenv("TZ", tz)
            time.tzset()
            log_times._clf_cache = (-1, "")
            assert line("%t", make_request()) == text
        time.tzset()

    def test_strftime_and_fractions_combine(self):
        r = make_request()
        assert line("%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t", r) == \
            "26/Nov/2026 11:11:53.429 +0000"

    def test_end_time_is_taken_once(self):
        r = make_request(request_time=time.time() - 2.5)
        first = line("%T %{ms}T", r)
        assert r.request_time_end
        assert line("%T %{ms}T", r) == first and first.startswith("2 25")

    def test_duration_uses_integer_microseconds(self):
        r = make_request(request_time=T0, request_time_end=T0 + 1.5)
        assert line("%D %T %{ms}T %{us}T", r) == "1500000 1 1500 1500000"


class TestConditionsAndRedirects:
    def test_status_conditions_use_the_final_status(self):
        orig = make_request(status=302, headers=[("User-Agent", "ua")])
        final = make_request(status=404, headers=[("User-Agent", "ua2")], uri="/missing")
        orig.next, final.prev = final, orig
        assert line("%s %>s %<s %U %>U %400,404{User-Agent}i %!404{User-Agent}i",
                    final, orig) == "302 404 302 /index.html /missing ua2 -"

    def test_want_orig_defaults(self):
        # %r %s %U %T %D %L %R default to the original request, the others to the final
        orig = make_request(the_request="GET /a HTTP/1.1", uri="/a", handler="h1", user="o")
        final = make_request(the_request="GET /b HTTP/1.1", uri="/b", handler="h2", user="f")
        assert line("%r|%U|%R|%u|%<u", final, orig) == "GET /a HTTP/1.1|/a|h1|f|o"


class TestLogio:
    def test_ttfb(self):
        r = make_request(first_byte_time=T0 + 0.0125)
        assert line("%^FB", r) == "-"            # LogIOTrackTTFB off
        r.per_dir_config["logio_module"] = LogioDirConfig(True)
        assert line("%^FB", r) == "12500"
        r.first_byte_time = 0.0
        assert line("%^FB", r) == "-"

    def test_counts_restart_after_logging(self):
        from directives.mod_logio import logio_transaction
        r = make_request()
        r.conn.bytes_in, r.conn.bytes_out = 80, 200
        assert line("%I %O %S", r) == "80 200 280"
        logio_transaction(r)
        assert (r.conn.bytes_in, r.conn.bytes_out) == (0, 0)
        assert r.conn.notes["logio_bytes_last_request"] == 280


def test_headers_type():
    # the helpers read Request.headers_in as the Headers multi-map
    assert items._header(Headers([("A", "1"), ("a", "2")]), "A") == "1, 2"
