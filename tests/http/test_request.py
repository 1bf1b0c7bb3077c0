"""The pipeline (httpd/http/request.py): URI normalisation, the phases and their failures,
handlers, internal redirects, subrequests, recursion limits."""
from __future__ import annotations

import pytest
import structlog

from httpd.module.hooks import DECLINED, DONE, OK, HookTable
from httpd.http.request import generation, hook_table, invoke_handler, process_request
from httpd.request.process import normalize_path, parse_uri, unescape_path
from httpd.request.subrequest import sub_req_lookup_uri
from httpd.module import Module
from httpd.request.record import Request

ROOT = """DocumentRoot $ROOT/htdocs
<Directory />
Require all denied
</Directory>
<Directory $ROOT/htdocs>
Require all granted
</Directory>
"""
FILES = {"htdocs/index.html": "i", "htdocs/a.txt": "a", "htdocs/sub/b.txt": "b"}


class TestNormalizePath:
    """ap_normalize_path: decode unreserved escapes once, then remove dot segments."""

    @pytest.mark.parametrize("path,want", [
        ("/a/b", "/a/b"), ("/", "/"), ("*", "*"),
        ("/a/./b", "/a/b"), ("/a/../b", "/b"), ("/a/b/..", "/a/"), ("/a/.", "/a/"),
        ("/sub/..", "/"), ("//a//b//", "/a/b/"), ("/%2e%2e/", None), ("/.%2e/x", None),
        ("/%2E%2e/x", None), ("/a/%2e%2e/b", "/b"), ("/%7euser", "/~user"),
        ("/%41%42", "/AB"), ("/%2f", "/%2f"), ("/%252e%252e/x", "/%252e%252e/x"),
        ("/../x", None), ("/a/../../x", None), ("/%zz", None), ("/%u002e", None),
        ("/sub/%%32%65", None), ("relative", None), ("", None),
    ])
    def test_paths(self, path, want):
        assert normalize_path(path) == want

    def test_without_merge_slashes(self):
        assert normalize_path("//a//b", merge_slashes=False) == "//a//b"
        assert normalize_path("/a//../b", merge_slashes=False) == "/a/b"


class TestUnescape:
    def test_decodes_once(self):
        assert unescape_path("/%252e", False, False) == (0, "/%2e")
        assert unescape_path("/caf%C3%A9", False, False) == (0, "/caf\xc3\xa9")

    def test_slash_and_nul_are_404(self):
        assert unescape_path("/a%2fb", False, False)[0] == 404
        assert unescape_path("/a%00b", True, True)[0] == 404

    def test_allow_encoded_slashes(self):
        assert unescape_path("/a%2fb", True, True) == (0, "/a/b")
        assert unescape_path("/a%2Fb", True, False) == (0, "/a%2Fb")   # NoDecode

    def test_bad_escape_is_400(self):
        assert unescape_path("/a%g0", False, False)[0] == 400


def test_parse_uri_splits_query_and_drops_fragment():
    r = Request(conn=None, server=None, process=None)
    parse_uri(r, "//x/y?a=b#frag")
    assert (r.uri, r.args, r.unparsed_uri) == ("/x/y", "a=b", "//x/y?a=b#frag")


