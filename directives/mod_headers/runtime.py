"""mod_headers at request time: the format tags, the actions, and the three moments
Apache applies them.

* post_read_request (hook FIRST): entries marked ``early``, on headers_in,
  err_headers_out and headers_out (only the server-level lists exist then).
* fixups (hook LAST): RequestHeader entries on headers_in.
* :func:`apply_response_headers`, run just before the status line and headers are
  sent by the output filter the insert hooks added: FIXUP_HEADERS_OUT (insert_filter,
  before the handler) or FIXUP_HEADERS_ERR (insert_error_filter, on the error path):
  ``Header always`` on err_headers_out and, for a response the handler made,
  ``Header [onsuccess]`` on headers_out.
"""
from __future__ import annotations

import os
import time
from typing import Optional

from httpd import expr as ap_expr
from httpd.module.hooks import DECLINED

from httpd.request.expr_context import exec_expr, exec_str
from httpd.http.request import log_rerror
from httpd.util.regsub import pregsub
from httpd.util.table import table_get

MODULE_NAME = "headers_module"
HTTP_INTERNAL_SERVER_ERROR = 500


# -- format tags (header_request_*) ---------------------------------------------------------

def _usec(t: float) -> int:
    return int(round(t * 1_000_000))


def header_request_duration(r, arg: str) -> str:
    return "D=%d" % (_usec(time.time()) - _usec(r.request_time))


def header_request_time(r, arg: str) -> str:
    return "t=%d" % _usec(r.request_time)


def _unwrap(value: str) -> str:
    """unwrap_header: a value must not break the header block."""
    if "\n" in value or "\r" in value:
        return value.replace("\r", " ").replace("\n", " ")
    return value


def header_request_env_var(r, arg: str) -> str:
    value = table_get(r.subprocess_env, arg)
    return "(null)" if value is None else _unwrap(value)


def header_request_ssl_var(r, arg: str) -> str:
    return "(null)"          # no mod_ssl: ssl_var_lookup is not there


def header_request_loadavg(r, arg: str) -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        one = five = fifteen = -1.0
    return "l=%.2f/%.2f/%.2f" % (one, five, fifteen)


def _sload(r) -> tuple[int, int]:
    """(idle, busy) percentages from the scoreboard, when the MPM keeps one."""
    board = getattr(getattr(r, "process", None), "scoreboard", None)
    load = getattr(board, "sload", None)
    if callable(load):
        try:
            idle, busy = load()
            return int(idle), int(busy)
        except Exception:  # a scoreboard in the middle of a restart
            pass
    return 0, 0


def header_request_idle(r, arg: str) -> str:
    return "i=%d" % _sload(r)[0]


def header_request_busy(r, arg: str) -> str:
    return "b=%d" % _sload(r)[1]


def process_tags(hdr, r) -> str:
    """The entry's value for this request."""
    if hdr.expr_out is not None:
        try:
            return exec_str(r, hdr.expr_out)
        except ap_expr.ExprError as e:
            log_rerror(r, "headers", "error", f"AH02557: Can't evaluate value expression: {e}")
            return ""
    tags = hdr.tags
    if len(tags) == 1 and tags[0][0] is None:
        return tags[0][1]
    return "".join(arg if fn is None else fn(r, arg) for fn, arg in tags)


# -- edit ------------------------------------------------------------------------------------

def process_regexp(hdr, value: str, r) -> Optional[str]:
    """Replace the first match (edit) or every match (edit*); None on overflow."""
    out = []
    pos = 0
    subs_template = None
    while True:
        m = hdr.regex.search(value, pos)
        if m is None:
            break
        if subs_template is None:
            # tags are processed in the replacement, not in the result
            subs_template = process_tags(hdr, r)
        subs = pregsub(subs_template, m)
        if subs is None:
            return None
        out.append(value[pos:m.start()])
        out.append(subs)
        if m.end() == m.start():
            # an empty match: Apache steps over one character so that edit* ends
            if hdr.action != "edit*" or m.end() >= len(value):
                pos = m.end()
                break
            out.append(value[m.end()])
            pos = m.end() + 1
        else:
            pos = m.end()
        if hdr.action != "edit*":
            break
    if subs_template is None:
        return value
    out.append(value[pos:])
    return "".join(out)


# -- the actions -----------------------------------------------------------------------------

def _token_present(val: str, new_val: str) -> bool:
    """hdr_merge: is ``new_val`` already one of the comma-separated tokens of ``val``
    (quoted strings kept whole, as ap_get_token does)?"""
    i, n = 0, len(val)
    while i < n:
        while i < n and val[i] in " \t\r\n\f\v":
            i += 1
        start = i
        while i < n and val[i] != ",":
            c = val[i]
            i += 1
            if c == '"':
                while i < n:
                    c = val[i]
                    i += 1
                    if c == '"':
                        break
        if val[start:i] == new_val:
            return True
        if i < n:
            i += 1
    return False


def _echo(r, hdr) -> None:
    """Copy every request header whose name matches into headers_out."""
    rx = hdr.regex
    for key, value in r.headers_in.items():
        if rx.search(key):
            r.headers_out.add(key, value)


