"""Replays of requests sent to a real Apache 2.4.71 (prefork, mod_cgi, Strict,
LenientMethods, Allow0.9, LimitRequestBody 1000 under /cgi-bin/), recorded with Apache's
status, whether it closed, and its error-log lines at LogLevel debug:

* apache-heads.json: 482 request heads (hand-picked request lines, fields and Host
  values, line-length and field-count boundaries, blank-line runs, and random mutations
  of a browser request), to ``/`` where the pipeline answers 200;
* apache-heads-unsafe.json: the same plus 24 more, to an instance with
  ``HttpProtocolOptions Unsafe``;
* apache-bodies.json: 236 POSTs to a CGI script (chunk-size lines, extensions, BWS,
  trailers, Transfer-Encoding lists, mutations);
* apache-keepalive.json: 288 responses (GET/HEAD x HTTP/1.0, 1.1, 2.0 x Connection
  values x Expect) with Apache's Connection / Keep-Alive / framing fields.

Every difference is either listed here as this server's stricter choice or is a failure.
"""
from __future__ import annotations

import pytest

from httpd.util.escape import escape_errorlog_item
from httpd.protocol import (NEED_DATA, BodyData, EndOfBody, HTTPConnection, Limits,
                            ProtocolError, RequestHead)
from httpd.protocol import M_INVALID
from tests.conformance import apache

from tests.io.serve import fields_of, head_of, load_process, respond


PROTOCOL_STATUSES = {400, 408, 411, 413, 414, 417, 501, 505}
APACHE_LIMITS = Limits(http09=True)          # the recording instance allowed HTTP/0.9
GIB = 1 << 30


HEADS = apache.load("protocol", "apache-heads.json")
# the same and more, HttpProtocolOptions Unsafe
HEADS_UNSAFE = apache.load("protocol", "apache-heads-unsafe.json")
BODIES = apache.load("protocol", "apache-bodies.json")
KEEPALIVE = apache.load("protocol", "apache-keepalive.json")


def logged(ours: ProtocolError, apache_log: list) -> bool:
    """Our first line is Apache's, when it is one of Apache's numbered lines."""
    if not ours.reason.startswith("AH"):
        return True
    return escape_errorlog_item(ours.reason) in apache_log


def stricter(ev: ProtocolError) -> bool:
    """This server's deliberate refusals (reliability.md 1.3)."""
    return (ev.reason.startswith("Line folding (obs-fold)")
            or ev.reason.startswith("client sent unsupported Transfer-Encoding")
            or ev.reason.startswith("client sent invalid Transfer-Encoding")
            or ev.reason.startswith("AH01591"))


@pytest.mark.parametrize("i", range(len(HEADS)))
def test_heads(i):
    check_head(HEADS[i], APACHE_LIMITS)


@pytest.mark.parametrize("i", range(len(HEADS_UNSAFE)))
def test_heads_unsafe(i):
    check_head(HEADS_UNSAFE[i], Limits(http09=True, strict=False))


def check_head(case: dict, limits: Limits) -> None:
    conn = HTTPConnection(limits)
    conn.receive_data(case["raw"].encode("latin-1"))
    ev = conn.next_event()
    status = case["apache_status"]
    if isinstance(ev, RequestHead):
        if ev.http_version == (0, 9):
            assert status is None                 # the body alone, no status line
            return
        if status == 501:
            assert ev.method_number == M_INVALID   # the default handler's AH00135
            return
        if status == 413:                          # over the default LimitRequestBody
            conn.start_body(GIB)
            ev = conn.next_event()
            assert isinstance(ev, ProtocolError) and ev.status == 413
            assert logged(ev, case["apache_log"])
            return
        assert status not in PROTOCOL_STATUSES, case
        return
    if ev is NEED_DATA:
        assert status is None
        return
    assert isinstance(ev, ProtocolError), ev
    if stricter(ev) and status == 200:
        return
    assert ev.status == status, (case, ev)
    assert logged(ev, case["apache_log"]), (ev.log, case["apache_log"])


def read_body(raw: bytes):
    conn = HTTPConnection()
    conn.receive_data(raw)
    ev = conn.next_event()
    if not isinstance(ev, RequestHead):
        return ev
    conn.start_body(1000)
    while True:
        ev = conn.next_event()
        if not isinstance(ev, BodyData):
            return ev


@pytest.mark.parametrize("i", range(len(BODIES)))
def test_bodies(i):
    case = BODIES[i]
    ev = read_body(case["raw"].encode("latin-1"))
    status = case["apache_status"]
    if isinstance(ev, EndOfBody):
        assert status == 200, case
    elif ev is NEED_DATA:
        assert status is None, case
    else:
        assert isinstance(ev, ProtocolError), ev
        if stricter(ev) and status in (200, None):
            return
        assert ev.status == status, (case["raw"][60:200], ev)
        assert logged(ev, case["apache_log"]), (ev.log, case["apache_log"])


KEEPALIVE_FIELDS = ("Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length",
                    "Content-Type")


@pytest.fixture(scope="module")
def defaults(tmp_path_factory):
    """A server with Apache's defaults (KeepAlive On, KeepAliveTimeout 5, max 100)."""
    return load_process(tmp_path_factory.mktemp("keepalive"))


@pytest.mark.parametrize("i", range(len(KEEPALIVE)))
def test_keepalive(defaults, i):
    """Each recorded answer through the path the server runs: the head parsed by
    HTTPConnection, the record built by the connection, the response written by
    send_response (finalize_headers, set_keepalive)."""
    case = KEEPALIVE[i]
    conn, head = head_of(case["raw"].encode("latin-1"))
    assert isinstance(head, RequestHead)
    ctype = [v for k, v in case["apache_fields"] if k == "Content-Type"]
    n = case["body_length"]
    body = b"x" * n if n is not None else iter([b"xyz"])      # None: a CGI without a length
    data, r = respond(defaults, head, conn=conn, status=case["apache_status"],
                      content_type=ctype[0] if ctype else None, body=body)
    assert fields_of(data, KEEPALIVE_FIELDS) == [tuple(f) for f in case["apache_fields"]]
    assert (not r.conn.keepalive) == case["apache_closes"]
