"""The response side: Apache's keep-alive decision.

``set_keepalive`` is http_protocol.c's ap_set_keepalive, condition by condition and in its
order (the order matters: a HTTP/1.1 response of unknown length is marked chunked before
the later conditions can refuse keep-alive, so ``Connection: close`` responses are still
chunked, while after an error or with an unanswered ``Expect: 100-continue`` they are
not).  It is a pure function of what Apache reads from request_rec; the header filter
(httpd/http/header_filter.py) calls it with the request record's values and writes the
decision back.
"""
from __future__ import annotations

from typing import Optional

import attrs

from httpd.protocol._events import KeepAlive
from httpd.util.tokens import find_token

# the statuses after which Apache never keeps a connection (httpd.h)
STATUS_DROPS = frozenset({400, 408, 411, 413, 414, 500, 503, 501})
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


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
