"""Undoing gzip: the INFLATE output filter (inflate_out_filter) and the DEFLATE input
filter on request bodies (deflate_in_filter), with check_gzip and the gzip header's
optional fields."""
from __future__ import annotations

import struct
import zlib
from typing import Optional

from httpd.core.config import get_limit_req_body
from httpd.http.filter import InputFilterError
from httpd.http.request import log_rerror

from directives.mod_deflate.config import (ETAG_NOCHANGE, GZIP_HEADER, MODULE_NAME,
                                           VALIDATION_SIZE, DeflateConfig, DeflateDirConfig)
from directives.mod_deflate.deflate import check_etag


class InflateError(Exception):
    """A broken gzip stream: the response cannot go on (APR_EGENERAL)."""


def check_gzip(r, hdrs1, hdrs2=None) -> bool:
    """check_gzip: is gzip (or x-gzip) the last coding (identity codings after it
    ignored)?  If so it is taken off the Content-Encoding of ``hdrs1`` (the output
    filter gives two tables and r.content_encoding to look in, the input filter the
    request's fields)."""
    hdrs = hdrs1
    encoding = hdrs.get("Content-Encoding")
    if not encoding and hdrs2 is not None:
        encoding = hdrs2.get("Content-Encoding")
        hdrs = hdrs2
        if not encoding:
            encoding, hdrs = r.content_encoding, None
    found = False

    def store(value):
        if hdrs is not None:
            if value is None:
                hdrs.unset("Content-Encoding")
            else:
                hdrs.set("Content-Encoding", value)
        else:
            r.content_encoding = value

    if encoding:
        if encoding.lower() in ("gzip", "x-gzip"):
            found = True
            store(None)
        elif "," in encoding:
            new = encoding
            while True:
                comma = new.rfind(",")
                if comma < 0:
                    if new.lower() in ("gzip", "x-gzip"):
                        found = True
                        store(None)
                    break
                token = new[comma + 1:].lstrip(" \t\n\r\f\v")
                if token.lower() in ("gzip", "x-gzip"):
                    store(new[:comma])
                    found = True
                elif not token or token.lower() == "identity":
                    new = new[:comma]
                    continue
                break
    if hdrs is not None and r.content_encoding:
        r.content_encoding = hdrs.get("Content-Encoding")
    return found


FLAG_HCRC, FLAG_EXTRA, FLAG_NAME, FLAG_COMMENT, FLAG_RESERVED = 0x02, 0x04, 0x08, 0x10, 0xE0


def _flags_hex(flags: int) -> str:
    """%02x of deflate_ctx's zlib_flags, a (signed) char: 0xe0 prints as ffffffe0."""
    return f"{flags | 0xFFFFFF00 if flags & 0x80 else flags:02x}"


def check_ratio(dc: DeflateDirConfig, total_in: int, total_out: int, hits: int) -> int:
    """check_ratio: the count of consecutive inflate steps over DeflateInflateRatioLimit
    after this one, or -1 once they pass DeflateInflateRatioBurst (stop inflating)."""
    if total_in:
        if total_out // total_in < dc.ratio_limit:
            return 0
        hits += 1
        if hits > dc.ratio_burst:
            return -1
    return hits


def inflate_out_filter(f, src):
    """INFLATE (inflate_out_filter)."""
    r = f.r
    if r.main is not None or r.prev is not None or r.status == 204 \
            or "Content-Range" in r.headers_out \
            or not check_gzip(r, r.headers_out, r.err_headers_out):
        return src
    c = r.server_config(MODULE_NAME) or DeflateConfig()
    dc = r.module_config(MODULE_NAME) or DeflateDirConfig()
    r.headers_out.unset("Content-Length")
    r.headers_out.unset("Content-MD5")
    if c.etag_opt != ETAG_NOCHANGE:
        check_etag(r, "gunzip", c.etag_opt)
    if r.status == 304:
        return src
    return _inflate(r, c, dc, src)


