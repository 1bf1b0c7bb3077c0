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

import attrs

from httpd.config.grammar import getword_conf
from httpd.http.request import log_rerror
from httpd.module import RSRC_CONF, Args, Module, directive
from httpd.module.hooks import DECLINED, FIRST, OK
from httpd.util.ipsubnet import InvalidSubnet, ipsubnet_create

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


def _looks_like_ip(text: str) -> bool:
    """looks_like_ip: a ':' (IPv6 meant), or only digits and dots."""
    return ":" in text or all(c == "." or "0" <= c <= "9" for c in text)


def _proxies_set(cmd, arg: str, internal: bool) -> Optional[str]:
    conf = _conf(cmd)
    ip, slash, mask = arg.partition("/")
    if conf.proxymatch is None:
        conf.proxymatch = []
    name = cmd.cmd.name
    if _looks_like_ip(ip):
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


def _server_addresses(server) -> list:
    """The server's addresses as (ip, port): a virtual host's, the main server's the
    wildcard on any port (its server_addr_rec)."""
    if not server.addrs:
        return [("0.0.0.0", 0)]
    return [(a.host_addr, a.host_port) for a in server.addrs]


def _wildcard(ip: str) -> bool:
    return ip in ("0.0.0.0", "::", "::ffff:0.0.0.0")


def _compat(a: tuple, b: tuple) -> bool:
    """remoteip_sockaddr_compat: the same address on the same port (or either port 0),
    or a wildcard address on any port (its port 0) or on the other's port."""
    if _same_ip(a[0], b[0]) and (a[1] == b[1] or a[1] == 0 or b[1] == 0):
        return True
    if _wildcard(a[0]) and (a[1] == 0 or a[1] == b[1]):
        return True
    return _wildcard(b[0]) and (b[1] == 0 or b[1] == a[1])


def _same_ip(a: str, b: str) -> bool:
    """apr_sockaddr_equal: an IPv4-mapped IPv6 address equals its IPv4 one."""
    def norm(ip: str) -> str:
        return ip[7:] if ip.startswith("::ffff:") and "." in ip else ip
    return norm(a) == norm(b)


@directive("RemoteIPProxyProtocol", Args.FLAG, RSRC_CONF,
           "Enable PROXY protocol handling ('on', 'off')")
def proxy_protocol(cmd, mconfig, flag):
    """remoteip_enable_proxy_protocol: this server's addresses join one list and leave
    the other."""
    conf = _main_conf(cmd)
    add, rem = ((conf.proxy_protocol_enabled, conf.proxy_protocol_disabled) if flag
                else (conf.proxy_protocol_disabled, conf.proxy_protocol_enabled))
    for addr in _server_addresses(cmd.server):
        for i, old in enumerate(rem):
            if _same_ip(old[0], addr[0]) and old[1] == addr[1]:
                del rem[i]
                break
        if not any(_compat(old, addr) for old in add):
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


# -- the PROXY header (remoteip_input_filter) ----------------------------------------

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
MIN_HDR_LEN = 15          # MIN_V1_HDR_LEN
MIN_V2_HDR_LEN = 16
V1_MAX = 108              # sizeof(proxy_v1)
V2_MAX = MIN_V2_HDR_LEN + 216    # sizeof(proxy_v2)
_V1_ADDR_CHARS = {"TCP4": frozenset("0123456789."),
                  "TCP6": frozenset("0123456789abcdefABCDEF:")}
CONN_KEY = MODULE_NAME          # conn.info.notes: [(ip, port) or None] once enabled


