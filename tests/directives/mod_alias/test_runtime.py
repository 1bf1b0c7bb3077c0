"""mod_alias at request time: the cases the Apache comparison
(tests/conformance/request/test_answers.py) does not cover, with the answers apache2 gave
where noted."""
from __future__ import annotations

import re

import pytest

from directives.mod_alias.runtime import pregsub

from tests.request.pipeline import FILES, OPEN


class TestAlias:
    def test_pregsub(self):
        m = re.search(r"^/(a)(b)?", "/a")
        assert pregsub("x$1$2$9y", "/a", m) == "xay"
        assert pregsub("&$0\\$1\\\\", "/a", m) == "&/a$1\\"

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
