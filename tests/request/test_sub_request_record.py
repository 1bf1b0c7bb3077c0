"""make_sub_request's generated constructor makes the record attrs' Request(...) makes
with the fields make_sub_request and ap_set_sub_req_protocol pass on."""
from __future__ import annotations

import attrs

from httpd.io.connection import request_from_head
from httpd.protocol import M_GET
from httpd.request.record import ConnInfo, Request
from httpd.request.subrequest import make_sub_request
from tests.io.serve import head_of, load_process


def test_same_record_as_attrs_builds(tmp_path):
    process = load_process(tmp_path)
    _, head = head_of(b"POST /a/b?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n"
                      b"Cookie: c=1\r\n\r\n")
    r = request_from_head(process, ConnInfo("127.0.0.1", 1, "127.0.0.1", 80),
                          process.main_server, head)
    r.subprocess_env["X"] = "1"
    r.allowed = 5
    ours = make_sub_request(r)
    ref = Request(conn=r.conn, server=r.server, process=r.process, method="GET",
                  method_number=M_GET)
    ref.hostname, ref.request_time = r.hostname, r.request_time
    ref.per_dir_config = r.server.lookup_defaults
    ref.allowed, ref.the_request, ref.no_local_copy = r.allowed, r.the_request, True
    ref.protocol, ref.proto_num = "INCLUDED", r.proto_num
    ref.headers_in = r.headers_in.copy()
    ref.headers_in.unset("Content-Length")
    ref.subprocess_env = dict(r.subprocess_env)
    ref.expecting_100, ref.main = r.expecting_100, r
    for f in attrs.fields(Request):
        a, b = getattr(ours, f.name), getattr(ref, f.name)
        if f.name in ("headers_in", "headers_out", "err_headers_out"):
            assert a.items() == b.items() and a._keys == b._keys, f.name
        else:
            assert a == b, f.name
    assert ours.headers_in is not r.headers_in and ours.subprocess_env is not r.subprocess_env
