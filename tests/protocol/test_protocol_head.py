"""Request lines, fields and Host, pinned to what Apache 2.4.71 answers and logs.

The reasons are the lines Apache writes to its error log (seen with LogLevel debug on
the reference instance), unescaped.
"""
from __future__ import annotations

import pytest

from httpd.protocol import (NEED_DATA, ConnectionClosed, HTTPConnection, Limits,
                            ProtocolError, RequestHead, merge_headers)
from httpd.protocol import M_INVALID

H = "Host: localhost\r\n"


def first(raw, limits=Limits(), eof=False):
    conn = HTTPConnection(limits)
    conn.receive_data(raw.encode("latin-1") if isinstance(raw, str) else raw)
    if eof:
        conn.receive_data(b"")
    return conn.next_event()


def error(raw, limits=Limits()):
    ev = first(raw, limits)
    assert isinstance(ev, ProtocolError), ev
    return ev.status, ev.reason


@pytest.mark.parametrize("line,status,reason", [
    ("GET  / HTTP/1.1", 400,
     "AH03448: HTTP Request Line; Excess whitespace (disallowed by HttpProtocolOptions Strict)"),
    ("GET / HTTP/1.1 ", 400,
     "AH03448: HTTP Request Line; Excess whitespace (disallowed by HttpProtocolOptions Strict)"),
    ("GET / HTTP/1.1 x", 400,
     "AH03448: HTTP Request Line; Excess whitespace (disallowed by HttpProtocolOptions Strict)"),
    ("GET /a\rb HTTP/1.1", 400,
     "AH03448: HTTP Request Line; Excess whitespace (disallowed by HttpProtocolOptions Strict)"),
    (" GET / HTTP/1.1", 400, "AH03447: HTTP Request Line; Invalid whitespace"),
    ("GET\t/ HTTP/1.1", 400, "AH03447: HTTP Request Line; Invalid whitespace"),
    ("GET / http/1.1", 400,
     "AH02418: HTTP Request Line; Unrecognized protocol 'http/1.1' (perhaps whitespace was "
     "injected?)"),
    ("GET / Http/1.1", 400,
     "AH02418: HTTP Request Line; Unrecognized protocol 'Http/1.1' (perhaps whitespace was "
     "injected?)"),
    ("GET / HTTP/0.9", 400,
     "AH02418: HTTP Request Line; Unrecognized protocol 'HTTP/0.9' (perhaps whitespace was "
     "injected?)"),
    ("GET / HTTP/1.10", 400,
     "AH02418: HTTP Request Line; Unrecognized protocol 'HTTP/1.10' (perhaps whitespace was "
     "injected?)"),
    ("G(T / HTTP/1.1", 400, "AH03445: HTTP Request Line; Invalid method token: 'G(T'"),
    ("GET", 400, "AH03454: HTTP Request Line; URI incorrectly encoded: ''"),
    ("GET /\x7f HTTP/1.1", 400, "AH03454: HTTP Request Line; URI incorrectly encoded: '/\x7f'"),
    ("GET * HTTP/1.1", 400, "AH03450: HTTP Request Line; Unable to parse URI: '*'"),
    ("GET ../x HTTP/1.1", 400, "AH03450: HTTP Request Line; Unable to parse URI: '../x'"),
    ("GET mailto:x HTTP/1.1", 400, "AH03450: HTTP Request Line; Unable to parse URI: 'x'"),
    ("GET http://localhost:abc/ HTTP/1.1", 400,
     "AH03450: HTTP Request Line; Unable to parse URI: 'http'"),
    ("GET /#x HTTP/1.1", 400, "AH02421: HTTP Request Line; URI must not contain a fragment"),
    ("GET http://u@localhost/ HTTP/1.1", 400,
     "AH02422: HTTP Request Line; URI must not contain a username/password"),
    ("GET /", 400, "AH02401: HTTP Request Line; Rejected HTTP/0.9 request"),
    ("GET /\x00 HTTP/1.1", 400, "AH00566: request failed: malformed request line"),
])
def test_request_line_errors(line, status, reason):
    assert error(line + "\r\n" + H + "\r\n") == (status, reason)


def test_request_line_is_answered_before_the_fields_arrive():
    assert error("GET  / HTTP/1.1\r\n")[0] == 400


def test_bare_lf_request_line():
    assert error("GET / HTTP/1.1\n" + H + "\r\n") == (
        400, "AH00566: request failed: malformed request line")


