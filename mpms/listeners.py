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
