"""The request line, as ap_parse_request_line and ap_parse_uri read it (server/protocol.c).

``parse_request_line`` is the full port, deferred errors and all, for the slow path;
``semantics`` and ``semantic_errors`` are its second half (method number, the target's
form, RegisteredMethods, fragments and userinfo), shared with the fast path.
"""
from __future__ import annotations

from typing import Optional, Union

from httpd.protocol._events import (M_CONNECT, M_GET, M_INVALID, M_OPTIONS, METHODS, Limits,
                                    ProtocolError)
from httpd.protocol._uri import DIGITS, SPACE, URI, field_name_len, parse_uri, scan_token, scan_vchar


class RequestLine:
    """What ap_parse_request_line leaves in request_rec."""

    __slots__ = ("the_request", "method", "target", "protocol", "proto_num", "method_number",
                 "header_only", "uri", "path", "hostname", "http09")

    def __init__(self, the_request, method, target, protocol, proto_num, method_number,
                 header_only, uri, path, hostname, http09):
        self.the_request: str = the_request
        self.method: str = method
        self.target: str = target
        self.protocol: str = protocol
        self.proto_num: int = proto_num
        self.method_number: int = method_number
        self.header_only: bool = header_only
        self.uri: Optional[URI] = uri
        self.path: str = path
        self.hostname: Optional[str] = hostname
        self.http09: bool = http09


def error(status: int, lines, request_line: str = "") -> ProtocolError:
    lines = tuple(lines)
    return ProtocolError(status, lines[0] if lines else "", lines, request_line)


def _char(s: str, i: int) -> str:
    return s[i] if 0 <= i < len(s) else ""


def _strpbrk_space(s: str, i: int) -> Optional[int]:
    for j in range(i, len(s)):
        if s[j] in SPACE:
            return j
    return None


def parse_request_line(line: str, limits: Limits) -> Union[RequestLine, ProtocolError]:
    """ap_parse_request_line, deferred errors and all (the slow path)."""
    strict = limits.strict
    deferred = None
    n = len(line)
    i = 0
    if i < n and line[i] in SPACE:
        deferred = "badwhitespace"
        while i < n and line[i] in SPACE:
            i += 1
    m0 = i
    ll: Optional[int] = scan_token(line, i) if strict else scan_vchar(line, i)
    if (ll == m0 or (ll < n and line[ll] not in SPACE)) and deferred is None:
        deferred = "badmethod"
        ll = _strpbrk_space(line, ll)
    rest_at = None                      # where the trailing-text check looked
    if ll is None:
        method, target, protocol = line[m0:], "", ""
        if deferred is None:
            deferred = "missinguri"
    else:
        if strict and ll < n and _char(line, ll + 1) in SPACE and deferred is None:
            deferred = "excesswhitespace"
        method = line[m0:ll]
        u = ll
        while u < n and line[u] in SPACE:
            if line[u] != " " and deferred is None:
                deferred = "badwhitespace"
            u += 1
        if u >= n and deferred is None:
            deferred = "missinguri"
        ll = scan_vchar(line, u)
        if ll == u or (ll < n and line[ll] not in SPACE):
            deferred = "baduri"
            ll = _strpbrk_space(line, ll)
        if ll is None:
            target, protocol = line[u:], ""
        else:
            if strict and ll < n and _char(line, ll + 1) in SPACE and deferred is None:
                deferred = "excesswhitespace"
            target = line[u:ll]
            p = ll
            while p < n and line[p] in SPACE:
                if line[p] != " " and deferred is None:
                    deferred = "badwhitespace"
                p += 1
            ll = scan_vchar(line, p)
            protocol = line[p:ll]
            if ll < n and line[ll] not in SPACE:
                deferred = "badprotocol"
            elif strict and ll < n:
                deferred = "excesswhitespace"
            else:
                while ll < n and line[ll] in SPACE:
                    if line[ll] != " " and deferred is None:
                        deferred = "badwhitespace"
                    ll += 1
                if ll < n and deferred is None:
                    deferred = "trailingtext"
                    rest_at = ll
    # the_request is rebuilt with single spaces (apr_pstrcat stops at the first NULL)
    the_request = method
    if target:
        the_request += " " + target
        if protocol:
            the_request += " " + protocol
    http09 = False
    if (len(protocol) == 8 and protocol[4] == "/" and protocol[5] in DIGITS
            and protocol[6] == "." and protocol[7] in DIGITS and protocol[5] != "0"):
        proto_num = 1000 * int(protocol[5]) + int(protocol[7])
        if protocol[:4] != "HTTP":
            if protocol[:4].upper() != "HTTP":
                proto_num = 9
                if deferred is None:
                    deferred = "badprotocol"
            elif strict and deferred is None:
                deferred = "badprotocol"
            else:
                protocol = "HTTP" + protocol[4:]
    elif protocol:
        proto_num = 9
        if deferred is None:
            deferred = "badprotocol"
    else:
        http09, protocol, proto_num = True, "HTTP/0.9", 9

    rl, bad_uri = semantics(the_request, method, target, protocol, proto_num, limits)
    rl.http09 = http09
    if proto_num == 9 and deferred is None:
        if not limits.http09:
            deferred = "reject09"
        elif strict and (rl.method_number != M_GET or rl.header_only):
            deferred = "badmethod09"
    if deferred is not None:
        rest = line[rest_at:] if rest_at is not None else ""
        return error(400, (_deferred_message(deferred, method, target, protocol, rest),),
                     the_request)
    return semantic_errors(rl, bad_uri, limits)


