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

import operator
import re
from typing import Optional, Union

from httpd.protocol._events import (M_CONNECT, METHODS, ConnectionClosed, Limits, ProtocolError,
                                    RequestHead)
from httpd.protocol._fields import (AH00567, INVALID, NEED, TOO_LONG, FieldReader, merged_too_long,
                              read_line)
from httpd.protocol._reqline import RequestLine, error, parse_request_line, semantic_errors, semantics
from httpd.protocol._uri import (_HOST_CACHES, construct_host_header, field_name_len,
                                 fix_host_header, fix_hostname)
from httpd.util.tokens import is_chunked

_TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+"
# the request line (CRLF not included): method, target, protocol
_FAST_LINE = re.compile("(" + _TOKEN + ") ([\x21-\x7e\x80-\xff]+) (HTTP/[1-9]\\.[0-9])")
# a whole field line (CRLF not included): name, and the value without its leading SP/HT
# and not ending in SP/HT (the slow path drops trailing whitespace)
_FIELD_ONE = re.compile("(" + _TOKEN + "):[ \t]*"
                        "((?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)")
# Field lines the grammar above accepted, as ((name, value), lowercased name): most of a
# browser's lines (Host, Accept, Accept-Encoding, Accept-Language, Sec-Fetch-*, often
# User-Agent) are the same from one request to the next, and a line's verdict depends
# on nothing but its text.  Bounded: emptied when full; lines over _LINE_KEPT_MAX
# characters are checked every time and not kept.
_LINES_MAX = 2048
_PROTO_NUMS = {f"HTTP/{major}.{minor}": 1000 * major + minor
               for major in range(1, 10) for minor in range(10)}
_LINE_KEPT_MAX = 512
_WHOLE_MAX = 16384                  # a larger buffer is searched for its head's end
_TE_TOKEN = re.compile(_TOKEN)
_FRAMING = frozenset({"host", "connection", "content-length", "transfer-encoding", "expect"})
_FRAMING_NAMES = {n: n.lower() for n in (
    "Host", "host", "Connection", "connection", "Content-Length", "content-length",
    "Transfer-Encoding", "transfer-encoding", "Expect", "expect")}
MAX_BLANK_LINES = 10                     # DEFAULT_LIMIT_BLANK_LINES
_new = object.__new__


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
        return self.read_slow(buf, eof)

    def read_slow(self, buf, eof: bool):
        """``read`` without the fast path (the caller tried it)."""
        limits = self.limits
        if self.rl is None:
            while True:
                kind, line, nxt = read_line(buf, self.pos, limits.line, limits.strict)
                if kind == NEED:
                    return (ConnectionClosed() if eof else None), 0
                if kind == TOO_LONG:
                    return error(414, (f"AH00565: request failed: client's request-line "
                                        f"exceeds LimitRequestLine (longer than "
                                        f"{limits.line})",)), 0
                if kind == INVALID:
                    return error(400, ("AH00566: request failed: malformed request line",)), 0
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
            return error(res[0], res[1] + (AH00567,), self.rl.the_request), 0
        if len(buf) > limits.fieldsize:       # cheap bound: merging cannot exceed it
            name = merged_too_long(res, limits.fieldsize)
            if name is not None:
                return error(400, (f"AH00560: Request header exceeds LimitRequestFieldSize "
                                    f"after merging: {field_name_len(name)}", AH00567),
                              self.rl.the_request), 0
        return finish_head(self.rl, res, limits), self.fields.pos


class _Lines(dict):
    """line -> ((name, value), lowercased name); a line not yet seen is checked by
    ``__missing__`` (None when the fast grammar refuses it: nothing is kept then)."""

    def __missing__(self, line: str) -> Optional[tuple]:
        m = _FIELD_ONE.fullmatch(line)
        if m is None:
            return None
        name = m[1]
        entry = ((name, m[2]), name.lower())
        if len(line) <= _LINE_KEPT_MAX:
            if len(self) >= _LINES_MAX:
                self.clear()
            self[line] = entry
        return entry


