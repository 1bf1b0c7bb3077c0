"""Subrequests (httpd/request/subrequest.py): by URI, by directory entry, by file; fast redirects."""
from __future__ import annotations

import os

from httpd.request.subrequest import (internal_fast_redirect, sub_req_lookup_dirent,
                                      sub_req_lookup_uri)

CONF = """DocumentRoot $ROOT/htdocs
<Directory />
Require all denied
</Directory>
<Directory $ROOT/htdocs>
Require all granted
</Directory>
<Files secret.txt>
Require all denied
</Files>
<Directory $ROOT/htdocs/closed>
Require all denied
</Directory>
"""
FILES = {"htdocs/d/a b.txt": "ab", "htdocs/d/secret.txt": "s", "htdocs/d/sub/x": "x",
         "htdocs/closed/y": "y", "htdocs/d/index.html": "i"}


def test_dirent_maps_entry_and_uri(server):
    s = server(CONF, FILES)
    r = s.get("/d/")
    rr = sub_req_lookup_dirent("a b.txt", r)
    assert rr.status == 200 and rr.main is r
    assert rr.filename.endswith("/htdocs/d/a b.txt") and rr.uri == "/d/a%20b.txt"
    assert rr.content_type == "text/plain"


def test_dirent_sees_access_rules(server):
    s = server(CONF, FILES)
    r = s.get("/d/")
    assert sub_req_lookup_dirent("secret.txt", r).status == 403
    rr = sub_req_lookup_dirent("sub", r)
    assert rr.status == 200 and rr.uri == "/d/sub/" and rr.filename.endswith("/d/sub/")


def test_dirent_symlink_leaving_the_root_is_refused(server):
    s = server(CONF, FILES)
    os.symlink(s.root / "closed", s.root / "htdocs" / "d" / "out")
    r = s.get("/d/")
    assert sub_req_lookup_dirent("out", r).status == 403


def test_uri_lookup_relative_to_the_directory(server):
    s = server(CONF, FILES)
    r = s.get("/d/index.html")
    rr = sub_req_lookup_uri("sub/x", r)
    assert rr.status == 200 and rr.filename.endswith("/htdocs/d/sub/x")
    assert sub_req_lookup_uri("/closed/y", r).status == 403


def test_fast_redirect_takes_the_subrequests_mapping(server):
    s = server(CONF, FILES)
    r = s.get("/d/index.html")
    rr = sub_req_lookup_uri("sub/x?q=1", r)
    rr.notes["from-sub"] = "1"
    internal_fast_redirect(rr, r)
    assert r.filename == rr.filename and r.args == "q=1" and r.notes["from-sub"] == "1"
    assert r.per_dir_config is rr.per_dir_config


def test_a_registered_method_keeps_its_number(server):
    """ap_sub_req_method_uri numbers the method with ap_method_number_of, which knows the
    registered extension methods (this server gave them M_INVALID)."""
    s = server(CONF + "RegisterHttpMethod PURGE\n", FILES)
    r = s.get("/d/")
    assert sub_req_lookup_uri("/d/a b.txt", r, method="PURGE").method_number == 27
    assert sub_req_lookup_uri("/d/a b.txt", r, method="NOPE").method_number == 26


def _reference_sub_request(r):
    """make_sub_request as it was written with Request(...): the compiled constructor
    must give the same record."""
    from httpd.protocol import M_GET
    from httpd.request.record import Request
    rnew = Request(conn=r.conn, server=r.server, process=r.process, method="GET",
                   method_number=M_GET)
    rnew.hostname = r.hostname
    rnew.request_time = r.request_time
    rnew.per_dir_config = r.server.lookup_defaults
    rnew.allowed = r.allowed
    rnew.the_request = r.the_request
    rnew.no_local_copy = True
    rnew.protocol, rnew.proto_num = "INCLUDED", r.proto_num
    rnew.headers_in = r.headers_in.copy()
    rnew.headers_in.unset("Content-Length")
    rnew.headers_in.unset("Transfer-Encoding")
    rnew.subprocess_env = dict(r.subprocess_env)
    rnew.expecting_100 = r.expecting_100
    rnew.main = r
    return rnew


