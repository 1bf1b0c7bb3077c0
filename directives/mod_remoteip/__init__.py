"""mod_remoteip (modules/metadata/mod_remoteip.c): the client's address from a header
the proxies in front of the server add (``X-Forwarded-For``).

``RemoteIPHeader`` names the header; ``RemoteIPTrustedProxy`` / ``RemoteIPInternalProxy``
(and their ``...List`` files) the proxies whose word is taken, by address, subnet or
host name (looked up when the directive is read).  Without any proxy listed every
peer is a trusted external proxy.  At post_read_request (FIRST), as
remoteip_modify_request: while the address at hand (first the connection's peer) is a
listed proxy, the rightmost entry of the header is taken off and becomes the address
at hand; an external (trusted) proxy may not present a private or otherwise
non-global address (10/8, 127/8, 169.254/16, 172.16/12, 192.168/16; for IPv6 all but
2000::/3) -- the entry then stays and the walk stops, as it does on an entry that is no
address.  The result is the request's user agent address (``r.useragent_ip``, what
REMOTE_ADDR, ``%a``, ``Require ip`` and the error log's ``[client]`` read, with port
0), the header keeps the entries not taken (or goes), and the external proxies passed
are the note ``remoteip-proxy-ip-list`` and, with ``RemoteIPProxiesHeader``, that
header.  ``%{c}a`` stays the peer.

Stricter than Apache: a header entry is taken only as a numeric address (IPv4 in any
form inet_aton reads, or IPv6); Apache would look a host name up in DNS for every
request that sends one, which lets any client make the server resolve names it picks.
The PROXY protocol (``RemoteIPProxyProtocol On`` for a server's addresses,
``RemoteIPProxyProtocolExceptions`` for clients that speak without it): the pre_connection
hook reads a v1 (text) or v2 (binary) header before the first request, the address in
it becomes every request's user agent address (with its port) and RemoteIPHeader is not
read; a connection without a valid header is closed unanswered; a v1 UNKNOWN or a v2
LOCAL header keeps the peer's address.
"""
from __future__ import annotations

import socket
from typing import Optional

from httpd.config.grammar import getword_conf
from httpd.http.request import log_rerror
from httpd.module import RSRC_CONF, Args, Module, directive
from httpd.module.hooks import FIRST, OK
from httpd.util.ipsubnet import (InvalidSubnet, ipsubnet_create, looks_like_ip,
                                 sockaddr_equal)

from .config import (HTTP_BAD_REQUEST, MAX_STRING_LEN, MODULE_NAME, RemoteIPConfig, compat,
                     create_server_config, merge_server_config, server_addresses)
from .proxy_protocol import CONN_KEY, ip_string, pre_connection


def _conf(cmd) -> RemoteIPConfig:
    return cmd.server.module_config[MODULE_NAME]


@directive("RemoteIPHeader", Args.TAKE1, RSRC_CONF,
           "Specifies a request header to trust as the client IP, e.g. X-Forwarded-For")
def header_name_set(cmd, mconfig, arg):
    _conf(cmd).header_name = arg
    return None


@directive("RemoteIPProxiesHeader", Args.TAKE1, RSRC_CONF,
           "Specifies a request header to record proxy IP's, e.g. X-Forwarded-By; if not "
           "given then do not record")
def proxies_header_name_set(cmd, mconfig, arg):
    _conf(cmd).proxies_header_name = arg
    return None


