"""Request bodies: by Content-Length, or chunked with trailers (modules/http/http_filters.c).

A reader's ``step(buf, eof)`` looks at the connection's buffer and answers
``(event, consumed)``: an event (BodyData, EndOfBody, ProtocolError, NEED_DATA) or None
for "progress made, call again", plus how many bytes of ``buf`` it used.  Several small
chunks found in one buffer come out as one BodyData.

LimitRequestBody (``limit``, 0 = unlimited) is checked as Apache does: a Content-Length
over it fails before any byte is read (AH01588); chunked data fails as soon as the counted
bytes cross it (AH01591), and, stricter than Apache, as soon as a chunk-size line
announces more than the limit leaves (Apache would wait for the bytes).
"""
from __future__ import annotations

import re
from typing import Optional

from httpd.protocol._events import NEED_DATA, BodyData, EndOfBody, Limits, ProtocolError
from httpd.protocol._fields import NOTE_MERGED, FieldReader, merged_too_long
from httpd.protocol._uri import field_name_len

_SIZE_STRICT = re.compile(rb"([0-9A-Fa-f]+)[ \t]{0,10}(?:;[^\x00-\x08\x0a-\x1f\x7f]*)?\r")
_SIZE_LAX = re.compile(rb"([0-9A-Fa-f]+)[ \t]{0,10}(?:;[^\x00-\x08\x0a-\x1f\x7f]*)?\r?")
_HEX = {c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}
EINVAL, ENOSPC = "einval", "enospc"
CHUNK_ERROR = "AH01590: Error reading/parsing chunk  "
CHUNK_OVERFLOW = "AH01590: Error reading/parsing chunk (overflow) "
INCOMPLETE = "client closed the connection before the request body was complete"
GETLINE_MAX = 8192                      # HUGE_STRING_LEN: what one AP_MODE_GETLINE read returns


def over_limit(used: int, limit: int) -> ProtocolError:
    return ProtocolError(413, f"AH01591: Read content length of {used} is larger than the "
                              f"configured limit of {limit}")


def length_over_limit(length: int, limit: int) -> ProtocolError:
    return ProtocolError(413, f"AH01588: Requested content-length of {length} is larger than "
                              f"the configured limit of {limit}")


class LengthReader:
    """Exactly ``remaining`` bytes (the limit was checked against Content-Length)."""

    __slots__ = ("remaining", "done")

    def __init__(self, length: int):
        self.remaining = length
        self.done = False

    def step(self, buf, eof: bool):
        if self.remaining == 0:
            self.done = True
            return EndOfBody([]), 0
        n = len(buf)
        if n == 0:
            return (ProtocolError(400, INCOMPLETE) if eof else NEED_DATA), 0
        take = n if n <= self.remaining else self.remaining
        self.remaining -= take
        return BodyData(bytes(buf[:take]) if take < n else bytes(buf)), take


def classify_size_line(data: bytes, strict: bool) -> Optional[str]:
    """parse_chunk_size's verdict on a chunk-size line, character by character: EINVAL,
    ENOSPC (overflow), or None when it has no fault (so far)."""
    state, value, bits, bws = "chunk", 0, 64, 0
    for c in data:
        if state == "chunk":
            if c not in _HEX:
                return EINVAL
            state, value, bits, bws = "part", 0, 64, 0
        if c == 10:
            return EINVAL if strict and state != "lf" else None
        if state == "lf":
            return EINVAL
        if c == 13:
            state = "lf"
        elif c == 59:                   # ';'
            state = "ext"
        elif state == "ext":
            if c != 9 and (c < 32 or c == 127):
                return EINVAL
        elif c == 32 or c == 9:
            state = "cr"
            bws += 1
            if bws > 10:
                return EINVAL
        elif state == "cr":
            return EINVAL
        else:
            if not value and c == 48:   # leading zeros are free
                continue
            bits -= 4
            if bits < 0:
                return ENOSPC
            x = _HEX.get(c)
            if x is None:
                return EINVAL
            value = (value << 4) | x
            if value >= 1 << 63:
                return ENOSPC
    return None


