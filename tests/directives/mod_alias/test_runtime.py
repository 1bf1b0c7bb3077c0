"""mod_alias at request time: the cases the Apache comparison
(tests/conformance/request/test_answers.py) does not cover, with the answers apache2 gave
where noted."""
from __future__ import annotations


import pytest
import structlog


from tests.request.pipeline import FILES, OPEN


class TestAlias:
    @pytest.fixture
    def srv(self, server):
        return server(OPEN + """<Location /pp>
Alias $ROOT/other
AliasPreservePath On
</Location>
<Location /np>
Alias $ROOT/other/z.txt
</Location>
<Location /rr>
RedirectRelative On
Redirect /rr/x /relative/target
</Location>
Redirect /ab /abs/target
ScriptAlias /cgi-bin/ $ROOT/other/
ScriptAliasMatch ^/cgim/(.*) $ROOT/other/$1
<Location /expr>
Alias "$ROOT/other/%{QUERY_STRING}"
</Location>
""", FILES)

    # the answers below are apache2's for the same config
    # the answers below are apache2's for the same config
    def test_redirect_targets_keep_semicolons(self, server):
        """ap_escape_uri leaves ';' alone: apache2 2.4 redirects /pfx/a;b to
        http://localhost/t/a;b, for Redirect and RedirectMatch alike (this server
        sent /t/a%3bb)."""
        s = server(OPEN + "Redirect /pfx http://localhost/t\n"
                   'RedirectMatch "^/rm/(.*)$" "http://localhost/t/$1"\n', FILES)
        for target in ("/pfx/a;b", "/rm/a;b"):
            r = s.get(target)
            assert r.status == 302 and r.headers_out.get("Location") == "http://localhost/t/a;b"

    def test_regex_target_too_long_is_500(self, server):
        """ap_pregsub gives NULL at AP_PREGSUB_MAXLEN: mod_alias logs AH00672 and
        answers 500 (apache2 2.4 does; this server sent a 72 KB Location)."""
        s = server(OPEN + 'RedirectMatch "^/long/(.*)$" "http://localhost/t/$1$1$1$1$1$1$1$1$1"\n',
                   FILES)
        with structlog.testing.capture_logs() as logs:
            r = s.get("/long/" + "a" * 8000)
        assert r.status == 500 and "Location" not in r.headers_out
        assert ("AH00672: Regex substitution in 'http://localhost/t/$1$1$1$1$1$1$1$1$1' "
                "failed. Replacement too long?") in [e["event"] for e in logs]

    def test_location_alias_preserving_the_path(self, srv):
        assert srv.get("/pp/sub/y.txt").filename.endswith("/other/sub/y.txt")
        r = srv.get("/pp")
        assert r.status == 301 and r.headers_out.get("Location") == "http://localhost/pp/"

    def test_location_alias_without_preserve_maps_everything_to_one_target(self, srv):
        r = srv.get("/np/anything/here")
        assert r.status == 200 and r.filename.endswith("/other/z.txt")

    def test_location_alias_is_an_expression(self, srv):
        assert srv.get("/expr?z.txt").filename.endswith("/other/z.txt")

    def test_redirect_relative(self, srv):
        r = srv.get("/rr/x")
        assert r.status == 302 and r.headers_out.get("Location") == "/relative/target"

    def test_path_target_becomes_a_url_with_the_query(self, srv):
        r = srv.get("/ab/q?x=1")
        assert r.headers_out.get("Location") == "http://localhost/abs/target/q?x=1"
        r = srv.get("/ab/q", host="www.example.com:8080")
        assert r.headers_out.get("Location") == "http://www.example.com:8080/abs/target/q"

    def test_scriptalias_sets_the_cgi_handler(self, srv):
        for target in ("/cgi-bin/z.txt", "/cgim/z.txt"):
            r = srv.get(target)
            assert r.filename.endswith("/other/z.txt")
            assert r.notes["alias-forced-type"] == "cgi-script"
