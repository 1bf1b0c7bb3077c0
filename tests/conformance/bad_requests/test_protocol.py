"""The bad-request corpus (bad-requests.json, measured on Apache 2.4.71) through HTTPConnection.

Each case's bytes are fed as one read and the connection is driven as the server would:
an accepted request gets the status Apache answered (it came from the request pipeline:
mapping, the handler), its body is read and dropped as ap_discard_request_body would, and
the response goes through the server's response path (tests/io/serve.py: send_response,
set_keepalive) so the keep-alive decision is checked too.
The sequence of statuses and whether the connection ends closed must equal Apache's,
except for the cases listed in STRICTER, where this server deliberately answers as
reliability.md 1.3 recommends.
"""
from __future__ import annotations

import re

import pytest

from httpd.util.escape import escape_errorlog_item
from httpd.protocol import (NEED_DATA, BodyData, ConnectionClosed, EndOfBody, HTTPConnection,
                            ProtocolError, RequestHead)
from httpd.protocol import M_INVALID
from httpd.request.record import ConnInfo

from tests.conformance import apache
from tests.io.serve import load_process, respond

CASES = apache.load("bad_requests", "bad-requests.json")
BY_NAME = {c["name"]: c for c in CASES}

# what the protocol layer itself answers with; any other status came from the pipeline
PROTOCOL_STATUSES = {400, 408, 411, 413, 414, 417, 501, 505}
GIB = 1 << 30

# Statuses the protocol layer may produce, but which Apache decided later (the protocol
# layer must accept these requests and leave the answer to the pipeline).
PIPELINE = {
    "trav-plain-dotdot": "AH10244: dot-segments above the root (request.c ap_normalize_path)",
    "trav-pct-dotdot": "AH10244: decoded dot-segments above the root",
    "trav-pct-uppercase": "AH10244",
    "trav-cve-2021-41773-cgi": "AH10244",
    "trav-cve-2021-41773-cgi-exec": "AH10244 (the body is never read: 400 drops the connection)",
    "trav-cve-2021-42013-icons": "AH10244: '%%32' is an invalid escape",
    "trav-sibling-prefix": "AH10244",
    "trav-absolute-form-dotdot": "AH10244 on the absolute-form path",
    "trav-pct-u-escape": "AH10244: %u is an invalid escape",
    "trav-pathinfo-static": "AH10244",
    "rl-bad-pct-escape": "AH10244: invalid escape %zz",
    "m-lowercase-get": "501 from the default handler (AH00135): LenientMethods lets unknown "
                       "methods through, and Apache runs a CGI script for them",
    "m-trace-with-body": "413 from the TRACE handler (AH01595)",
}

# Where this server is stricter than Apache on purpose (reliability.md 1.3).
STRICTER = {
    "rl-http09-get": (400, "AH02401: HTTP Request Line; Rejected HTTP/0.9 request"),
    "rl-http09-post": (400, "AH02401: HTTP Request Line; Rejected HTTP/0.9 request"),
    "hdr-obs-fold": (400, "Line folding (obs-fold) is not accepted: X-Folded"),
    "smug-te-identity-chunked": (501, "client sent unsupported Transfer-Encoding "
                                      "(identity, chunked): /cgi-bin/echo.cgi"),
    "smug-te-gzip-chunked": (501, "client sent unsupported Transfer-Encoding (gzip, chunked): "
                                  "/cgi-bin/echo.cgi"),
    "smug-te-duplicate-headers": (400, "client sent invalid Transfer-Encoding "
                                       "(chunked, chunked): /cgi-bin/echo.cgi"),
    "chunk-size-huge-vs-limit": (413, "AH01591: Read content length of 268435455 is larger "
                                      "than the configured limit of 1000"),
}


def body_limit(raw: bytes) -> int:
    """LimitRequestBody of the reference configuration: 1000 under /cgi-bin/ and /limited/."""
    line = raw.split(b"\n", 1)[0]
    return 1000 if b" /cgi-bin/" in line or b" /limited/" in line else GIB


def expected_statuses(case: dict) -> list:
    seq = list(case.get("apache_responses") or [])
    status = case["apache_status"]
    if status is not None and (not seq or seq[-1] == 100):
        seq.append(status)
    return seq


@pytest.fixture(scope="module")
def process(tmp_path_factory):
    return load_process(tmp_path_factory.mktemp("bad-requests"))