def pre_connection(conn) -> int:
    """remoteip_hook_pre_connection and the input filter at once: on a connection to an
    address where the PROXY protocol is on (and from a client not excepted), the header
    is read and parsed before HTTP; what follows it goes back to the HTTP parser.  A
    missing or bad header ends the connection unanswered, as Apache's filter does."""
    from httpd.log import errorlog
    info = conn.info
    conf: RemoteIPConfig = conn.serving.process.main_server.module_config[MODULE_NAME]
    local = (info.local_ip, info.local_port)
    if not any(_compat(a, local) for a in conf.proxy_protocol_enabled) \
            or any(_compat(a, local) for a in conf.proxy_protocol_disabled):
        return DECLINED
    if any(subnet.matches(info.client_ip) for subnet in conf.disabled_subnets):
        return DECLINED
    errorlog.log_cerror(info, "remoteip", "debug", f"AH03503: RemoteIPProxyProtocol: "
                        f"enabled on connection to {info.local_ip}:{info.local_port}")
    found = info.notes[CONN_KEY] = [None]
    buf = b""
    while True:
        parsed = _parse_header(info, buf)
        if parsed is None:                   # more bytes needed
            data = conn.ch.recv(conn.timeout)
            if not data:
                errorlog.log_cerror(info, "remoteip", "error", "AH10634: "
                                    "RemoteIPProxyProtocol: connection closed before a "
                                    "complete header was received")
                return HTTP_BAD_REQUEST
            buf += data
            continue
        if parsed is False:
            return HTTP_BAD_REQUEST
        result, used = parsed
        found[0] = result
        if result is not None:
            errorlog.log_cerror(info, "remoteip", "debug", "AH03511: RemoteIPProxyProtocol: "
                                f"received valid PROXY header: {result[0]}:{result[1]}")
        if len(buf) > used:
            conn.hconn.receive_data(buf[used:])
        return OK


def _parse_header(info, buf: bytes):
    """The PROXY header at the start of ``buf``: (address or None, its length), False
    when it is bad, None when more bytes are needed."""
    from httpd.log import errorlog
    if len(buf) < MIN_HDR_LEN:
        return None
    if buf[:12] == V2_SIG and buf[12] & 0xF0 == 0x20:
        if len(buf) < MIN_V2_HDR_LEN:
            return None
        need = MIN_V2_HDR_LEN + int.from_bytes(buf[14:16], "big")
        if need > V2_MAX:
            errorlog.log_cerror(info, "remoteip", "error", "AH10186: "
                                "RemoteIPProxyProtocol protocol header length too long")
            return False
        if len(buf) < need:
            return None
        result = _v2(info, buf[:need])
        return False if result is False else (result, need)
    if buf[:6] != b"PROXY ":
        return False
    # remoteip_process_v1_header looks for the first CR, which must be followed by LF;
    # the filter reads line by line (to each LF) up to 108 bytes in all
    window = buf[:V1_MAX]
    cr = window.find(b"\r")
    if cr < 0 or cr + 1 >= len(window) or window[cr + 1] != 0x0A:
        if len(buf) >= V1_MAX:
            # Apache's numbers: the line read after the first 15 bytes, and the room left
            errorlog.log_cerror(info, "remoteip", "error", "AH10185: RemoteIPProxyProtocol "
                                f"header too long, got {_line_end(buf) - MIN_HDR_LEN} "
                                f"expected {V1_MAX - MIN_HDR_LEN}")
            return False
        return None
    end = cr + 1                         # the LF
    if end + 1 <= MIN_HDR_LEN:
        # Apache reads the first 15 bytes before it looks for the line's end, so a
        # line this short is found only after the next one was read too: "data left
        # over", and the connection is dropped (AH03513)
        errorlog.log_cerror(info, "remoteip", "error", "AH03513: RemoteIPProxyProtocol: "
                            "internal error: have data left over;  need="
                            f"{end + 1}, rcvd={_line_end(buf)}, brigade-empty=1")
        return False
    result = _v1(info, buf[:end - 1].decode("latin-1"))
    return False if result is False else (result, end + 1)


def _line_end(buf: bytes) -> int:
    """How much Apache's filter had read: the first 15 bytes, then to the next LF."""
    lf = buf.find(b"\n", MIN_HDR_LEN)
    return lf + 1 if lf >= 0 else len(buf)