def test_the_compiled_sub_request_is_the_reference_record(server):
    import attrs
    from httpd.request.subrequest import make_sub_request
    s = server(CONF, FILES)
    r = s.get("/d/index.html")
    for extra in ([], [("Content-Length", "3"), ("transfer-encoding", "chunked")]):
        for k, v in extra:
            r.headers_in.add(k, v)
        r.subprocess_env["X"] = "1"
        got, want = make_sub_request(r), _reference_sub_request(r)
        for a in attrs.fields(type(want)):
            g, w = getattr(got, a.name), getattr(want, a.name)
            if a.name in ("headers_in", "err_headers_out", "headers_out"):
                assert g.items() == w.items() and g._keys == w._keys, a.name
            else:
                assert g == w, a.name
        # copies, not the parent's own tables
        assert got.headers_in is not r.headers_in and got.headers_in._keys is not \
            r.headers_in._keys and got.subprocess_env is not r.subprocess_env
        got.headers_in.add("Y", "2")
        assert "Y" not in r.headers_in


# no .htaccess looked up: the pipeline memo keeps these runs
KEPT = CONF.replace("<Directory />\n",
                    "<Directory />\nAllowOverride None\nOptions FollowSymLinks\n")


def _subrequest_path(rr):
    return rr.filename + (rr.path_info or "") if rr.filename else None


def test_lookup_uri_path_is_the_subrequests_answer(server):
    """lookup_uri_path (PATH_TRANSLATED's subrequest) answers what sub_req_lookup_uri's
    record says, whether it serves a kept answer or runs the subrequest, and sees a
    change of the file (the memo's stat) and of the parent's config."""
    from httpd.request.subrequest import lookup_uri_path
    s = server(KEPT + "<Location /d/sub>\nRequire all granted\n</Location>\n", FILES)
    uris = ("/", "/d/a%20b.txt", "/d/a%20b.txt/more", "/closed/y", "/nope/x", "/d/sub/x")
    for target in ("/d/index.html", "/d/sub/x", "/d/index.html"):
        for _ in range(3):
            r = s.get(target)
            for uri in uris:
                assert lookup_uri_path(uri, r) == _subrequest_path(sub_req_lookup_uri(uri, r)), \
                    (target, uri)
    r = s.get("/d/index.html")
    assert lookup_uri_path("/d/a%20b.txt", r).endswith("/htdocs/d/a b.txt")
    os.rename(s.root / "htdocs/d/a b.txt", s.root / "htdocs/d/gone")
    os.mkdir(s.root / "htdocs/d/a b.txt")       # another inode, a directory now
    for _ in range(2):
        r = s.get("/d/index.html")
        got = lookup_uri_path("/d/a%20b.txt/more", r)
        assert got == _subrequest_path(sub_req_lookup_uri("/d/a%20b.txt/more", r))
        assert got.endswith("/htdocs/d/a b.txt/more")
    os.rmdir(s.root / "htdocs/d/a b.txt")
    r = s.get("/d/index.html")
    assert lookup_uri_path("/d/a%20b.txt/more", r) == \
        _subrequest_path(sub_req_lookup_uri("/d/a%20b.txt/more", r))


def test_lookup_uri_path_serves_a_kept_answer_without_the_record(server, monkeypatch):
    from httpd.request import subrequest
    s = server(KEPT, FILES)
    for _ in range(3):
        want = subrequest.lookup_uri_path("/d/a%20b.txt", s.get("/d/index.html"))
    made = []
    real = subrequest.make_sub_request
    monkeypatch.setattr(subrequest, "make_sub_request", lambda r: made.append(r) or real(r))
    r = s.get("/d/index.html")
    assert subrequest.lookup_uri_path("/d/a%20b.txt", r) == want and not made
    assert subrequest.lookup_uri_path("/d/a%20b.txt?q", r) == want and made