def drive(case: dict, process):
    """(statuses sent, closed at the end, protocol errors seen, the statuses given to
    accepted requests as the pipeline's answers)."""
    raw = case["raw"].encode("latin-1")
    finals = [s for s in expected_statuses(case) if s != 100]
    slow = case["category"] == "slow"
    conn = HTTPConnection()
    info = ConnInfo("127.0.0.1", 40000, "127.0.0.1", 80)
    conn.receive_data(raw)
    sent, errors, heads = [], [], []
    while True:
        ev = conn.next_event()
        if ev is NEED_DATA:
            if sent and not slow:
                return sent, False, errors, heads      # idle keep-alive, still open
            ev = conn.timed_out()
            if isinstance(ev, ProtocolError):
                sent.append(ev.status)
                errors.append(ev)
            return sent, True, errors, heads
        if isinstance(ev, ProtocolError):
            sent.append(ev.status)
            errors.append(ev)
            return sent, True, errors, heads
        if isinstance(ev, ConnectionClosed):
            return sent, True, errors, heads
        assert isinstance(ev, RequestHead), ev
        n = len([s for s in sent if s != 100])
        status = finals[n] if n < len(finals) else 200
        # the handler's status when the body is dropped: the pipeline's own error for the
        # PIPELINE cases (Apache never reads those bodies), otherwise a success so far
        interim = conn.discard_body(body_limit(raw), status if case["name"] in PIPELINE else 200)
        if interim:
            assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
            sent.append(100)
        while True:
            b = conn.next_event()
            if not isinstance(b, BodyData):
                break
        if b is NEED_DATA:
            t = conn.timed_out()
            sent.append(t.status)
            errors.append(t)
            return sent, True, errors, heads
        if isinstance(b, ProtocolError):
            sent.append(b.status)
            errors.append(b)
            return sent, True, errors, heads
        assert isinstance(b, EndOfBody)
        sent.append(status)
        heads.append(status)
        cgi = b"/cgi-bin/" in raw.split(b"\n", 1)[0]
        _, r = respond(process, ev, conn=conn, info=info, status=status,
                       body=iter([b"x"]) if cgi else b"x" * 100,
                       prepare=lambda r: setattr(r, "expecting_100",
                                                 r.expecting_100 and not interim))
        if not conn.start_next_request(bool(r.conn.keepalive)):
            return sent, True, errors, heads


_AH = re.compile(r"^(AH\d{5}):")


def check_log(ours: ProtocolError, apache_lines: list) -> None:
    """Every AH-numbered line we give must be the line Apache logged with that number."""
    escaped = [escape_errorlog_item(line) for line in ours.log]
    assert escaped[0] == escape_errorlog_item(ours.reason)
    for line in escaped:
        m = _AH.match(line)
        if m is None:
            continue
        same_code = [a for a in apache_lines if a.startswith(m.group(1))]
        if same_code:
            assert line in same_code, (line, same_code)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_case(name, process):
    case = BY_NAME[name]
    sent, closed, errors, answered = drive(case, process)
    if name in STRICTER:
        status, reason = STRICTER[name]
        assert errors and (errors[-1].status, errors[-1].reason) == (status, reason)
        assert closed
        return
    assert sent == expected_statuses(case), (sent, errors)
    assert closed == case["apache_closes"]
    for status in answered:
        if status in PROTOCOL_STATUSES:
            assert name in PIPELINE, f"Apache answered {status} in its protocol layer"
    for err in errors:
        check_log(err, case.get("apache_error_log") or [])


def test_lists_name_real_cases():
    assert set(PIPELINE) <= set(BY_NAME)
    assert set(STRICTER) <= set(BY_NAME)
    for name in STRICTER:
        assert BY_NAME[name]["apache_status"] != STRICTER[name][0] or name in (
            "rl-http09-post",), name           # same status, different reason (0.9 refused)


def test_unknown_methods_are_flagged_for_the_handler():
    """LenientMethods: 'get' and 'WOW' pass the protocol layer (Apache runs CGI scripts
    for them) with M_INVALID, for the default handler's 501 (AH00135)."""
    conn = HTTPConnection()
    conn.receive_data(BY_NAME["m-lowercase-get"]["raw"].encode("latin-1"))
    head = conn.next_event()
    assert isinstance(head, RequestHead) and head.method == "get"
    assert head.method_number == M_INVALID


def test_protocol_decided_cases_are_most_of_the_corpus():
    """A guard against the corpus silently shrinking to pipeline cases."""
    decided = [c for c in CASES if c["apache_status"] in PROTOCOL_STATUSES
               and c["name"] not in PIPELINE]
    assert len(decided) >= 50
