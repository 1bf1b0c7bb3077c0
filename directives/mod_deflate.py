"""mod_deflate (modules/filters/mod_deflate.c): the DEFLATE output filter.

The filter registers itself by name (AP_FTYPE_CONTENT_SET, as register_hooks does) with the core's
filter chain (httpd.http.filter); SetOutputFilter, AddOutputFilter and mod_filter's
AddOutputFilterByType/FilterProvider add it by that name.

It decides as deflate_out_filter does, in its order: a body known to be no longer than
68 bytes is not compressed (and gets no Vary); nor a subrequest, a 204, a request with
``no-gzip`` in its environment, or a response that already has a Content-Range; nor a
type other than text/html when ``gzip-only-text/html`` is 1; nor a response whose
Content-Encoding is already something else than identity/7bit/8bit/binary.  Then
``Vary: Accept-Encoding`` is merged, and unless ``force-gzip`` is set the
Accept-Encoding field must name gzip (Apache's own scan: the first ``gzip`` token, and
``q=0`` refuses; ``*`` and ``identity`` do not ask for it).  Compressing sets
Content-Encoding, removes Content-Length and Content-MD5, and changes the ETag as
DeflateAlterETag says (``"...-gzip"`` by default).  The output is gzip framing as
mod_deflate writes it (the 10-byte header with OS code 3, raw deflate with
DeflateWindowSize/DeflateMemLevel/DeflateCompressionLevel, CRC-32 and length), passed
on every DeflateBufferSize bytes: a response that compresses into one buffer goes out
with a Content-Length (and ranges apply to the compressed bytes, as Apache's byterange
filter applies them); a longer one streams, chunked.  DeflateFilterNote's notes are
set at the end, for the access log.

The INFLATE output filter (inflate_out_filter) undoes a gzip Content-Encoding for
clients: check_gzip takes gzip (or x-gzip) off the encoding, Content-Length and
Content-MD5 go, the ETag gets ``-gunzip``; the header is checked (not deflated: passed
as it is, AH01404; bad magic AH01405; reserved flags AH02620), the optional fields are
skipped, the CRC and length verified (AH01399, AH01400, AH01401), and
DeflateInflateRatioLimit/DeflateInflateRatioBurst stop a stream that inflates too
much (AH02650).  A broken stream ends the response (before its first byte: a 500).

The DEFLATE input filter (deflate_in_filter) inflates a request body sent with a gzip
Content-Encoding for the handler that reads it (SetInputFilter DEFLATE, AddInputFilter):
only on the initial request and without a Content-Range; check_gzip takes gzip off the
request's Content-Encoding, and Content-Length and Content-MD5 go once the body's first
bytes are read.  Its errors are Apache's log lines, and the handler's read fails with
ap_map_http_request_error's status: 413 when the inflated body passes
DeflateInflateLimitRequestBody (LimitRequestBody when that is 0, AH02647/AH02648), 400
otherwise (a short header AH02619, bad magic AH01387, reserved flags AH01388, a zlib
error AH01391/AH01392, the ratio limit AH02649, the CRC AH01394 or length AH01395, the
stream cut short AH02481, data after its end AH02482/AH02485).
"""
from __future__ import annotations

import struct
import zlib
from typing import Optional

import attrs

from httpd.http.filter import (AP_FTYPE_CONTENT_SET, AP_FTYPE_RESOURCE, InputFilterError,
                               register_input_filter, register_output_filter)
from httpd.http.request import log_rerror
from httpd.module import OR_ALL, RSRC_CONF, Args, Module, directive
from httpd.util.cparse import atoi, strtol
from httpd.util.tokens import get_token

MODULE_NAME = "deflate_module"
FILTER_NAME = "DEFLATE"

DEFAULT_COMPRESSION = zlib.Z_DEFAULT_COMPRESSION
DEFAULT_WINDOWSIZE = -15
DEFAULT_MEMLEVEL = 9
DEFAULT_BUFFERSIZE = 8096
ETAG_NOCHANGE, ETAG_ADDSUFFIX, ETAG_REMOVE = 0, 1, 2