_LINES = _Lines()
_line_entry = _LINES.__getitem__

# The lowercased names of a head, in order -> where Host, Connection and Content-Length
# are ((host, connection, content-length) indexes, -1 when absent), or False when the
# head is not for the one-go path (a name twice, Transfer-Encoding, Expect, no Host).
# A browser sends the same names in the same order from one request to the next.
_SHAPES: dict = {}
_SHAPES_MAX = 512


def _shape_of(keys: tuple):
    if (len(set(keys)) != len(keys) or "host" not in keys or "transfer-encoding" in keys
            or "expect" in keys):
        shape = False
    else:
        shape = (keys.index("host"),
                 keys.index("connection") if "connection" in keys else -1,
                 keys.index("content-length") if "content-length" in keys else -1)
    if len(_SHAPES) >= _SHAPES_MAX:
        _SHAPES.clear()
    _SHAPES[keys] = shape
    return shape


# The whole-buffer path (whole_head): a head that is all of the bytes read, split at its
# CRLFs as bytes.  A field line already accepted is known by its bytes: _ITEMS gives its
# (name, value) (emptied at the start of a head when full).  A line not yet seen is
# checked by _Items.__missing__: its characters by one translate (any CTL but HT, or
# DEL, changes the line: a CR or LF inside it too), then the colon and a token name
# (_NAMES: a name's bytes checked once give its str, one object for every line of it).
# The names of a head, as sent, give its shape and lowercased names at once
# (_NAME_SHAPES: a browser sends the same names in the same order from one request to
# the next).
_CTL = bytes(range(0, 9)) + bytes(range(10, 32)) + b"\x7f"


def _changed_by(bad: bytes) -> bytes:
    """A translate table keeping every byte but those of ``bad`` (each made another)."""
    table = bytearray(range(256))
    for c in bad:
        table[c] = 2 if c == 1 else 1
    return bytes(table)


_VALUE_TABLE = _changed_by(_CTL)                 # a field line: VCHAR, obs-text, SP, HT
_REQUEST_LINE_TABLE = _changed_by(_CTL + b"\t")  # the request line: no HT either
_NAME = re.compile(_TOKEN)
_NAMES: dict = {}                # a field name's bytes -> its str, once found a token


def _name_of(name: bytes) -> Optional[str]:
    """The str of a field name not yet in _NAMES, kept there when it is a token; None
    when it is not."""
    text = name.decode("latin-1")
    if _NAME.fullmatch(text) is None:
        return None
    if len(_NAMES) >= _SHAPES_MAX:
        _NAMES.clear()
    _NAMES[name] = text
    return text


class _Items(dict):
    """field line (bytes, no CRLF) -> (name, value); a line not yet seen is checked by
    ``__missing__`` (None when refused: nothing is kept then).  Lines over
    _LINE_KEPT_MAX bytes are checked every time and not kept."""

    def __missing__(self, line: bytes) -> Optional[tuple]:
        if line.translate(_VALUE_TABLE) is not line:
            return None
        name, colon, value = line.partition(b":")
        if not colon:
            return None
        name = _NAMES.get(name) or _name_of(name)
        if name is None:
            return None
        # leading OWS, and the trailing SP/HT the slow path drops
        item = (name, value.decode("latin-1").strip(" \t"))
        if len(line) <= _LINE_KEPT_MAX:
            self[line] = item
        return item


_ITEMS = _Items()
_item_of = _ITEMS.__getitem__
_first = operator.itemgetter(0)
# the names of a head as sent -> (its shape (see _SHAPES), its lowercased names)
_NAME_SHAPES: dict = {}


def _shape_of_names(names: tuple) -> tuple:
    keys = tuple(name.lower() for name in names)
    shape = _SHAPES.get(keys)
    if shape is None:
        shape = _shape_of(keys)
    if len(_NAME_SHAPES) >= _SHAPES_MAX:
        _NAME_SHAPES.clear()
    found = _NAME_SHAPES[names] = (shape, keys)
    return found


