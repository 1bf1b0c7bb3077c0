"""Reading a request head by Apache's rules (server/protocol.c).

Two paths give the same answers.  The fast path takes a complete head in one piece and
checks it with three compiled expressions (the strict grammar: a token method, single
spaces, ``HTTP/d.d``, token field names, values of VCHAR/obs-text/SP/HT); anything they
refuse goes to the slow path, a line-by-line port of read_request_line,
ap_parse_request_line and ap_get_mime_headers_core, which also works incrementally on an
incomplete head (an error is found as soon as its line arrives; memory stays bounded by
the limits) and yields Apache's exact error and log lines.  ``finish_head`` then applies
what ap_read_request and ap_check_request_header check after the fields (Content-Length,
Transfer-Encoding, Host, Expect), plus this server's stricter rules (reliability.md 1.3).
"""
from __future__ import annotations

import re
from typing import Optional, Union

from .protocol_events import (M_CONNECT, M_GET, M_INVALID, M_OPTIONS, ConnectionClosed, Limits,
                              ProtocolError, RequestHead)
from .protocol_uri import (DIGITS, SPACE, URI, construct_host_header, field_name_len,
                           find_token, fix_host_header, fix_hostname, parse_uri, scan_token,
                           scan_vchar)

_TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+"
_FAST_LINE = re.compile(_TOKEN + " ([\x21-\x7e\x80-\xff]+) HTTP/([1-9])\\.([0-9])\r\n")
_FAST_FIELDS = re.compile("(?:" + _TOKEN + ":[\t\x20-\x7e\x80-\xff]*\r\n)*")
_FIELD = re.compile("(" + _TOKEN + "):[ \t]*([^\r]*)\r\n")
_FIELD_CONTENT = re.compile("[\t\x20-\x7e\x80-\xff]*")
_TE_TOKEN = re.compile(_TOKEN)

NEED, OK, TOO_LONG, INVALID = 0, 1, 2, 3
MAX_BLANK_LINES = 10                     # DEFAULT_LIMIT_BLANK_LINES
AH00567 = "AH00567: request failed: error reading the headers"
NOTE_FIELDSIZE = "Size of a request header field exceeds server limit."
NOTE_FIELDS = "The number of request header fields exceeds this server's limit."
NOTE_MERGED = "Size of a request header field after merging exceeds server limit."


def read_line(buf, pos: int, limit: int, strict: bool) -> tuple:
    """ap_rgetline: (OK, line, next) / (NEED, None, pos) / (TOO_LONG, partial, pos) /
    (INVALID, what Apache has in its buffer, pos).  A line may hold ``limit + 1``
    characters besides its CRLF, as measured on Apache 2.4.71."""
    lf = buf.find(b"\n", pos, pos + limit + 3)
    if lf < 0:
        if len(buf) - pos >= limit + 3:
            return TOO_LONG, bytes(buf[pos:pos + limit + 1]).decode("latin-1"), pos
        return NEED, None, pos
    end = lf
    if end > pos and buf[end - 1] == 13:
        end -= 1
    elif strict:
        # AP_GETLINE_CRLF: a bare LF ends nothing; Apache's buffer still holds the LF
        return INVALID, bytes(buf[pos:lf + 1]).decode("latin-1"), pos
    if end - pos > limit + 1:
        return TOO_LONG, bytes(buf[pos:pos + limit + 1]).decode("latin-1"), pos
    line = bytes(buf[pos:end]).decode("latin-1")
    nul = line.find("\0")
    if nul >= 0:                       # PR 43039: no NUL inside a line
        return INVALID, line[:nul], pos
    return OK, line, lf + 1


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


