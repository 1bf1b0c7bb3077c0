"""mod_authz_host (mod_authz_host.c): the ``ip``, ``host``, ``forward-dns`` and ``local``
authorization providers.  The module has no directives of its own.

At request time each provider answers granted or denied for the client address
(``Require host`` with a double-reverse lookup, once per connection).

``Require ip`` arguments are parsed into subnets at config time with APR's rules
(httpd/util/ipsubnet.py).
"""
from __future__ import annotations

import socket
from typing import Optional

from httpd.config.grammar import getword_conf
from httpd.module import Module

from directives.mod_authz_core import AuthzProvider, parse_expr
from httpd.http.request import evaluate_str, log_rerror
from httpd.util.ipsubnet import InvalidSubnet, IPSubnet, ipsubnet_create, sockaddr_equal

def ip_parse_config(cmd, require_line: str):
    """``Require ip addr[/mask] ...`` -> a tuple of IPSubnet, or Apache's message."""
    words = []
    pos = 0
    while True:
        w, pos = getword_conf(require_line, pos)
        if not w:
            break
        words.append(w)
    if not words:
        return None, "'require ip' requires an argument"
    subnets = []
    for w in words:
        addr, slash, mask = w.partition("/")
        try:
            subnets.append(ipsubnet_create(addr, mask if slash else None))
        except InvalidSubnet as e:
            if e.reason is None:
                return None, f"ip address '{w}' appears to be invalid"
            return None, f"ip address '{w}' appears to be invalid: {e.reason}"
    return tuple(subnets), None


def host_parse_config(cmd, require_line: str):
    """``Require host`` / ``forward-dns``: a string expression (``%{...}`` allowed)."""
    expr, err = parse_expr(cmd, require_line, string=True)
    if err:
        return None, f"Cannot parse expression in require line: {err}"
    return expr, None


# -- request time ------------------------------------------------------------------------

AUTHZ_DENIED, AUTHZ_GRANTED = 0, 1
_LOCALHOST = (IPSubnet(4, 0x7F000000, 0xFF000000), IPSubnet(6, 1, (1 << 128) - 1))


def _log(r, level: str, msg: str) -> None:
    log_rerror(r, "authz_host", level, msg)


def ip_check(r, require_line: str, subnets) -> int:
    """``Require ip``: the client address in one of the subnets."""
    ip = r.useragent_ip
    for subnet in subnets:
        if subnet.matches(ip):
            return AUTHZ_GRANTED
    return AUTHZ_DENIED


def local_check(r, require_line: str, parsed) -> int:
    """``Require local``: the client is the local address, 127.0.0.0/8 or ::1."""
    ip = r.useragent_ip
    if sockaddr_equal(ip, r.conn.local_ip) or any(s.matches(ip) for s in _LOCALHOST):
        return AUTHZ_GRANTED
    return AUTHZ_DENIED


def double_reverse(r) -> Optional[str]:
    """ap_get_useragent_host(REMOTE_DOUBLE_REV): the client's name when its address
    resolves to a name that resolves back to the address; once per connection (per
    request for an address mod_remoteip set)."""
    notes = r.conn.notes if r.useragent is None else r.notes
    if "double-reverse" in notes:
        return notes["double-reverse"]
    ip = r.useragent_ip
    name = None
    try:
        host = socket.gethostbyaddr(ip)[0]
        if ip in {a[4][0] for a in socket.getaddrinfo(host, None)}:
            name = host.lower()
    except (OSError, UnicodeError):
        name = None
    notes["double-reverse"] = name
    return name


def in_domain(domain: str, what: str) -> bool:
    """in_domain: ``what`` is ``domain`` or a host inside it (whole labels only)."""
    dl, wl = len(domain), len(what)
    if wl < dl or what[wl - dl:].lower() != domain.lower():
        return False
    return wl == dl or domain[:1] == "." or what[wl - dl - 1] == "."


def _words(text: str):
    pos = 0
    while True:
        w, pos = getword_conf(text, pos)
        if not w:
            return
        yield w


def host_check(r, require_line: str, expr) -> int:
    """``Require host``: the client's double-reverse name inside one of the domains."""
    remote = double_reverse(r)
    if remote is None:
        _log(r, "error", f"AH01753: access check of '{require_line}' to {r.uri} failed, "
             "reason: unable to get the remote host name")
        return AUTHZ_DENIED
    try:
        require = evaluate_str(r, expr)
    except Exception as e:
        _log(r, "error", "AH02593: authz_host authorize: require host: Can't evaluate require "
             f"expression: {e}")
        return AUTHZ_DENIED
    return AUTHZ_GRANTED if any(in_domain(w, remote) for w in _words(require)) \
        else AUTHZ_DENIED


def forward_dns_check(r, require_line: str, expr) -> int:
    """``Require forward-dns``: a listed name resolves to the client's address."""
    try:
        require = evaluate_str(r, expr)
    except Exception as e:
        _log(r, "error", "AH03354: authz_host authorize: require forward-dns: Can't evaluate "
             f"require expression: {e}")
        return AUTHZ_DENIED
    client = r.useragent_ip
    for name in _words(require):
        try:
            infos = socket.getaddrinfo(name, None)
        except (OSError, UnicodeError):
            _log(r, "error", f'AH03356: No sockaddr info for "{name}"')
            continue
        if any(sockaddr_equal(info[4][0], client) for info in infos):
            return AUTHZ_GRANTED
    return AUTHZ_DENIED


PROVIDERS = {
    "ip": AuthzProvider("ip", ip_parse_config, ip_check),
    "host": AuthzProvider("host", host_parse_config, host_check),
    "forward-dns": AuthzProvider("forward-dns", host_parse_config, forward_dns_check),
    "local": AuthzProvider("local", None, local_check),
}

MODULE = Module(
    "authz_host_module", "mod_authz_host.c", (),
    providers={"authz": PROVIDERS},
    doc="Group authorizations based on host (name or IP address)",
)