@pytest.mark.parametrize("version,expected", [
    ("HTTP/1.0", (1, 0)), ("HTTP/1.1", (1, 1)), ("HTTP/1.2", (1, 1)), ("HTTP/2.0", (1, 1)),
    ("HTTP/9.9", (1, 1))])
def test_versions_above_1_1_are_answered_as_1_1(version, expected):
    head = first(f"GET / {version}\r\n{H}\r\n")
    assert head.http_version == expected
    assert head.protocol == version
    assert head.proto_num == 1000 * int(version[5]) + int(version[7])


def test_methods():
    head = first("get / HTTP/1.1\r\n" + H + "\r\n")
    assert head.method == "get" and head.method_number == M_INVALID
    head = first("PROPFIND / HTTP/1.1\r\n" + H + "\r\n")
    assert head.method_number == 8
    head = first("HEAD / HTTP/1.1\r\n" + H + "\r\n")
    assert head.header_only and head.method_number == 0


def test_registered_methods():
    strict = Limits(registered_methods=True, extension_methods=["WOW"])
    assert error("get / HTTP/1.1\r\n" + H + "\r\n", strict) == (
        501, "AH02423: HTTP Request Line; Unrecognized HTTP method: 'get'")
    head = first("WOW / HTTP/1.1\r\n" + H + "\r\n", strict)
    assert head.method_number == 27
    # RegisteredMethods is checked before the target (PRI * HTTP/2.0 -> 501)
    assert error("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", strict)[0] == 501
    assert error("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")[0] == 400


def test_http09_allowed():
    allow = Limits(http09=True)
    head = first("GET /hello.txt\r\n", allow)
    assert head.http_version == (0, 9) and head.headers == [] and head.body == "none"
    assert head.request_line == "GET /hello.txt"
    assert error("POST /hello.txt\r\n", allow) == (
        400, "AH03444: HTTP Request Line; Invalid method token: 'POST' (only GET is allowed "
             "for HTTP/0.9 requests)")
    assert error("HEAD /\r\n", allow)[0] == 400
    conn = HTTPConnection(allow)
    conn.receive_data(b"GET /\r\n")
    conn.next_event()
    assert conn.start_next_request(True) is False      # HTTP/0.9: the body, then close


def test_leading_empty_lines():
    assert first("\r\n" * 10 + "GET / HTTP/1.1\r\n" + H + "\r\n").method == "GET"
    # DEFAULT_LIMIT_BLANK_LINES: the 11th empty line is taken as the request line
    assert error("\r\n" * 11 + "GET / HTTP/1.1\r\n" + H + "\r\n") == (
        400, "AH03445: HTTP Request Line; Invalid method token: ''")
    assert error("\nGET / HTTP/1.1\r\n" + H + "\r\n") == (
        400, "AH00566: request failed: malformed request line")


def test_request_line_limit():
    ok = "GET /" + "a" * (8191 - 14) + " HTTP/1.1"
    assert len(ok) == 8191
    assert isinstance(first(ok + "\r\n" + H + "\r\n"), RequestHead)
    assert error(ok.replace("/", "/a", 1) + "\r\n" + H + "\r\n") == (
        414, "AH00565: request failed: client's request-line exceeds LimitRequestLine "
             "(longer than 8190)")
    small = Limits(line=100)
    assert error("GET /" + "a" * 200 + " HTTP/1.1\r\n", small)[0] == 414


def test_request_line_limit_is_found_without_the_end_of_line():
    """Bounded memory: no need to wait for a LF past the limit."""
    assert error("GET /" + "a" * 9000)[0] == 414


@pytest.mark.parametrize("field,status,reason", [
    ("Host : localhost", 400, "AH02426: Request header field name is malformed: Host : localhost"),
    ("NoColonHere", 400, "AH02426: Request header field name is malformed: NoColonHere"),
    (": value", 400, "AH02426: Request header field name is malformed: : value"),
    ("X(y): 1", 400, "AH02426: Request header field name is malformed: X(y): 1"),
    ("X\x80: 1", 400, "AH02426: Request header field name is malformed: X\x80: 1"),
    ("X-A: a\rb", 400, "AH02427: Request header value is malformed: a\rb"),
    ("X-A: \x7f", 400, "AH02427: Request header value is malformed: \x7f"),
    ("Transfer-Encoding: \x0bchunked", 400,
     "AH02427: Request header value is malformed: \x0bchunked"),
    ("X-A: a\x00b", 400, "Failed to read request header line X-A: a"),
    (" Host: localhost", 400, "AH03442: Line folding encountered before first header line"),
])
def test_field_errors(field, status, reason):
    raw = "GET / HTTP/1.1\r\n" + field + "\r\n" + H + "\r\n"
    ev = first(raw)
    assert (ev.status, ev.reason) == (status, reason)
    assert ev.log[-1] == "AH00567: request failed: error reading the headers"


