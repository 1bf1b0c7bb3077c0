"""mod_remoteip's PROXY protocol (remoteip_hook_pre_connection and
remoteip_input_filter): the v1 and v2 headers read before the first request of a
connection on an address where RemoteIPProxyProtocol is on."""
from __future__ import annotations

import socket
from typing import Optional

from httpd.module.hooks import DECLINED, OK

from .config import HTTP_BAD_REQUEST, MODULE_NAME, RemoteIPConfig, compat

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
    if not any(compat(a, local) for a in conf.proxy_protocol_enabled) \
            or any(compat(a, local) for a in conf.proxy_protocol_disabled):
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
        return (ip_string(socket.AF_INET6, hdr[16:32]), int.from_bytes(hdr[48:50], "big"))
    if fam in (0x11, 0x21):
        which = "TCPv4" if fam == 0x11 else "TCPv6"
        errorlog.log_cerror(info, "remoteip", "error", f"AH{'10597' if fam == 0x11 else '10598'}"
                            f": RemoteIPProxyProtocol: address length {len(hdr) - 16} too "
                            f"short for {which}")
        return False
    errorlog.log_cerror(info, "remoteip", "error", "AH10183: RemoteIPProxyProtocol: "
                        f"unsupported protocol {fam:02x}")
    return False


def ip_string(family: int, packed: bytes) -> str:
    """apr_sockaddr_ip_get."""
    if family == socket.AF_INET:
        return socket.inet_ntoa(packed)
    return socket.inet_ntop(socket.AF_INET6, packed)
