"""core's default handler (default_handler in core.c) and the methods the server answers
itself (ap_send_http_trace and http_send_options in http_core.c).

The default handler serves the mapped file: validators (Last-Modified, ETag per
FileETag), Accept-Ranges, Content-Length, the conditional request fields (304/412 as
ap_meets_conditions decides), Range (httpd.http.byterange) and HEAD; it answers OPTIONS with
Allow, and any other method with 405 (501 for a method the server does not know).  POST
is served like GET, as Apache does.  The body is a FileRange (or parts of one): the
connection sends it, with sendfile when EnableSendfile is on; nothing is read here
except for FileETag Digest and ContentDigest, which hash the file in blocks.

TRACE and ``OPTIONS *`` are answered before access control, as Apache answers them from
map_to_storage; here they join header_parser first (core's map_to_storage runs the
directory walk and stays that hook's single core entry).
"""
from __future__ import annotations

import base64
import errno
import hashlib
import os
import stat as _stat

from httpd.log import errorlog as _errorlog
from httpd.http.byterange import apply_byterange
from httpd.http.conditional import (CONDITIONAL_FIELDS, ETAG_DIGEST, ETAG_NONE,
                                    etag_components, meets_conditions, set_etag)
from httpd.module.hooks import DECLINED, DONE, OK, REALLY_FIRST, REALLY_LAST
from httpd.http.header_filter import (make_allow,
                                 set_accept_ranges, set_content_length, set_last_modified,
                                 update_mtime)
from httpd.core.filecache import CACHE as _FILES
from httpd.protocol import M_GET, M_INVALID, M_OPTIONS, M_POST, M_TRACE, status_drops_connection
from httpd.request.record import SMALL_FILE, FileRange, Request

from httpd.http.cgi_common import ScriptLogConf, check_request
from httpd.module import CORE_MODULE as CORE
from httpd.util.fspath import fs_path
_NO_SCRIPTLOG = ScriptLogConf()
HTTP_NOT_FOUND, HTTP_FORBIDDEN, HTTP_METHOD_NOT_ALLOWED = 404, 403, 405
HTTP_BAD_REQUEST, HTTP_REQUEST_ENTITY_TOO_LARGE = 400, 413
HTTP_NOT_IMPLEMENTED, HTTP_SERVICE_UNAVAILABLE = 501, 503
TRACE_BODY_MAX = 65536
_O_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_S_IFMT, _S_IFREG = _stat.S_IFMT(0o177777), _stat.S_IFREG


def log_rerror(r: Request, level: str, msg: str) -> None:
    """ap_log_rerror for core."""
    _errorlog.log_rerror(r, "core", level, msg)


# -- request bodies the handler does not want ------------------------------------------------

def discard_request_body(r: Request) -> int:
    """ap_discard_request_body (http_filters.c): read and drop a body so the connection
    can go on.  A no-op on a subrequest or a connection already marked to close; a
    status that drops the connection marks it so and reads nothing; otherwise the body
    is read through the protocol, whose input filter sends 100 Continue only when the
    status so far is a 2xx (an ErrorDocument's request reads nothing: the connection
    then closes)."""
    if r.main is not None or r.conn.keepalive is False:
        return OK
    if status_drops_connection(r.status):
        r.conn.keepalive = False
        return OK
    if not r.remaining and not r.read_chunked:     # the request has no body
        return OK
    discard = r.discard_body
    if discard is None:
        return OK
    try:
        discard(r)
    except Exception as e:   # the connection reports a bad body with its status
        r.conn.keepalive = False
        return getattr(e, "status", HTTP_BAD_REQUEST)
    return OK


# -- the default handler --------------------------------------------------------------------

