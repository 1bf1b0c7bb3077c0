"""Request-target and Host parsing as APR and Apache do it.

``uri_parse`` is apr_uri_parse (apr-util uri/apr_uri.c), ``uri_parse_hostinfo`` its CONNECT
variant, ``parse_uri`` is ap_parse_uri (server/protocol.c).  ``fix_hostname`` is vhost.c's
Host check with apr_parse_addr_port and the HttpProtocolOptions Strict host rules; it
returns Apache's log lines on failure.  All work on latin-1 strings (one char per byte).
"""
from __future__ import annotations

import re
from typing import Optional

from httpd.protocol._events import M_CONNECT, M_OPTIONS
from httpd.util.addr import AddrError, parse_addr_port
from httpd.util.cparse import strtol

TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SPACE = frozenset(" \t\n\v\f\r")                 # C isspace()
DIGITS = frozenset("0123456789")                # apr_isdigit: ASCII only (not str.isdigit)
ALPHA = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
LOG_NAME_MAX_LEN = 80

_TOKEN_RUN = re.compile("[" + re.escape(TOKEN_CHARS) + "]*")
_VCHAR_RUN = re.compile("[\x21-\x7e\x80-\xff]*")
_SCHEME_RUN = re.compile("[A-Za-z0-9+.-]*")


def scan_token(s: str, i: int) -> int:
    """ap_scan_http_token: index of the first non-token character from ``i``."""
    return _TOKEN_RUN.match(s, i).end()


def scan_vchar(s: str, i: int) -> int:
    """ap_scan_vchar_obstext: index of the first character not VCHAR / obs-text."""
    return _VCHAR_RUN.match(s, i).end()


def field_name_len(s: str) -> str:
    """What Apache's ``"%.*s", field_name_len(s), s`` prints: up to the first ':', or
    LOG_NAME_MAX_LEN characters when there is none or it is further."""
    end = s.find(":")
    if end < 0 or end > LOG_NAME_MAX_LEN:
        return s[:LOG_NAME_MAX_LEN]
    return s[:end]


_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ssh": 22, "telnet": 23, "gopher": 70,
                  "nntp": 119, "snews": 563, "ldap": 389, "wais": 210, "prospero": 191,
                  "acap": 674, "imap": 143, "pop": 110, "sip": 5060, "rtsp": 554, "z39.50r": 210,
                  "z39.50s": 210, "nfs": 2049, "tip": 3372}


class URI:
    """apr_uri_t: the parts that were present (None for absent ones)."""

    __slots__ = ("scheme", "user", "password", "hostname", "port_str", "port", "path",
                 "query", "fragment")

    def __init__(self) -> None:
        self.scheme = self.user = self.password = self.hostname = None
        self.port_str = self.path = self.query = self.fragment = None
        self.port: Optional[int] = None


def _path(u: URI, s: str, i: int) -> URI:
    """deal_with_path: the path up to '?' or '#', then the query and the fragment."""
    q = s.find("?", i)
    h = s.find("#", i)
    j = q if q >= 0 and (h < 0 or q < h) else h
    if j < 0:
        if len(s) != i:
            u.path = s[i:]
        return u
    if j != i:
        u.path = s[i:j]
    if j == q:
        rest = s[j + 1:]
        k = rest.find("#")
        if k >= 0:
            u.fragment = rest[k + 1:]
            u.query = rest[:k]
        else:
            u.query = rest
        return u
    u.fragment = s[j + 1:]
    return u


def uri_parse(s: str) -> Optional[URI]:
    """apr_uri_parse; None where APR returns APR_EGENERAL."""
    u = URI()
    if s[:1] == "/":
        if s[1:2] == "/" and s[2:3] != "/":
            return _authority(u, s, 2)
        return _path(u, s, 0)
    if s[:1] in ALPHA:
        i = _SCHEME_RUN.match(s, 1).end()
        if s[i:i + 1] == ":":
            u.scheme = s[:i]
            if s[i + 1:i + 3] != "//":
                return _path(u, s, i + 1)
            return _authority(u, s, i + 3)
    return _path(u, s, 0)


