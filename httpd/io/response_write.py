"""Writing a response: the header filter's fields in Apache's order, the head and the
body (bytes, a file read by the handler, file ranges, multipart parts) framed by
Content-Length or chunked, in as few writes as the pieces allow."""
from __future__ import annotations

import mmap
import os
import time
from typing import Any

from httpd.http import header_filter as http_protocol
from httpd.http import usual_head
from httpd.http.filter import run as run_filters
from httpd.io.channel import READ_SIZE, Channel, ClientGone, body_iter
from httpd.module import CORE_MODULE
from httpd.request.record import FLUSH, BodyAborted, FileRange, Part, Request
from httpd.util.fspath import fs_path


def send_response(serving: Any, ch: Channel, r: Request, timeout: float,
                  checked_once: bool = False) -> Request:
    """The response head and body: the header filter's fields in Apache's order, framed
    by Content-Length or chunked, file ranges with sendfile when EnableSendfile is on.
    Returns the request whose response went out: a response the header checks refuse
    is answered by ap_die(500) instead (an ErrorDocument may take over), and when that
    one fails the checks too, with a bare 500 (check_headers_recursion)."""
    # the body's filter chain (httpd.http.filter), before mod_headers' fixups as in
    # Apache; an nph- script's bytes (assbackwards) go out as they are, past every filter
    if r.filters and not r.assbackwards:
        run_filters(r)
        if r.next is not None:                 # a 416's local ErrorDocument (ap_die)
            from httpd.http import request as http_request
            return send_response(serving, ch, http_request.final_request(r), timeout,
                                 checked_once)
    for output_filter in r.output_filters:     # the header-stage filters (mod_headers)
        output_filter(r)
    r.conn.keepalive = r.conn.keepalive if r.conn.keepalive is False else None
    try:
        head = usual_head.finalize_head(r)
    except http_protocol.BadResponseHeader as e:
        if str(e):
            from httpd.log import errorlog
            errorlog.log_rerror(r, "http", "error", str(e))
        # "clear anything from this response"
        r.headers_out, r.err_headers_out = type(r.headers_out)(), type(r.headers_out)()
        r.content_type = r.content_encoding = None
        r.content_languages = []
        r.body, r.chunked = None, False
        if not checked_once:
            from httpd.http import request as http_request
            http_request.die(500, r)
            return send_response(serving, ch, http_request.final_request(r), timeout, True)
        r.status = 500
        r.conn.keepalive = False
        head = http_protocol.response_head(*http_protocol.finalize_headers(r, keepalive=False))
    if r.proto_num == 9 or r.assbackwards:  # HTTP/0.9 (only with Allow0.9), nph-: the body alone
        head = b""
        r.conn.keepalive = False
        r.chunked = False
    r.first_byte_time = time.time()
    no_body = r.header_only or r.status in (204, 304) or 100 <= r.status < 200
    if no_body or r.body is None:
        ch.send(head, timeout)
    else:
        send_body(ch, head, r, timeout)
    return r


