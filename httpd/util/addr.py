"""Addresses as APR parses them: apr_parse_addr_port (apr network_io/unix/sockaddr.c)."""
from __future__ import annotations

import socket
from typing import Optional

from httpd.util.cparse import atoi, is_digits


class AddrError(ValueError):
    """apr_parse_addr_port() said APR_EINVAL."""


def parse_addr_port(s: str) -> tuple[Optional[str], Optional[str], int]:
    """apr_parse_addr_port: ``(host, scope_id, port)``, port 0 when none was given;
    raises AddrError where APR returns APR_EINVAL.

    As APR: the port is the run of ASCII digits at the end after a ``:``, read with
    atoi (so ``host:4294967376`` is port 80, and 1 to 65535 only); a string of digits
    alone is only a port (host None); ``host:`` keeps its colon in the host; an address
    in ``[...]`` must be IPv6 (without its brackets then) and may carry ``%scope``.
    """
    if not s or is_digits(s):
        port = atoi(s)
        if port < 1 or port > 65535:
            raise AddrError(s)
        return None, None, port
    end = len(s)
    i = end
    while i > 0 and "0" <= s[i - 1] <= "9":
        i -= 1
    port = 0
    last = end
    if i < end and s[i - 1] == ":":
        if i - 1 == 0:                # ":80": a port with no address
            raise AddrError(s)
        port = atoi(s[i:])
        if port < 1 or port > 65535:
            raise AddrError(s)
        last = i - 1
    host = s[:last]
    scope = None
    if host.startswith("["):
        close = host.find("]")
        if close != len(host) - 1:
            raise AddrError(s)
        inner = host[1:-1]
        if "%" in inner:
            inner, _, scope = inner.partition("%")
            if not scope:
                raise AddrError(s)
        try:
            socket.inet_pton(socket.AF_INET6, inner)
        except (OSError, ValueError):
            raise AddrError(s) from None
        host = inner
    return host, scope, port