def _error(status: int, lines, request_line: str = "") -> ProtocolError:
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

    rl, bad_uri = _semantics(the_request, method, target, protocol, proto_num, limits)
    rl.http09 = http09
    if proto_num == 9 and deferred is None:
        if not limits.http09:
            deferred = "reject09"
        elif strict and (rl.method_number != M_GET or rl.header_only):
            deferred = "badmethod09"
    if deferred is not None:
        return _error(400, (_DEFERRED[deferred](method, target, protocol, line, rest_at),),
                      the_request)
    return _semantic_errors(rl, bad_uri, limits)


_DEFERRED = {
    "badmethod": lambda m, t, p, l, r:
        f"AH03445: HTTP Request Line; Invalid method token: '{field_name_len(m)}'",
    "badmethod09": lambda m, t, p, l, r:
        f"AH03444: HTTP Request Line; Invalid method token: '{field_name_len(m)}' "
        f"(only GET is allowed for HTTP/0.9 requests)",
    "missinguri": lambda m, t, p, l, r: "AH03446: HTTP Request Line; Missing URI",
    "baduri": lambda m, t, p, l, r:
        f"AH03454: HTTP Request Line; URI incorrectly encoded: '{field_name_len(t)}'",
    "badwhitespace": lambda m, t, p, l, r: "AH03447: HTTP Request Line; Invalid whitespace",
    "excesswhitespace": lambda m, t, p, l, r:
        "AH03448: HTTP Request Line; Excess whitespace "
        "(disallowed by HttpProtocolOptions Strict)",
    "trailingtext": lambda m, t, p, l, r:
        f"AH03449: HTTP Request Line; Extraneous text found '{field_name_len(l[r:])}' "
        f"(perhaps whitespace was injected?)",
    "reject09": lambda m, t, p, l, r: "AH02401: HTTP Request Line; Rejected HTTP/0.9 request",
    "badprotocol": lambda m, t, p, l, r:
        f"AH02418: HTTP Request Line; Unrecognized protocol '{field_name_len(p)}' "
        f"(perhaps whitespace was injected?)",
}


def _semantics(the_request: str, method: str, target: str, protocol: str, proto_num: int,
               limits: Limits) -> tuple:
    """ap_parse_request_line's method number and ap_parse_uri: (RequestLine, whether the
    target is unparsable or not in a form allowed for the method)."""
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


def _semantic_errors(rl: RequestLine, bad_uri: bool, limits: Limits):
    """Errors found after the syntax: RegisteredMethods (501), the target's form, and in
    Strict mode fragments and userinfo."""
    if limits.registered_methods and rl.method_number == M_INVALID:
        return _error(501, (f"AH02423: HTTP Request Line; Unrecognized HTTP method: "
                            f"'{field_name_len(rl.method)}'",), rl.the_request)
    if bad_uri:
        return _error(400, (f"AH03450: HTTP Request Line; Unable to parse URI: "
                            f"'{field_name_len(rl.path)}'",), rl.the_request)
    if limits.strict:
        if rl.uri.fragment is not None:
            return _error(400, ("AH02421: HTTP Request Line; URI must not contain a fragment",),
                          rl.the_request)
        if rl.uri.user is not None or rl.uri.password is not None:
            return _error(400, ("AH02422: HTTP Request Line; URI must not contain a "
                                "username/password",), rl.the_request)
    return rl


# --- header fields ---------------------------------------------------------------------