def _v1(info, line: str):
    """remoteip_process_v1_header: (ip, port), the peer's for UNKNOWN, or False."""
    from httpd.log import errorlog

    def bad(msg: str):
        errorlog.log_cerror(info, "remoteip", "error", msg)
        return False
    words = [w for w in line.split(" ") if w][1:]       # apr_strtok: runs of ' ' split
    fields = ("family", "client-address", "destination-address", "client-port")
    for i, name in enumerate(fields):
        if len(words) <= i:
            return bad(f"AH03497: RemoteIPProxyProtocol: no {name} found in header '{line}'")
        if i == 0:
            family = words[0]
            if family == "UNKNOWN":
                return (info.client_ip, info.client_port)
            if family not in _V1_ADDR_CHARS:
                return bad(f"AH03499: RemoteIPProxyProtocol: unknown family '{family}' in "
                           f"header '{line}'")
        elif i == 1:
            host = words[1]
            if not set(host) <= _V1_ADDR_CHARS[family]:
                return bad(f"AH03500: RemoteIPProxyProtocol: invalid client-address "
                           f"'{host}' found in header '{line}'")
    port = _sscanf_hu(words[3])
    if port is None:
        return bad(f"AH03501: RemoteIPProxyProtocol: error parsing port '{words[3]}' in "
                   f"header '{line}'")
    af = socket.AF_INET if family == "TCP4" else socket.AF_INET6
    try:
        socket.inet_pton(af, host)
    except (OSError, ValueError):
        return bad(f"AH03502: RemoteIPProxyProtocol: error converting family '{int(af)}', "
                   f"host '{host}', and port '{port}' to sockaddr; header was '{line}'")
    return (host, port)         # the address as the header wrote it (apr_pstrdup)


def _sscanf_hu(word: str) -> Optional[int]:
    """sscanf("%hu"): optional blanks and sign, then digits; the value modulo 2^16."""
    i, n = 0, len(word)
    while i < n and word[i] in " \t\n\v\f\r":
        i += 1
    sign = 1
    if i < n and word[i] in "+-":
        sign = -1 if word[i] == "-" else 1
        i += 1
    j = i
    while j < n and "0" <= word[j] <= "9":
        j += 1
    if j == i:
        return None
    return (sign * int(word[i:j])) & 0xFFFF


def _v2(info, hdr: bytes):
    """remoteip_process_v2_header: (ip, port), or False."""
    from httpd.log import errorlog
    command, fam = hdr[12] & 0xF, hdr[13]
    if command == 0x00:         # LOCAL: the connection's own address is kept
        return (info.client_ip, info.client_port)
    if command != 0x01:
        errorlog.log_cerror(info, "remoteip", "error", "AH03507: RemoteIPProxyProtocol: "
                            f"unsupported command {hdr[12]:02x}")
        return False
    if fam == 0x11 and len(hdr) >= MIN_V2_HDR_LEN + 12:
        return (socket.inet_ntoa(hdr[16:20]), int.from_bytes(hdr[24:26], "big"))
    if fam == 0x21 and len(hdr) >= MIN_V2_HDR_LEN + 36:
        return (_ip_string(socket.AF_INET6, hdr[16:32]), int.from_bytes(hdr[48:50], "big"))
    if fam in (0x11, 0x21):
        which = "TCPv4" if fam == 0x11 else "TCPv6"
        errorlog.log_cerror(info, "remoteip", "error", f"AH{'10597' if fam == 0x11 else '10598'}"
                            f": RemoteIPProxyProtocol: address length {len(hdr) - 16} too "
                            f"short for {which}")
        return False
    errorlog.log_cerror(info, "remoteip", "error", "AH10183: RemoteIPProxyProtocol: "
                        f"unsupported protocol {fam:02x}")
    return False


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


def _ip_string(family: int, packed: bytes) -> str:
    """apr_sockaddr_ip_get."""
    if family == socket.AF_INET:
        return socket.inet_ntoa(packed)
    return socket.inet_ntop(socket.AF_INET6, packed)


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
        current = found = _ip_string(*addr)
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