def fast_head(buf, limits: Limits):
    """The common case: the whole head is there and plainly valid: (RequestHead or
    ProtocolError, bytes used).  None: use the slow path (which also finds every error
    and logs Apache's lines for it).  A head that is all of ``buf`` (what one read
    brought, the common case) goes by ``whole_head``; any other (more bytes after the
    head, not all there yet), or one ``whole_head`` leaves, by ``_fast_head_found``."""
    if type(buf) is not bytes:
        if len(buf) > _WHOLE_MAX:
            return _fast_head_found(buf, limits)
        buf = bytes(buf)
    if buf[-4:] == b"\r\n\r\n" and len(buf) <= _WHOLE_MAX:
        head = whole_head(buf, limits)
        if head is not None:
            return head, len(buf)
    return _fast_head_found(buf, limits)


def whole_head(buf: bytes, limits: Limits) -> Optional[RequestHead]:
    """The RequestHead of ``buf`` (bytes ending in CRLF CRLF, at most _WHOLE_MAX long:
    the caller checked) when it is all one plainly valid GET-like head; None: leave it
    to ``_fast_head_found`` (the same answers, found another way).

    The strict grammar: a request line of a token method, single spaces, a target of
    VCHAR / obs-text and ``HTTP/d.d``; field lines of a token name, a colon and a value
    of VCHAR / obs-text / SP / HT; every line ends in CRLF (a bare CR or LF, a folded
    line, a bad name make a line that does not pass).  ``buf`` is split at its CRLFs as
    bytes and its field lines are looked up whole (_ITEMS: most of a browser's lines
    are the same from one request to the next, and a line's verdict is its bytes').
    GET-like: a known method, an origin-form target without a fragment, one Host, no
    name twice, no Transfer-Encoding or Expect (``_one_go``)."""
    lines = buf.split(b"\r\n")
    first = lines[0]
    if first.translate(_REQUEST_LINE_TABLE) is not first:
        return None
    line = first.decode("latin-1")
    try:
        method, target, protocol = line.split(" ")
    except ValueError:
        return None
    number = METHODS.get(method)
    proto_num = _PROTO_NUMS.get(protocol)
    if number is None or proto_num is None or not target:
        return None
    if len(_ITEMS) > _LINES_MAX:
        _ITEMS.clear()
    del lines[0]
    del lines[-2:]
    fields = list(map(_item_of, lines))
    if not all(fields) or len(fields) > limits.fields_max:
        return None
    if len(buf) > limits.short_head:
        # LimitRequestLine, LimitRequestFieldsize (also after merging) may be passed
        if len(line) > limits.line + 1:
            return None
        if len(buf) - len(line) > limits.fieldsize + 1:
            if max(map(len, lines)) > limits.fieldsize + 1:
                return None
            if merged_too_long(fields, limits.fieldsize) is not None:
                return None
    names = tuple(map(_first, fields))
    found = _NAME_SHAPES.get(names)
    if found is None:
        found = _shape_of_names(names)
    shape = found[0]
    if shape and number != M_CONNECT:
        return _one_go(method, target, protocol, proto_num, number, line, fields,
                       list(found[1]), shape, limits.strict)
    return None


