"""The request pipeline: ap_process_request (modules/http/http_request.c),
ap_invoke_handler (server/config.c), ap_die and internal redirects.
ap_process_request_internal and the URI rules are the request core's
(httpd/request/process.py, re-exported here), ap_send_error_response is in errors.py,
subrequests are in httpd/request/subrequest.py.

The caller (the connection) has read the request, chosen the virtual host
(httpd.request.vhost) and set ``r.uri`` to the path of the request target *as received*
(still percent-encoded, like Apache's parsed_uri.path) and ``r.args`` to its query.
``process_request`` then runs every hook from post_read_request to the handler and
leaves the response in the request record: the response to send is the last request of
the ``r.next`` chain (``final_request(r)``), as in Apache, where an internal redirect
(ErrorDocument, DirectoryIndex...) hands the output to the new request.  Writing the
response and log_transaction are the connection's.

The hook table and the walk caches live as long as a config generation (``generation``).
"""
from __future__ import annotations

from typing import Optional

from httpd.http.errors import copy_response, response_code_string, send_error_response
from httpd.request.server_name import construct_url  # noqa: F401 (ap_construct_url, part of this API)
from httpd.util.uri import is_url
from httpd.protocol import M_GET
from httpd.module.hooks import DECLINED, DONE, OK, HookTable
from httpd.request.record import Headers, Request
from httpd.request.process import (  # noqa: F401 (evaluate..log_enabled: part of this API)
    HTTP_INTERNAL_SERVER_ERROR, HTTP_MOVED_TEMPORARILY, HTTP_OK, OPTIONAL_FN, SATISFY_ALL,
    SATISFY_ANY, SATISFY_NOSPEC, auth_name, auth_type, evaluate, evaluate_str, generation,
    hook_table, log_enabled, log_rerror, note_auth_failure, parse_uri,
    process_request_internal, recursion_limit_exceeded, satisfies, stat_cached)


def internal_error(r: Request, e: Exception) -> Request:
    """What a request that raised outside any hook answers: the exception and where it
    was raised go to the error log, and ``r`` becomes the canned 500 page (no
    ErrorDocument: serving one could fail the same way), with the connection closed
    after it.  Returns ``r``, the request whose response goes out now."""
    from httpd.module.hooks import where_raised
    log_rerror(r, "core", "error", f"AH00000: request failed: {e!r} at {where_raised(e)}")
    r.next = None
    r.status, r.status_line, r.body, r.chunked = HTTP_INTERNAL_SERVER_ERROR, None, None, False
    r.headers_out, r.err_headers_out = Headers(), Headers()
    r.content_type = r.content_encoding = None
    r.first_byte_time = 0.0
    r.conn.keepalive = False
    send_error_response(r)
    return r


def final_request(r: Request) -> Request:
    """The request whose response goes out: the last internal redirect of ``r``."""
    while r.next is not None:
        r = r.next
    return r


# -- the handler ---------------------------------------------------------------------------

# a content type -> the handler it names (its media type, parameters dropped): bounded
_HANDLER_OF: dict = {}


def invoke_handler(r: Request, table: HookTable) -> int:
    """ap_invoke_handler: the insert_filter hook, then the handler; without a handler,
    the content type names one ("" if none)."""
    run = table.runners
    fn = run["insert_filter"]
    if fn is not None:
        fn(r)
    old = r.handler
    if not old:
        ctype = r.content_type
        if ctype:
            handler = _HANDLER_OF.get(ctype)
            if handler is None:
                if len(_HANDLER_OF) >= 256:
                    _HANDLER_OF.clear()
                handler = _HANDLER_OF[ctype] = ctype.partition(";")[0].rstrip(" ")
            r.handler = handler
        else:
            r.handler = ""
    fn = run["handler"]
    result = fn(r) if fn is not None else DECLINED
    r.handler = old
    if result == DECLINED and r.handler and r.filename:
        log_rerror(r, "core", "warn", f'AH00523: handler "{r.handler}" not found for: '
                   f"{r.filename}")
    if result not in (OK, DONE, DECLINED) and not 100 <= result <= 599:
        name = "(null)" if r.handler is None else r.handler    # C's printf of NULL
        log_rerror(r, "core", "warn", f"AH00524: Handler for {name} returned invalid "
                   f"result code {result}")
        result = HTTP_INTERNAL_SERVER_ERROR
    return HTTP_INTERNAL_SERVER_ERROR if result == DECLINED else result


def process_request(r: Request, table: Optional[HookTable] = None) -> None:
    """ap_process_request without the writing: post_read_request (the vhost is already
    chosen), the quick handler, the phases, the handler, and ap_die on an error."""
    gen = generation(r.process)
    table = table or gen.hooks
    run = table.runners
    if not r.per_dir_config:
        r.per_dir_config = r.server.lookup_defaults
    fn = run["post_read_request"]
    status = fn(r) if fn is not None else OK
    if status == OK:
        fn = run["quick_handler"]
        status = fn(r) if fn is not None else DECLINED
        if status == DECLINED:
            status = process_request_internal(r, gen)
            if status == OK:
                status = invoke_handler(r, table)
    if status == DONE:
        status = OK
    if status != OK:
        r.status = HTTP_OK          # ap_process_async_request: a hook's r->status is no error
        die(status, r)