def _open_error(r: Request, err: OSError) -> int:
    """What a failed open means.  Apache says 403 for every failure; running out of file
    descriptors is not an authorization decision, so that is 503 here (reliability.md
    1.3), and a name too long or a file gone since the stat is 404."""
    code = err.errno
    if code in (errno.EMFILE, errno.ENFILE):
        log_rerror(r, "error", f"({code}){os.strerror(code)}: AH00132: file permissions "
                   f"deny server access: {r.filename}")
        return HTTP_SERVICE_UNAVAILABLE
    if code in (errno.ENOENT, errno.ENAMETOOLONG, errno.ENOTDIR):
        log_rerror(r, "info", f"AH00128: File does not exist: {r.filename}")
        return HTTP_NOT_FOUND
    log_rerror(r, "error", f"({code}){os.strerror(code)}: AH00132: file permissions deny "
               f"server access: {r.filename}")
    return HTTP_FORBIDDEN


def _content_md5(path: str) -> str:
    """ap_md5digest: base64 of the MD5 of the whole file, read in blocks."""
    h = hashlib.md5()
    with open(fs_path(path), "rb") as f:
        for block in iter(lambda: f.read(65536), b""):
            h.update(block)
    return base64.b64encode(h.digest()).decode("ascii")


# The four fields of a file's response (Last-Modified, ETag, Accept-Ranges,
# Content-Length) by what decides them: (inode, size, mtime, FileETag bits, ranges off).
# Bounded; exact (the values are a function of the key alone).
_FILE_FIELDS: dict = {}
_FILE_FIELDS_MAX = 4096
_FILE_KEYS = ("last-modified", "etag", "accept-ranges", "content-length")
_NOT_CACHED_ETAG = ETAG_NONE | ETAG_DIGEST
_GET_OPTIONS_POST = (1 << M_GET) | (1 << M_OPTIONS) | (1 << M_POST)


