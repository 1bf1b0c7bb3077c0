"""Range requests (byterange_filter.c): one range -> 206 with Content-Range, several ->
206 multipart/byteranges, none satisfiable -> 416.

Apache merges overlapping and adjacent ranges as it parses them, ignores the whole
field when one range is malformed or when the parts add up to more than the entity,
and ignores it too (full 200) past MaxRanges, MaxRangeOverlaps or MaxRangeReversals.
The parts of a file body are FileRanges, so nothing is read into memory.
"""
from __future__ import annotations

import random
import re
import weakref
from typing import Optional, Union

from httpd.http.conditional import CONDITION_NOMATCH, condition_if_range
from httpd.http.header_filter import make_content_type
from httpd.request.record import FileRange, Headers, Part, Request
from httpd.module import CORE_MODULE as CORE

OK = 0
HTTP_PARTIAL_CONTENT, HTTP_RANGE_NOT_SATISFIABLE = 206, 416

DEFAULT_MAX_RANGES, DEFAULT_MAX_OVERLAPS, DEFAULT_MAX_REVERSALS = 200, 20, 20
MAXRANGES_UNLIMITED = -3
PASS_EVERY = 32        # Apache passes every 32 parts down, so such a body has no length

_boundaries: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_fallback_boundary = f"{random.getrandbits(64):x}"


def multipart_boundary(process) -> str:
    """ap_multipart_boundary: 64 random bits in hex, drawn once per generation."""
    if process is None:
        return _fallback_boundary
    b = _boundaries.get(process)
    if b is None:
        b = _boundaries.setdefault(process, f"{random.getrandbits(64):x}")
    return b


_DIGITS = re.compile(r"[0-9]+\Z")


def _strtoff(text: str) -> Optional[int]:
    """A byte position: digits only (2.4.71 refuses white space and signs) that fit
    in an apr_off_t."""
    if not _DIGITS.match(text):
        return None
    n = int(text)
    return n if n < (1 << 63) else None


def parse_ranges(spec: str, clength: int) -> tuple[int, list[tuple[int, int]], int, int]:
    """ap_set_byterange's parse of the text after "bytes=": (number of ranges, merged
    (start, end) pairs, overlaps, reversals).  0 ranges: ignore the field; -1: none is
    satisfiable (416)."""
    indexes: list[tuple[int, int]] = []
    num_ranges = 0
    unsatisfiable = False
    ostart = oend = sum_lengths = 0
    in_merge = False
    overlaps = reversals = 0
    for i, cur in enumerate(spec.split(",")):
        if not cur:
            if i == 0:
                break                      # a leading comma ends the list at once
            continue                       # ap_getword skips repeated commas
        dash = cur.find("-")
        if dash < 0:
            return 0, [], overlaps, reversals
        if dash == 0:                      # "-5": the last 5 bytes
            number = _strtoff(cur[1:])
            if number is None or number < 1:
                return 0, [], overlaps, reversals
            start, end = clength - number, clength - 1
        else:
            start = _strtoff(cur[:dash])
            if start is None:
                return 0, [], overlaps, reversals
            rest = cur[dash + 1:]
            if rest:
                end = _strtoff(rest)
                if end is None or start > end:
                    return 0, [], overlaps, reversals
            else:                          # "5-": to the end
                end = clength - 1
                if start == 0:             # "0-" is the whole entity, whatever follows
                    num_ranges, sum_lengths, in_merge = 0, 0, True
                    ostart, oend = 0, end
                    indexes = []
                    break
        if start < 0:
            start = 0
        if start >= clength:
            unsatisfiable = True
            continue
        if end >= clength:
            end = clength - 1
        if not in_merge:
            ostart, oend, in_merge = start, end, True
            continue
        in_merge = False
        if start >= ostart and end <= oend:
            in_merge = True
        if start < ostart and end >= ostart - 1:
            ostart = start
            reversals += 1
            in_merge = True
        if end >= oend and start <= oend + 1:
            oend = end
            in_merge = True
        if in_merge:
            overlaps += 1
            continue
        indexes.append((ostart, oend))
        sum_lengths += oend - ostart + 1
        ostart, oend, in_merge = start, end, True
        num_ranges += 1
    if in_merge:
        indexes.append((ostart, oend))
        sum_lengths += oend - ostart + 1
        num_ranges += 1
    elif num_ranges == 0 and unsatisfiable:
        return -1, [], overlaps, reversals
    if sum_lengths > clength:
        return 0, [], overlaps, reversals  # "Sum of ranges larger than file, ignoring."
    return num_ranges, indexes, overlaps, reversals