GZIP_HEADER = bytes((0o37, 0o213, zlib.DEFLATED, 0, 0, 0, 0, 0, 0, 3))   # OS_CODE 3: Unix
VALIDATION_SIZE = 8
SMALL = len(GZIP_HEADER) + VALIDATION_SIZE + 50   # "50 is for Content-Encoding and Vary"
_PLAIN_CODINGS = ("identity", "7bit", "8bit", "binary")


@attrs.define
class DeflateConfig:
    """deflate_filter_config (per server; Apache has no merge: a virtual host starts
    from the defaults)."""

    windowsize: int = DEFAULT_WINDOWSIZE
    memlevel: int = DEFAULT_MEMLEVEL
    buffersize: int = DEFAULT_BUFFERSIZE
    compressionlevel: int = DEFAULT_COMPRESSION
    etag_opt: int = ETAG_ADDSUFFIX
    note_ratio_name: Optional[str] = None
    note_input_name: Optional[str] = None
    note_output_name: Optional[str] = None


def create_server_config(server) -> DeflateConfig:
    return DeflateConfig()


def merge_server_config(base: DeflateConfig, add: DeflateConfig) -> DeflateConfig:
    return add


def _conf(cmd) -> DeflateConfig:
    return cmd.server.module_config[MODULE_NAME]


# -- directives ----------------------------------------------------------------------------

@directive("DeflateFilterNote", Args.TAKE12, RSRC_CONF,
           "Set a note to report on compression ratio")
def set_note(cmd, d, arg1, arg2=None):
    c = _conf(cmd)
    if arg2 is None:
        c.note_ratio_name = arg1
    elif arg1.lower() == "ratio":
        c.note_ratio_name = arg2
    elif arg1.lower() == "input":
        c.note_input_name = arg2
    elif arg1.lower() == "output":
        c.note_output_name = arg2
    else:
        return f"Unknown note type {arg1}"
    return None


@directive("DeflateWindowSize", Args.TAKE1, RSRC_CONF, "Set the Deflate window size (1-15)")
def set_window_size(cmd, d, arg):
    i = atoi(arg)
    if i < 1 or i > 15:
        return "DeflateWindowSize must be between 1 and 15"
    _conf(cmd).windowsize = -i
    return None


@directive("DeflateBufferSize", Args.TAKE1, RSRC_CONF, "Set the Deflate Buffer Size")
def set_buffer_size(cmd, d, arg):
    n = atoi(arg)
    if n <= 0:
        return "DeflateBufferSize should be positive"
    _conf(cmd).buffersize = n
    return None


@directive("DeflateMemLevel", Args.TAKE1, RSRC_CONF, "Set the Deflate Memory Level (1-9)")
def set_memlevel(cmd, d, arg):
    i = atoi(arg)
    if i < 1 or i > 9:
        return "DeflateMemLevel must be between 1 and 9"
    _conf(cmd).memlevel = i
    return None


@directive("DeflateCompressionLevel", Args.TAKE1, RSRC_CONF,
           "Set the Deflate Compression Level (1-9)")
def set_compressionlevel(cmd, d, arg):
    i = atoi(arg)
    if i < 1 or i > 9:
        return "Compression Level must be between 1 and 9"
    _conf(cmd).compressionlevel = i
    return None


@directive("DeflateAlterEtag", Args.TAKE1, RSRC_CONF,
           "Set how mod_deflate should modify ETAG response headers: 'AddSuffix' "
           "(default), 'NoChange' (2.2.x behavior), 'Remove'")
def set_etag(cmd, d, arg):
    opt = {"nochange": ETAG_NOCHANGE, "addsuffix": ETAG_ADDSUFFIX,
           "remove": ETAG_REMOVE}.get(arg.lower())
    if opt is None:
        return "DeflateAlterETAG accepts only 'NoChange', 'AddSuffix', and 'Remove'"
    _conf(cmd).etag_opt = opt
    return None


