"""Reading protocol lines and MIME fields as Apache does (server/protocol.c).

``read_line`` is ap_rgetline (with AP_GETLINE_CRLF in Strict mode), ``FieldReader`` is
ap_get_mime_headers_core, used for the request's fields and for chunked trailers alike
(both count against LimitRequestFields and LimitRequestFieldsize).  They work on the
connection's buffer incrementally: an error is found as soon as its line arrives, and
no line is held beyond its limit.
"""
from __future__ import annotations

import re
from typing import Optional

from httpd.protocol._events import Limits
from httpd.protocol._uri import SPACE, field_name_len, scan_token

_FIELD_CONTENT = re.compile("[\t\x20-\x7e\x80-\xff]*")

NEED, OK, TOO_LONG, INVALID = 0, 1, 2, 3
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
            return TOO_LONG, buf[pos:pos + limit + 1].decode("latin-1"), pos
        return NEED, None, pos
    end = lf
    if end > pos and buf[end - 1] == 13:
        end -= 1
    elif strict:
        # AP_GETLINE_CRLF: a bare LF ends nothing; Apache's buffer still holds the LF
        return INVALID, buf[pos:lf + 1].decode("latin-1"), pos
    if end - pos > limit + 1:
        return TOO_LONG, buf[pos:pos + limit + 1].decode("latin-1"), pos
    line = buf[pos:end].decode("latin-1")
    nul = line.find("\0")
    if nul >= 0:                       # PR 43039: no NUL inside a line
        return INVALID, line[:nul], pos
    return OK, line, lf + 1


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
