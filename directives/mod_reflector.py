"""mod_reflector (modules/filters/mod_reflector.c): the ``reflector`` handler sends a
POST's body back as the response, through the input and output filters.

``SetHandler reflector``; ``ReflectorHeader name [new-name]`` (OR_OPTIONS) copies a
request field into the response, under the new name when given.  As 2.4's: POST and
OPTIONS only (405 otherwise); the response takes the request's Content-Type and
Content-Length (a malformed length is 400, AH10243), a Last-Modified of now unless one
was set, and ``Accept-Ranges``.  The body is read as the handler sends it (the first
read before the head, so that a failing input filter is still the response's status).
"""
from __future__ import annotations

import time

import attrs

from httpd.core.handler import send_http_options
from httpd.http.filter import InputFilterError
from httpd.http.header_filter import (allow_methods, set_accept_ranges, set_content_length,
                                      set_last_modified, update_mtime)
from httpd.http.request import log_rerror
from httpd.module import OR_OPTIONS, Args, Module, directive
from httpd.module.hooks import DECLINED, MIDDLE, OK
from httpd.protocol import M_OPTIONS, M_POST

MODULE_NAME = "reflector_module"
HTTP_BAD_REQUEST, HTTP_METHOD_NOT_ALLOWED = 400, 405
HUGE_STRING_LEN = 8192


@attrs.define
class ReflectorConfig:
    headers: list = attrs.field(factory=list)     # (request field, response field)


def create_dir_config(path) -> ReflectorConfig:
    return ReflectorConfig()


def merge_dir_config(base: ReflectorConfig, add: ReflectorConfig) -> ReflectorConfig:
    return ReflectorConfig(add.headers + base.headers)      # apr_table_overlay


@directive("ReflectorHeader", Args.TAKE12, OR_OPTIONS,
           "Header to reflect back in the response, with an optional new name.")
def reflector_header(cmd, conf: ReflectorConfig, name, new=None):
    conf.headers.append((name, new or name))
    return None


def reflector_handler(r) -> int:
    if r.handler != "reflector":
        return DECLINED
    conf: ReflectorConfig = r.module_config(MODULE_NAME)
    allow_methods(r, True, M_POST, M_OPTIONS)
    if r.method_number == M_OPTIONS:
        return send_http_options(r)
    if r.method_number != M_POST:
        return HTTP_METHOD_NOT_ALLOWED
    if r.main is not None:
        return OK
    for name, new in conf.headers:
        payload = r.headers_in.get(name)
        if payload is not None:
            r.headers_out.set(new, payload)
    if r.headers_out.get("Last-Modified") is None:
        update_mtime(r, time.time())
        set_last_modified(r)
    set_accept_ranges(r)
    length = r.headers_in.get("Content-Length")
    if length is not None:
        if not (length.isdigit() and length.isascii()):
            log_rerror(r, "reflector", "error", "AH10243: reflector_handler: invalid "
                       f"content-length '{length}'")
            return HTTP_BAD_REQUEST
        set_content_length(r, int(length))
    ctype = r.headers_in.get("Content-Type")
    if ctype is not None:
        r.content_type = ctype
    try:
        first = r.read_body(HUGE_STRING_LEN)
    except InputFilterError as e:
        return e.status
    r.body = _reflect(r, first)
    return OK


def _reflect(r, first: bytes):
    piece = first
    while piece:
        yield piece
        try:
            piece = r.read_body(HUGE_STRING_LEN)
        except InputFilterError:
            return


MODULE = Module(
    MODULE_NAME, "mod_reflector.c", (reflector_header,),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    hooks={"handler": (reflector_handler, MIDDLE)},
    doc="Reflect request through the output filter stack",
)
