"""IP subnets as APR parses and tests them: apr_ipsubnet_create and apr_ipsubnet_test
(apr network_io/unix/sockaddr.c).  ``Require ip`` (mod_authz_host), ``Allow from``
(mod_access_compat), ap_expr's ``-ipmatch`` and ``-R`` and mod_remoteip's proxy lists
all parse with these rules: a full address, a legacy network prefix (``10.1`` is
10.1.0.0/16), ``addr/bits`` or ``addr/dotted-mask`` -- non-contiguous masks included,
which is why subnets are kept as (network, mask) integers rather than ipaddress
networks.
"""
from __future__ import annotations

import ipaddress
import socket
from typing import Optional

import attrs

from httpd.util.cparse import strtol

APR_EBADIP = "The specified IP address is invalid."
APR_EBADMASK = "The specified network mask is invalid."


class InvalidSubnet(Exception):
    """apr_ipsubnet_create failed; ``reason`` None is APR_EINVAL (not an address)."""

    def __init__(self, reason: Optional[str]):
        self.reason = reason


@attrs.frozen
class IPSubnet:
    """An apr_ipsubnet_t: ``family`` 4 or 6, ``sub`` and ``mask`` as integers."""

    family: int
    sub: int
    mask: int

    def matches(self, address: str) -> bool:
        """apr_ipsubnet_test: an IPv4 subnet also matches IPv4-mapped IPv6 clients."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped is not None and self.family == 4:
            ip = ip.ipv4_mapped
        if ip.version != self.family:
            return False
        return int(ip) & self.mask == self.sub


def _inet_pton4(text: str) -> Optional[int]:
    """APR's inet_pton4: exactly four decimal octets (leading zeros allowed)."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for p in parts:
        if not p or not all("0" <= c <= "9" for c in p) or int(p) > 255:
            return None
        value = value << 8 | int(p)
    return value


def _inet_pton6(text: str) -> Optional[int]:
    if not all(c.isascii() for c in text):
        return None
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
    except (OSError, ValueError):
        return None


def looks_like_ip(text: str) -> bool:
    """APR's looks_like_ip: an IPv6 address (a ':') or only digits and dots."""
    if not text:
        return False
    if ":" in text:
        return True        # certainly not a host name: meant as IPv6
    return all(c == "." or "0" <= c <= "9" for c in text)


def _parse_network(text: str) -> tuple[int, int]:
    """Legacy ``a.b.c.`` prefixes: each given octet is a network octet."""
    if len(text) >= len("255.255.255.255") + 1:
        raise InvalidSubnet(APR_EBADIP)
    sub = mask = 0
    shift = 24
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and "0" <= text[j] <= "9":
            j += 1
        if j == i:
            raise InvalidSubnet(APR_EBADIP)
        if j < len(text) and text[j] != ".":
            raise InvalidSubnet(APR_EBADIP)
        if shift < 0 or int(text[i:j]) > 255:
            raise InvalidSubnet(APR_EBADIP)
        sub |= int(text[i:j]) << shift
        mask |= 0xFF << shift
        shift -= 8
        i = j + 1 if j < len(text) else j
    return sub, mask


def _strtol_bits(text: str) -> Optional[int]:
    """strtol(text, &end, 10) when it consumes all of ``text``; else None."""
    value, end, _ = strtol(text)
    return value if end == len(text) else None


def ipsubnet_create(ipstr: str, mask_or_bits: Optional[str]) -> IPSubnet:
    """apr_ipsubnet_create; raises InvalidSubnet."""
    if not looks_like_ip(ipstr):
        raise InvalidSubnet(None)
    v6 = _inet_pton6(ipstr)
    if v6 is not None:
        if v6 >> 32 == 0xFFFF:
            raise InvalidSubnet(APR_EBADIP)        # IPv4-mapped: write a.b.c.d instead
        family, sub, mask, width = 6, v6, (1 << 128) - 1, 128
    else:
        v4 = _inet_pton4(ipstr)
        if v4 is not None:
            family, sub, mask, width = 4, v4, 0xFFFFFFFF, 32
        elif mask_or_bits is None:
            sub, mask = _parse_network(ipstr)
            family, width = 4, 32
        else:
            raise InvalidSubnet(APR_EBADIP)
    if mask_or_bits is not None:
        bits = _strtol_bits(mask_or_bits)
        dotted = _inet_pton4(mask_or_bits)
        if bits is not None and 0 < bits <= width:
            mask = ((1 << bits) - 1) << (width - bits)
        elif dotted is not None and family == 4:
            mask = dotted
        else:
            raise InvalidSubnet(APR_EBADMASK)
    return IPSubnet(family, sub & mask, mask)


def sockaddr_equal(a: str, b: str) -> bool:
    """apr_sockaddr_equal of two numeric addresses: an IPv4-mapped IPv6 address equals
    its IPv4 one; anything that is no address equals nothing."""
    try:
        x, y = ipaddress.ip_address(a.split("%")[0]), ipaddress.ip_address(b.split("%")[0])
    except ValueError:
        return False
    x = x.ipv4_mapped or x if x.version == 6 else x
    y = y.ipv4_mapped or y if y.version == 6 else y
    return x == y