def _authority(u: URI, s: str, start: int) -> Optional[URI]:
    n = len(s)
    end = start
    while end < n and s[end] not in "/?#":
        end += 1
    hostinfo = s[start:end]
    at = hostinfo.rfind("@")
    if at >= 0:
        userinfo = hostinfo[:at]
        colon = userinfo.find(":")
        if colon >= 0:
            u.user, u.password = userinfo[:colon], userinfo[colon + 1:]
        else:
            u.user = userinfo
        hostinfo = hostinfo[at + 1:]
    if hostinfo[:1] == "[":
        rb = hostinfo.find("]")
        if rb < 0:
            return None
        if hostinfo[rb + 1:rb + 2] == ":":
            u.hostname = hostinfo[1:rb]
            port_str = hostinfo[rb + 2:]
        else:
            u.hostname = hostinfo[1:len(hostinfo) - 1]   # APR's arithmetic, junk included
            port_str = None
    else:
        colon = hostinfo.find(":")
        if colon < 0:
            u.hostname, port_str = hostinfo, None
        else:
            u.hostname, port_str = hostinfo[:colon], hostinfo[colon + 1:]
    if port_str is not None:
        u.port_str = port_str
        if port_str:
            port, stop, _ = strtol(port_str)
            if stop < len(port_str):
                return None           # invalid characters after ':'
            u.port = port & 0xFFFF
        else:
            u.port = _DEFAULT_PORTS.get((u.scheme or "").lower())
    return _path(u, s, end)


def uri_parse_hostinfo(s: str) -> Optional[URI]:
    """apr_uri_parse_hostinfo (CONNECT's authority-form): host and a port, nothing else."""
    u = URI()
    if s[:1] == "[":
        rb = s.find("]")
        if rb < 0 or s[rb + 1:rb + 2] != ":":
            return None
        u.hostname, colon = s[1:rb], rb + 1
    else:
        colon = s.find(":")
        if colon < 0:
            return None
        u.hostname = s[:colon]
    u.port_str = s[colon + 1:]
    if not u.port_str:
        return None
    port, end, _ = strtol(u.port_str)
    if end < len(u.port_str):
        return None
    u.port = port & 0xFFFF
    return u


def parse_uri(target: str, method_number: int) -> tuple[Optional[URI], str]:
    """ap_parse_uri: (the parsed URI or None when unparsable, r->uri)."""
    if target[:1] == "/" and target[1:2] != "/" and method_number != M_CONNECT:
        u = _path(URI(), target, 0)            # origin-form, the common case
        return u, u.path if u.path is not None else "/"
    while target[:2] == "//":
        target = target[1:]
    u = uri_parse_hostinfo(target) if method_number == M_CONNECT else uri_parse(target)
    if u is None:
        return None, target
    if u.path is not None:
        return u, u.path
    return u, "*" if method_number == M_OPTIONS else "/"


# --- Host ------------------------------------------------------------------------------

def _fix_v6(host: str) -> Optional[str]:
    """fix_hostname_v6_literal: lowercase hex digits, one '::' at most."""
    double = False
    n = len(host)
    for i, c in enumerate(host):
        nxt = host[i + 1] if i + 1 < n else ""
        if c in "0123456789abcdefABCDEF":
            continue
        if c == ":":
            if nxt == ":":
                if double:
                    return None
                double = True
            elif nxt == ".":
                return None
        elif c == ".":
            if nxt == ":" or nxt == ".":
                return None
        else:
            return None
    return host.lower()


def _fix_non_v6(host: str) -> Optional[str]:
    """fix_hostname_non_v6: lowercase, refuse '..', '/' and '\\', drop one trailing dot."""
    if ".." in host or "/" in host or "\\" in host:
        return None
    host = host.lower() if host.isascii() else "".join(
        c.lower() if "A" <= c <= "Z" else c for c in host)
    if host.endswith("."):
        host = host[:-1]
    return host