AP_INFLATE_RATIO_LIMIT, AP_INFLATE_RATIO_BURST = 200, 3


@attrs.define
class DeflateDirConfig:
    """deflate_dirconf_t (no merge in Apache: the innermost section's, defaults
    otherwise)."""

    ratio_limit: int = AP_INFLATE_RATIO_LIMIT
    ratio_burst: int = AP_INFLATE_RATIO_BURST
    inflate_limit: int = 0          # DeflateInflateLimitRequestBody (0: LimitRequestBody)


def create_dir_config(path) -> DeflateDirConfig:
    return DeflateDirConfig()


def merge_dir_config(base: DeflateDirConfig, add: DeflateDirConfig) -> DeflateDirConfig:
    return add


@directive("DeflateInflateRatioLimit", Args.TAKE1, OR_ALL,
           "Set the inflate ratio limit above which inflation is aborted (default: 200)")
def set_inflate_ratio_limit(cmd, dc: DeflateDirConfig, arg):
    i = atoi(arg)
    if i <= 0:
        return "DeflateInflateRatioLimit must be positive"
    dc.ratio_limit = i
    return None


@directive("DeflateInflateRatioBurst", Args.TAKE1, OR_ALL,
           "Set the maximum number of following inflate ratios above limit (default: 3)")
def set_inflate_ratio_burst(cmd, dc: DeflateDirConfig, arg):
    i = atoi(arg)
    if i <= 0:
        return "DeflateInflateRatioBurst must be positive"
    dc.ratio_burst = i
    return None


@directive("DeflateInflateLimitRequestBody", Args.TAKE1, OR_ALL,
           "Set a limit on size of inflated input")
def set_inflate_limit(cmd, dc: DeflateDirConfig, arg):
    value, end, overflow = strtol(arg)          # apr_strtoff
    if overflow:
        return "DeflateInflateLimitRequestBody is not parsable."
    if end < len(arg) or value < 0:
        return "DeflateInflateLimitRequestBody requires a non-negative integer."
    dc.inflate_limit = value
    return None


_INFLATE_DIRECTIVES = (set_inflate_limit, set_inflate_ratio_limit, set_inflate_ratio_burst)


# -- the filter ----------------------------------------------------------------------------

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


# -- INFLATE ---------------------------------------------------------------------------------

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
            if total_in:                    # check_ratio
                if total_out // total_in < dc.ratio_limit:
                    hits = 0
                else:
                    hits += 1
                    if hits > dc.ratio_burst:
                        log_rerror(r, "deflate", "warn", f"AH02650: Inflated content ratio "
                                   f"is larger than the configured limit {dc.ratio_limit} "
                                   f"by {dc.ratio_burst} time(s)")
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
        from httpd.core.config import effective_limit_req_body
        from httpd.module import CORE_MODULE
        core = r.module_config(CORE_MODULE)
        limit = effective_limit_req_body(core) if core is not None else 0
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
            if total_in:                    # check_ratio
                if total_out // total_in < dc.ratio_limit:
                    hits = 0
                else:
                    hits += 1
                    if hits > dc.ratio_burst:
                        raise _in_error(r, "warn", "AH02649: Inflated content ratio is "
                                        f"larger than the configured limit "
                                        f"{dc.ratio_limit} by {dc.ratio_burst} time(s)")
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


register_output_filter(FILTER_NAME, deflate_out_filter, AP_FTYPE_CONTENT_SET, module=MODULE_NAME)
register_input_filter(FILTER_NAME, deflate_in_filter, AP_FTYPE_CONTENT_SET, module=MODULE_NAME)
register_output_filter("INFLATE", inflate_out_filter, AP_FTYPE_RESOURCE - 1,
                       module=MODULE_NAME)


MODULE = Module(
    MODULE_NAME, "mod_deflate.c",
    (set_note, set_window_size, set_buffer_size, set_memlevel, set_compressionlevel)
    + _INFLATE_DIRECTIVES + (set_etag,),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    doc="Compress content before it is delivered to the client",
)
