"""The Listen directive: APR's address parser and Apache's alloc_listener.

Records are only parsed and resolved here (as at config time in Apache); the MPM's
runtime binds them.  Errors read as Apache's server/listen.c words them.
"""
from __future__ import annotations

import ipaddress
import socket
from typing import Any, Optional

import attrs

from httpd.cparse import atoi, is_digits, strtol

# APR status codes that reach the log through the scope-id path.
APR_EGENERAL = 20014
APR_EBADIP = 20016
_APR_TEXT = {APR_EGENERAL: "Internal error (specific information not available)",
             APR_EBADIP: "The specified IP address is invalid."}


@attrs.frozen
class ListenRec:
    """One Listen directive (Apache's ap_listen_rec, before any socket exists).

    ``host`` is the address as written (None for ``*`` or a bare port; an IPv6 address
    without its brackets), ``scope_id`` the ``%zone`` of a bracketed link-local address.
    ``addrs`` are the resolved socket addresses in getaddrinfo order, each a
    ``(family, sockaddr)`` pair: Apache makes one listener for each of them.
    """

    host: Optional[str]
    port: int
    protocol: str
    scope_id: Optional[str] = None
    addrs: tuple = ()

    @property
    def key(self) -> tuple:
        # find_listeners() compares the name as written, not the resolved address.
        return (self.host, self.scope_id, self.port)


class AddrError(ValueError):
    """apr_parse_addr_port() said APR_EINVAL."""


def parse_addr_port(s: str) -> tuple[Optional[str], Optional[str], int]:
    """APR's apr_parse_addr_port: ``(host, scope_id, port)``; port 0 when none was given.

    The port is the run of digits at the end after a ``:``; a string of digits alone is
    only a port; an address in ``[...]`` must be IPv6 and may carry ``%scope``.
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
        except OSError:
            raise AddrError(s) from None
        host = inner
    return host, scope, port


def resolve(host: Optional[str], port: int) -> tuple:
    """apr_sockaddr_info_get(host, APR_UNSPEC, port): the addresses to bind, in order.

    No host means every interface (AI_PASSIVE).  APR asks with AI_ADDRCONFIG and asks
    again without it when that flag is what failed.  Raises socket.gaierror.
    """
    flags = socket.AI_ADDRCONFIG | (socket.AI_PASSIVE if host is None else 0)
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, flags)
    except UnicodeError:
        # Python's IDNA step refuses the name before the resolver sees it: to APR this
        # is an unknown name
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
    except socket.gaierror as e:
        retry = (getattr(socket, "EAI_ADDRFAMILY", None), socket.EAI_BADFLAGS)
        if e.errno not in retry:
            raise
        flags &= ~socket.AI_ADDRCONFIG
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, flags)
    out = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and (family, sockaddr) not in out:
            out.append((family, sockaddr))
    return tuple(out)


def _zone_index(scope: str) -> Optional[int]:
    """apr_sockaddr_zone_set's lookup: an interface name, else a number 1..32767."""
    try:
        return socket.if_nametoindex(scope)
    except OSError:
        pass
    i, end = strtol(scope)
    if end == 0 or end != len(scope) or not 1 <= i <= 0x7FFF:
        return None
    return i


def set_scope(addrs: tuple, scope: str) -> tuple[tuple, Optional[tuple]]:
    """Set ``scope`` on every address (apr_sockaddr_zone_set): ``(addrs, None)``, or
    ``(addrs, (apr_status, failing address))``.  Only IPv6 link-local takes a zone."""
    out = []
    for family, sa in addrs:
        if family != socket.AF_INET6 or not ipaddress.IPv6Address(sa[0]).is_link_local:
            return addrs, (APR_EBADIP, sa)
        idx = _zone_index(scope)
        if idx is None:
            return addrs, (APR_EGENERAL, sa)
        out.append((family, (sa[0], sa[1], sa[2], idx)))
    return tuple(out), None


def _gai_text(e: socket.gaierror) -> str:
    # APR shows resolver errors as "(EAI n)text" with n positive.
    return f"(EAI {abs(e.errno)}){e.strerror}"


def set_listener(process: Any, listeners: list, argv: list[str]) -> Optional[str]:
    """Apache's ap_set_listener + alloc_listener: append a ListenRec to ``listeners``."""
    if len(argv) < 1 or len(argv) > 2:
        return "Listen requires 1 or 2 arguments."
    try:
        host, scope, port = parse_addr_port(argv[0])
    except AddrError:
        return "Invalid address or port"
    if host == "*":
        host = None
    if not port:
        return "Port must be specified"
    if len(argv) == 2:
        proto = argv[1].lower()
    else:
        proto = "https" if port == 443 else "http"

    if any(rec.key == (host, scope, port) for rec in listeners):
        return "Cannot define multiple Listeners on the same IP:port"
    try:
        addrs = resolve(host, port)
    except socket.gaierror as e:
        process.log.error("core", "crit", f"{_gai_text(e)}: AH00077: alloc_listener: failed to "
                                          f"set up sockaddr for {host}")
        return "Listen setup failed"
    if scope is not None:
        addrs, failed = set_scope(addrs, scope)
        if failed is not None:
            status, sa = failed
            process.log.error("core", "crit",
                              f"({status}){_APR_TEXT[status]}: AH10102: alloc_listener: failed "
                              f"to set scope for [{sa[0]}]:{port} to {scope}")
            return "Listen step failed"
    listeners.append(ListenRec(host, port, proto, scope, addrs))
    return None
