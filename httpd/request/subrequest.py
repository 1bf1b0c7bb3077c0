"""Subrequests (server/request.c): looking a URI, a directory entry or a file up
through the request phases without running a handler, as mod_dir and mod_autoindex do,
and ap_internal_fast_redirect, by which a request takes over what a subrequest found.

A subrequest's answer is in ``rnew.status`` (200 when every phase passed).  Thanks to
the generation's merge cache, a subrequest that lands in the same sections as its parent
gets the very same config object, so the access phases are skipped (as in Apache).
"""
from __future__ import annotations

import os
import stat
from typing import Optional

from httpd.request.process import (HTTP_INTERNAL_SERVER_ERROR, generation, memo_holds,
                           parse_uri,
                           process_request_internal, recursion_limit_exceeded)
from httpd.module import CORE_MODULE
from httpd.request.record import Headers, Request, request_maker
from httpd.protocol import M_GET, method_number_of
from httpd.util.uri import escape_uri, make_dirstr_parent
from httpd.util.fspath import fs_path


# the subrequest record, every field but these from its default (request_maker: no
# keyword call of 70 defaults): what make_sub_request and ap_set_sub_req_protocol copy
# from the parent ("parent"), the headers_in copy given
_new_sub_request = request_maker(
    ("parent", "headers_in"),
    {"conn": "parent.conn", "server": "parent.server", "process": "parent.process",
     "method": "'GET'", "method_number": str(M_GET), "hostname": "parent.hostname",
     "request_time": "parent.request_time", "useragent": "parent.useragent",
     "per_dir_config": "parent.server.lookup_defaults", "allowed": "parent.allowed",
     "the_request": "parent.the_request", "no_local_copy": "True",
     "protocol": "'INCLUDED'", "proto_num": "parent.proto_num",
     "subprocess_env": "dict(parent.subprocess_env)",
     "expecting_100": "parent.expecting_100", "main": "parent"})


def make_sub_request(r: Request) -> Request:
    """make_sub_request and ap_set_sub_req_protocol: the parent's request fields
    (without the body's framing fields) and environment, copied."""
    h = r.headers_in
    keys = h._keys
    if "content-length" in keys or "transfer-encoding" in keys:
        headers = h.copy()
        headers.unset("Content-Length")
        headers.unset("Transfer-Encoding")
    else:
        headers = Headers.copy_of(h._items, keys)
    return _new_sub_request(r, headers)


def sub_req_lookup_uri(new_uri: str, r: Request, method: str = "GET") -> Request:
    """ap_sub_req_method_uri: run the phases (not the handler) for ``new_uri``; a
    relative URI is taken from the directory of r.uri.  The answer is in rnew.status."""
    rnew = make_sub_request(r)
    if method != "GET":         # (the record's own): the registered extension methods
        registered = (r.process.main_server.module_config[CORE_MODULE].methods
                      if r.process else {})     # count too (ap_method_number_of)
        rnew.method, rnew.method_number = method, method_number_of(method, registered)
    if new_uri.startswith("/"):
        parse_uri(rnew, new_uri)
    else:
        udir = r.uri[:r.uri.rfind("/") + 1] if "/" in r.uri else ""
        parse_uri(rnew, escape_uri(udir) + new_uri)
    return _run_phases(r, rnew)


# lookup_uri_path's answers: (server, URI) -> (the memo's key and the entry the answer
# came from, the answer); per generation (Generation.caches), bounded
_PATHS = "core:subrequest-paths"
_PATHS_MAX = 1024


def lookup_uri_path(new_uri: str, r: Request) -> Optional[str]:
    """What ap_add_cgi_vars keeps of ``ap_sub_req_lookup_uri(new_uri, r)``: the
    subrequest's filename and path info joined (None when it has no filename).

    When the generation's pipeline memo holds a kept run for this subrequest (same
    server, URI and method, the parent a main request), the answer a replay of that
    run gives is kept beside it and served after the replay's own checks (the entry
    still the memo's, the stat of its file the same, the same answer to "is the config
    its access check saw the parent's?"), without making the record: the same answer
    the subrequest gives.  Otherwise the subrequest runs, and its answer is kept when
    it was a replay (the memo's entry the same before and after the run)."""
    gen = generation(r.process)
    main = r.main is None and r.prev is None
    if main:
        paths = gen.caches.get(_PATHS)
        hit = paths.get((r.server, new_uri)) if paths is not None else None
        if hit is not None:
            key, entry, found = hit
            memo = gen.memo
            if memo is not None and memo.get(key) is entry and memo_holds(entry, r) \
                    is not None:            # the replay's own tests
                return found
    memo = gen.memo
    key = entry = None
    if (main and memo is not None and new_uri[:1] == "/" and new_uri[1:2] != "/"
            and "?" not in new_uri and "#" not in new_uri):
        key = (r.server, new_uri, M_GET, False)     # process_request_internal's
        entry = memo.get(key)
    pa = sub_req_lookup_uri(new_uri, r)
    found = pa.filename + (pa.path_info or "") if pa.filename else None
    if entry.__class__ is tuple and pa.status == 200 and memo.get(key) is entry:
        # the run was a replay of that entry
        paths = gen.caches.setdefault(_PATHS, {})
        if len(paths) >= _PATHS_MAX:
            paths.clear()
        paths[(r.server, new_uri)] = (key, entry, found)
    return found


