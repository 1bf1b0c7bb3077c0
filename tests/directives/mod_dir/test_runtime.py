"""mod_dir at request time: the trailing-slash redirect, DirectoryIndex,
DirectoryCheckHandler and FallbackResource."""
from __future__ import annotations

from tests.request.pipeline import FILES, OPEN


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