def _fast_head_found(buf, limits: Limits):
    """The common case: the whole head is there and plainly valid.  None: use the slow
    path (which also finds every error and logs Apache's lines for it).

    Two expressions hold the strict grammar: the request line (a token method, single
    spaces, ``HTTP/d.d``), and a field line (a token name, a colon, a value of VCHAR /
    obs-text / SP / HT not ending in SP / HT).  The head is plainly valid when every
    line between CRLFs is one of them: a bare CR or LF, a folded line, a bad name or a
    value ending in whitespace (which the slow path drops, as Apache does) makes a line
    that does not match.  A line already accepted is known by its text (_LINES).

    A GET-like head (a known method, an origin-form target without a fragment, one
    Host, no name twice, no Transfer-Encoding or Expect) is finished here in one go;
    any other goes through ``semantics`` and ``finish_head``, the slow path's own."""
    end = buf.find(b"\r\n\r\n")
    if end < 0 or buf[0] == 13:
        return None
    lines = str(memoryview(buf)[:end], "latin-1").split("\r\n")
    line = lines[0]
    m = _FAST_LINE.fullmatch(line)
    if m is None or len(line) > limits.line + 1:
        return None
    del lines[0]
    got = list(map(_line_entry, lines))
    if not all(got):
        return None
    nfields = len(got)
    if nfields > limits.fields and limits.fields:
        return None
    if not got:
        fields, keys, shape = [], [], False
    else:
        fields, keys = zip(*got)
        shape = _SHAPES.get(keys)
        if shape is None:
            shape = _shape_of(keys)
        fields = list(fields)
        keys = list(keys)
    if end - len(line) > limits.fieldsize + 1:
        if max(map(len, lines)) > limits.fieldsize + 1:
            return None
        if merged_too_long(fields, limits.fieldsize) is not None:
            return None
    method, target, protocol = m.groups()
    number = METHODS.get(method)
    if shape and number is not None and number != M_CONNECT:
        done = _one_go(method, target, protocol, _PROTO_NUMS[protocol], number, line, fields,
                       keys, shape, limits.strict)
        if done is not None:
            return done, end + 4
    by_name = dict(zip(keys, fields))
    rl, bad_uri = semantics(line, method, target, protocol, _PROTO_NUMS[protocol], limits)
    rl = semantic_errors(rl, bad_uri, limits)
    if isinstance(rl, ProtocolError):
        return rl, 0
    if len(by_name) != nfields:
        return finish_head(rl, fields, limits), end + 4
    # no name twice: the fields are already apr_table_compress's view, and the five
    # that frame the request are one look-up each
    host = by_name.get("host")
    conn = by_name.get("connection")
    cl = by_name.get("content-length")
    te = by_name.get("transfer-encoding")
    expect = by_name.get("expect")
    done = finish_head(rl, fields, limits, (
        host[1] if host is not None else None, conn[1] if conn is not None else None,
        cl[1] if cl is not None else None, te[1] if te is not None else None,
        expect[1] if expect is not None else None))
    if type(done) is RequestHead and done.headers is fields:
        done.merged = (fields, keys)
    return done, end + 4


def _one_go(method: str, target: str, protocol: str, proto_num: int, number: int,
            line: str, fields: list, keys: list, shape: tuple,
            strict: bool) -> Optional[RequestHead]:
    """The RequestHead of a GET-like head (a known method, not CONNECT, no name twice,
    one Host, no Transfer-Encoding or Expect: ``shape`` says where Host, Connection and
    Content-Length are) with an origin-form target without a fragment, a good Host and
    a plain Content-Length; None: finish it the general way."""
    if target[0] != "/" or target[1:2] == "/" or "#" in target:
        return None
    host, conn, cl = shape
    host = fields[host][1]
    res = _HOST_CACHES[strict].get(host)
    if res is None:
        res = fix_host_header(host, strict)
    hostname = res.hostname
    if res.log or hostname is None:
        return None
    if cl < 0:
        body, length = "none", None
    else:
        cl = fields[cl][1]
        if not (cl.isdigit() and cl.isascii() and len(cl) < 19):
            return None
        body, length = "length", int(cl)
    q = target.find("?")
    # RequestHead(...) field by field (tests/protocol/test_protocol_head.py checks that
    # every field is set as the constructor sets it)
    head = _new(RequestHead)
    head.method = method
    head.target = target
    head.http_version = (1, 1) if proto_num >= 1001 else (1, 0)
    head.headers = fields
    head.request_line = line
    head.expect_continue = False
    head.body = body
    head.content_length = length
    head.protocol = protocol
    head.proto_num = proto_num
    head.method_number = number
    head.header_only = method == "HEAD"
    if q < 0:
        head.path = target
        head.args = None
    else:
        head.path = target[:q]
        head.args = target[q + 1:]
    head.scheme = None
    head.hostname = hostname
    head.port = res.port
    head.must_close = False
    head.connection = None if conn < 0 else fields[conn][1]
    head.merged = (fields, keys)
    return head