def test_field_bare_lf():
    ev = first("GET / HTTP/1.1\r\nHost: localhost\nX: y\r\n\r\n")
    assert ev.reason == "Failed to read request header line Host: localhost\n"


def test_obs_fold_is_refused():
    """Apache joins folded lines; this server refuses them (reliability.md 1.3)."""
    assert error("GET / HTTP/1.1\r\n" + H + "X: a\r\n  b\r\n\r\n") == (
        400, "Line folding (obs-fold) is not accepted: X")
    assert error("GET / HTTP/1.1\r\n" + H + "X: a\r\n \r\n\r\n") == (
        400, "AH03443: Empty folded line encountered")


def test_field_values():
    head = first("GET / HTTP/1.1\r\nHost:  localhost \t\r\nX-A: caf\xc3\xa9\r\nX-B:\r\n"
                 "X-C: a  b\r\n\r\n")
    assert head.headers == [("Host", "localhost"), ("X-A", "caf\xc3\xa9"), ("X-B", ""),
                            ("X-C", "a  b")]
    assert head.hostname == "localhost"


def test_field_size_limit():
    ok = "X-Big: " + "b" * 8184
    assert len(ok) == 8191
    assert isinstance(first("GET / HTTP/1.1\r\n" + H + ok + "\r\n\r\n"), RequestHead)
    ev = first("GET / HTTP/1.1\r\n" + H + ok + "b\r\n\r\n")
    assert (ev.status, ev.reason) == (
        400, "AH00561: Request header exceeds LimitRequestFieldSize: X-Big")
    ev = first("GET / HTTP/1.1\r\n" + H + "X" * 9000 + ": v\r\n\r\n")
    assert ev.reason == "AH00561: Request header exceeds LimitRequestFieldSize: " + "X" * 80


def test_merged_field_size_limit():
    a = "a" * 4094
    assert isinstance(first(f"GET / HTTP/1.1\r\n{H}X: {a}\r\nX: {a}\r\n\r\n"), RequestHead)
    ev = first(f"GET / HTTP/1.1\r\n{H}X: {a}\r\nx: {a}a\r\n\r\n")
    assert (ev.status, ev.reason) == (
        400, "AH00560: Request header exceeds LimitRequestFieldSize after merging: X")


def test_field_count_limit():
    fields = "".join(f"X-H{i}: v\r\n" for i in range(99))
    assert isinstance(first("GET / HTTP/1.1\r\n" + H + fields + "\r\n"), RequestHead)
    ev = first("GET / HTTP/1.1\r\n" + H + fields + "X-Last: v\r\n\r\n")
    assert (ev.status, ev.reason) == (
        400, "AH00563: Number of request headers exceeds LimitRequestFields")
    unlimited = Limits(fields=0)
    many = "".join(f"X-H{i}: v\r\n" for i in range(500))
    assert isinstance(first("GET / HTTP/1.1\r\n" + H + many + "\r\n", unlimited), RequestHead)


def test_too_many_fields_found_before_the_head_ends():
    many = "".join(f"X-H{i}: v\r\n" for i in range(200))
    assert error("GET / HTTP/1.1\r\n" + H + many)[0] == 400


@pytest.mark.parametrize("value,hostname,port", [
    ("localhost", "localhost", None), ("LocalHost.", "localhost", None),
    ("my_host", "my_host", None), ("[::1]:18080", "::1", 18080), ("[::FFFF:1.2.3.4]", "::ffff:1.2.3.4", None),
    ("1.2.3.4", "1.2.3.4", None), ("a.b2", "a.b2", None), ("localhost:65535", "localhost", 65535),
    # apr_parse_addr_port reads the port with atoi: apache2 answers 200 to this one
    ("localhost:4294967376", "localhost", 80),
])
def test_host_accepted(value, hostname, port):
    head = first(f"GET / HTTP/1.1\r\nHost: {value}\r\n\r\n")
    assert (head.hostname, head.port) == (hostname, port)