def _set_file_fields(r: Request, d, st) -> None:
    """ap_update_mtime, ap_set_last_modified, ap_set_etag, ap_set_accept_ranges and
    ap_set_content_length for the mapped file.  When they are the only fields yet, the
    file is at least a second old (its Last-Modified is its mtime and its ETag strong),
    and the tag is neither a digest, none nor a negotiated one, the four fields come from
    the table of those already made."""
    out = r.headers_out
    bits = etag_components(d)
    key = None
    mtime_ns = st.st_mtime_ns
    if not (out._items or r.mtime is not None or bits & _NOT_CACHED_ETAG
            or r.vlist_validator
            or int(r.request_time * 1_000_000) - mtime_ns // 1000 < 1_000_000):
        key = (st.st_ino, st.st_size, mtime_ns, bits, d.max_ranges == 0)
        items = _FILE_FIELDS.get(key)
        if items is not None:
            r.mtime = st.st_mtime           # ap_update_mtime on a record without one
            out._items = list(items)
            out._keys = list(_FILE_KEYS)
            return
    update_mtime(r, st.st_mtime)
    set_last_modified(r)
    set_etag(r, d)
    set_accept_ranges(r, d)
    set_content_length(r, st.st_size)
    if key is not None:
        if len(_FILE_FIELDS) >= _FILE_FIELDS_MAX:
            _FILE_FIELDS.clear()
        _FILE_FIELDS[key] = tuple(out._items)


def _unservable(r: Request, d, st) -> int:
    """default_handler's refusals of what the walk mapped, in its order: no file, a
    directory, path info it does not accept, anything but a regular file (0: none)."""
    if st is None:
        log_rerror(r, "info", f"AH00128: File does not exist: {r.filename}{r.path_info}")
        return HTTP_NOT_FOUND
    mode = st.st_mode
    if _stat.S_ISDIR(mode):
        log_rerror(r, "info", f"AH00129: Attempt to serve directory: {r.filename}")
        return HTTP_NOT_FOUND
    if r.path_info and d.accept_path_info != "on":
        log_rerror(r, "info", f"AH00128: File does not exist: {r.filename}{r.path_info}")
        return HTTP_NOT_FOUND
    if not _stat.S_ISREG(mode):
        # Apache would open and read a FIFO or a device, and a FIFO blocks the worker
        log_rerror(r, "info", f"AH00128: File does not exist: {r.filename}")
        return HTTP_NOT_FOUND
    return 0


def _serve_file(r: Request, d) -> int:
    st = r.finfo
    if st is None or st.st_mode & _S_IFMT != _S_IFREG or r.path_info:
        refused = _unservable(r, d, st)
        if refused:
            return refused
    path = r.filename
    body = None if d.content_md5 else _FILES.whole(path, st)
    if body is None:
        status, data = _read_file(r, d, st, path)
        if status is not None:
            return status
        body = FileRange(path, 0, st.st_size, data)
    else:                # read before with this very inode, size, mtime and ctime
        _set_file_fields(r, d, st)
        if not CONDITIONAL_FIELDS.isdisjoint(r.headers_in._keys) and _conditions_answer(r):
            return OK
    # a content filter gets the whole file (the byterange filter comes after it:
    # httpd.http.filter.run); no Range: the byterange filter passes it on
    if r.filters or "range" not in r.headers_in._keys:
        r.body = body
        return OK
    return apply_byterange(r, body)


def _conditions_answer(r: Request) -> bool:
    """ap_meets_conditions: a 304 or 412 is answered by the handler itself (headers
    kept, empty body): True then."""
    status = meets_conditions(r)
    if status == OK:
        return False
    r.status = status
    r.body = b""
    return True


def _read_file(r: Request, d, st, path: str) -> tuple:
    """_serve_file for a file not in the cache of small files (or under ContentDigest
    On): opened (the permission check Apache's open makes), its fields set, its
    Content-MD5 computed, the conditions checked, a small file read whole while it is
    open (the writer sends these bytes) and kept (also when the conditions answered:
    the next revalidation is then a cached one).  (status, None) when that answered
    the request, else (None, the bytes or None)."""
    try:
        fd = os.open(fs_path(path), _O_READ)
    except OSError as e:
        return _open_error(r, e), None
    try:
        _set_file_fields(r, d, st)
        if d.content_md5:
            try:
                r.headers_out.set("Content-MD5", _content_md5(path))
            except OSError as e:
                return _open_error(r, e), None
        answered = (not CONDITIONAL_FIELDS.isdisjoint(r.headers_in._keys)
                    and _conditions_answer(r))
        size = st.st_size
        if size > SMALL_FILE or r.header_only:
            return (OK if answered else None), None
        # a 304 reads the small file too, once: the browser's next revalidations of
        # it then take the cached path (no open, no read)
        try:
            data = os.read(fd, size)
        except OSError:
            return (OK if answered else None), None
        _FILES.put(path, st, data)
        return (OK, None) if answered else (None, data)
    finally:
        os.close(fd)


def cgi_script(r: Request, d) -> int:
    """A ``cgi-script`` request without a CGI module: mod_cgi's checks, in its order,
    up to running the script (``httpd.http.cgi_common.check_request``: ExecCGI off 403,
    no file 404, a directory 403, rejected path info 404), and then 403 where Apache
    would run it.  Stricter than Apache without mod_cgi, which serves the script's
    source as a file: a ScriptAlias or ``SetHandler cgi-script`` file is never sent."""
    refused = check_request(r, _NO_SCRIPTLOG, "cgi")
    if refused is not None and refused != DECLINED:
        return refused
    log_rerror(r, "error", f"AH00000: cgi-script handler is not available in this server "
               f"(no mod_cgi): refusing to send {r.filename} as a file")
    return HTTP_FORBIDDEN


def default_handler(r: Request) -> int:
    """default_handler: the last handler of every request."""
    d = r.per_dir_config.get(CORE)          # r.module_config(CORE), inline (hot)
    if d is None:
        d = r.server.lookup_defaults.get(CORE)
    if r.handler == "cgi-script":
        return cgi_script(r, d)
    r.allowed |= _GET_OPTIONS_POST  # ap_allow_standard_methods(r, MERGE_ALLOW, GET, OPTIONS, POST)
    if r.remaining or r.read_chunked or r.status != 200:   # else it would do nothing
        status = discard_request_body(r)
        if status != OK:
            return status
    method = r.method_number
    if method == M_GET or method == M_POST:
        return _serve_file(r, d)
    if method == M_INVALID:
        req = r.the_request
        if req[:1] == "\x16" and req[1:2] in ("\x02", "\x03"):
            log_rerror(r, "error", f"AH00133: Invalid method in request {req} - possible "
                       "attempt to establish SSL connection on non-SSL port")
        else:
            log_rerror(r, "error", f"AH00134: Invalid method in request {req}")
        return HTTP_NOT_IMPLEMENTED
    if method == M_OPTIONS:
        return send_http_options(r)
    return HTTP_METHOD_NOT_ALLOWED


def send_http_options(r: Request) -> int:
    """ap_send_http_options: the Allow field; the body is empty."""
    if r.proto_num < 1000:          # HTTP/0.9 has no header to carry it
        return DECLINED
    r.headers_out.set("Allow", make_allow(r))
    return OK


# -- TRACE and OPTIONS * ------------------------------------------------------------------------

def send_http_trace(r: Request) -> int:
    """ap_send_http_trace: echo the request as message/http; TraceEnable decides (off
    by default here: a TRACE reflects cookies and credentials, reliability.md 1.3)."""
    while r.prev is not None:
        r = r.prev
    trace = r.server.module_config[CORE].trace_enable or "off"
    if trace == "off":
        r.notes["error-notes"] = "TRACE denied by server configuration"
        return HTTP_METHOD_NOT_ALLOWED
    hin = r.headers_in
    te = hin.get("Transfer-Encoding")
    cl = hin.get("Content-Length")
    has_body = te is not None or (cl is not None and cl.strip() not in ("", "0"))
    body = b""
    if has_body:
        if trace != "extended":
            r.notes["error-notes"] = "TRACE with a request body is not allowed"
            log_rerror(r, "info", f"AH01595: {r.method} with body is not allowed for {r.uri}")
            return HTTP_REQUEST_ENTITY_TOO_LARGE
        if cl is not None and te is None and cl.strip().isdigit() \
                and int(cl) > TRACE_BODY_MAX:
            r.notes["error-notes"] = "Extended TRACE request bodies cannot exceed 64k\n"
            return HTTP_REQUEST_ENTITY_TOO_LARGE
        if r.read_body is not None:
            chunks, total = [], 0
            try:
                while True:
                    data = r.read_body(65536)
                    if not data:
                        break
                    total += len(data)
                    if total > TRACE_BODY_MAX:
                        while r.read_body(65536):
                            pass
                        r.notes["error-notes"] = ("Extended TRACE request bodies cannot "
                                                  "exceed 64k\n")
                        return HTTP_REQUEST_ENTITY_TOO_LARGE
                    chunks.append(data)
            except Exception as e:
                r.conn.keepalive = False
                return getattr(e, "status", HTTP_BAD_REQUEST)
            body = b"".join(chunks)
    r.content_type = "message/http"
    lines = [r.the_request]
    lines += [f"{k}: {v}" for k, v in hin]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    # Apache passes the echo without an end-of-stream, so it has no Content-Length
    # (chunked on HTTP/1.1): a tuple is a body of unknown length to the writer.
    r.body = (head + body,)
    return DONE


def core_methods(r: Request) -> int:
    """The methods answered before access control: TRACE and OPTIONS *."""
    method = r.method_number
    if method == M_TRACE:
        return send_http_trace(r)
    if method == M_OPTIONS and r.uri == "*":
        return DONE
    return DECLINED


HOOKS: dict = {
    "handler": (default_handler, REALLY_LAST),
    "header_parser": (core_methods, REALLY_FIRST),
}
