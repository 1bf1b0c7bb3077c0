"""mod_remoteip's records: the server config, and the address matching the PROXY
protocol settings use (remoteip_sockaddr_compat)."""
from __future__ import annotations

from typing import Optional

import attrs

from httpd.util.ipsubnet import sockaddr_equal

MODULE_NAME = "remoteip_module"
MAX_STRING_LEN = 8192
HTTP_BAD_REQUEST = 400


@attrs.define
class RemoteIPConfig:
    header_name: Optional[str] = None
    proxies_header_name: Optional[str] = None
    proxymatch: Optional[list] = None       # [(IPSubnet, internal)], None: none listed
    # the main server's alone (Apache keeps them on ap_server_conf's): the addresses
    # (ip, port; port 0 any) RemoteIPProxyProtocol turned on and off, newest first, and
    # RemoteIPProxyProtocolExceptions' client subnets
    proxy_protocol_enabled: list = attrs.field(factory=list)
    proxy_protocol_disabled: list = attrs.field(factory=list)
    disabled_subnets: list = attrs.field(factory=list)


def create_server_config(server) -> RemoteIPConfig:
    return RemoteIPConfig()


def merge_server_config(base: RemoteIPConfig, add: RemoteIPConfig) -> RemoteIPConfig:
    return RemoteIPConfig(add.header_name or base.header_name,
                          add.proxies_header_name or base.proxies_header_name,
                          add.proxymatch if add.proxymatch is not None else base.proxymatch)


def server_addresses(server) -> list:
    """The server's addresses as (ip, port): a virtual host's, the main server's the
    wildcard on any port (its server_addr_rec)."""
    if not server.addrs:
        return [("0.0.0.0", 0)]
    return [(a.host_addr, a.host_port) for a in server.addrs]


def wildcard(ip: str) -> bool:
    return ip in ("0.0.0.0", "::", "::ffff:0.0.0.0")


def compat(a: tuple, b: tuple) -> bool:
    """remoteip_sockaddr_compat: the same address on the same port (or either port 0),
    or a wildcard address on any port (its port 0) or on the other's port."""
    if sockaddr_equal(a[0], b[0]) and (a[1] == b[1] or a[1] == 0 or b[1] == 0):
        return True
    if wildcard(a[0]) and (a[1] == 0 or a[1] == b[1]):
        return True
    return wildcard(b[0]) and (b[1] == 0 or b[1] == a[1])