def _deferred_message(kind: str, method: str, target: str, protocol: str, rest: str) -> str:
    """The debug line ap_parse_request_line logs for a deferred error."""
    if kind == "badmethod":
        return f"AH03445: HTTP Request Line; Invalid method token: '{field_name_len(method)}'"
    if kind == "badmethod09":
        return (f"AH03444: HTTP Request Line; Invalid method token: '{field_name_len(method)}' "
                f"(only GET is allowed for HTTP/0.9 requests)")
    if kind == "missinguri":
        return "AH03446: HTTP Request Line; Missing URI"
    if kind == "baduri":
        return f"AH03454: HTTP Request Line; URI incorrectly encoded: '{field_name_len(target)}'"
    if kind == "badwhitespace":
        return "AH03447: HTTP Request Line; Invalid whitespace"
    if kind == "excesswhitespace":
        return ("AH03448: HTTP Request Line; Excess whitespace "
                "(disallowed by HttpProtocolOptions Strict)")
    if kind == "trailingtext":
        return (f"AH03449: HTTP Request Line; Extraneous text found '{field_name_len(rest)}' "
                f"(perhaps whitespace was injected?)")
    if kind == "reject09":
        return "AH02401: HTTP Request Line; Rejected HTTP/0.9 request"
    return (f"AH02418: HTTP Request Line; Unrecognized protocol '{field_name_len(protocol)}' "
            f"(perhaps whitespace was injected?)")


def semantics(the_request: str, method: str, target: str, protocol: str, proto_num: int,
               limits: Limits) -> tuple:
    """ap_parse_request_line's method number and ap_parse_uri: (RequestLine, whether the
    target is unparsable or not in a form allowed for the method)."""
    number = METHODS.get(method)
    if number is None:
        number = limits.method_number(method)
    header_only = number == M_GET and method[:1] == "H"
    uri, path = parse_uri(target, number)
    bad_uri = uri is None or (uri.path is not None and uri.path[:1] != "/"
                              and not (number == M_OPTIONS and uri.path == "*"))
    hostname = None
    if uri is not None and ((uri.scheme is not None and uri.scheme.lower() == "http")
                            or number == M_CONNECT):
        hostname = uri.hostname
    return RequestLine(the_request, method, target, protocol, proto_num, number, header_only,
                       uri, path, hostname, False), bad_uri


def semantic_errors(rl: RequestLine, bad_uri: bool, limits: Limits):
    """Errors found after the syntax: RegisteredMethods (501), the target's form, and in
    Strict mode fragments and userinfo."""
    if limits.registered_methods and rl.method_number == M_INVALID:
        return error(501, (f"AH02423: HTTP Request Line; Unrecognized HTTP method: "
                            f"'{field_name_len(rl.method)}'",), rl.the_request)
    if bad_uri:
        return error(400, (f"AH03450: HTTP Request Line; Unable to parse URI: "
                            f"'{field_name_len(rl.path)}'",), rl.the_request)
    if limits.strict:
        if rl.uri.fragment is not None:
            return error(400, ("AH02421: HTTP Request Line; URI must not contain a fragment",),
                          rl.the_request)
        if rl.uri.user is not None or rl.uri.password is not None:
            return error(400, ("AH02422: HTTP Request Line; URI must not contain a "
                                "username/password",), rl.the_request)
    return rl
