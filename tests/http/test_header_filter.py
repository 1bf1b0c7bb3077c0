"""The response head (ap_http_header_filter and friends): field order, the merge of
err_headers_out, keep-alive, 204/304 framing, ServerTokens, ServerSignature, dates."""
from __future__ import annotations

import re

import pytest

from httpd.http import header_filter as P
from httpd.io import response_write as W
from httpd.request import server_name as S
from httpd.request.record import FileRange, Part
from tests.e2e import static as harness
from tests.e2e.static import req

# -- against Apache ---------------------------------------------------------------------------


def _mod_headers(r):
    """What the Apache side's mod_headers does in the hdrs directory."""
    r.err_headers_out.set("X-Err", "e")
    r.headers_out.set("X-Out", "o")
    r.err_headers_out.add("Vary", "Accept, accept-encoding")
    r.headers_out.add("Vary", "Cookie, Accept")


@pytest.mark.parametrize("raw", [
    req("GET", "/hdrs/a.txt"),
    req("GET", "/hdrs/a.txt", "Connection: keep-alive", proto="HTTP/1.0"),
    req("HEAD", "/hdrs/a.txt", "Connection: close"),
    req("GET", "/hdrs/a.txt", "If-None-Match: \"c-59b1f7226f340\""),
    req("GET", "/hdrs/big.bin", "Range: bytes=0-1,5-6"),
], ids=lambda b: b.split(b"\r\n")[0].decode())
def test_err_headers_out_first_and_one_vary(pair, raw):
    ours, theirs = pair.same(raw, after=_mod_headers)
    names = ours.names()
    assert names[:4] == ["Date", "Server", "X-Err", "Vary"]
    assert ours.get("Vary") == "Accept,accept-encoding,Cookie"


SIG = re.compile(r"<address>.*</address>\n")


@pytest.mark.parametrize("path,host", [
    ("/sig-on/nothere", "localhost"),
    ("/sig-on/nothere", "localhost:9999"),
    ("/sig-email/nothere", "localhost"),
    ("/sig-ucn/nothere", "localhost:9999"),
    ("/nothere", "localhost"),
])
def test_signature_same_as_apache(pair, path, host):
    raw = req("GET", path, f"Host: {host}")
    theirs = pair.theirs(raw)
    m = SIG.search(theirs.body.decode("latin-1"))
    expected = m.group(0) if m else ""
    r = harness.build_request(pair.process, pair.doc, raw)
    ours = P.signature(r)
    assert ours == expected.replace(theirs.get("Server"), P.server_banner("Full"))


TOKENS = ["Prod", "Major", "Minor", "Minimal", "OS", "Full"]


def _as_ours(banner: str) -> str:
    """Apache's banner in our words: product httpd, version 0.1.0, platform Unix."""
    return (banner.replace("Apache", "httpd").replace("(Debian)", "(Unix)")
            .replace("/2.4.71", "/0.1.0").replace("/2.4", "/0.1").replace("/2", "/0"))


def test_server_tokens_same_as_apache(tmp_path):
    if harness.APACHE is None:
        pytest.skip("apache2 is not installed")
    seen: dict = {}

    def one(tokens):
        root = tmp_path / tokens
        root.mkdir()
        (root / "htdocs").mkdir()
        port = harness.free_port()
        try:
            ap = harness.start_apache(
                root, f"DocumentRoot {root}/htdocs\nServerTokens {tokens}\n", port)
        except RuntimeError as e:
            seen[tokens] = e
            return
        try:
            seen[tokens] = harness.Response.parse(
                ap.exchange(req("HEAD", "/"), 5.0, whole=True), True).get("Server")
        finally:
            ap.stop()
    for tokens in TOKENS:      # one at a time: parallel starts raced each other under load
        one(tokens)
    for tokens in TOKENS:
        assert P.server_banner(tokens) == _as_ours(seen[tokens]), (tokens, seen[tokens])


# -- dates and banners -----------------------------------------------------------------------

def test_http_date():
    assert P.ap_http_date(1577934245.9) == "Thu, 02 Jan 2020 03:04:05 GMT"
    assert P.ap_http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert P.ap_http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert P.ap_http_date(1577934245) == "Thu, 02 Jan 2020 03:04:05 GMT"   # cached


def test_banners():
    assert [P.server_banner(t) for t in TOKENS] == [
        "httpd", "httpd/0", "httpd/0.1", "httpd/0.1.0", "httpd/0.1.0 (Unix)",
        "httpd/0.1.0 (Unix)"]


# -- finalize_headers on hand-made requests ---------------------------------------------------

@pytest.fixture
def make(ours_only):
    def build(raw=None, **kw):
        r = harness.build_request(ours_only.process, ours_only.doc,
                                  raw or req("GET", "/a.txt"))
        for k, v in kw.items():
            setattr(r, k, v)
        return r
    return build