def _limit(value: Optional[int], default: int) -> int:
    """MaxRanges and friends: -1 unlimited, 0 none, else the number (default if unset)."""
    if value is None or (value < 0 and value != MAXRANGES_UNLIMITED):
        return default
    return -1 if value == MAXRANGES_UNLIMITED else value


def _range_field(r: Request) -> Optional[str]:
    """The Range field when byteranging applies at all (2.4.71 no longer reads
    Netscape's Request-Range nor answers multipart/x-byteranges)."""
    if r.status != 200 or r.proto_num < 1000:        # HTTP/0.9 has no ranges
        return None
    hin = r.headers_in
    value = hin.get("Range")
    if value is None or value[:6].lower() != "bytes=":
        return None
    out = r.headers_out
    if "Content-Range" in out:
        return None
    ct = out.get("Content-Type")
    if ct is not None and ct.lower().startswith(("multipart/byteranges",
                                                 "multipart/x-byteranges")):
        return None
    if condition_if_range(r, out) == CONDITION_NOMATCH:
        return None
    return value[6:]


def _slice(body: Union[bytes, FileRange], start: int, end: int):
    if isinstance(body, FileRange):
        return FileRange(body.path, body.offset + start, end - start + 1, body.data)
    return bytes(body[start:end + 1])


def apply_byterange(r: Request, body: Union[bytes, FileRange]) -> int:
    """The byterange filter over a body of known length: sets r.status (206), r.body,
    Content-Range or the multipart type, and returns OK; or returns 416 for ap_die to
    answer (both header tables emptied, as Apache's 416 carries none of the fields set
    before it, then ``Content-Range: bytes */length`` in err_headers_out, as RFC 9110
    asks; Apache 2.4.71 omits it); or leaves everything alone (OK) when no range
    applies."""
    r.body = body
    clength = body.length if isinstance(body, FileRange) else len(body)
    if clength <= 0:
        return OK
    spec = _range_field(r)
    if spec is None:
        return OK
    num_ranges, indexes, overlaps, reversals = parse_ranges(spec, clength)
    if num_ranges == 0:
        return OK
    d = r.module_config(CORE)
    max_ranges = _limit(d.max_ranges, DEFAULT_MAX_RANGES)
    max_overlaps = _limit(d.max_overlaps, DEFAULT_MAX_OVERLAPS)
    max_reversals = _limit(d.max_reversals, DEFAULT_MAX_REVERSALS)
    if ((max_ranges >= 0 and num_ranges > max_ranges)
            or (max_overlaps >= 0 and overlaps > max_overlaps)
            or (max_reversals >= 0 and reversals > max_reversals)):
        return OK
    if num_ranges < 0:
        # send_416: the error bucket makes ap_die start the response over; Apache 2.4.71
        # sends none of the fields set before it (mod_negotiation's Vary, TCN and
        # Content-Location, a `Header always ... early`), only the error path's own
        r.headers_out, r.err_headers_out = Headers(), Headers()
        r.err_headers_out.set("Content-Range", f"bytes */{clength}")
        return HTTP_RANGE_NOT_SATISFIABLE
    r.status = HTTP_PARTIAL_CONTENT
    if num_ranges == 1:
        start, end = indexes[0]
        r.headers_out.set("Content-Range", f"bytes {start}-{end}/{clength}")
        r.body = _slice(body, start, end)
        return OK
    return _multipart(r, body, indexes, clength)


def _multipart(r: Request, body: Union[bytes, FileRange], indexes: list, clength: int) -> int:
    """Several ranges: a multipart/byteranges body."""
    boundary = multipart_boundary(r.process)
    orig_ct = make_content_type(r, r.content_type)
    r.content_type = "multipart/byteranges; boundary=" + boundary
    bound_head = (f"\r\n--{boundary}\r\nContent-type: {orig_ct}\r\nContent-range: bytes "
                  if orig_ct else f"\r\n--{boundary}\r\nContent-range: bytes ")
    parts = [Part(f"{bound_head}{start}-{end}/{clength}\r\n\r\n".encode("latin-1"),
                  _slice(body, start, end))
             for start, end in indexes]
    parts.append(Part(f"\r\n--{boundary}--\r\n".encode("latin-1"), b""))
    if len(indexes) > PASS_EVERY:
        # Apache sends the first 32 parts before it has seen the rest: no Content-Length
        # (chunked on HTTP/1.1).  A tuple is a body of unknown length to the writer.
        r.headers_out.unset("Content-Length")
        r.body = tuple(parts)
    else:
        r.body = parts
    return OK
