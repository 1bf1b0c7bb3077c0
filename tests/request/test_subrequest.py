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