def _chunk_error(kind: Optional[str]) -> ProtocolError:
    if kind == ENOSPC:
        return ProtocolError(413, CHUNK_OVERFLOW)
    return ProtocolError(400, CHUNK_ERROR)


SIZE, DATA, DATA_END, TRAILER = 0, 1, 2, 3


class ChunkedReader:
    """Chunk-size lines, data, CRLFs, then the trailer fields (read with the header rules:
    LimitRequestFields and LimitRequestFieldsize apply to them too)."""

    __slots__ = ("limits", "limit", "used", "state", "remaining", "trailers", "done")

    def __init__(self, limits: Limits, limit: int):
        self.limits = limits
        self.limit = limit
        self.used = 0
        self.state = SIZE
        self.remaining = 0
        self.trailers: Optional[FieldReader] = None
        self.done = False

    def step(self, buf, eof: bool):
        strict = self.limits.strict
        linelimit = self.limits.fieldsize
        pos, n = 0, len(buf)
        pieces = []
        while True:
            state = self.state
            if state == DATA:
                if pos == n:
                    break
                take = n - pos
                if take > self.remaining:
                    take = self.remaining
                pieces.append(bytes(buf[pos:pos + take]))
                pos += take
                self.remaining -= take
                if self.remaining == 0:
                    self.state = DATA_END
            elif state == SIZE:
                lf = buf.find(b"\n", pos, pos + linelimit)
                if lf < 0:
                    if n - pos >= linelimit:
                        # chunk_used > linelimit: an overflow, unless a bad byte came first
                        kind = classify_size_line(bytes(buf[pos:pos + GETLINE_MAX]), strict)
                        return _chunk_error(kind or ENOSPC), 0
                    break
                line = bytes(buf[pos:lf])
                m = (_SIZE_STRICT if strict else _SIZE_LAX).fullmatch(line)
                if m is None:
                    return _chunk_error(classify_size_line(line + b"\n", strict)), 0
                digits = m.group(1).lstrip(b"0")
                if len(digits) > 16:
                    return _chunk_error(ENOSPC), 0
                size = int(digits, 16) if digits else 0
                if size >= 1 << 63:
                    return _chunk_error(ENOSPC), 0
                pos = lf + 1
                if size == 0:
                    self.state = TRAILER
                    return (BodyData(b"".join(pieces)) if pieces else None), pos
                if self.limit and self.used + size > self.limit:
                    return over_limit(self.used + size, self.limit), 0
                self.used += size
                self.remaining = size
                self.state = DATA
            elif state == DATA_END:
                if pos == n:
                    break
                c = buf[pos]
                if c == 13:
                    if pos + 1 == n:
                        break
                    if buf[pos + 1] != 10:
                        return _chunk_error(EINVAL), 0
                    pos += 2
                elif c == 10 and not strict:
                    pos += 1
                else:
                    return _chunk_error(EINVAL), 0
                self.state = SIZE
            else:
                return self._trailer(buf, eof)
        if pieces:
            return BodyData(b"".join(pieces)), pos
        if eof:
            return ProtocolError(400, INCOMPLETE), 0
        return NEED_DATA, pos

    def _trailer(self, buf, eof: bool):
        if self.trailers is None:
            self.trailers = FieldReader(self.limits, 0)
        res = self.trailers.read(buf, eof)
        if res is None:
            return NEED_DATA, 0
        if isinstance(res, tuple):
            status, lines, notes = res
            return _trailer_error(status, lines, notes), 0
        if len(buf) > self.limits.fieldsize:
            name = merged_too_long(res, self.limits.fieldsize)
            if name is not None:
                return _trailer_error(400, (f"AH00560: Request header exceeds "
                                            f"LimitRequestFieldSize after merging: "
                                            f"{field_name_len(name)}",), NOTE_MERGED), 0
        self.done = True
        return EndOfBody(res), self.trailers.pos


def _trailer_error(status: int, lines: tuple, notes: Optional[str]) -> ProtocolError:
    tail = f"AH02656: Error while reading HTTP trailer: {status}" + (f": {notes}" if notes else "")
    return ProtocolError(status, lines[0], lines + (tail,))
