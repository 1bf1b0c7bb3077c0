"""The response side: Apache's keep-alive decision and the bytes of a response head.

``set_keepalive`` is http_protocol.c's ap_set_keepalive, condition by condition and in its
order (the order matters: a HTTP/1.1 response of unknown length is marked chunked before
the later conditions can refuse keep-alive, so ``Connection: close`` responses are still
chunked, while after an error or with an unanswered ``Expect: 100-continue`` they are
not).  ``build_head`` lays the fields out as Apache's header filter does: the handler's
fields, then Content-Length, Keep-Alive, Connection, Transfer-Encoding, and Content-Type
last; and it refuses fields that would split the response (check_headers, AH02429/30).
"""
from __future__ import annotations

import re
from typing import Optional

import attrs

from httpd.protocol._events import KeepAlive
from httpd.util.tokens import find_token

# the statuses after which Apache never keeps a connection (httpd.h)
STATUS_DROPS = frozenset({400, 408, 411, 413, 414, 500, 503, 501})
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
LAST_CHUNK = b"0\r\n\r\n"

_TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+"
_FIELDS_OK = re.compile("(?:" + _TOKEN + ": [\t\x20-\x7e\x80-\xff]*\r\n)*")
_VALUE_OK = re.compile("[\t\x20-\x7e\x80-\xff]*")
_NAME_OK = re.compile(_TOKEN)
_FOLD = re.compile("\r\n[ \t]+")


class ResponseHeaderError(ValueError):
    """A response field Apache's header filter refuses (it answers 500 instead)."""


@attrs.define(slots=True)
class KeepAliveDecision:
    keep_alive: bool
    chunked: bool                # send the body chunked (HTTP/1.1, length unknown)
    headers: list                # Keep-Alive / Connection fields to add
    keepalives: int              # the connection's new c->keepalives


def status_drops_connection(status: int) -> bool:
    """ap_status_drops_connection (httpd.h): 400, 408, 411, 413, 414, 500, 501 and 503
    end the connection."""
    return status in STATUS_DROPS


def set_keepalive(*, policy: KeepAlive, keepalives: int, proto_num: int,
                  request_connection: Optional[str], status: int, header_only: bool,
                  has_length: bool, conn_close: bool = False, expecting_100: bool = False,
                  response_close: bool = False, nokeepalive: bool = False, via: bool = False,
                  stopping: bool = False) -> KeepAliveDecision:
    """ap_set_keepalive.

    ``keepalives``: requests this connection already kept alive for (c->keepalives);
    ``conn_close``: the connection is already marked to close (an error, CL with TE);
    ``expecting_100``: the client expects 100-continue and none was sent;
    ``has_length``: the response has a Content-Length or is already chunked;
    ``response_close``: the handler set ``Connection: close`` itself;
    ``nokeepalive``/``via``: the nokeepalive environment variable / a Via request field;
    ``stopping``: the MPM is shutting this process down.
    """
    left = policy.max_requests - keepalives
    chunked = False
    if conn_close or expecting_100:
        framed = False
    elif header_only or status == 204 or status == 304 or has_length:
        framed = True
    elif proto_num >= 1001:
        framed = chunked = True          # "THIS CODE IS CORRECT, see above."
    else:
        framed = False
    ka_sent = False
    if (framed and policy.enabled and policy.timeout > 0
            and (policy.max_requests == 0 or left > 0)
            and not status_drops_connection(status)
            and not response_close
            and not find_token(request_connection, "close")
            and (not nokeepalive or via)
            and ((ka_sent := find_token(request_connection, "keep-alive"))
                 or proto_num >= 1001)
            and not stopping):
        headers = []
        if ka_sent:
            timeout = int(policy.timeout)
            if policy.max_requests:
                headers.append(("Keep-Alive", f"timeout={timeout}, max={left}"))
            else:
                headers.append(("Keep-Alive", f"timeout={timeout}"))
            headers.append(("Connection", "Keep-Alive"))
        return KeepAliveDecision(True, chunked, headers, keepalives + 1)
    # "We only really need to send close to HTTP/1.1 clients, but we always send it
    # anyway, because a broken proxy may identify itself as HTTP/1.0"
    headers = [] if response_close else [("Connection", "close")]
    if not conn_close and policy.max_requests and not left:
        keepalives += 1
    return KeepAliveDecision(False, chunked, headers, keepalives)


def _check_field(name: str, value: str) -> str:
    """check_headers: a token name, a field-content value; obs-fold becomes one space."""
    if not name:
        raise ResponseHeaderError("AH02428: Empty response header name, aborting request")
    if _NAME_OK.fullmatch(name) is None:
        raise ResponseHeaderError(f"AH02429: Response header name '{name}' contains invalid "
                                  f"characters, aborting request")
    if _VALUE_OK.fullmatch(value) is None:
        unfolded = _FOLD.sub(" ", value)
        if _VALUE_OK.fullmatch(unfolded) is None:
            raise ResponseHeaderError(f"AH02430: Response header '{name}' value of '{value}' "
                                      f"contains invalid characters, aborting request")
        value = unfolded
    return value


def build_head(status_line: str, fields: list) -> bytes:
    """``HTTP/1.1 <status_line>`` and the fields, checked; raises ResponseHeaderError."""
    text = "".join([f"{n}: {v}\r\n" for n, v in fields])
    if _FIELDS_OK.fullmatch(text) is None or text.count("\n") != len(fields):
        fields = [(n, _check_field(n, v)) for n, v in fields]
        text = "".join([f"{n}: {v}\r\n" for n, v in fields])
    return f"HTTP/1.1 {status_line}\r\n{text}\r\n".encode("latin-1", "replace")


def frame_chunk(data: bytes) -> bytes:
    """One chunk of a chunked body (nothing for empty data: that would end the body)."""
    if not data:
        return b""
    return b"%x\r\n%b\r\n" % (len(data), data)


def chunk_header(length: int) -> bytes:
    """The size line for a chunk sent separately (sendfile): data and CRLF follow."""
    return b"%x\r\n" % length


def last_chunk(trailers: Optional[list] = None) -> bytes:
    if not trailers:
        return LAST_CHUNK
    text = "".join([f"{n}: {_check_field(n, v)}\r\n" for n, v in trailers])
    return b"0\r\n" + text.encode("latin-1", "replace") + b"\r\n"