class FieldReader:
    """ap_get_mime_headers_core, one line at a time, for the head and for trailers.

    ``read`` returns None (more bytes needed), a list of fields, or an error tuple
    (status, log lines, error-notes).  obs-fold is refused (this server is stricter than
    Apache, which joins folded lines: reliability.md 1.3).
    """

    __slots__ = ("limits", "pos", "fields", "last", "count")

    def __init__(self, limits: Limits, pos: int):
        self.limits = limits
        self.pos = pos
        self.fields: list = []
        self.last: Optional[str] = None
        self.count = 0

    def read(self, buf, eof: bool):
        limits = self.limits
        strict = limits.strict
        while True:
            kind, line, nxt = read_line(buf, self.pos, limits.fieldsize, strict)
            if kind == NEED:
                if eof:
                    return 400, ("Failed to read request header line (null)",), None
                return None
            if kind == TOO_LONG:
                name = f": {field_name_len(line)}" if line else ""
                return 400, (f"AH00561: Request header exceeds LimitRequestFieldSize{name}",), \
                    NOTE_FIELDSIZE
            if kind == INVALID:
                return 400, (f"Failed to read request header line {line}",), None
            self.pos = nxt
            n = len(line)
            while n > 1 and line[n - 1] in " \t":
                n -= 1
            if n != len(line):
                line = line[:n]
            if line and line[0] in " \t":
                if self.last is None:
                    return 400, ("AH03442: Line folding encountered before first header line",), \
                        None
                if n == 1:
                    return 400, ("AH03443: Empty folded line encountered",), None
                return 400, (f"Line folding (obs-fold) is not accepted: "
                             f"{field_name_len(self.last)}",), None
            last = self.last
            if last is not None:
                self.count += 1
                if limits.fields and self.count > limits.fields:
                    return 400, ("AH00563: Number of request headers exceeds "
                                 "LimitRequestFields",), NOTE_FIELDS
                err = self._field(last, strict)
                if err is not None:
                    return 400, (err,), None
            if not line:
                return self.fields
            self.last = line

    def _field(self, last: str, strict: bool) -> Optional[str]:
        if strict:
            j = scan_token(last, 0)
            if j == 0 or last[j:j + 1] != ":":
                return f"AH02426: Request header field name is malformed: {last[:80]}"
            v = j + 1
            while last[v:v + 1] in (" ", "\t"):
                v += 1
            value = last[v:]
            if _FIELD_CONTENT.match(value).end() != len(value):
                return f"AH02427: Request header value is malformed: {value[:80]}"
            self.fields.append((last[:j], value))
            return None
        c = last.find(":")
        if c < 0:
            return f"AH00564: Request header field is missing ':' separator: {last[:80]}"
        if c == 0:
            return "AH03453: Request header field name was empty"
        name = last[:c]
        if any(ch in SPACE for ch in name):
            return "AH03452: Request header field name presented invalid whitespace"
        value = last[c + 1:].lstrip(" \t")
        if any(ch in "\n\v\f\r" for ch in value):
            return "AH03451: Request header field value presented bad whitespace"
        self.fields.append((name, value))
        return None


def merged_too_long(fields: list, limit: int) -> Optional[str]:
    """table_do_fn_check_lengths after apr_table_compress: the first merged field whose
    value is over LimitRequestFieldSize, or None."""
    sizes: dict = {}
    order: list = []
    for name, value in fields:
        key = name.lower()
        if key in sizes:
            sizes[key][1] += len(value) + 2
        else:
            sizes[key] = [name, len(value)]
            order.append(key)
    for key in order:
        name, size = sizes[key]
        if size > limit:
            return name
    return None


# --- the whole head ------------------------------------------------------------------