def _skip_fields(buf: bytearray, flags: int) -> Optional[int]:
    """consume_zlib_flags: where the deflate data starts after the optional header
    fields, or None when they do not fit in ``buf`` yet."""
    pos = 0
    if flags & FLAG_EXTRA:
        if len(buf) < 2:
            return None
        pos = 2 + (buf[0] | buf[1] << 8)
    for flag in (FLAG_NAME, FLAG_COMMENT):
        if flags & flag:
            end = buf.find(b"\0", pos)
            if end < 0:
                return None
            pos = end + 1
    if flags & FLAG_HCRC:
        pos += 2
    return pos if pos <= len(buf) else None


def _inflate(r, c: DeflateConfig, dc: DeflateDirConfig, src):
    head = bytearray()
    d = None
    crc = total_in = total_out = hits = 0
    out = bytearray()
    tail = bytearray()
    size = c.buffersize
    for data in src:
        if d is None:
            head += data
            if len(head) < len(GZIP_HEADER):
                continue
            if head[2] != zlib.DEFLATED:
                log_rerror(r, "deflate", "debug", "AH01404: inflate: data not deflated!")
                yield bytes(head)
                yield from src
                return
            if head[:2] != GZIP_HEADER[:2]:
                log_rerror(r, "deflate", "error", "AH01405: inflate: bad header")
                raise InflateError("bad header")
            flags = head[3]
            if flags & FLAG_RESERVED:
                log_rerror(r, "deflate", "error",
                           f"AH02620: inflate: bad flags {_flags_hex(flags)}")
                raise InflateError("bad flags")
            rest = head[len(GZIP_HEADER):]
            skip = _skip_fields(rest, flags)
            if skip is None:
                continue
            d = zlib.decompressobj(c.windowsize)
            data = bytes(rest[skip:])
        if d.eof:
            tail += data
            continue
        # inflate_out_filter's loop: a full output buffer is passed on while input
        # waits; zlib is asked for at most what the buffer still holds
        while data:
            if len(out) >= size:
                yield bytes(out)
                out = bytearray()
            try:
                z = d.decompress(data, size - len(out))
            except zlib.error as e:
                log_rerror(r, "deflate", "warn", f"AH01409: Zlib error -3 inflating data "
                           f"({e})")
                raise InflateError(str(e)) from None
            total_in += len(data) - len(d.unconsumed_tail)
            data = d.unconsumed_tail
            crc = zlib.crc32(z, crc)
            total_out += len(z)
            out += z
            hits = check_ratio(dc, total_in, total_out, hits)
            if hits < 0:
                log_rerror(r, "deflate", "warn", f"AH02650: Inflated content ratio is larger "
                           f"than the configured limit {dc.ratio_limit} by {dc.ratio_burst} "
                           "time(s)")
                raise InflateError("ratio")
            if d.eof:
                tail += d.unused_data
                break
    if d is None:
        if head:
            yield bytes(head)
        return
    z = d.flush()
    crc = zlib.crc32(z, crc)
    total_out += len(z)
    out += z
    if len(tail) >= VALIDATION_SIZE:
        want_crc, want_len = struct.unpack("<II", bytes(tail[:VALIDATION_SIZE]))
        if crc & 0xFFFFFFFF != want_crc:
            log_rerror(r, "deflate", "error", "AH01399: Zlib: Checksum of inflated stream "
                       "invalid")
            raise InflateError("checksum")
        if total_out & 0xFFFFFFFF != want_len:
            log_rerror(r, "deflate", "error", "AH01400: Zlib: Length of inflated stream "
                       "invalid")
            raise InflateError("length")
    else:
        log_rerror(r, "deflate", "error", "AH01401: Zlib: Validation bytes not present")
        raise InflateError("no validation bytes")
    yield bytes(out)


# -- the DEFLATE input filter -----------------------------------------------------------------

HTTP_BAD_REQUEST, HTTP_REQUEST_ENTITY_TOO_LARGE = 400, 413


def deflate_in_filter(f, src):
    """DEFLATE on the request body (deflate_in_filter)."""
    r = f.r
    if r.main is not None or r.prev is not None:          # ap_is_initial_req
        return src
    if "Content-Range" in r.headers_in or not check_gzip(r, r.headers_in):
        return src
    c = r.server_config(MODULE_NAME) or DeflateConfig()
    dc = r.module_config(MODULE_NAME) or DeflateDirConfig()
    limit = dc.inflate_limit
    if not limit:              # "the core is checking the deflated body, we the inflated"
        limit = get_limit_req_body(r)
    return _inflate_in(r, c, dc, limit, src)