def _strict_check(host: str) -> Optional[str]:
    """strict_hostname_check: None if fine, else the AH02415 line."""
    dotted, zeroes, dots = True, False, 0
    n = len(host)
    i = 0
    while i < n:
        c = host[i]
        if c in ALPHA or c == "-" or c == "_":
            dotted = False
        elif c == ".":
            dots += 1
            if host[i + 1:i + 2] == "0" and host[i + 2:i + 3] in DIGITS and i + 2 < n:
                zeroes = True
        elif c not in DIGITS:
            break
        i += 1
    else:
        if dotted:
            if host[:1] == "." or (host[:1] == "0" and host[1:2] in DIGITS and n > 1):
                zeroes = True
            if zeroes or dots != 3:
                return f"AH02415: [strict] Invalid host name '{host}'"
            return None
        # the top-level domain must start with a letter (RFC 1123 2.1)
        j = host.rfind(".")
        if j >= 0 and j + 1 < n and host[j + 1] not in ALPHA:
            return (f"AH02415: [strict] Invalid host name '{host}', problem near: "
                    f"{host[j:j + 6]}")
        return None
    return f"AH02415: [strict] Invalid host name '{host}', problem near: {host[i:i + 6]}"


class HostResult:
    __slots__ = ("hostname", "port", "v6", "log")

    def __init__(self, hostname, port, v6, log):
        self.hostname: Optional[str] = hostname     # None: empty Host (not set)
        self.port: Optional[int] = port
        self.v6: bool = v6
        self.log: tuple = log                      # non-empty: 400 with these lines


def fix_hostname(src: str, from_header: bool, strict: bool) -> HostResult:
    """vhost.c fix_hostname for a Host header value (``from_header``) or a target's
    already-split hostname."""
    if not src:
        return HostResult(None, None, False, ())   # a blank Host is allowed: not set
    if all(c in DIGITS for c in src):
        if strict:
            return HostResult(None, None, False,
                              (f"AH02416: [strict] purely numeric host names not allowed: "
                               f"{src}",))
        return HostResult(src, None, False, ())
    bad = (f"AH00550: Client sent malformed Host header: {src}",)
    port = None
    if from_header:
        try:
            host, scope, p = parse_addr_port(src)
        except AddrError:
            return HostResult(None, None, False, bad)
        if scope is not None:
            return HostResult(None, None, False, bad)
        port = p or None
        v6 = src[:1] == "["
    else:
        host = src
        v6 = ":" in host
    if v6:
        fixed = _fix_v6(host)
        if fixed is None:
            return HostResult(None, None, True, bad)
        return HostResult(fixed, port, True, ())
    fixed = _fix_non_v6(host)
    if fixed is None:
        return HostResult(None, None, False, bad)
    if strict:
        problem = _strict_check(fixed)
        if problem is not None:
            return HostResult(None, None, False, (problem,) + bad)
    return HostResult(fixed, port, False, ())


# Host values repeat across requests (one per site), so the checked result is kept, one
# table per mode (Strict or not); bounded and shared (dict operations are atomic under
# the GIL).
_HOST_CACHES = ({}, {})
_HOST_CACHE_MAX = 512


def fix_host_header(value: str, strict: bool) -> HostResult:
    cache = _HOST_CACHES[strict]
    res = cache.get(value)
    if res is None:
        res = fix_hostname(value, True, strict)
        if len(cache) >= _HOST_CACHE_MAX:
            cache.clear()
        cache[value] = res
    return res


def construct_host_header(hostname: str, v6: bool, port_str: Optional[str]) -> str:
    """vhost.c construct_host_header: the Host value an absolute-form target implies."""
    host = f"[{hostname}]" if v6 else hostname
    return host if port_str is None else f"{host}:{port_str}"