def _proxies_set(cmd, arg: str, internal: bool) -> Optional[str]:
    conf = _conf(cmd)
    ip, slash, mask = arg.partition("/")
    if conf.proxymatch is None:
        conf.proxymatch = []
    name = cmd.cmd.name
    if not ip or looks_like_ip(ip):      # mod_remoteip's test takes "" for an address
        try:
            conf.proxymatch.append((ipsubnet_create(ip, mask if slash else None), internal))
        except InvalidSubnet as e:
            return f"RemoteIP: Error parsing IP {arg} ({e.reason or 'Invalid argument'} " \
                   f"error) for {name}"
        return None
    if slash:
        return f"RemoteIP: Error parsing IP {arg} the subnet /{mask} is invalid for {name}"
    try:             # a host name: each of its addresses (apr_sockaddr_info_get)
        infos = socket.getaddrinfo(ip, None, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        reason = e.strerror if isinstance(e, socket.gaierror) else "Invalid argument"
        return f"RemoteIP: Error parsing IP {arg} ({reason} error) for {name}"
    seen = []
    for info in infos:
        address = info[4][0]
        if address not in seen:
            seen.append(address)
            conf.proxymatch.append((ipsubnet_create(address.split("%")[0], None), internal))
    return None


@directive("RemoteIPTrustedProxy", Args.ITERATE, RSRC_CONF,
           "Specifies one or more proxies which are trusted to present IP headers")
def trusted_proxy(cmd, mconfig, arg):
    return _proxies_set(cmd, arg, False)


@directive("RemoteIPInternalProxy", Args.ITERATE, RSRC_CONF,
           "Specifies one or more internal (transparent) proxies which are trusted to "
           "present IP headers")
def internal_proxy(cmd, mconfig, arg):
    return _proxies_set(cmd, arg, True)


def _proxylist_read(cmd, filename: str, internal: bool) -> Optional[str]:
    """proxylist_read: each word of each line (up to a '#') as one proxy."""
    path = cmd.server_root_relative(filename)
    try:
        with open(path, encoding="latin-1") as f:
            lines = f.read().split("\n")
    except OSError as e:
        return f"{cmd.cmd.name}: Could not open file {path}: {e.strerror}"
    for number, line in enumerate(lines, 1):
        pos = 0
        while True:
            word, pos = getword_conf(line[:MAX_STRING_LEN - 1], pos)
            if not word or word.startswith("#"):
                break
            err = _proxies_set(cmd, word, internal)
            if err:
                return f"{err} at line {number} of {path}"
    return None


@directive("RemoteIPTrustedProxyList", Args.TAKE1, RSRC_CONF,
           "The filename to read the list of trusted proxies, see the RemoteIPTrustedProxy "
           "directive")
def trusted_proxy_list(cmd, mconfig, arg):
    return _proxylist_read(cmd, arg, False)


@directive("RemoteIPInternalProxyList", Args.TAKE1, RSRC_CONF,
           "The filename to read the list of internal proxies, see the "
           "RemoteIPInternalProxy directive")
def internal_proxy_list(cmd, mconfig, arg):
    return _proxylist_read(cmd, arg, True)


def _main_conf(cmd) -> RemoteIPConfig:
    return cmd.process.main_server.module_config[MODULE_NAME]


@directive("RemoteIPProxyProtocol", Args.FLAG, RSRC_CONF,
           "Enable PROXY protocol handling ('on', 'off')")
def proxy_protocol(cmd, mconfig, flag):
    """remoteip_enable_proxy_protocol: this server's addresses join one list and leave
    the other."""
    conf = _main_conf(cmd)
    add, rem = ((conf.proxy_protocol_enabled, conf.proxy_protocol_disabled) if flag
                else (conf.proxy_protocol_disabled, conf.proxy_protocol_enabled))
    for addr in server_addresses(cmd.server):
        for i, old in enumerate(rem):
            if sockaddr_equal(old[0], addr[0]) and old[1] == addr[1]:
                del rem[i]
                break
        if not any(compat(old, addr) for old in add):
            add.insert(0, addr)
    return None


@directive("RemoteIPProxyProtocolExceptions", Args.TAKE_ARGV, RSRC_CONF,
           "Disable PROXY protocol handling for this list of networks in CIDR format")
def proxy_protocol_exceptions(cmd, mconfig, argv):
    if not argv:
        return f"{cmd.cmd.name} requires an argument"
    conf = _main_conf(cmd)
    for arg in argv:
        addr, slash, mask = arg.partition("/")
        try:
            conf.disabled_subnets.append(ipsubnet_create(addr, mask if slash else None))
        except InvalidSubnet as e:
            if e.reason is None:
                return f"ip address '{addr}' appears to be invalid"
            return f"ip address '{addr}' appears to be invalid: {e.reason}"
    return None


def post_config(process, server) -> int:
    """remoteip_hook_post_config: where the PROXY protocol is on and off."""
    from httpd.log import errorlog
    conf: RemoteIPConfig = process.main_server.module_config[MODULE_NAME]
    for ip, port in conf.proxy_protocol_enabled:
        errorlog.error_log(server, "remoteip", "notice", f"AH03492: RemoteIPProxyProtocol: "
                           f"enabled on {ip}:{port}")
    for ip, port in conf.proxy_protocol_disabled:
        errorlog.error_log(server, "remoteip", "notice", f"AH03494: RemoteIPProxyProtocol: "
                           f"disabled on {ip}:{port}")
    return OK


# -- request time ---------------------------------------------------------------------

def _address(text: str) -> Optional[tuple]:
    """The entry as apr_sockaddr_info_get reads a numeric host (inet_aton's IPv4 forms
    included): (family, packed bytes), or None.  No name is looked up (see above)."""
    try:
        return socket.AF_INET, socket.inet_aton(text)
    except (OSError, ValueError):
        pass
    try:
        packed = socket.inet_pton(socket.AF_INET6, text)
    except (OSError, ValueError):
        return None
    if packed[:12] == b"\0" * 10 + b"\xff\xff":    # APR_IPV4_ADDR_OK asks for IPv4 first,
        return socket.AF_INET, packed[12:]        # which the resolver gives a mapped one
    return socket.AF_INET6, packed


def _not_global(family: int, packed: bytes) -> bool:
    """RFC 3330 local/private IPv4, or IPv6 outside 2000::/3 (mod_remoteip's test)."""
    if family == socket.AF_INET:
        a, b = packed[0], packed[1]
        return (a == 10 or a == 127 or (a == 169 and b == 254) or (a == 172 and b & 0xF0 == 16)
                or (a == 192 and b == 168))
    return packed[0] & 0xE0 != 0x20


def modify_request(r) -> int:
    """remoteip_modify_request (post_read_request, FIRST)."""
    conf: RemoteIPConfig = r.server.module_config[MODULE_NAME]
    proxied = r.conn.notes.get(CONN_KEY)
    if proxied is not None:              # the PROXY header's address takes precedence
        if proxied[0] is None:
            log_rerror(r, "remoteip", "warn", "AH03496: RemoteIPProxyProtocol data is "
                       "missing, but required! Aborting request.")
            return HTTP_BAD_REQUEST
        r.useragent = proxied[0]
        log_rerror(r, "remoteip", "trace1", f"Using {proxied[0][0]} as client's IP from "
                   "PROXY protocol")
        return OK
    if conf.header_name is None:
        return OK
    header = conf.header_name
    value = r.headers_in.get(header)
    if value is None:
        return OK
    proxymatch = conf.proxymatch
    internal = proxymatch is not None       # a list given: peers start as internal
    current = r.useragent_ip
    entries = value.split(",")
    taken = 0
    proxy_ips: Optional[str] = None
    found = None
    stopped = None        # the index of the entry the walk stopped at, having read it
    while taken < len(entries):
        if proxymatch is not None:
            for subnet, is_internal in proxymatch:
                if subnet.matches(current):
                    if internal:      # an internal proxy may present an external one
                        internal = is_internal
                    break
            else:
                break
        i = len(entries) - 1 - taken
        entry = entries[i].strip(" ")
        if not entry:
            stopped = i
            break
        addr = _address(entry)
        if addr is None:
            log_rerror(r, "remoteip", "debug", f"AH01568: RemoteIP: Header {header} value "
                       f"of {entry} cannot be parsed as a client IP")
            stopped = i
            break
        if not internal and _not_global(*addr):
            log_rerror(r, "remoteip", "debug", f"AH01569: RemoteIP: Header {header} value "
                       f"of {entry} appears to be a private IP or nonsensical.  Ignored")
            stopped = i
            break
        if not internal:
            proxy_ips = current if proxy_ips is None else f"{proxy_ips}, {current}"
        current = found = ip_string(*addr)
        taken += 1
    if found is None:
        return OK
    left = entries[:len(entries) - taken]
    if stopped is not None:
        # the C walk cut the entry it stopped at in place: its trailing blanks went,
        # and for the leftmost entry its leading ones too (the pointer had moved)
        left[-1] = left[-1].strip(" ") if stopped == 0 else left[-1].rstrip(" ")
    if left:
        r.headers_in.set(header, ",".join(left))
    else:
        r.headers_in.unset(header)
    if proxy_ips is not None:
        r.notes["remoteip-proxy-ip-list"] = proxy_ips
        if conf.proxies_header_name:
            r.headers_in.set(conf.proxies_header_name, proxy_ips)
    r.useragent = (found, 0)     # "port is not known so set it to zero"
    if proxy_ips is not None:
        log_rerror(r, "remoteip", "trace1", f"Using {found} as client's IP by proxies "
                   f"{proxy_ips}")
    else:
        log_rerror(r, "remoteip", "trace1", f"Using {found} as client's IP by internal "
                   "proxies")
    return OK


MODULE = Module(
    MODULE_NAME, "mod_remoteip.c",
    (header_name_set, proxies_header_name_set, trusted_proxy, internal_proxy,
     trusted_proxy_list, internal_proxy_list, proxy_protocol, proxy_protocol_exceptions),
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    hooks={"post_read_request": (modify_request, FIRST), "post_config": post_config,
           "pre_connection": pre_connection},
    doc="Translate client IPs from proxy headers",
)