def _zlib_message(e: Exception) -> tuple[int, str]:
    """zlib's return code and stream message from Python's "Error -3 while
    decompressing data: invalid block type"."""
    text = str(e)
    head, _, msg = text.partition(": ")
    words = head.split()
    code = int(words[1]) if len(words) > 1 and words[1].lstrip("-").isdigit() else -3
    return code, msg or text


def _in_error(r, level: str, line: str, status: int = HTTP_BAD_REQUEST):
    log_rerror(r, "deflate", level, line)
    return InputFilterError(status, line)


def _inflate_in(r, c: DeflateConfig, dc: DeflateDirConfig, limit: int, src):
    head = bytearray()
    for data in src:
        if data and not head:
            r.headers_in.unset("Content-Length")
            r.headers_in.unset("Content-MD5")
        head += data
        if len(head) >= len(GZIP_HEADER):
            break
    if not head:               # a zero-length body: nothing to inflate
        return
    if len(head) < len(GZIP_HEADER):
        raise _in_error(r, "error", "AH02619: Encountered premature end-of-stream while "
                        "reading inflate header")
    if head[:2] != GZIP_HEADER[:2]:
        raise _in_error(r, "warn", "AH01387: Zlib: Invalid header")
    flags = head[3]
    if flags & FLAG_RESERVED:
        raise _in_error(r, "warn", f"AH01388: Zlib: Invalid flags {_flags_hex(flags)}")
    d = zlib.decompressobj(c.windowsize)
    pending = bytes(head[len(GZIP_HEADER):])
    fields = bytearray()
    total_in = total_out = hits = crc = 0
    tail = bytearray()
    size = c.buffersize
    done = False

    def pieces():
        if pending:
            yield pending
        yield from src

    for data in pieces():
        if done:
            raise _in_error(r, "error", "AH02482: Encountered extra data after compressed "
                            "data")
        if flags:              # consume_zlib_flags: the optional header fields
            fields += data
            skip = _skip_fields(fields, flags)
            if skip is None:
                continue
            data, flags = bytes(fields[skip:]), 0
            if not data:
                continue
        if d.eof:
            tail += data
        while data and not d.eof:
            try:
                z = d.decompress(data, size)
            except zlib.error as e:
                code, msg = _zlib_message(e)
                raise _in_error(r, "warn", f"AH01392: Zlib error {code} inflating data "
                                f"({msg})") from None
            total_in += len(data) - len(d.unconsumed_tail)
            data = d.unconsumed_tail
            total_out += len(z)
            crc = zlib.crc32(z, crc)
            if limit and total_out > limit:
                raise _in_error(r, "warn", f"AH02648: Inflated content length of "
                                f"{total_out} is larger than the configured limit of "
                                f"{limit}", HTTP_REQUEST_ENTITY_TOO_LARGE)
            hits = check_ratio(dc, total_in, total_out, hits)
            if hits < 0:
                raise _in_error(r, "warn", "AH02649: Inflated content ratio is larger than "
                                f"the configured limit {dc.ratio_limit} by {dc.ratio_burst} "
                                "time(s)")
            if z:
                yield z
            if d.eof:
                tail += d.unused_data
        if d.eof and len(tail) >= VALIDATION_SIZE:
            log_rerror(r, "deflate", "debug", f"AH01393: Zlib: Inflated {total_in} to "
                       f"{total_out} : URL {r.uri}")
            want_crc, want_len = struct.unpack("<II", bytes(tail[:VALIDATION_SIZE]))
            if crc & 0xFFFFFFFF != want_crc:
                raise _in_error(r, "warn", "AH01394: Zlib: CRC error inflating data")
            if total_out & 0xFFFFFFFF != want_len:
                raise _in_error(r, "warn", f"AH01395: Zlib: Length {total_out} of inflated "
                                f"data does not match expected value {want_len}")
            done = True
            if len(tail) > VALIDATION_SIZE:
                raise _in_error(r, "error", "AH02485: Encountered extra data after "
                                "compressed data")
    if not done:
        raise _in_error(r, "error", "AH02481: Encountered premature end-of-stream while "
                        "inflating")
