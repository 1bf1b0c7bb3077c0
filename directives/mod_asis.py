"""mod_asis (modules/generators/mod_asis.c): files that carry their own response head.

A file whose handler is ``send-as-is`` (``AddHandler send-as-is asis``) or whose type is
``httpd/send-as-is`` starts with header lines, read as a CGI script's are
(util_script.ScriptHeaders: ``Status:``, ``Content-Type:``, ``Location:``, the rest
into the response), then a blank line; the bytes after it are the body, sent from the
file.  A local ``Location`` with status 200 or a redirect status becomes an internal
redirect (as a GET) that keeps the handler's content type.  Only GET is answered (HEAD
included); other methods go to the next handler.  A file that does not exist is 404
(AH01233 at info), one that cannot be opened 403 (AH01234).
"""
from __future__ import annotations

import os

from httpd.http.request import internal_redirect_handler, log_rerror
from httpd.http.util_script import MAX_STRING_LEN, ScriptHeaders
from httpd.module import Module
from httpd.module.hooks import DECLINED, MIDDLE, OK
from httpd.protocol import M_GET
from httpd.request.record import FileRange
from httpd.util.fspath import fs_path

MODULE_NAME = "asis_module"
ASIS_MAGIC_TYPE = "httpd/send-as-is"
HTTP_NOT_FOUND, HTTP_FORBIDDEN = 404, 403


def asis_handler(r) -> int:
    if r.handler != ASIS_MAGIC_TYPE and r.handler != "send-as-is":
        return DECLINED
    r.allowed |= 1 << M_GET
    if r.method_number != M_GET:
        return DECLINED
    if r.finfo is None:
        log_rerror(r, "asis", "info", f"AH01233: File does not exist: {r.filename}")
        return HTTP_NOT_FOUND
    try:
        f = open(fs_path(r.filename), "rb")
    except OSError as e:
        log_rerror(r, "asis", "error", f"({e.errno}){os.strerror(e.errno)}: AH01234: file "
                   f"permissions deny server access: {r.filename}")
        return HTTP_FORBIDDEN
    with f:
        scan = ScriptHeaders(r, "asis")
        while True:
            line = f.readline(MAX_STRING_LEN - 1)
            if not line:
                scan.end()           # its line logged; Apache goes on all the same
                break
            text = line.decode("latin-1")
            if text.endswith("\n"):
                text = text[:-1]
                if text.endswith("\r"):
                    text = text[:-1]
            # ap_scan_script_header_err_ex's answer (a bad line's 500, a 304) is not
            # read by mod_asis: the file's head is what the response says
            if scan.feed(text) is not None:
                if scan.bad_line is not None:
                    f.seek(0, os.SEEK_END)   # a bad line "soaks up" the rest (no body)
                break
        pos = f.tell()
    location = r.headers_out.get("Location")
    if location and location.startswith("/") and (r.status == 200
                                                  or 300 <= r.status <= 399):
        r.status = 200
        r.method, r.method_number = "GET", M_GET
        internal_redirect_handler(location, r)
        return OK
    if not r.header_only:
        size = r.finfo.st_size
        r.body = FileRange(r.filename, pos, max(size - pos, 0))
    return OK


MODULE = Module(
    MODULE_NAME, "mod_asis.c", (),
    hooks={"handler": (asis_handler, MIDDLE)},
    doc="Sends files that contain their own HTTP headers",
)
