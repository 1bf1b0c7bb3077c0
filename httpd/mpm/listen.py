"""Listen (server/listen.c): the directive (APR's address parser and Apache's
alloc_listener) and the listening sockets opened from the checked settings (open_listeners).

Records are only parsed and resolved at config time, as in Apache; the parent (or the single
process under -X) binds each Listen address once, and a restart keeps the sockets whose
address is still configured.  Errors read as Apache's server/listen.c words them.
"""
from __future__ import annotations

import errno
import ipaddress
import os
import socket
from typing import Any, Optional

import attrs

from httpd.util.addr import AddrError, parse_addr_port
from httpd.util.cparse import strtol

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
    i, end, _ = strtol(scope)
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


DEFAULT_LISTENBACKLOG = 511
DEFAULT_TCP_DEFER_ACCEPT = 30   # seconds, as ListenTCPDeferAccept's default


@attrs.frozen
class ListenSettings:
    """Where and how to listen: the checked Listen* values of one generation."""

    listeners: tuple[ListenRec, ...] = ()
    backlog: int = DEFAULT_LISTENBACKLOG
    cores_buckets_ratio: int = 0
    tcp_defer_accept: int = DEFAULT_TCP_DEFER_ACCEPT
    send_buffer_size: int = 0
    receive_buffer_size: int = 0

    @classmethod
    def from_config(cls, cfg: Any) -> "ListenSettings":
        return cls(tuple(cfg.listeners), cfg.listen_backlog, cfg.listen_cores_buckets_ratio,
                   cfg.listen_tcp_defer_accept, cfg.send_buffer_size, cfg.receive_buffer_size)


# ---- the sockets: open_listeners and the SO_REUSEPORT buckets
@attrs.define(eq=False)
class Listener:
    """One bound, listening socket and the Listen record it came from."""

    sock: socket.socket
    family: int
    address: tuple            # the bound sockaddr (with the real port)
    protocol: str             # "http" or "https"

    @property
    def port(self) -> int:
        return self.address[1]


class BindError(Exception):
    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _have_so_reuseport() -> bool:
    """ap_listen_pre_config: Linux's SO_REUSEPORT spreads connections evenly over the
    sockets of a port, which is what listener buckets need (BSD's does not)."""
    if not hasattr(socket, "SO_REUSEPORT") or not os.uname().sysname == "Linux":
        return False
    try:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        return True
    except OSError:
        return False


HAVE_SO_REUSEPORT = _have_so_reuseport()


def bucket_count(ratio: int) -> tuple[int, Optional[tuple[str, str]]]:
    """ap_duplicate_listeners' count: online cores / ListenCoresBucketsRatio when that
    is more than one, and the (level, line) Apache logs about it."""
    if ratio <= 0:
        return 1, None
    if not HAVE_SO_REUSEPORT:
        return 1, ("warn", "AH02820: ListenCoresBucketsRatio ignored without SO_REUSEPORT "
                           "and _SC_NPROCESSORS_ONLN support: using a single listeners bucket")
    cores = os.sysconf("SC_NPROCESSORS_ONLN")
    val = cores // ratio
    buckets = val if val > 1 else 1
    return buckets, ("info", f"AH02819: Using {buckets} listeners bucket(s) based on {cores} "
                             f"online CPU cores and a ratio of {ratio}")


def duplicate_listeners(settings: ListenSettings, listeners: list[Listener], buckets: int,
                        keep: Optional[list[list[Listener]]] = None) -> list[list[Listener]]:
    """ap_duplicate_listeners: bucket 0 is ``listeners``; every other bucket has its own
    socket for each address (SO_REUSEPORT), so each bucket's children accept from their
    own queue.  Sockets of ``keep`` (the previous generation's buckets) are reused for
    addresses still configured; the rest are closed.  Raises BindError (AH02640)."""
    out = [listeners]
    old = [{(ln.family, ln.address): ln for ln in bucket} for bucket in (keep or [])[1:]]
    for b in range(1, buckets):
        reuse = old[b - 1] if b - 1 < len(old) else {}
        dup: list[Listener] = []
        for ln in listeners:
            prev = reuse.pop((ln.family, ln.address), None)
            if prev is not None:
                dup.append(prev)
                continue
            try:
                s = socket.socket(ln.family, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                if ln.family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                                 ln.sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY))
                if settings.send_buffer_size:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, settings.send_buffer_size)
                if settings.receive_buffer_size:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                 settings.receive_buffer_size)
                s.bind(ln.address)
                s.listen(settings.backlog)
            except OSError as e:
                for bucket in out[1:] + [dup]:
                    for d in bucket:
                        if all(d is not k for kb in (keep or []) for k in kb):
                            d.sock.close()
                raise BindError([f"({e.errno}){os.strerror(e.errno or 0)}: AH02640: "
                                 f"ap_duplicate_listeners: for address "
                                 f"{_label(ln.family, ln.address)}, cannot duplicate a new "
                                 "socket!"]) from None
            if _DEFER_ACCEPT is not None:     # the duplicate filters as its original does
                _defer_accept(s, ln.sock.getsockopt(socket.IPPROTO_TCP, _DEFER_ACCEPT))
            dup.append(Listener(s, ln.family, s.getsockname(), ln.protocol))
        out.append(dup)
    for rest in old:                   # addresses or buckets no longer configured
        for ln in rest.values():
            ln.sock.close()
    return out


