"""llhttp (through httptools) as a second opinion on message framing.

The request parser follows Apache's rules, which differ from llhttp's on ~20 corpus
cases (UTF-8 targets, HTTP/1.2, lowercase methods are accepted by Apache and refused by
llhttp): that is why the server parses with its own reader (docs/architecture.md).  But
where both accept a byte stream, they must agree on where each request ends: two parsers
that disagree about framing is exactly how request smuggling works.
"""
from __future__ import annotations

import httptools
import pytest

from httpd import protocol as proto
from tests.conformance import apache

CASES = apache.load("bad_requests", "bad-requests.json")


class _Counter:
    def __init__(self):
        self.messages = 0
        self.body = bytearray()
        self.bodies: list[bytes] = []

    def on_body(self, data: bytes) -> None:
        self.body += data

    def on_message_complete(self) -> None:
        self.messages += 1
        self.bodies.append(bytes(self.body))
        self.body = bytearray()


def llhttp_messages(raw: bytes):
    """(number of complete requests, their bodies) per llhttp, or None if it refuses."""
    c = _Counter()
    p = httptools.HttpRequestParser(c)
    try:
        p.feed_data(raw)
    except httptools.HttpParserError:
        return None
    except httptools.HttpParserUpgrade:
        return None
    return c.messages, c.bodies


def our_messages(raw: bytes):
    """The same, per this server's reader; None when it answers an error."""
    conn = proto.HTTPConnection(proto.Limits(http09=True))
    conn.receive_data(raw)
    conn.receive_data(b"")
    count, bodies = 0, []
    while True:
        ev = conn.next_event()
        if isinstance(ev, proto.ProtocolError):
            return None
        if not isinstance(ev, proto.RequestHead):
            return count, bodies
        conn.start_body(0)
        body = bytearray()
        while True:
            ev = conn.next_event()
            if isinstance(ev, proto.BodyData):
                body += ev.data
            elif isinstance(ev, proto.EndOfBody):
                break
            elif isinstance(ev, proto.ProtocolError):
                return None
            else:
                return count, bodies          # incomplete: not a complete message
        count += 1
        bodies.append(bytes(body))
        if not conn.start_next_request(True):
            return count, bodies


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_framing_agrees_where_both_accept(case):
    raw = case["raw"].encode("latin-1")
    theirs = llhttp_messages(raw)
    ours = our_messages(raw)
    if theirs is None or ours is None:
        return          # one of them refuses the stream: nothing can be smuggled past both
    n = min(ours[0], theirs[0])
    assert ours[1][:n] == theirs[1][:n]