class HeadReader:
    """One request head, read incrementally from the connection's buffer."""

    __slots__ = ("limits", "pos", "blank", "rl", "fields")

    def __init__(self, limits: Limits):
        self.limits = limits
        self.pos = 0
        self.blank = 0
        self.rl: Optional[RequestLine] = None
        self.fields: Optional[FieldReader] = None

    @property
    def line_read(self) -> bool:
        """Has the request line arrived (so a timeout now is a 408, not a silent close)?"""
        return self.rl is not None

    def read(self, buf, eof: bool):
        """(RequestHead | ProtocolError | ConnectionClosed | None, bytes consumed)."""
        if self.rl is None and self.pos == 0 and self.fields is None:
            fast = fast_head(buf, self.limits)
            if fast is not None:
                return fast
        limits = self.limits
        if self.rl is None:
            while True:
                kind, line, nxt = read_line(buf, self.pos, limits.line, limits.strict)
                if kind == NEED:
                    return (ConnectionClosed() if eof else None), 0
                if kind == TOO_LONG:
                    return _error(414, (f"AH00565: request failed: client's request-line "
                                        f"exceeds LimitRequestLine (longer than "
                                        f"{limits.line})",)), 0
                if kind == INVALID:
                    return _error(400, ("AH00566: request failed: malformed request line",)), 0
                self.pos = nxt
                if not line and self.blank < MAX_BLANK_LINES:
                    self.blank += 1
                    continue
                break
            rl = parse_request_line(line, limits)
            if isinstance(rl, ProtocolError):
                return rl, 0
            self.rl = rl
            if rl.http09:
                return head_09(rl), self.pos
            self.fields = FieldReader(limits, self.pos)
        res = self.fields.read(buf, eof)
        if res is None:
            return None, 0
        if isinstance(res, tuple):
            return _error(res[0], res[1] + (AH00567,), self.rl.the_request), 0
        if len(buf) > limits.fieldsize:       # cheap bound: merging cannot exceed it
            name = merged_too_long(res, limits.fieldsize)
            if name is not None:
                return _error(400, (f"AH00560: Request header exceeds LimitRequestFieldSize "
                                    f"after merging: {field_name_len(name)}", AH00567),
                              self.rl.the_request), 0
        return finish_head(self.rl, res, limits), self.fields.pos