def send_body(ch: Channel, head: bytes, r: Request, timeout: float) -> None:
    chunked = bool(r.chunked)
    body = r.body
    if not chunked:
        # the usual body: bytes, or a whole file the handler read, in one write with the
        # head (what the loop below does with them, without its per-piece tests)
        kind = type(body)
        if kind is FileRange and body.data is not None and not body.offset \
                and body.length == len(body.data):
            body = body.data
        elif kind is list and len(body) == 1 and type(body[0]) is bytes:
            body = body[0]          # an application's one piece (mod_wsgi, CGI)
        if type(body) is bytes:
            if len(head) + len(body) <= READ_SIZE:
                ch.send(head + body, timeout)
            else:
                ch.sendv(head, body, timeout)
            r.bytes_sent = len(body)
            r.sent_bodyct = True
            return
    pending = head
    sent = 0
    use_sendfile, use_mmap, read_size = file_reading(r)   # (not needed by the bytes above)
    try:
        for piece in body_iter(r.body):
            if piece is FLUSH:          # send what is buffered now
                if pending:
                    ch.send(pending, timeout)
                    pending = b""
                continue
            if isinstance(piece, Part):
                parts = (piece.header, piece.body)
            else:
                parts = (piece,)
            for p in parts:
                if isinstance(p, FileRange) and (p.data is not None or p.length <= COALESCE):
                    # a file read by the handler, or a small range, goes out in one write
                    # with the head (one syscall instead of a send and a sendfile)
                    data = p.data
                    if data is None:
                        data = _read_range(p)
                    elif p.offset or p.length != len(data):
                        data = data[p.offset:p.offset + p.length]
                    if len(data) < p.length:       # the file shrank: close after it
                        r.conn.keepalive = False
                    p = data
                if isinstance(p, FileRange):
                    mapped = (_map_range(p) if use_mmap and not use_sendfile
                              and p.length <= MMAP_LIMIT else None)
                    if mapped is not None:       # one writev: the head and the mapping
                        sent += p.length
                        if chunked:
                            ch.sendv(pending + b"%x\r\n" % p.length, mapped, timeout)
                            pending = b"\r\n"
                        else:
                            ch.sendv(pending, mapped, timeout)
                            pending = b""
                        continue
                    if chunked:
                        ch.send(pending + b"%x\r\n" % p.length, timeout)
                        pending = b""
                        n = ch.sendfile(p, timeout, use_sendfile, read_size)
                        ch.send(b"\r\n", timeout)
                    else:
                        ch.send(pending, timeout)
                        pending = b""
                        n = ch.sendfile(p, timeout, use_sendfile, read_size)
                    sent += n
                    if n < p.length:       # the file shrank: the framing is broken, close
                        r.conn.keepalive = False
                        r.bytes_sent = sent
                        raise ClientGone()
                    continue
                data = bytes(p)
                if not data:
                    continue
                sent += len(data)
                if chunked:
                    data = b"%x\r\n%s\r\n" % (len(data), data)
                if len(pending) + len(data) <= READ_SIZE:
                    pending += data        # small pieces go out with the head
                else:
                    ch.sendv(pending, data, timeout)    # one writev, no copy into pending
                    pending = b""
    except BodyAborted:        # the producer failed: no end of body, close after it
        ch.send(pending, timeout)
        r.bytes_sent = sent
        r.conn.keepalive = False
        return
    if chunked:
        pending += b"0\r\n\r\n"
    ch.send(pending, timeout)
    r.bytes_sent = sent
    r.sent_bodyct = True


COALESCE = 16384          # a file range up to this size is read and sent with the head


def file_reading(r: Request) -> tuple:
    """(EnableSendfile, EnableMMAP, ReadBufferSize) for this request's directory: how a
    FileRange body may go out.  Sendfile is Off unless configured (as in 2.4), the map
    On unless configured Off; the read size (ap_get_read_buf_size) of a file sent
    neither way is READ_SIZE (64 KB) unless configured (Apache's 8 KB costs eight times
    the calls)."""
    d = r.module_config(CORE_MODULE)
    return d.enable_sendfile is True, d.enable_mmap is not False, d.read_buf_size or READ_SIZE


# Apache reads a file bucket through a memory map when EnableMMAP is on (the default)
# and the file is at most APR_MMAP_LIMIT bytes (apr_buckets.h: 4 MB); larger ones, and
# every file with EnableMMAP Off, are read in pieces.
MMAP_LIMIT = 4 * 1024 * 1024
_MAP_FLAGS = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
_GRANULARITY = mmap.ALLOCATIONGRANULARITY


def _map_range(fr: FileRange) -> Any:
    """A file range as a read-only view of a memory map (apr_mmap_create), or None when
    the file cannot be mapped or is now shorter than the range (the read path then
    finds out how much is left).  The pages are populated at once (one fault-free
    pass); the kernel copies them into the socket, nothing copies them in Python.  The
    map goes when the last view of it does (a write-completion backlog may keep one)."""
    try:
        fd = os.open(fs_path(fr.path), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        start = fr.offset - fr.offset % _GRANULARITY
        skip = fr.offset - start
        m = mmap.mmap(fd, skip + fr.length, flags=_MAP_FLAGS, prot=mmap.PROT_READ,
                      offset=start)
    except (OSError, ValueError, OverflowError):     # shorter than the range, or special
        return None
    finally:
        os.close(fd)
    view = memoryview(m)
    return view[skip:] if skip else view


def _read_range(fr: FileRange) -> bytes:
    """A small file range in one pread (no Python file object on the hot path)."""
    try:
        fd = os.open(fs_path(fr.path), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return b""
    try:
        return os.pread(fd, fr.length, fr.offset)
    except OSError:
        return b""
    finally:
        os.close(fd)
