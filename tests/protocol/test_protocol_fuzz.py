"""Property tests: whatever the bytes, only events come out; the fast path and the
line-by-line path agree; chunked bodies survive any chunking and any read split."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httpd.protocol import (NEED_DATA, PAUSED, BodyData, ConnectionClosed, EndOfBody,
                            HTTPConnection, Limits, ProtocolError, RequestHead,
                            merge_headers)

# FUZZ_EXAMPLES=5000 for a longer run (passes: about 45 s)
SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

PIECES = [b"GET", b"POST", b"HEAD", b" ", b"  ", b"\t", b"/", b"/a?b#c", b"*", b"http://h:1/",
          b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"http/1.1", b"\r\n", b"\n", b"\r", b"\x00",
          b"\x7f", b"\xff", b"Host: localhost", b"Host:", b"Host: a b", b"Content-Length: 5",
          b"Content-Length: 99999999999999999999", b"Transfer-Encoding: chunked",
          b"Transfer-Encoding: gzip, chunked", b"Expect: 100-continue", b"Connection: close",
          b"Connection: keep-alive", b"X: a", b" folded", b":", b"5", b"0", b"fffffffffffffffff",
          b";ext=1", b"hello", b"\r\n\r\n", b"0\r\n\r\n", b"T: 1\r\n"]

noise = st.lists(st.one_of(st.sampled_from(PIECES), st.binary(max_size=8)), max_size=40).map(
    b"".join)
limits = st.sampled_from([Limits(), Limits(strict=False), Limits(http09=True),
                          Limits(line=20, fieldsize=16, fields=3),
                          Limits(registered_methods=True)])


def splits(data: bytes, cuts: list) -> list:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, last = [], 0
    for p in points + [len(data)]:
        out.append(data[last:p])
        last = p
    return [p for p in out if p]


methods = st.sampled_from(["GET", "HEAD", "POST", "OPTIONS", "get", "WOW", "CONNECT", "PRI"])
targets = st.sampled_from(["/", "/a/b?c=d", "*", "http://Example.COM:8080/x", "https://h/",
                           "ftp://h/", "//x", "/#f", "http://u@h/", "h:80", "x", "/caf\xe9",
                           "http://[::1]/", "http:///p", "/a%2fb"])
versions = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/1.2", "HTTP/9.9"])
names = st.sampled_from(["Host", "host", "X-A", "Content-Length", "Transfer-Encoding", "Expect",
                         "Connection", "Cookie", "Via", "!#$%&'*+-.^_`|~"])
values = st.sampled_from(["localhost", "LOCALHOST.", "[::1]:80", "a b", "1.2.3", "5", "0005",
                          "5, 5", "chunked", "gzip, chunked", "100-continue", "x", "close",
                          "keep-alive", "", "a\tb", "\xe9\xff", "x" * 40, "y \t", "\x01",
                          "a\x7fb", "a\rb", "z" * 600])
fields = st.lists(st.tuples(names, values), max_size=8)


@st.composite
def pipelines(draw):
    """One to three requests (bodies by length or chunked), then a few byte mutations."""
    out = b""
    for _ in range(draw(st.integers(1, 3))):
        head = (f"{draw(methods)} {draw(targets)} {draw(versions)}\r\n"
                + "".join(f"{n}: {v}\r\n" for n, v in draw(fields))).encode("latin-1")
        kind = draw(st.sampled_from(["none", "length", "chunked"]))
        body = draw(st.binary(max_size=20))
        if kind == "length":
            head += b"Content-Length: %d\r\n\r\n" % len(body) + body
        elif kind == "chunked":
            head += (b"Transfer-Encoding: chunked\r\n\r\n"
                     + (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n")
        else:
            head += b"\r\n"
        out += head
    data = bytearray(out)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        op = draw(st.integers(0, 2))
        if op == 0 and data:
            del data[i]
        elif op == 1:
            data[i:i] = draw(st.sampled_from([b"\r", b"\n", b" ", b"\x00", b":", b"\r\n", b"0"]))
        elif data:
            data[i] = draw(st.integers(0, 255))
    return bytes(data)


messy = st.one_of(noise, pipelines())


@SETTINGS
@given(data=messy, cuts=st.lists(st.integers(0, 10_000), max_size=6), lim=limits,
       choices=st.lists(st.integers(0, 7), min_size=40, max_size=40), eof=st.booleans())
def test_any_bytes_only_give_events(data, cuts, lim, choices, eof):
    conn = HTTPConnection(lim)
    feed = splits(data, cuts) + ([b""] if eof else [])
    picks = iter(choices * 50)
    steps = 0
    while steps < 400:
        steps += 1
        ev = conn.next_event()
        assert ev is NEED_DATA or ev is PAUSED or isinstance(
            ev, (RequestHead, BodyData, EndOfBody, ConnectionClosed, ProtocolError))
        if isinstance(ev, (ConnectionClosed, ProtocolError)):
            if isinstance(ev, ProtocolError):
                assert 400 <= ev.status < 600 and ev.reason
            assert conn.start_next_request(True) is False
            assert isinstance(conn.next_event(), ConnectionClosed)
            return
        if ev is NEED_DATA:
            if feed:
                conn.receive_data(feed.pop(0))
                continue
            conn.timed_out()
            continue
        pick = next(picks)
        if isinstance(ev, RequestHead):
            if pick % 3 == 0:
                conn.start_body(pick * 3)
            elif pick % 3 == 1:
                conn.discard_body(100, 200 + pick * 50)
            else:
                respond(conn, pick)
        elif ev is PAUSED or isinstance(ev, EndOfBody):
            respond(conn, pick)
    # a bounded number of steps always reaches the end of the input


def respond(conn: HTTPConnection, pick: int) -> None:
    """The response is out, the server's keep-alive decision one way or the other."""
    conn.start_next_request(pick % 3 != 2)


