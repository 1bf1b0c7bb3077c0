"""Error pages and ErrorDocument (httpd/http/errors.py): the page's parts, escaping and
ErrorDocument; on the server of the canned-error corpus (``Redirect NNN /sNNN`` for every
status, ServerSignature On, no ServerAdmin), whose pages are compared byte for byte with
Apache's in tests/conformance/request/test_canned_errors.py."""
from __future__ import annotations

import pytest

from httpd.http.errors import error_page
from httpd.http.status import get_status_line
from tests.conformance.request import canned


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return canned.pages(tmp_path_factory.mktemp("pages"))


def test_redirect_keeps_location_and_page_type(pages):
    r = pages.get("/s301")
    assert r.headers_out.get("Location") == canned.TARGET
    assert r.content_type == "text/html; charset=iso-8859-1"


def test_head_gets_the_fields_but_no_page(pages):
    r = pages.get("/s404", method="HEAD")
    assert r.status == 404 and r.body is None
    assert r.content_type == "text/html; charset=iso-8859-1"


def test_header_only_statuses_have_no_page(pages):
    r = pages.get("/s304")
    assert r.status == 304 and r.body is None


def test_unknown_status_reads_as_500():
    assert get_status_line(418) == "500 Internal Server Error"
    assert get_status_line(425) == "500 Internal Server Error"
    assert get_status_line(451) == "451 Unavailable For Legal Reasons"


def test_error_notes_and_method_are_escaped(pages):
    r = pages.get("/s400")
    r.notes["error-notes"] = "Size of a request header field exceeds server limit."
    page = error_page(r, 400).decode()
    assert ("<p>Your browser sent a request that this server could not understand.<br />\n"
            "Size of a request header field exceeds server limit.</p>\n") in page
    r.method = "<X>"
    assert "<p>&lt;X&gt; not supported for current URL.<br />\n" in error_page(r, 501).decode()


def test_expect_text_names_the_expectation(pages):
    r = pages.get("/s417", headers=[("Expect", "foo<bar>")])
    assert ("<p>The expectation given in the Expect request-header\nfield could not be met "
            "by this server.\nThe client sent<pre>\n    Expect: foo&lt;bar&gt;\n</pre>\n"
            "</p><p>Only the 100-continue expectation is supported.</p>\n") in r.body.decode()


def test_module_status_line_is_the_title(pages):
    r = pages.get("/s404")
    r.status_line = "404 Gone Fishing"
    assert "<title>404 Gone Fishing</title>\n</head><body>\n<h1>Gone Fishing</h1>" in \
        error_page(r, 404).decode()
    r.status_line = "999 nope"
    assert "<title>404 Not Found</title>" in error_page(r, 404).decode()


def test_recursive_error_is_reported(pages):
    r = pages.get("/s403")
    page = error_page(r, 403, "", 404).decode()
    assert ("<p>Additionally, a 404 Not Found\nerror was encountered while trying to use an "
            "ErrorDocument to handle the request.</p>\n<hr>\n") in page


class TestErrorDocument:
    """ErrorDocument: local URL (internal redirect), full URL (302), text, default."""

    @pytest.fixture
    def srv(self, server):
        return server("""DocumentRoot $ROOT/htdocs
<Directory />
Require all granted
</Directory>
ErrorDocument 404 /errors/nf.html
ErrorDocument 403 "Go away
ErrorDocument 410 http://example.com/gone
ErrorDocument 500 "%{REQUEST_URI} broke
Redirect 410 /gone
Redirect 500 /broken
<Location /forbidden>
Require all denied
</Location>
<Location /plain>
ErrorDocument 404 default
</Location>
""", {"htdocs/errors/nf.html": "not found page\n", "htdocs/x.txt": "x"})

    def test_local_document_is_an_internal_redirect(self, srv):
        r = srv.get("/nothing?q=1", method="POST")
        assert r.prev is not None and r.prev.uri == "/nothing"
        assert r.status == 404 and r.uri == "/errors/nf.html"
        assert r.filename.endswith("/htdocs/errors/nf.html")
        assert r.method == "GET"                       # an error document is a GET
        assert r.subprocess_env["REDIRECT_STATUS"] == "404"
        assert r.subprocess_env["REDIRECT_REQUEST_METHOD"] == "POST"
        assert r.prev.method == "POST"                 # %<m still sees the original

    def test_text_document(self, srv):
        r = srv.get("/forbidden/x")
        assert r.status == 403 and r.body == b"Go away"
        assert r.content_type == "text/html; charset=iso-8859-1"

    def test_text_document_is_an_expression(self, srv):
        r = srv.get("/broken")
        assert r.status == 500 and r.body == b"/broken broke"

    def test_remote_document_is_a_302(self, srv):
        r = srv.get("/gone")
        assert r.status == 302
        assert r.headers_out.get("Location") == "http://example.com/gone"

    def test_default_restores_the_canned_page(self, srv):
        r = srv.get("/plain/nothing")
        assert r.status == 404 and r.body.startswith(b"<!DOCTYPE")


def test_error_document_with_a_non_ascii_scheme_is_text(tmp_path):
    """ap_is_url is ASCII (apr_isalnum): ``ErrorDocument 404 \\xe9:x`` is a message, so
    apache2 2.4 answers 404 with the text ``\\xe9:x`` (this server redirected to it)."""
    from tests.request.pipeline import Server
    s = Server(tmp_path, "DocumentRoot $ROOT\n<Directory />\nRequire all granted\n"
                         "</Directory>\n<Location /ed>\nErrorDocument 404 \xe9:x\n</Location>\n")
    r = s.get("/ed/nothere")
    assert r.status == 404 and r.headers_out.get("Location") is None
    assert r.body == b"\xe9:x"


def test_kept_pages_follow_the_signature_and_the_status_line(server):
    # error_page keeps a fixed-text page by (status, status_line, signature)
    s = server("DocumentRoot $ROOT\nServerSignature On\n<Directory $ROOT/quiet>\n"
               "ServerSignature Off\n</Directory>\n<VirtualHost *:80>\nServerName other\n"
               "DocumentRoot $ROOT\nServerSignature On\n</VirtualHost>\n", {"quiet/q": "q"})
    loud = s.get("/nothing").body.decode()
    assert "<address>" in loud and "Server at localhost Port 80" in loud
    assert s.get("/nothing").body.decode() == loud
    other = s.get("/nothing", host="other").body.decode()
    assert "Server at other Port 80" in other
    quiet = s.get("/quiet/nothing").body.decode()
    assert "<address>" not in quiet and quiet.endswith("</h1>\n<p>The requested URL was "
                                                       "not found on this server.</p>\n"
                                                       "</body></html>\n")
    r = s.get("/nothing")
    r.status_line = "404 Gone Fishing"
    assert "<title>404 Gone Fishing</title>" in error_page(r, 404).decode()
    r.status_line = None
    assert error_page(r, 404).decode() == loud