def fast_head(buf, limits: Limits):
    """The common case: the whole head is there and plainly valid.  None: use the slow
    path (which also finds every error)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0 or buf[0] == 13:
        return None
    head = bytes(buf[:end + 2]).decode("latin-1")
    m = _FAST_LINE.match(head)
    if m is None or m.end() - 2 > limits.line + 1:
        return None
    start = m.end()
    size = len(head) - start
    if size > limits.fieldsize + 1:
        if max(map(len, head[start:].split("\r\n"))) > limits.fieldsize + 1:
            return None
    if _FAST_FIELDS.fullmatch(head, start) is None or " \r\n" in head or "\t\r\n" in head:
        return None
    fields = _FIELD.findall(head, start)
    if limits.fields and len(fields) > limits.fields:
        return None
    if size > limits.fieldsize and merged_too_long(fields, limits.fieldsize) is not None:
        return None
    line = head[:start - 2]
    target = m.group(1)
    method = line[:line.index(" ")]
    proto_num = 1000 * int(m.group(2)) + int(m.group(3))
    rl, bad_uri = _semantics(line, method, target, line[-8:], proto_num, limits)
    rl = _semantic_errors(rl, bad_uri, limits)
    if isinstance(rl, ProtocolError):
        return rl, 0
    return finish_head(rl, fields, limits), end + 4


def head_09(rl: RequestLine) -> RequestHead:
    uri = rl.uri
    return RequestHead(rl.method, rl.target, (0, 9), [], rl.the_request, False, "none", None,
                       False, "HTTP/0.9", 9, rl.method_number, rl.header_only, rl.path,
                       uri.query if uri else None, uri.scheme if uri else None, None, None,
                       True)


def _te_error(te: str, path: str, the_request: str) -> Optional[ProtocolError]:
    """Transfer-Encoding: Apache's rule (the final coding is chunked, AH02539), then ours:
    exactly one ``chunked`` and nothing else (501 for codings we do not implement)."""
    lower = te.lower()
    if lower == "chunked":
        return None
    codings = [c.strip(" \t") for c in lower.split(",")]
    if codings[-1] != "chunked":
        return _error(400, (f"AH02539: client sent unknown Transfer-Encoding ({te}): {path}",),
                      the_request)
    codings = [c for c in codings if c]
    if len(codings) == 1:
        return None
    if any(_TE_TOKEN.fullmatch(c) is None for c in codings) or codings.count("chunked") > 1:
        return _error(400, (f"client sent invalid Transfer-Encoding ({te}): {path}",),
                      the_request)
    return _error(501, (f"client sent unsupported Transfer-Encoding ({te}): {path}",),
                  the_request)


def finish_head(rl: RequestLine, fields: list, limits: Limits) -> Union[RequestHead, ProtocolError]:
    """ap_read_request after the fields: Content-Length, Transfer-Encoding, then
    ap_check_request_header (Host, Expect), then the target's scheme."""
    cl = te = host = expect = conn = None
    for name, value in fields:
        key = name.lower()
        if key == "host":
            host = value if host is None else f"{host}, {value}"
        elif key == "connection":
            conn = value if conn is None else f"{conn}, {value}"
        elif key == "content-length":
            cl = value if cl is None else f"{cl}, {value}"
        elif key == "transfer-encoding":
            te = value if te is None else f"{te}, {value}"
        elif key == "expect":
            expect = value if expect is None else f"{expect}, {value}"
    path = rl.path
    the_request = rl.the_request
    content_length = None
    body = "none"
    must_close = False
    if cl is not None:
        if not (cl.isdigit() and cl.isascii()) or int(cl) >= 1 << 63:
            return _error(400, (f"AH10242: client sent invalid Content-Length ({cl}): {path}",),
                          the_request)
        content_length = int(cl)
        body = "length"
    if te is not None:
        err = _te_error(te, path, the_request)
        if err is not None:
            return err
        body = "chunked"
        if cl is not None:
            # RFC 7230 3.3.3: chunked wins, Content-Length goes, and the connection is
            # not reused (intermediaries may have framed it by the length)
            content_length = None
            must_close = True
            fields = [(k, v) for k, v in fields if k.lower() != "content-length"]
        if rl.proto_num < 1001:
            must_close = True
    strict = limits.strict
    uri = rl.uri
    hostname = None
    port = None
    if rl.hostname is not None:
        src = rl.hostname
        if src:
            res = fix_hostname(src, False, strict)
            if res.log:
                return _error(400, res.log, the_request)
            hostname = res.hostname
        else:
            res = None
            hostname = ""
        port = uri.port if uri.port_str else None
        if strict and host is not None:
            v6 = res.v6 if res is not None else False
            new = construct_host_header(hostname, v6, uri.port_str)
            fields = _replace_host(fields, new)
    elif host is not None:
        res = fix_host_header(host, strict)
        if res.log:
            return _error(400, res.log, the_request)
        hostname, port = res.hostname, res.port
    proto = rl.proto_num
    if (hostname is None and proto >= 1001) or (proto == 1001 and host is None):
        return _error(400, (f"AH00569: client sent HTTP/1.1 request without hostname "
                            f"(see RFC2616 section 14.23): {path}",), the_request)
    expecting = False
    if expect:
        if expect.lower() == "100-continue":
            expecting = True
        else:
            return _error(417, (f"AH00570: client sent an unrecognized expectation value of "
                                f"Expect: {expect}",), the_request)
    scheme = uri.scheme if uri is not None else None
    if scheme is not None and scheme.lower() not in ("http", "https"):
        # Apache answers 400 here without a log line (no proxy to hand it to)
        return _error(400, (f"request-target scheme '{scheme}' is not http or https",),
                      the_request)
    if proto >= 1001:
        keep = not find_token(conn, "close")
        version = (1, 1)
    else:
        keep = find_token(conn, "keep-alive")
        version = (1, 0)
    return RequestHead(rl.method, rl.target, version, fields, the_request, expecting, body,
                       content_length, keep, rl.protocol, proto, rl.method_number,
                       rl.header_only, path, uri.query, scheme, hostname, port, must_close)


def _replace_host(fields: list, value: str) -> list:
    """apr_table_setn(headers_in, "Host", ...): the first Host keeps its place."""
    out, done = [], False
    for name, v in fields:
        if name.lower() == "host":
            if not done:
                out.append((name, value))
                done = True
        else:
            out.append((name, v))
    return out