def _label(family: int, sockaddr: tuple) -> str:
    host, port = sockaddr[0], sockaddr[1]
    return f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"


def deferred_protocols(process: Any) -> frozenset:
    """The protocols whose listeners get TCP_DEFER_ACCEPT (ap_apply_accept_filter on
    Linux): those whose AcceptFilter is not "none" (http and https are "data" unless
    configured)."""
    from httpd.module import CORE_MODULE
    accf = process.main_server.module_config[CORE_MODULE].accf_map or {}
    return frozenset(proto for proto, name in accf.items() if name != "none")


_DEFER_ACCEPT = getattr(socket, "TCP_DEFER_ACCEPT", None)     # Linux's


def _defer_accept(s: socket.socket, seconds: int) -> None:
    """TCP_DEFER_ACCEPT: the kernel hands a connection to accept() once its first bytes
    have come (or ``seconds`` have passed); 0 turns it off.  Where the option is
    missing nothing is done (APR's ENOTIMPL)."""
    if _DEFER_ACCEPT is not None:
        try:
            s.setsockopt(socket.IPPROTO_TCP, _DEFER_ACCEPT, seconds)
        except OSError:
            pass


def open_listeners(settings: ListenSettings, keep: Optional[list[Listener]] = None,
                   defer: frozenset = frozenset()) -> list[Listener]:
    """Bind every address of every Listen record; reuse sockets from ``keep``.  A
    listener whose protocol is in ``defer`` (deferred_protocols) gets TCP_DEFER_ACCEPT
    for ListenTCPDeferAccept seconds, as Apache's do on Linux.

    Errors come back as Apache's lines: AH00072 per address, then the summary.
    """
    reuse = {(ln.family, ln.address): ln for ln in (keep or [])}
    out: list[Listener] = []
    errors: list[str] = []
    wildcard_v4_ports = {rec.port for rec in settings.listeners
                         for fam, sa in rec.addrs if fam == socket.AF_INET and sa[0] == "0.0.0.0"}
    for rec in settings.listeners:
        for family, sockaddr in rec.addrs:
            old = reuse.pop((family, sockaddr), None)
            if old is not None:
                out.append(old)
                continue
            try:
                s = socket.socket(family, socket.SOCK_STREAM)
            except OSError as e:
                errors.append(f"({e.errno}){os.strerror(e.errno)}: AH00070: make_sock: could "
                              f"not create socket for address {_label(family, sockaddr)}")
                continue
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if settings.cores_buckets_ratio > 0 and HAVE_SO_REUSEPORT:
                    # every socket of a port shares it with the buckets' duplicates
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                if family == socket.AF_INET6:
                    # [::]:port also takes IPv4 unless 0.0.0.0:port is configured too
                    v6only = sockaddr[0] != "::" or rec.port in wildcard_v4_ports
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
                if settings.send_buffer_size:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, settings.send_buffer_size)
                if settings.receive_buffer_size:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                 settings.receive_buffer_size)
                s.bind(sockaddr)
                s.listen(settings.backlog)
            except OSError as e:
                s.close()
                code = e.errno or errno.EINVAL
                errors.append(f"({code}){os.strerror(code)}: AH00072: make_sock: could not "
                              f"bind to address {_label(family, sockaddr)}")
                continue
            out.append(Listener(s, family, s.getsockname(), rec.protocol))
    for ln in out:                 # new and kept alike: a restart may change the filter
        _defer_accept(ln.sock, settings.tcp_defer_accept if ln.protocol in defer else 0)
    for ln in reuse.values():      # no longer configured
        ln.sock.close()
    if errors or not out:
        for ln in out:
            if ln not in (keep or []):
                ln.sock.close()
        raise BindError(errors + ["no listening sockets available, shutting down"])
    return out