def _run_phases(r: Request, rnew: Request) -> Request:
    """The request phases for the subrequest (500 past LimitInternalRecursion)."""
    if recursion_limit_exceeded(r):
        rnew.status = HTTP_INTERNAL_SERVER_ERROR
        return rnew
    status = process_request_internal(rnew)
    if status:
        rnew.status = status
    return rnew


def _full_path(a: str, b: str) -> str:
    """ap_make_full_path: a and b joined by exactly one '/'."""
    if not a:
        return b
    return a + b if a.endswith("/") else f"{a}/{b}"


def _file_subrequest(r: Request, rnew: Request) -> Request:
    # the same mapping: a link check keeps the parent's root (walks.py)
    root = r.notes.get("storage-root")
    if root is not None:
        rnew.notes["storage-root"] = root
    return _run_phases(r, rnew)


def sub_req_lookup_dirent(name: str, r: Request, merge_args: bool = False) -> Request:
    """ap_sub_req_lookup_dirent: the phases for a file ``name`` of r's directory (what
    mod_autoindex asks of every entry); the URI follows r's."""
    rnew = make_sub_request(r)
    if r.path_info:
        udir = r.uri[:-len(r.path_info)] if r.uri.endswith(r.path_info) else r.uri
        uri = _full_path(make_dirstr_parent(udir), name)
        if merge_args:
            uri = _full_path(uri, r.path_info[1:])
            rnew.path_info = r.path_info
    else:
        uri = _full_path(make_dirstr_parent(r.uri), name)
    filename = make_dirstr_parent(r.filename or "") + name
    try:
        is_dir = stat.S_ISDIR(os.stat(fs_path(filename)).st_mode)
    except OSError:
        is_dir = False
    if is_dir:
        filename += "/"
        uri += "/"
    parse_uri(rnew, escape_uri(uri))
    rnew.filename = rnew.canonical_filename = filename
    return _file_subrequest(r, rnew)


def sub_req_lookup_file(new_file: str, r: Request) -> Request:
    """ap_sub_req_lookup_file: the phases for a file path (relative to r's directory);
    a file of the same directory gets a matching URI, any other an empty one.  ap_expr's
    -F asks it."""
    from httpd.request.directory_walk import canonical_filename
    rnew = make_sub_request(r)
    fdir = make_dirstr_parent(r.filename or "/")
    target = new_file if new_file.startswith("/") else fdir + new_file
    filename = canonical_filename(target)
    if filename is None:
        rnew.status = 403
        return rnew
    rnew.filename = rnew.canonical_filename = filename
    rest = filename[len(fdir):] if filename.startswith(fdir) else None
    if rest and "/" not in rest:
        if r.uri:
            parse_uri(rnew, _full_path(make_dirstr_parent(r.uri), rest))
    else:
        parse_uri(rnew, new_file)
        rnew.uri = ""
    return _file_subrequest(r, rnew)


def internal_fast_redirect(rr: Request, r: Request) -> None:
    """ap_internal_fast_redirect: ``r`` takes over the subrequest's mapping and config."""
    r.mtime = rr.mtime
    r.no_cache = r.no_cache and rr.no_cache
    r.uri, r.filename, r.canonical_filename = rr.uri, rr.filename, rr.canonical_filename
    r.path_info, r.args, r.finfo = rr.path_info, rr.args, rr.finfo
    r.handler = rr.handler
    r.content_type = rr.content_type
    r.content_encoding = rr.content_encoding
    r.content_languages = rr.content_languages
    r.per_dir_config = rr.per_dir_config
    r.notes = {**r.notes, **rr.notes}
    r.headers_out = Headers(rr.headers_out.items() + r.headers_out.items())
    r.err_headers_out = Headers(rr.err_headers_out.items() + r.err_headers_out.items())
    r.subprocess_env = {**r.subprocess_env, **rr.subprocess_env}
    if rr.filters:                 # the subrequest's filters (AddOutputFilter), now r's
        for f in rr.filters:
            f.r = r
        r.filters = rr.filters + r.filters
