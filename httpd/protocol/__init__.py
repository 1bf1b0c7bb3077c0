"""The sans-I/O HTTP/1.1 connection: bytes in, events out; a response in, bytes out.

No sockets, threads, sleeps or clocks: the MPM's connection loop feeds what it read with
``receive_data`` (``b""`` when the peer closed its side), takes events from
``next_event``, and writes what ``response_head`` / ``chunk`` / ``end_chunks`` return.
Timeouts are the caller's clock; it says when one fired with ``timed_out``.

One request at a time::

    RequestHead                      the request line and fields, checked by Apache's rules
    start_body(limit) -> bytes       read the body (LimitRequestBody known after mapping);
                                     write the bytes returned (100 Continue when expected)
    BodyData ... EndOfBody(trailers)
    discard_body(limit, status)      or skip it (ap_discard_request_body)
    response_head(...) -> bytes      with Apache's keep-alive decision (ap_set_keepalive)
    chunk(data) / end_chunks()       the body, framed as the head said
    start_next_request() -> bool     pipelined bytes already received are parsed next

A ProtocolError means: answer its status and close (framing errors always close,
reliability.md 1.1).  ``next_event`` returns PAUSED while the current request waits on the
caller, NEED_DATA when it needs bytes, ConnectionClosed when the connection is over.
"""
from __future__ import annotations

from httpd.protocol._connection import (
    HTTPConnection, Limits, KeepAlive, NO_KEEPALIVE, RequestHead, BodyData, EndOfBody,
    ConnectionClosed, ProtocolError, NEED_DATA, PAUSED, Event, KeepAliveDecision,
    ResponseHeaderError, set_keepalive, merge_headers, frame_chunk, chunk_header, last_chunk,
    CONTINUE, status_drops_connection, METHODS, M_INVALID, DEFAULT_LIMIT_REQ_BODY, continue_bytes)

__all__ = [
    "HTTPConnection", "Limits", "KeepAlive", "NO_KEEPALIVE", "RequestHead", "BodyData",
    "EndOfBody", "ConnectionClosed", "ProtocolError", "NEED_DATA", "PAUSED", "Event",
    "KeepAliveDecision", "ResponseHeaderError", "set_keepalive", "merge_headers",
    "frame_chunk", "chunk_header", "last_chunk", "CONTINUE", "status_drops_connection", "METHODS",
    "M_INVALID", "DEFAULT_LIMIT_REQ_BODY", "continue_bytes"]