@pytest.mark.parametrize("value,lines", [
    ("local host", ("AH02415: [strict] Invalid host name 'local host', problem near:  host",
                    "AH00550: Client sent malformed Host header: local host")),
    ("localhost:abc", ("AH02415: [strict] Invalid host name 'localhost:abc', problem near: :abc",
                       "AH00550: Client sent malformed Host header: localhost:abc")),
    ("user@localhost", ("AH02415: [strict] Invalid host name 'user@localhost', problem near: "
                        "@local", "AH00550: Client sent malformed Host header: user@localhost")),
    ("a,b", ("AH02415: [strict] Invalid host name 'a,b', problem near: ,b",
             "AH00550: Client sent malformed Host header: a,b")),
    ("foo.123", ("AH02415: [strict] Invalid host name 'foo.123', problem near: .123",
                 "AH00550: Client sent malformed Host header: foo.123")),
    ("1.2.3", ("AH02415: [strict] Invalid host name '1.2.3'",
               "AH00550: Client sent malformed Host header: 1.2.3")),
    ("01.2.3.4", ("AH02415: [strict] Invalid host name '01.2.3.4'",
                  "AH00550: Client sent malformed Host header: 01.2.3.4")),
    ("../../etc", ("AH00550: Client sent malformed Host header: ../../etc",)),
    ("localhost/evil", ("AH00550: Client sent malformed Host header: localhost/evil",)),
    ("localhost:0", ("AH00550: Client sent malformed Host header: localhost:0",)),
    ("localhost:99999", ("AH00550: Client sent malformed Host header: localhost:99999",)),
    (":80", ("AH00550: Client sent malformed Host header: :80",)),
    ("[::1", ("AH00550: Client sent malformed Host header: [::1",)),
    ("[fe80::1%25eth0]", ("AH00550: Client sent malformed Host header: [fe80::1%25eth0]",)),
    ("12345", ("AH02416: [strict] purely numeric host names not allowed: 12345",)),
])
def test_host_refused(value, lines):
    ev = first(f"GET / HTTP/1.1\r\nHost: {value}\r\n\r\n")
    assert ev.status == 400 and ev.log == lines and ev.reason == lines[0]


def test_host_required_for_1_1():
    missing = ("AH00569: client sent HTTP/1.1 request without hostname "
               "(see RFC2616 section 14.23): /index.html")
    assert error("GET /index.html HTTP/1.1\r\n\r\n") == (400, missing)
    assert error("GET /index.html HTTP/1.1\r\nHost:\r\n\r\n") == (400, missing)
    assert isinstance(first("GET /index.html HTTP/1.0\r\n\r\n"), RequestHead)
    # HTTP/1.1 wants the field even with an absolute-form target; HTTP/2.0 does not
    assert error("GET http://localhost/x HTTP/1.1\r\n\r\n")[0] == 400
    assert first("GET http://localhost/x HTTP/2.0\r\n\r\n").hostname == "localhost"
    assert error("GET /x HTTP/2.0\r\n\r\n")[0] == 400


def test_duplicate_host_is_merged_and_refused():
    ev = first("GET / HTTP/1.1\r\nHost: localhost\r\nHost: other\r\n\r\n")
    assert ev.log[-1] == "AH00550: Client sent malformed Host header: localhost, other"


