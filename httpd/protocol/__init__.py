"""The sans-I/O HTTP/1.1 connection: bytes in, events out.

No sockets, threads, sleeps or clocks: the MPM's connection loop feeds what it read with
``receive_data`` (``b""`` when the peer closed its side) and takes events from
``next_event``.  Timeouts are the caller's clock; it says when one fired with
``timed_out``.  The response is the server's (httpd/io/response_write.py); from here it
takes Apache's keep-alive decision, ``set_keepalive``, and tells the connection what it
decided when the response is out.

One request at a time::

    RequestHead                      the request line and fields, checked by Apache's rules
    start_body(limit) -> bytes       read the body (LimitRequestBody known after mapping);
                                     write the bytes returned (100 Continue when expected)
    BodyData ... EndOfBody(trailers)
    discard_body(limit, status)      or skip it (ap_discard_request_body)
    start_next_request(keep_alive)   the response is out: pipelined bytes already
                                     received are parsed next, or the connection closes

A ProtocolError means: answer its status and close (framing errors always close,
reliability.md 1.1).  ``next_event`` returns PAUSED while the current request waits on the
caller, NEED_DATA when it needs bytes, ConnectionClosed when the connection is over.
"""
from __future__ import annotations

from httpd.protocol._connection import (
    HTTPConnection, Limits, KeepAlive, RequestHead, BodyData, EndOfBody, ConnectionClosed,
    ProtocolError, NEED_DATA, PAUSED, Event, KeepAliveDecision, set_keepalive, merge_headers,
    CONTINUE, status_drops_connection, DEFAULT_LIMIT_REQ_BODY)
from httpd.protocol._response import STATUS_DROPS
from httpd.protocol._events import (
    METHODS, M_GET, M_PUT, M_POST, M_DELETE, M_CONNECT, M_OPTIONS, M_TRACE, M_INVALID,
    METHOD_NUMBER_FIRST, METHOD_NUMBER_LAST, method_number_of)

__all__ = [
    "HTTPConnection", "Limits", "KeepAlive", "RequestHead", "BodyData", "EndOfBody",
    "ConnectionClosed", "ProtocolError", "NEED_DATA", "PAUSED", "Event", "KeepAliveDecision",
    "set_keepalive", "merge_headers", "CONTINUE", "status_drops_connection", "STATUS_DROPS",
    "DEFAULT_LIMIT_REQ_BODY", "METHODS", "M_GET", "M_PUT", "M_POST", "M_DELETE", "M_CONNECT",
    "M_OPTIONS", "M_TRACE", "M_INVALID", "METHOD_NUMBER_FIRST", "METHOD_NUMBER_LAST",
    "method_number_of"]
