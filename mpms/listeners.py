"""Listening sockets from the checked Listen settings (Apache's listen.c open_listeners).

Shared by every MPM: the parent (or the single process under -X) binds each Listen
address once; a restart keeps the sockets whose address is still configured.
"""
from __future__ import annotations

import errno
import os
import socket
from typing import Optional

import attrs

from .common import ListenSettings


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
            dup.append(Listener(s, ln.family, s.getsockname(), ln.protocol))
        out.append(dup)
    for rest in old:                   # addresses or buckets no longer configured
        for ln in rest.values():
            ln.sock.close()
    return out


def _label(family: int, sockaddr: tuple) -> str:
    host, port = sockaddr[0], sockaddr[1]
    return f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"


def open_listeners(settings: ListenSettings, keep: Optional[list[Listener]] = None) -> list[Listener]:
    """Bind every address of every Listen record; reuse sockets from ``keep``.

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
    for ln in reuse.values():      # no longer configured
        ln.sock.close()
    if errors or not out:
        for ln in out:
            if ln not in (keep or []):
                ln.sock.close()
        raise BindError(errors + ["no listening sockets available, shutting down"])
    return out