def test_order_date_server_then_table(make):
    r = make(content_type="text/html", body=b"abc")
    r.headers_out.add("X-A", "1")
    r.headers_out.add("Date", "bogus")
    r.headers_out.add("Server", "bogus")
    line, fields = P.finalize_headers(r)
    assert line == "HTTP/1.1 200 OK"
    assert [k for k, _ in fields] == ["Date", "Server", "X-A", "Content-Length",
                                      "Content-Type"]
    assert dict(fields)["Server"] == "httpd/0.1.0 (Unix)"


def test_304_drops_framing_and_type(make):
    r = make(status=304, content_type="text/plain", body=b"")
    r.headers_out.set("Content-Length", "12")
    r.headers_out.set("Transfer-Encoding", "chunked")
    line, fields = P.finalize_headers(r)
    assert line == "HTTP/1.1 304 Not Modified"
    assert [k for k, _ in fields] == ["Date", "Server"] and not r.chunked


def test_204_is_header_only(make):
    line, fields = P.finalize_headers(make(status=204, body=None))
    assert line == "HTTP/1.1 204 No Content" and [k for k, _ in fields] == ["Date", "Server"]


def test_unknown_body_length_is_chunked_on_1_1(make):
    r = make(body=iter([b"x"]))
    _, fields = P.finalize_headers(r)
    assert dict(fields)["Transfer-Encoding"] == "chunked" and r.chunked
    assert r.conn.keepalive is True


def test_unknown_body_length_closes_on_1_0(make):
    r = make(req("GET", "/a.txt", proto="HTTP/1.0"), body=iter([b"x"]))
    _, fields = P.finalize_headers(r)
    assert dict(fields)["Connection"] == "close" and not r.chunked
    assert r.conn.keepalive is False


def test_keep_alive_header_for_a_keep_alive_token(make):
    r = make(req("GET", "/a.txt", "Connection: keep-alive", proto="HTTP/1.0"), body=b"x")
    r.conn.keepalives = 99
    _, fields = P.finalize_headers(r)
    d = dict(fields)
    assert d["Keep-Alive"] == "timeout=5, max=1" and d["Connection"] == "Keep-Alive"
    r = make(req("GET", "/a.txt", "Connection: keep-alive", proto="HTTP/1.0"), body=b"x")
    r.conn.keepalives = 100
    _, fields = P.finalize_headers(r)
    assert dict(fields)["Connection"] == "close" and r.conn.keepalive is False


@pytest.mark.parametrize("status", [400, 408, 411, 413, 414, 500, 501, 503])
def test_statuses_that_drop_the_connection(make, status):
    r = make(status=status, body=b"x")
    _, fields = P.finalize_headers(r)
    assert dict(fields)["Connection"] == "close"


def test_connection_close_from_the_handler_is_kept_once(make):
    r = make(body=b"x")
    r.headers_out.set("Connection", "close")
    _, fields = P.finalize_headers(r)
    assert [v for k, v in fields if k == "Connection"] == ["close"]


def test_keepalive_can_be_left_to_the_caller(make):
    r = make(body=b"x")
    _, fields = P.finalize_headers(r, keepalive=False)
    assert "Connection" not in dict(fields) and r.conn.keepalive is None


def test_keep_alive_fields_land_before_content_type(make):
    r = make(req("GET", "/a.txt", "Connection: keep-alive", proto="HTTP/1.0"), body=b"x",
             content_type="text/plain")
    _, fields = P.finalize_headers(r)
    assert [k for k, _ in fields][-3:] == ["Keep-Alive", "Connection", "Content-Type"]


def test_head_drops_a_zero_content_length(make):
    r = make(req("HEAD", "/a.txt"), body=b"")
    _, fields = P.finalize_headers(r)
    assert "Content-Length" not in dict(fields)


def test_head_keeps_a_handler_content_length_without_body(make):
    r = make(req("HEAD", "/a.txt"), body=b"")
    r.headers_out.set("Content-Length", "12")
    _, fields = P.finalize_headers(r)
    assert dict(fields)["Content-Length"] == "12"


def test_body_length_of_parts_and_files():
    parts = [Part(b"abc", FileRange("/x", 0, 10)), Part(b"--", b"")]
    assert P.body_length(parts) == 15
    assert P.body_length(tuple(parts)) is None
    assert P.body_length(None) == 0 and P.body_length(b"12") == 2


def test_content_encoding_languages_and_expires(make):
    r = make(body=b"x", content_encoding="gzip", content_languages=["en", "fr"],
             no_cache=True)
    r.headers_out.set("Content-Language", "FR, de")
    _, fields = P.finalize_headers(r)
    d = dict(fields)
    assert d["Content-Encoding"] == "gzip" and d["Content-Language"] == "en,fr,de"
    assert d["Expires"] == d["Date"]