def test_absolute_form_replaces_host():
    head = first("GET http://Evil.Example:8080/cgi?x=1 HTTP/1.1\r\nHost: a b\r\nX: y\r\n\r\n")
    assert head.headers == [("Host", "evil.example:8080"), ("X", "y")]
    assert (head.hostname, head.port, head.path, head.args) == ("evil.example", 8080, "/cgi", "x=1")
    head = first("GET http://[::1]/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert head.header("Host") == "[::1]"
    head = first("GET http:///index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert head.header("Host") == "" and head.hostname == ""
    # https is served but the authority is not taken (the Host field stays)
    head = first("GET https://other/x HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert head.hostname == "localhost" and head.path == "/x"
    assert first("CONNECT localhost:22 HTTP/1.1\r\nHost: localhost\r\n\r\n").header(
        "Host") == "localhost:22"


def test_target_port_is_read_with_strtol():
    """apr_uri_parse: (apr_port_t) strtol(port_str), and strtol stops at LONG_MAX, so
    an absurd port is 65535 (the unclamped value wrapped to 65534 here)."""
    head = first("GET http://localhost:99999999999999999998/ HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.port == 65535


def test_foreign_schemes_are_refused():
    ev = first("GET ftp://localhost/index.html HTTP/1.1\r\n" + H + "\r\n")
    assert ev.status == 400
    assert first("GET HTTP://localhost/ HTTP/1.1\r\n" + H + "\r\n").path == "/"


def test_targets():
    head = first("GET //etc/passwd?a?b HTTP/1.1\r\n" + H + "\r\n")
    assert (head.target, head.path, head.args) == ("//etc/passwd?a?b", "/etc/passwd", "a?b")
    assert first("OPTIONS * HTTP/1.1\r\n" + H + "\r\n").path == "*"
    assert first("GET /caf\xc3\xa9 HTTP/1.1\r\n" + H + "\r\n").path == "/caf\xc3\xa9"


@pytest.mark.parametrize("field,status,reason", [
    ("Content-Length: 5\r\nContent-Length: 5", 400,
     "AH10242: client sent invalid Content-Length (5, 5): /"),
    ("Content-Length: +5", 400, "AH10242: client sent invalid Content-Length (+5): /"),
    ("Content-Length:", 400, "AH10242: client sent invalid Content-Length (): /"),
    ("Content-Length: 1 0", 400, "AH10242: client sent invalid Content-Length (1 0): /"),
    ("Content-Length: 9223372036854775808", 400,
     "AH10242: client sent invalid Content-Length (9223372036854775808): /"),
    ("Transfer-Encoding: chunked, identity", 400,
     "AH02539: client sent unknown Transfer-Encoding (chunked, identity): /"),
    ("Transfer-Encoding: chunked,", 400,
     "AH02539: client sent unknown Transfer-Encoding (chunked,): /"),
    ("Transfer-Encoding: gzip chunked", 400,
     "AH02539: client sent unknown Transfer-Encoding (gzip chunked): /"),
    # ap_is_chunked: only spaces may stand between the comma and "chunked" (apache2 2.4)
    ("Transfer-Encoding: gzip,\tchunked", 400,
     "AH02539: client sent unknown Transfer-Encoding (gzip,\tchunked): /"),
    ("Transfer-Encoding: gzip, chunked", 501,
     "client sent unsupported Transfer-Encoding (gzip, chunked): /"),
    ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", 400,
     "client sent invalid Transfer-Encoding (chunked, chunked): /"),
    ("Expect: something-else", 417,
     "AH00570: client sent an unrecognized expectation value of Expect: something-else"),
])
def test_framing_fields(field, status, reason):
    assert error("POST / HTTP/1.1\r\n" + H + field + "\r\n\r\n") == (status, reason)


def test_framing_accepted():
    head = first("POST / HTTP/1.1\r\n" + H + "Content-Length: 0005\r\n\r\n")
    assert (head.body, head.content_length) == ("length", 5)
    for te in ("CHUNKED", "\tchunked", ",chunked", "chunked ,"):
        head = first(f"POST / HTTP/1.1\r\n{H}Transfer-Encoding:{te}\r\n\r\n")
        assert isinstance(head, RequestHead) or te == "chunked ,", te
    head = first("POST / HTTP/1.1\r\n" + H + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert head.body == "chunked" and head.content_length is None and head.must_close
    assert head.header("Content-Length") is None           # removed, as Apache does
    head = first("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert head.must_close
    head = first("POST / HTTP/1.1\r\n" + H + "Expect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
    assert head.expect_continue


def test_unsafe_mode():
    unsafe = Limits(strict=False)
    head = first("GET / http/1.1\n" + "Host: localhost\nX-Y:\ty\n\n", unsafe)
    assert head.protocol == "HTTP/1.1" and head.headers[-1] == ("X-Y", "y")
    assert error("GET / HTTP/1.1\r\n" + H + "NoColon\r\n\r\n", unsafe) == (
        400, "AH00564: Request header field is missing ':' separator: NoColon")
    assert error("GET / HTTP/1.1\r\n" + H + ": v\r\n\r\n", unsafe) == (
        400, "AH03453: Request header field name was empty")
    assert error("GET / HTTP/1.1 x\r\n" + H + "\r\n", unsafe) == (
        400, "AH03449: HTTP Request Line; Extraneous text found 'x' (perhaps whitespace was "
             "injected?)")
    assert first("GET / HTTP/1.1\r\nHost: 12345\r\n\r\n", unsafe).hostname == "12345"


def test_unsafe_mode_field_names():
    unsafe = Limits(strict=False)
    assert error("GET / HTTP/1.1\r\n" + H + "X Y: v\r\n\r\n", unsafe) == (
        400, "AH03452: Request header field name presented invalid whitespace")
    head = first("GET / HTTP/1.1\r\n" + H + "X(y): v\r\n\r\n", unsafe)
    assert head.headers[-1] == ("X(y)", "v")


def test_incomplete_heads():
    assert first("GET / HTTP/1.1\r\n" + H) is NEED_DATA
    assert isinstance(first("GET /ind", eof=True), ConnectionClosed)
    ev = first("GET / HTTP/1.1\r\n" + H, eof=True)
    assert ev.status == 400 and ev.reason == "Failed to read request header line (null)"


def test_merge_headers():
    fields = [("Accept", "a"), ("X", "1"), ("accept", "b")]
    assert merge_headers(fields) == [("Accept", "a, b"), ("X", "1")]
    head = first("GET / HTTP/1.1\r\n" + H + "Accept: a\r\nX: 1\r\naccept: b\r\n\r\n")
    assert head.header("ACCEPT") == "a, b" and head.header("Nope") is None


def test_limits_from_core_config():
    class Conf:
        limit_req_line, limit_req_fieldsize, limit_req_fields = 100, 200, 10
        http09_enable, http_conformance, http_methods = 1, 2, 2
        methods = {"WOW": 27}
    limits = Limits.from_core(Conf())
    assert (limits.line, limits.fieldsize, limits.fields) == (100, 200, 10)
    assert limits.http09 and not limits.strict and limits.registered_methods
    assert limits.method_number("WOW") == 27
    assert Limits().http09 is False and Limits().strict is True


def test_a_repeated_head_is_parsed_again_into_its_own_record():
    """No head is shared between requests (a module may change its request's fields):
    the same bytes give equal, distinct heads; other limits judge them afresh."""
    raw = "GET /again HTTP/1.1\r\nHost: localhost\r\nX-A: 1\r\nX-A: 2\r\n\r\n"
    a, b = first(raw), first(raw)
    assert isinstance(a, RequestHead) and a is not b and a.headers is not b.headers
    assert a.headers == b.headers == [("Host", "localhost"), ("X-A", "1"), ("X-A", "2")]
    tight = Limits(fields=2)
    ev = first(raw, tight)
    assert isinstance(ev, ProtocolError) and ev.status == 400
    assert first(raw, tight).status == 400


def test_a_cached_head_gives_each_request_its_own_fields(tmp_path):
    """Two pipelined requests with the same head: RequestHeader's change to the first
    request's fields is not seen by the second (each request copies the cached fields)."""
    import socket

    from httpd.main.cli import load_config, make_process, parse_args
    from httpd.io.connection import Serving, serve_connection
    from tests.e2e.servers import free_port, write_config
    docs = tmp_path / "htdocs"
    docs.mkdir()
    (docs / "a.txt").write_text("hi\n")
    conf = write_config(tmp_path, f"DocumentRoot {docs}\n<Directory {docs}>\n"
                        "Require all granted\n</Directory>\n"
                        "RequestHeader append X-Seen yes\nHeader echo ^X-Seen\n",
                        free_port(), modules=("authz_core", "mime", "headers"))
    opts = parse_args("httpd", ["-X", "-f", str(conf)])
    p = make_process("httpd", opts)
    load_config(p, opts)
    srv = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(srv.getsockname(), timeout=5)
    server_side, addr = srv.accept()
    srv.close()
    head = b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nX-Seen: client\r\n\r\n"
    client.sendall(head * 2 + head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    serve_connection(Serving(p), server_side, addr, server_side.getsockname())
    server_side.close()
    data = b""
    while chunk := client.recv(65536):
        data += chunk
    client.close()
    assert data.count(b"X-Seen: client, yes\r\n") == 3, data


def test_one_go_head_sets_every_field_as_the_constructor_does():
    """whole_head builds its RequestHead field by field (no constructor call): every
    field is set, to what the line-by-line reader's RequestHead(...) holds."""
    import attrs
    raw = (b"GET /a/b?x=1&y HTTP/1.1\r\nHost: Example.COM:8080\r\nUser-Agent: t/1\r\n"
           b"Connection: keep-alive\r\nContent-Length: 0\r\nAccept: */*\r\n\r\n")
    one = HTTPConnection().next_event_with(raw)
    slow = HTTPConnection()
    for i in range(len(raw)):
        slow.receive_data(raw[i:i + 1])
        ev = slow.next_event()
    assert isinstance(one, RequestHead) and isinstance(ev, RequestHead)
    assert one.merged is not None
    for f in attrs.fields(RequestHead):
        if f.name != "merged":
            assert getattr(one, f.name) == getattr(ev, f.name), f.name
    assert one.merged == (merge_headers(one.headers), [k.lower() for k, _ in one.headers])