def _edit(r, headers, hdr) -> bool:
    if hdr.is_content_type and r.content_type:
        repl = process_regexp(hdr, r.content_type, r)
        if repl is None:
            return False
        r.content_type = repl
    name = hdr.header
    if headers.get(name) is None:
        return True
    low = name.lower()
    edited = []
    for key, value in headers.items():
        if key.lower() == low:
            repl = process_regexp(hdr, value, r)
            if repl is None:
                return False
            edited.append((key, repl))
    headers.unset(name)              # the edited fields move to the end, as in Apache
    for key, value in edited:
        headers.add(key, value)
    return True


def do_headers_fixup(r, headers, fixup, early: bool) -> bool:
    """Apply ``fixup`` (a list of entries, all early or all late as ``early`` says) to
    ``headers``; False when an edit overflowed."""
    for hdr in fixup:
        envar = hdr.condition_var
        if hdr.expr is not None:
            try:
                if not exec_expr(r, hdr.expr)[0]:
                    continue
            except ap_expr.ExprError as e:
                log_rerror(r, "headers", "error",
                           f"AH01501: Failed to evaluate expression ({e}) - ignoring")
        elif envar is not None and not early:
            if envar[0] != "!":
                if table_get(r.subprocess_env, envar) is None:
                    continue
            elif table_get(r.subprocess_env, envar[1:]) is not None:
                continue
        action = hdr.action
        if action == "add":
            headers.add(hdr.header, process_tags(hdr, r))
        elif action == "append":
            headers.merge_first(hdr.header, process_tags(hdr, r))
        elif action == "merge":
            val = headers.get(hdr.header)
            new_val = process_tags(hdr, r)
            if val is None:
                headers.add(hdr.header, new_val)
            elif not _token_present(val, new_val):
                headers.merge_first(hdr.header, new_val)
        elif action == "set":
            value = process_tags(hdr, r)
            if hdr.is_content_type:
                r.content_type = value
            headers.set(hdr.header, value)
        elif action == "setifempty":
            if headers.get(hdr.header) is None:
                value = process_tags(hdr, r)
                if hdr.is_content_type:
                    r.content_type = value
                headers.set(hdr.header, value)
        elif action == "unset":
            headers.unset(hdr.header)
        elif action == "echo":
            _echo(r, hdr)
        elif action in ("edit", "edit*"):
            if not _edit(r, headers, hdr):
                return False
        elif action == "note":
            value = headers.get(hdr.header)
            key = process_tags(hdr, r)
            if value is None:
                r.notes.pop(key, None)       # apr_table_setn with NULL: no value
            else:
                r.notes[key] = value
    return True


def _conf(r):
    return r.module_config(MODULE_NAME)


def no_request_edits(r) -> bool:
    """Without RequestHeader lines the fixup does nothing (hooks.determined)."""
    conf = _conf(r)
    return conf is None or not conf.fixup_in


def headers_fixup(r) -> int:
    """fixups (LAST): RequestHeader on headers_in."""
    conf = _conf(r)
    if conf is not None and conf.fixup_in:
        do_headers_fixup(r, r.headers_in, conf.fixup_in, False)
    return DECLINED


def headers_early(r) -> int:
    """post_read_request (FIRST): the ``early`` entries of the server's lists."""
    conf = _conf(r)
    if conf is None or not (conf.early_in or conf.early_err or conf.early_out):
        return DECLINED
    for headers, fixup in ((r.headers_in, conf.early_in), (r.err_headers_out, conf.early_err),
                           (r.headers_out, conf.early_out)):
        if fixup and not do_headers_fixup(r, headers, fixup, True):
            log_rerror(r, "headers", "crit", "AH01504: Regular expression replacement "
                                             "failed (replacement too long?)")
            return HTTP_INTERNAL_SERVER_ERROR
    return DECLINED


def apply_response_headers(r, error: bool = False) -> None:
    """Header directives on the response, just before its headers are written.

    ``error`` is True when the response comes from the error path (ap_die and
    ap_send_error_response: an error status from any phase, a redirect from a hook, a
    416 from the byte-range filter): then only ``Header always`` applies, on
    err_headers_out.  Otherwise (the handler made the response, a 304 from its
    conditional check included, as apache2 does) ``always`` entries go to
    err_headers_out and the others to headers_out, in that order.  Call it once per
    response, on the request whose response is sent (the last of an internal redirect
    chain).
    """
    conf = _conf(r)
    if conf is None:
        return
    if conf.fixup_err:
        do_headers_fixup(r, r.err_headers_out, conf.fixup_err, False)
    if not error and conf.fixup_out:
        do_headers_fixup(r, r.headers_out, conf.fixup_out, False)


def fixup_headers_out(r) -> None:
    """FIXUP_HEADERS_OUT (ap_headers_output_filter): the handler's response."""
    apply_response_headers(r, error=False)


def fixup_headers_err(r) -> None:
    """FIXUP_HEADERS_ERR (ap_headers_error_filter): an error response."""
    apply_response_headers(r, error=True)


def insert_output_filter(r) -> None:
    """insert_filter (ap_headers_insert_output_filter, LAST): FIXUP_HEADERS_OUT when
    the directory has Header entries."""
    conf = _conf(r)
    if conf is not None and (conf.fixup_out or conf.fixup_err):
        r.output_filters += (fixup_headers_out,)


def insert_error_filter(r) -> None:
    """insert_error_filter (ap_headers_insert_error_filter, LAST): FIXUP_HEADERS_ERR
    when the directory has ``Header always`` entries."""
    conf = _conf(r)
    if conf is not None and conf.fixup_err:
        r.output_filters += (fixup_headers_err,)
