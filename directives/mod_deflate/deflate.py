"""The DEFLATE output filter (deflate_out_filter): Apache's decisions, gzip framing,
the -gzip ETag, DeflateFilterNote's notes."""
from __future__ import annotations

import struct
import zlib

from httpd.util.tokens import get_token

from directives.mod_deflate.config import (ETAG_NOCHANGE, ETAG_REMOVE, GZIP_HEADER,
                                           MODULE_NAME, SMALL, _PLAIN_CODINGS, DeflateConfig)


def check_etag(r, transform: str, etag_opt: int) -> None:
    """deflate_check_etag: ``"abc"`` becomes ``"abc-gzip"`` (or the ETag goes)."""
    if etag_opt == ETAG_REMOVE:
        r.headers_out.unset("ETag")
        return
    etag = r.headers_out.get("ETag")
    if etag and len(etag) > 2 and etag[-1] == '"':
        r.headers_out.set("ETag", f'{etag[:-1]}-{transform}"')


def _accepts_gzip(accepts: str) -> bool:
    """deflate_out_filter's scan of Accept-Encoding: the first ``gzip`` token, and its
    q parameter when one follows directly (``q=0``, ``q=0.0``... refuse)."""
    n = len(accepts)
    token, p = get_token(accepts, 0, False)
    while token and token.lower() != "gzip":
        while p < n and accepts[p] == ";":
            p += 1
            _, p = get_token(accepts, p, True)
        if p < n and accepts[p] == ",":
            p += 1
        token, p = get_token(accepts, p, False) if p < n else (None, p)
    q = None
    if p < n:
        while p < n and accepts[p] == ";":
            p += 1
        q, p = get_token(accepts, p, True)
    if not token:
        return False
    return not (q and len(q) >= 3 and "q=0.000".startswith(q))


def deflate_out_filter(f, src):
    """DEFLATE (deflate_out_filter)."""
    r = f.r
    total = src.total
    if total is not None and total <= SMALL:
        return src
    env = r.subprocess_env
    out = r.headers_out
    if r.main is not None or r.status == 204 or env.get("no-gzip") is not None \
            or "Content-Range" in out:
        return src
    if (r.content_type is None or not r.content_type.startswith("text/html")) \
            and env.get("gzip-only-text/html") == "1":
        return src
    encoding = out.get("Content-Encoding")
    err_enc = r.err_headers_out.get("Content-Encoding")
    if encoding is not None:
        if err_enc:
            encoding = f"{encoding},{err_enc}"
    else:
        encoding = err_enc
    if r.content_encoding:
        encoding = f"{encoding},{r.content_encoding}" if encoding else r.content_encoding
    if encoding:
        pos, n = 0, len(encoding)
        token, pos = get_token(encoding, 0, False)
        while token:
            if token not in _PLAIN_CODINGS:
                return src
            if pos < n:
                pos += 1
            token, pos = get_token(encoding, pos, False) if pos < n else ("", pos)
    out.merge("Vary", "Accept-Encoding")
    if env.get("force-gzip") is None:
        accepts = r.headers_in.get("Accept-Encoding")
        if accepts is None or not _accepts_gzip(accepts):
            return src
    c = r.server_config(MODULE_NAME) or DeflateConfig()
    if not encoding or encoding.lower() == "identity":
        out.set("Content-Encoding", "gzip")
    else:
        out.merge("Content-Encoding", "gzip")
    if r.content_encoding:
        r.content_encoding = out.get("Content-Encoding")
    out.unset("Content-Length")
    out.unset("Content-MD5")
    if c.etag_opt != ETAG_NOCHANGE:
        check_etag(r, "gzip", c.etag_opt)
    if r.status == 304:
        return src
    return _compress(r, c, src)


def _compress(r, c: DeflateConfig, src):
    comp = zlib.compressobj(c.compressionlevel, zlib.DEFLATED, c.windowsize, c.memlevel)
    size = c.buffersize
    crc = total_in = total_out = 0
    buf = bytearray(GZIP_HEADER)
    head = len(GZIP_HEADER)            # the first pass carries the header too
    for data, more in _windows(src):
        crc = zlib.crc32(data, crc)
        total_in += len(data)
        z = comp.compress(data)
        total_out += len(z)
        buf += z
        # deflate_out_filter passes a full buffer when zlib fills it while input is
        # still waiting; zlib reads its input a window at a time, so that is "more
        # input after this window"
        while more and len(buf) >= head + size:
            yield bytes(buf[:head + size])
            del buf[:head + size]
            head = 0
    tail = comp.flush(zlib.Z_FINISH)
    total_out += len(tail)
    buf += tail
    buf += struct.pack("<II", crc & 0xFFFFFFFF, total_in & 0xFFFFFFFF)
    _notes(r, c, total_in, total_out)
    yield bytes(buf)


WINDOW = 32768          # zlib's wsize for DeflateWindowSize 15: its reads of input


def _windows(src):
    """The input in pieces that end on WINDOW boundaries of the whole stream, each with
    whether more input follows."""
    pending = bytearray()
    offset = 0                     # stream offset of pending[0]
    for data in src:
        pending += data
        while True:
            cut = WINDOW - offset % WINDOW
            if len(pending) <= cut:
                break              # (a piece ending exactly here may be the last)
            yield bytes(pending[:cut]), True
            del pending[:cut]
            offset += cut
    if pending:
        yield bytes(pending), False


def _notes(r, c: DeflateConfig, total_in: int, total_out: int) -> None:
    """DeflateFilterNote's notes (set at the end of the stream)."""
    if c.note_input_name:
        r.notes[c.note_input_name] = str(total_in) if total_in > 0 else "-"
    if c.note_output_name:
        r.notes[c.note_output_name] = str(total_out) if total_out > 0 else "-"
    if c.note_ratio_name:
        r.notes[c.note_ratio_name] = str(total_out * 100 // total_in) if total_in > 0 \
            else "-"
