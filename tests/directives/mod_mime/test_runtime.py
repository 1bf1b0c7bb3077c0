"""mod_mime at request time: the last type wins, encodings accumulate, AddHandler,
ModMimeUsePathInfo, directories."""
from __future__ import annotations

import pytest

from tests.request.pipeline import OPEN


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
