"""mod_alias, mod_mime, mod_dir, mod_authz_core and mod_authz_host at request time: the
cases the Apache comparison (test_against_apache.py) does not cover, with the answers
apache2 gave where noted."""
from __future__ import annotations


import pytest
import structlog

from directives.mod_authz_host import in_domain

OPEN = """DocumentRoot $ROOT/htdocs
<Directory />
Require all granted
</Directory>
"""
FILES = {"htdocs/a.txt": "a", "other/z.txt": "z", "other/sub/y.txt": "y",
         "htdocs/d/index.html": "i", "htdocs/fallback.txt": "fb"}


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


class TestMime:
    @pytest.fixture
    def srv(self, server):
        return server(OPEN + """AddHandler my-handler .h
AddType text/one .one
AddType text/two .two
AddEncoding gzip .gz
AddEncoding compress .Z
<Directory $ROOT/htdocs/pi>
ModMimeUsePathInfo On
</Directory>
""", {"htdocs/f.one.two": "x", "htdocs/f.two.one": "x", "htdocs/f.h": "x",
      "htdocs/f.gz.Z": "x", "htdocs/pi/script": "x"})

    def test_last_type_wins(self, srv):
        assert srv.get("/f.one.two").content_type == "text/two"
        assert srv.get("/f.two.one").content_type == "text/one"

    def test_encodings_accumulate_in_order(self, srv):
        assert srv.get("/f.gz.Z").content_encoding == "gzip, compress"

    def test_addhandler(self, srv):
        assert srv.get("/f.h").handler == "my-handler"

    def test_use_path_info(self, srv):
        from httpd.request.subrequest import sub_req_lookup_uri
        rr = sub_req_lookup_uri("/pi/script/x.one", srv.get("/f.h"))
        assert rr.path_info == "/x.one" and rr.content_type == "text/one"

    def test_directories_get_the_magic_type(self, srv):
        from httpd.request.subrequest import sub_req_lookup_uri
        rr = sub_req_lookup_uri("/pi/", srv.get("/f.h"))
        assert rr.content_type == "httpd/unix-directory"


class TestDir:
    def test_slash_redirect_escapes_the_path(self, server):
        s = server(OPEN, {"htdocs/a b/index.html": "x"})
        r = s.get("/a%20b")
        assert r.headers_out.get("Location") == "http://localhost/a%20b/"

    def test_slash_redirect_keeps_a_semicolon(self, server):
        """apache2 2.4: GET /a;b (a directory) -> Location: http://localhost/a;b/."""
        s = server(OPEN, {"htdocs/a;b/index.html": "x"})
        assert s.get("/a;b").headers_out.get("Location") == "http://localhost/a;b/"

    def test_redirect_carefully_spares_non_get(self, server):
        s = server(OPEN, FILES)
        r = s.get("/d", method="POST")
        assert r.status == 301
        from httpd.request.record import Request
        r = s.get("/d/")
        assert isinstance(r, Request)

    def test_checkhandler_leaves_other_handlers_alone(self, server):
        s = server(OPEN + "<Directory $ROOT/htdocs/d>\nDirectoryCheckHandler On\n"
                   "SetHandler something-else\n</Directory>\n", FILES)
        r = s.get("/d/")
        assert r.filename.endswith("/htdocs/d/")          # no index lookup
        assert r.status == 404 and r.handler == "something-else"

    def test_index_names_are_noted_for_autoindex(self, server):
        s = server(OPEN + "DirectoryIndex none.html also-none.html\n", FILES)
        r = s.get("/d/")
        assert r.status == 404 and r.notes["dir-index-names"] == "none.html,also-none.html"

    def test_fallback_keeps_the_query(self, server):
        s = server(OPEN + "FallbackResource /fallback.txt\n", FILES)
        r = s.get("/no/such/thing?x=1")
        assert r.status == 200 and r.filename.endswith("/htdocs/fallback.txt")
        assert r.args == "x=1"

    def test_fallback_disabled(self, server):
        s = server(OPEN + "FallbackResource /fallback.txt\n<Directory $ROOT/htdocs/d>\n"
                   "FallbackResource disabled\n</Directory>\n", FILES)
        assert s.get("/d/missing").status == 404


class TestAuthz:
    def test_in_domain(self):
        assert in_domain("example.com", "www.example.com")
        assert in_domain(".example.com", "www.example.com")
        assert in_domain("example.com", "EXAMPLE.com")
        assert not in_domain("example.com", "badexample.com")
        assert not in_domain("www.example.com", "example.com")

    @pytest.fixture
    def srv(self, server):
        return server(OPEN + """<AuthzProviderAlias ip lan 10.0.0.0/8>
</AuthzProviderAlias>
<AuthzProviderAlias ip loop 127.0.0.1>
</AuthzProviderAlias>
<Location /ex>
Require expr %{REMOTE_USER} == "bob"
</Location>
<Location /h>
Require host localhost
</Location>
<Location /fd>
Require forward-dns localhost
</Location>
<Location /lan>
Require lan
</Location>
<Location /loop>
Require loop
</Location>
<Location /env>
Require env HTTP_ALLOWED
</Location>
<Location /notlocal>
<RequireAll>
Require all granted
Require not local
</RequireAll>
</Location>
""", FILES)

    def test_expr_needing_a_user_asks_authentication(self, srv):
        with structlog.testing.capture_logs() as logs:
            r = srv.get("/ex/a.txt")
        assert r.status == 500          # apache2: nothing to authenticate with
        assert logs[-1]["event"] == ("AH00025: configuration error:  couldn't check user: "
                                     "/ex/a.txt")

    def test_host_and_forward_dns(self, srv):
        assert srv.get("/h/a.txt").status == 404       # granted, then not found: as apache2
        assert srv.get("/fd/a.txt").status == 404
        assert srv.get("/h/a.txt", client_ip="192.0.2.1").status == 403

    def test_provider_alias(self, srv):
        assert srv.get("/lan/a.txt").status == 403
        assert srv.get("/loop/a.txt").status == 404

    def test_env_is_looked_up_without_case(self, srv):
        r = srv.get("/a.txt")
        from directives.mod_authz_core.runtime import env_check
        r.subprocess_env["http_allowed"] = "1"
        assert env_check(r, "HTTP_ALLOWED", None) == 1

    def test_local(self, srv):
        assert srv.get("/notlocal/a.txt").status == 403
        assert srv.get("/notlocal/a.txt", client_ip="192.0.2.7",
                       local_ip="192.0.2.1").status == 404
        assert srv.get("/notlocal/a.txt", client_ip="192.0.2.1",
                       local_ip="192.0.2.1").status == 403
        assert srv.get("/notlocal/a.txt", client_ip="::1").status == 403