# -- errors ----------------------------------------------------------------------------

def die(status: int, r: Request, recursive_error: Optional[int] = None) -> None:
    """ap_die_r: answer ``status`` for ``r``: its ErrorDocument (a local URL is an
    internal redirect, a full URL a 302, text the body) or the canned page.  An error met
    while serving an ErrorDocument is reported on the original request."""
    if status == OK or status == DONE:
        return
    if recursive_error is None:
        recursive_error = r.status
    if not 100 <= status <= 599:
        log_rerror(r, "core", "error", f"AH01579: Invalid response status {status}")
        status = HTTP_INTERNAL_SERVER_ERROR
    first = r
    custom = None
    if recursive_error != HTTP_OK:
        while first.prev is not None and first.prev.status != HTTP_OK:
            first = first.prev
    else:
        custom = response_code_string(r, status)
        recursive_error = 0
    r.status = status
    if custom is not None and not custom.startswith('"'):
        if is_url(custom):
            r.status = HTTP_MOVED_TEMPORARILY
            r.headers_out.set("Location", custom)
        elif custom.startswith("/"):
            r.no_local_copy = True
            r.subprocess_env["REQUEST_METHOD"] = r.method
            notes = r.notes.get("error-notes")
            if notes is not None:
                r.subprocess_env["ERROR_NOTES"] = notes
            method, number = r.method, r.method_number
            r.method, r.method_number = "GET", M_GET
            internal_redirect(custom, r)
            r.method, r.method_number = method, number
            return
        else:
            recursive_error = HTTP_INTERNAL_SERVER_ERROR
            log_rerror(r, "core", "error", "AH00576: Invalid error redirection directive: "
                       f"{custom}")
    send_error_response(first, recursive_error)
    if first is not r:
        # the page is the original request's; it goes out as the last request's answer
        copy_response(first, r)


# -- internal redirects and subrequests ------------------------------------------------


def _internal_internal_redirect(new_uri: str, r: Request) -> Optional[Request]:
    if recursion_limit_exceeded(r):
        die(HTTP_INTERNAL_SERVER_ERROR, r)
        return None
    new = Request(conn=r.conn, server=r.server, process=r.process, method=r.method,
                  method_number=r.method_number)
    parse_uri(new, new_uri)
    new.per_dir_config = r.server.lookup_defaults
    new.prev, r.next = r, new
    new.the_request = r.the_request
    new.allowed = r.allowed
    new.status = r.status
    new.header_only = r.header_only
    new.protocol, new.proto_num = r.protocol, r.proto_num
    new.hostname, new.parsed_port = r.hostname, r.parsed_port
    new.request_time = r.request_time
    new.useragent = r.useragent
    new.main = r.main
    new.headers_in = r.headers_in
    if "redirect-keeps-vary" in r.notes:         # a module (mod_rewrite) keeps Vary
        vary = r.headers_out.get("Vary")
        if vary is not None:
            new.headers_out.set("Vary", vary)
    new.err_headers_out = r.err_headers_out
    new.subprocess_env = {"REDIRECT_" + k: v for k, v in r.subprocess_env.items()}
    new.no_cache, new.expecting_100 = r.no_cache, r.expecting_100
    new.no_local_copy = r.no_local_copy
    new.vlist_validator = r.vlist_validator
    new.read_body, new.discard_body = r.read_body, r.discard_body
    new.remaining, new.read_chunked = r.remaining, r.read_chunked
    new.subprocess_env["REDIRECT_STATUS"] = str(r.status)
    status = hook_table(r.process).run_all("post_read_request", new)
    if status:
        die(status, new)
        return None
    return new


def internal_redirect_handler(new_uri: str, r: Request) -> None:
    """ap_internal_redirect_handler: as internal_redirect, but the new request starts
    with this one's content type when this one had a handler, and no quick_handler
    runs (mod_asis's local Location)."""
    new = _internal_internal_redirect(new_uri, r)
    if new is None:
        return
    if r.handler:
        new.content_type = r.content_type
    gen = generation(r.process)
    status = process_request_internal(new, gen)
    if status == OK:
        status = invoke_handler(new, gen.hooks)
    die(status, new)


def internal_redirect(new_uri: str, r: Request) -> None:
    """ap_internal_redirect: serve ``new_uri`` instead, as a new request in r.next."""
    new = _internal_internal_redirect(new_uri, r)
    if new is None:
        return
    gen = generation(r.process)
    status = gen.hooks.run_first("quick_handler", new)
    if status == DECLINED:
        status = process_request_internal(new, gen)
        if status == OK:
            status = invoke_handler(new, gen.hooks)
    die(status, new)