def head_09(rl: RequestLine) -> RequestHead:
    uri = rl.uri
    return RequestHead(rl.method, rl.target, (0, 9), [], rl.the_request, False, "none", None,
                       "HTTP/0.9", 9, rl.method_number, rl.header_only, rl.path,
                       uri.query if uri else None, uri.scheme if uri else None, None, None,
                       True, None)


def _te_error(te: str, path: str, the_request: str) -> Optional[ProtocolError]:
    """Transfer-Encoding: Apache's rule (the final coding is chunked, AH02539), then ours:
    exactly one ``chunked`` and nothing else (501 for codings we do not implement)."""
    if not is_chunked(te):
        return error(400, (f"AH02539: client sent unknown Transfer-Encoding ({te}): {path}",),
                      the_request)
    lower = te.lower()
    if lower == "chunked":
        return None
    codings = [c.strip(" \t") for c in lower.split(",")]
    codings = [c for c in codings if c]
    if len(codings) == 1:
        return None
    if any(_TE_TOKEN.fullmatch(c) is None for c in codings) or codings.count("chunked") > 1:
        return error(400, (f"client sent invalid Transfer-Encoding ({te}): {path}",),
                      the_request)
    return error(501, (f"client sent unsupported Transfer-Encoding ({te}): {path}",),
                  the_request)


def finish_head(rl: RequestLine, fields: list, limits: Limits,
                framing: Optional[tuple] = None) -> Union[RequestHead, ProtocolError]:
    """ap_read_request after the fields: Content-Length, Transfer-Encoding, then
    ap_check_request_header (Host, Expect), then the target's scheme.  An error keeps
    the fields: Apache has them in r->headers_in when it answers (the 417 page names
    the Expect value).  ``framing``: the merged Host, Connection, Content-Length,
    Transfer-Encoding and Expect values when the caller has them already."""
    done = _finish_head(rl, fields, limits, framing)
    if type(done) is ProtocolError:
        done.fields = tuple(fields)
    return done


def _finish_head(rl: RequestLine, fields: list, limits: Limits,
                 framing: Optional[tuple]) -> Union[RequestHead, ProtocolError]:
    if framing is not None:
        host, conn, cl, te, expect = framing
        fields_to_scan = ()
    else:
        cl = te = host = expect = conn = None
        fields_to_scan = fields
    for name, value in fields_to_scan:
        key = _FRAMING_NAMES.get(name)
        if key is None:
            # only names starting like the five can be one of them in another spelling
            if name[0] not in "HhCcTtEe":
                continue
            key = name.lower()
            if key not in _FRAMING:
                continue
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
            return error(400, (f"AH10242: client sent invalid Content-Length ({cl}): {path}",),
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
                return error(400, res.log, the_request)
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
            return error(400, res.log, the_request)
        hostname, port = res.hostname, res.port
    proto = rl.proto_num
    if (hostname is None and proto >= 1001) or (proto == 1001 and host is None):
        return error(400, (f"AH00569: client sent HTTP/1.1 request without hostname "
                            f"(see RFC2616 section 14.23): {path}",), the_request)
    expecting = False
    if expect:
        if expect.lower() == "100-continue":
            expecting = True
        else:
            return error(417, (f"AH00570: client sent an unrecognized expectation value of "
                                f"Expect: {expect}",), the_request)
    scheme = uri.scheme if uri is not None else None
    if scheme is not None and scheme.lower() not in ("http", "https"):
        # Apache answers 400 here without a log line (no proxy to hand it to)
        return error(400, (f"request-target scheme '{scheme}' is not http or https",),
                      the_request)
    version = (1, 1) if proto >= 1001 else (1, 0)
    return RequestHead(rl.method, rl.target, version, fields, the_request, expecting, body,
                       content_length, rl.protocol, proto, rl.method_number,
                       rl.header_only, path, uri.query, scheme, hostname, port, must_close,
                       conn)


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
