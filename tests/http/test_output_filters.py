"""The insert_filter / insert_error_filter hooks and ``r.output_filters``: mod_headers'
FIXUP_HEADERS_OUT goes in before the handler, an error response replaces the filters
with FIXUP_HEADERS_ERR (ap_send_error_response), as in Apache."""
from __future__ import annotations

from directives.mod_headers.runtime import fixup_headers_err, fixup_headers_out
from httpd.http.request import final_request, process_request
from tests.directives import harness


def _serve(process, uri):
    r = harness.request(process, uri)
    process_request(r)
    final = final_request(r)
    for f in final.output_filters:        # what the response writer does
        f(final)
    return final


def _process(tmp_path, headers):
    (tmp_path / "a.txt").write_text("a\n")
    return harness.load(tmp_path, f"DocumentRoot {tmp_path}\n<Directory {tmp_path}>\n"
                                  f"Require all granted\n</Directory>\n{headers}")


def test_the_handlers_response_gets_the_out_filter(tmp_path):
    p = _process(tmp_path, "Header set X-On ok\nHeader always set X-Always yes\n")
    r = _serve(p, "/a.txt")
    assert r.status == 200 and r.output_filters == (fixup_headers_out,)
    assert r.headers_out.get("X-On") == "ok" and r.err_headers_out.get("X-Always") == "yes"


def test_an_error_response_gets_only_the_error_filter(tmp_path):
    p = _process(tmp_path, "Header set X-On ok\nHeader always set X-Always yes\n")
    r = _serve(p, "/missing")
    assert r.status == 404 and r.output_filters == (fixup_headers_err,)
    assert r.headers_out.get("X-On") is None and r.err_headers_out.get("X-Always") == "yes"


def test_no_header_entries_no_filter(tmp_path):
    p = _process(tmp_path, "")
    assert _serve(p, "/a.txt").output_filters == ()
    assert _serve(p, "/missing").output_filters == ()
    p = _process(tmp_path, "Header set X-On ok\n")      # onsuccess only: no error filter
    assert _serve(p, "/missing").output_filters == ()