# --- the fast path and the line-by-line path agree ---------------------------------------

def describe(ev):
    if isinstance(ev, RequestHead):
        return ("head", ev.method, ev.target, ev.http_version, ev.headers, ev.request_line,
                ev.expect_continue, ev.body, ev.content_length, ev.protocol,
                ev.proto_num, ev.method_number, ev.header_only, ev.path, ev.args,
                ev.scheme, ev.hostname, ev.port, ev.must_close)
    if isinstance(ev, ProtocolError):
        return ("error", ev.status, ev.reason, ev.log, ev.request_line)
    return ("other", repr(ev))


def byte_at_a_time(raw: bytes, lim: Limits):
    """The first event of ``raw`` fed one byte at a time (the line-by-line reader)."""
    conn = HTTPConnection(lim)
    ev = NEED_DATA
    for i in range(len(raw)):
        conn.receive_data(raw[i:i + 1])
        ev = conn.next_event()
        if ev is not NEED_DATA:
            break
    return ev


@SETTINGS
@given(method=methods, target=targets, version=versions, fields=fields, lim=limits)
def test_fast_and_slow_paths_agree(method, target, version, fields, lim):
    raw = (f"{method} {target} {version}\r\n"
           + "".join(f"{n}: {v}\r\n" for n, v in fields) + "\r\n").encode("latin-1")
    whole = HTTPConnection(lim)
    whole.receive_data(raw)
    fast = whole.next_event()
    slow = byte_at_a_time(raw, lim)
    assert describe(fast) == describe(slow)


@SETTINGS
@given(method=methods, target=targets, version=versions, fields=fields, lim=limits,
       more=st.sampled_from([b"", b"x", b"GET / HTTP/1.1\r\n"]))
def test_one_read_and_slow_paths_agree(method, target, version, fields, lim, more):
    """The head as all of one read (next_event_with: split whole, lines looked up by
    their bytes), or followed by more bytes, answers as the line-by-line reader does;
    twice, so that the second time its lines are the remembered ones."""
    raw = (f"{method} {target} {version}\r\n"
           + "".join(f"{n}: {v}\r\n" for n, v in fields) + "\r\n").encode("latin-1")
    slow = byte_at_a_time(raw, lim)
    for _ in range(2):
        one = HTTPConnection(lim).next_event_with(raw + more)
        assert describe(one) == describe(slow)
        if isinstance(one, RequestHead):
            assert one.connection == slow.connection
            if one.merged is not None:        # the request's headers_in, handed over
                items, keys = one.merged
                assert items == merge_headers(one.headers)
                assert keys == [k.lower() for k, _ in items]


# --- chunked bodies -----------------------------------------------------------------------

@SETTINGS
@given(body=st.binary(max_size=300), sizes=st.lists(st.integers(1, 64), min_size=1, max_size=20),
       exts=st.lists(st.sampled_from([b"", b";a=b", b" ", b"\t;x", b";q=\"v\""]), min_size=1),
       cuts=st.lists(st.integers(0, 10_000), max_size=10),
       trailers=st.lists(st.tuples(st.sampled_from(["X-T", "Digest", "Y"]),
                                   st.sampled_from(["1", "a b", ""])), max_size=3))
def test_chunked_round_trip(body, sizes, exts, cuts, trailers):
    wire, pos, i = b"", 0, 0
    while pos < len(body):
        size = sizes[i % len(sizes)]
        piece = body[pos:pos + size]
        wire += b"%x%s\r\n%s\r\n" % (len(piece), exts[i % len(exts)], piece)
        pos += size
        i += 1
    wire += b"0\r\n" + b"".join(f"{n}: {v}\r\n".encode() for n, v in trailers) + b"\r\n"
    raw = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + wire + b"NEXT"
    conn = HTTPConnection()
    feed = splits(raw, cuts)
    got, end = b"", None
    started = False
    while end is None:
        ev = conn.next_event()
        if ev is NEED_DATA:
            conn.receive_data(feed.pop(0))
        elif isinstance(ev, RequestHead):
            conn.start_body(len(body) or 1)
            started = True
        elif isinstance(ev, BodyData):
            got += ev.data
        else:
            end = ev
    assert started and got == body
    assert end == EndOfBody([(n, v) for n, v in trailers])
    while feed:
        conn.receive_data(feed.pop(0))
    assert conn.buffered == 4