class TestPhases:
    def test_a_file_is_served(self, server):
        s = server(ROOT, FILES)
        r = s.get("/a.txt")
        assert r.status == 200 and r.filename.endswith("/htdocs/a.txt")
        assert r.content_type == "text/plain" and r.prev is None

    def test_uri_is_decoded_before_translation(self, server):
        s = server(ROOT, {"htdocs/dir x/f.txt": "f"})
        r = s.get("/dir%20x/f.txt")
        assert r.status == 200 and r.uri == "/dir x/f.txt"

    def test_encoded_slash_is_404_with_ah00026(self, server):
        s = server(ROOT + "LogLevel info\n", FILES)
        with structlog.testing.capture_logs() as logs:
            r = s.get("/a%2fb")
        assert r.status == 404
        assert any(e["event"].startswith("AH00026: found %2f (encoded '/') in URI path "
                                         "(/a%2fb), returning 404") for e in logs)

    def test_allow_encoded_slashes_on(self, server):
        s = server(ROOT + "AllowEncodedSlashes On\n", FILES)
        assert s.get("/sub%2fb.txt").status == 200

    def test_climbing_above_root_is_400_with_ah10244(self, server):
        s = server(ROOT, FILES)
        with structlog.testing.capture_logs() as logs:
            r = s.get("/%2e%2e/%2e%2e/etc/passwd")
        assert r.status == 400
        assert logs[0]["event"] == "AH10244: invalid URI path (/%2e%2e/%2e%2e/etc/passwd)"

    def test_without_authz_core_no_user_check_passes(self, server):
        s = server("DocumentRoot $ROOT/htdocs\n", FILES, prefix=(
            "LoadModule mpm_prefork_module x.so\nServerName localhost\nErrorLog e.log\n"))
        with structlog.testing.capture_logs() as logs:
            r = s.get("/a.txt")
        assert r.status == 500          # as Apache: nothing can check the user
        assert logs[-1]["event"] == "AH00025: configuration error:  couldn't check user: /a.txt"

    def test_denied_logs_ah01630_with_the_file(self, server):
        s = server(ROOT + "<Location /sub>\nRequire all denied\n</Location>\n", FILES)
        with structlog.testing.capture_logs() as logs:
            r = s.get("/sub/b.txt")
        assert r.status == 403
        assert logs[-1]["event"].startswith("AH01630: client denied by server configuration: ")
        assert logs[-1]["event"].endswith("/htdocs/sub/b.txt")
        assert logs[-1]["module"] == "authz_core" and logs[-1]["level"] == "error"

    def test_denied_before_mapping_names_the_uri(self, server):
        s = server(ROOT + "<Location /sub>\nRequire all denied\n</Location>\n", FILES)
        r = s.get("/sub/b.txt")
        r.filename, r.uri = None, "/sub/x"
        from directives.mod_authz_core.runtime import authorize_userless
        with structlog.testing.capture_logs() as logs:
            assert authorize_userless(r) == 403
        assert logs[-1]["event"] == "AH01630: client denied by server configuration: uri /sub/x"

    def test_head_runs_the_same_phases(self, server):
        s = server(ROOT, FILES)
        r = s.get("/a.txt", method="HEAD")
        assert r.status == 200 and r.header_only


def _module(name: str, **hooks) -> Module:
    return Module(name, f"mod_{name}.c", hooks=hooks)


class TestHooks:
    """Hooks from modules of our own, added to the generation's table."""

    def _with(self, s, *modules):
        gen = generation(s.process)
        gen.hooks = s.table = HookTable(list(s.process.registry.loaded) + list(modules))
        return s

    def test_post_read_request_error_stops_everything(self, server):
        s = self._with(server(ROOT, FILES), _module("x", post_read_request=lambda r: 418))
        r = s.get("/a.txt")
        assert r.status == 418 and r.filename is None

    def test_quick_handler_skips_the_phases(self, server):
        def quick(r):
            r.body = b"quick"
            return OK
        s = self._with(server(ROOT, FILES), _module("q", quick_handler=quick))
        r = s.get("/a.txt")
        assert r.status == 200 and r.body == b"quick" and r.filename is None

    def test_header_parser_done_ends_the_request(self, server):
        s = self._with(server(ROOT, FILES), _module("h", header_parser=lambda r: DONE))
        r = s.get("/a.txt")
        assert r.status == 200 and r.body is None

    def test_invalid_handler_result_is_500(self, server):
        s = self._with(server(ROOT, FILES), _module("bad", handler=(lambda r: 42, 0)))
        with structlog.testing.capture_logs() as logs:
            r = s.get("/a.txt")
        assert r.status == 500
        assert "AH00524: Handler for (null) returned invalid result code 42" in \
            [e["event"] for e in logs]

    def test_no_handler_is_500_with_ah00523(self, server):
        s = server(ROOT, FILES)
        r = s.get("/a.txt")
        table = HookTable([])
        r.handler = "no-such-handler"
        with structlog.testing.capture_logs() as logs:
            assert invoke_handler(r, table) == 500
        assert logs[-1]["event"].startswith('AH00523: handler "no-such-handler" not found for')

    def test_handler_name_comes_from_the_type(self, server):
        seen = []

        def handler(r):
            seen.append(r.handler)
            return DECLINED
        s = self._with(server(ROOT, FILES), _module("t", handler=(handler, -20)))
        s.get("/a.txt")
        assert seen == ["text/plain"]

    def test_decline_everywhere_is_a_configuration_error(self, server):
        s = server(ROOT, FILES)
        r = s.get("/a.txt")
        r2 = Request(conn=r.conn, server=r.server, process=r.process, uri="/a.txt",
                     unparsed_uri="/a.txt")
        from httpd.http.request import process_request_internal
        gen = generation(s.process)
        saved = gen.hooks
        gen.hooks = HookTable([])
        try:
            assert process_request_internal(r2, gen) == 500     # couldn't translate
        finally:
            gen.hooks = saved