def test_force_no_vary_and_downgrade(make):
    r = make(body=b"x")
    r.headers_out.set("Vary", "Accept")
    r.subprocess_env["force-no-vary"] = "1"
    line, fields = P.finalize_headers(r)
    assert "Vary" not in dict(fields) and r.proto_num == 1000
    r = make(req("GET", "/a.txt", proto="HTTP/1.0"), body=b"x")
    r.subprocess_env["force-response-1.0"] = "1"
    line, _ = P.finalize_headers(r)
    assert line == "HTTP/1.0 200 OK"


@pytest.mark.parametrize("status,status_line,expected", [
    (200, None, "HTTP/1.1 200 OK"),
    (418, None, "HTTP/1.1 500 Internal Server Error"),   # Apache's table lacks 418
    (299, None, "HTTP/1.1 500 Internal Server Error"),
    (299, "299 Custom", "HTTP/1.1 299 Custom"),
    (200, "200 Fine", "HTTP/1.1 200 Fine"),
    (200, "201 Wrong", "HTTP/1.1 200 OK"),
    (200, "200", "HTTP/1.1 200 OK"),
    (299, "299", "HTTP/1.1 299 "),
    (200, "200x", "HTTP/1.1 200 OK"),
])
def test_status_line(make, status, status_line, expected):
    r = make(status=status, status_line=status_line, body=b"")
    assert P.finalize_headers(r)[0] == expected


@pytest.mark.parametrize("name,value", [
    ("X-A", "a\r\nInjected: 1"), ("X-A", "a\nb"), ("X-A", "a\x00b"), ("X A", "v"),
    ("", "v"), ("X:A", "v"),
])
def test_unsendable_fields_raise(make, name, value):
    r = make(body=b"x")
    r.headers_out.add(name, value)
    with pytest.raises(P.BadResponseHeader):
        P.finalize_headers(r)


def test_obs_fold_becomes_a_space(make):
    r = make(body=b"x")
    r.err_headers_out.add("X-A", "a\r\n  b")
    _, fields = P.finalize_headers(r)
    assert dict(fields)["X-A"] == "a b"


@pytest.mark.parametrize("ctype,on,expected", [
    ("text/plain", True, "text/plain; charset=iso-8859-1"),
    ("TEXT/HTML", True, "TEXT/HTML; charset=iso-8859-1"),
    ("text/plain; charset=utf-8", True, "text/plain; charset=utf-8"),
    ("text/plain; CHARSET=x", True, "text/plain; CHARSET=x"),
    ("application/x-text/plain", True, "application/x-text/plain; charset=iso-8859-1"),
    ("image/png", True, "image/png"),
    ("text/plain", False, "text/plain"),
    (None, True, None), ("", True, None),
])
def test_make_content_type(make, ctype, on, expected):
    r = make()
    d = r.per_dir_config["core_module"]
    r.per_dir_config["core_module"] = type(d)(add_default_charset=on)
    assert P.make_content_type(r, ctype) == expected


def test_allow_lists_registered_and_extension_methods(make):
    r = make()
    r.process.main_server.module_config["core_module"].methods["MYGET"] = 27
    try:
        P.allow_methods(r, False, 0, 2, 27)
        assert P.make_allow(r) == "GET,HEAD,POST,MYGET,TRACE"
        P.allow_methods(r, True, 5, 26)
        r.allowed_xmethods = ["WIBBLE"]
        assert P.make_allow(r) == "OPTIONS,TRACE,WIBBLE"
    finally:
        del r.process.main_server.module_config["core_module"].methods["MYGET"]


def test_response_head_bytes():
    assert P.response_head("HTTP/1.1 200 OK", [("A", "b")]) == b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n"


def test_server_name_and_port(make):
    r = make(req("GET", "/a.txt", "Host: example.org:8443"))
    assert S.get_server_name(r) == "example.org" and S.get_server_port(r) == 8443
    r = make(req("GET", "http://other:81/a.txt", "Host: example.org:8443"))
    assert S.get_server_port(r) == 81
    r = make(req("GET", "/a.txt", "Host: [::1]:8080"))
    assert S.get_server_port(r) == 8080


def test_sendfile_is_off_and_the_map_on_unless_configured(make):
    """EnableSendfile Off, EnableMMAP On, ReadBufferSize 64 KB (this server's) unless
    the directory says otherwise."""
    r = make()
    assert W.file_reading(r) == (False, True, 65536)
    d = r.per_dir_config["core_module"]
    r.per_dir_config["core_module"] = type(d)(enable_sendfile=True, enable_mmap=False,
                                              read_buf_size=4096)
    assert W.file_reading(r) == (True, False, 4096)