class TestRedirectsAndSubrequests:
    def test_subrequest_maps_without_running_the_handler(self, server):
        s = server(ROOT, FILES)
        r = s.get("/sub/b.txt")
        rr = sub_req_lookup_uri("../a.txt", r)
        assert rr.status == 200 and rr.main is r and rr.filename.endswith("/htdocs/a.txt")
        assert rr.body is None and rr.protocol == "INCLUDED"

    def test_subrequest_keeps_parent_config_and_skips_auth(self, server):
        s = server(ROOT, FILES)
        r = s.get("/sub/b.txt")
        rr = sub_req_lookup_uri("/sub/b.txt", r)
        assert rr.per_dir_config is r.per_dir_config      # the merge cache at work

    def test_redirect_loop_hits_limit_internal_recursion(self, server):
        s = server(ROOT + "LimitInternalRecursion 3\n<Directory $ROOT/htdocs/loop>\n"
                   "DirectoryIndex ./\n</Directory>\n", {**FILES, "htdocs/loop/x": "x"})
        with structlog.testing.capture_logs() as logs:
            r = s.get("/loop/")
        assert r.status == 500
        assert any(e["event"].startswith("AH00125: Request exceeded the limit of 3 subrequest "
                                         "nesting levels") for e in logs)

    def test_error_document_loop_stops_at_the_first_error(self, server):
        s = server(ROOT + "ErrorDocument 404 /nowhere\n", FILES)
        r = s.get("/missing")
        assert r.status == 404 and r.prev is not None and r.next is None
        assert b"Additionally, a 404 Not Found\nerror was encountered" in r.body

    def test_hook_table_is_per_generation(self, server):
        s = server(ROOT, FILES)
        assert hook_table(s.process) is hook_table(s.process)
        r = s.get("/a.txt")
        process_request(r)                    # a table of None means the generation's


class TestDecodedSlashes:
    """AllowEncodedSlashes On decodes %2F: the path is normalised again, but never
    decoded twice and never above the root."""

    @pytest.fixture
    def srv(self, server):
        return server(ROOT + "AllowEncodedSlashes On\n", {**FILES, "htdocs/%2e%2e/x": "lit"})

    # the answers are apache2's
    def test_climbing_with_decoded_slashes_stays_inside(self, srv):
        r = srv.get("/..%2f..%2f..%2fetc%2fpasswd")
        assert r.status == 404 and r.uri == "/etc/passwd"
        assert r.filename == str(srv.root / "htdocs" / "etc")
        assert srv.get("/sub/..%2f..%2fa.txt").filename.endswith("/htdocs/a.txt")

    def test_no_second_decoding(self, srv):
        r = srv.get("/%252e%252e/x")
        assert r.status == 200 and r.filename.endswith("/htdocs/%2e%2e/x")

    def test_dot_segments_from_decoded_slashes(self, srv):
        r = srv.get("/sub/.%2f..%2fa.txt")
        assert r.status == 200 and r.filename.endswith("/htdocs/a.txt")

    def test_clamped_normalisation(self):
        assert normalize_path("/../../x", clamp=True) == "/x"
        assert normalize_path("/a/%2e", decode=False) == "/a/%2e"
