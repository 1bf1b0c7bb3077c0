"""What an ap_expr sees of a request (util_expr_eval.c's request and connection
variables): the one evaluation context of the request layer, used by ``<If>``,
mod_headers' ``expr=``, mod_setenvif's SetEnvIfExpr and mod_log_config's ``expr=``.
"""
from __future__ import annotations

import os
from typing import Optional

from httpd.expr.eval import EvalContext
from httpd.module import CORE_MODULE
from httpd.request.context import (context_document_root, context_prefix,
                                   request_document_root)
from httpd.request.server_name import get_server_name_for_url, get_server_port, http_scheme
from httpd.util.table import table_get
from httpd.util.fspath import fs_path


def _merge_vary(r, ctx) -> None:
    """What a condition read of the request headers goes into Vary, as ap_expr_exec
    does after a successful evaluation; never Host (RFC 7231 7.1.4, as Apache skips
    it for both %{HTTP_HOST} and req('Host'))."""
    names = [n for n in ctx.vary if n.lower() != "host"]
    if names:
        r.headers_out.merge_first("Vary", ", ".join(names))


def exec_expr(r, expr) -> tuple[bool, "RequestExprContext"]:
    """ap_expr_exec_re: the result and the context (its last capturing match is
    there for $1..$9); raises ExprError."""
    ctx = RequestExprContext(r)
    result = expr.exec(ctx)
    _merge_vary(r, ctx)
    return result, ctx


def exec_str(r, expr) -> str:
    """ap_expr_str_exec; raises ExprError.  A string result adds nothing to Vary
    (Apache only does that for conditions)."""
    return expr.str_exec(RequestExprContext(r))


def _exists(path: str) -> bool:
    """apr_stat(APR_FINFO_MIN) succeeds: the path names anything (links followed)."""
    try:
        os.stat(fs_path(path))
    except (OSError, ValueError):
        return False
    return True


def _core_server(r):
    return r.server.module_config.get(CORE_MODULE) if r.server is not None else None


class RequestExprContext(EvalContext):
    """EvalContext over a Request: variables, tables, the client address."""

    def __init__(self, r):
        super().__init__()
        self.r = r

    def request_var(self, name: str) -> Optional[str]:
        r = self.r
        fn = _VARS.get(name)
        return fn(r) if fn is not None else ""

    def table(self, which: str, key: str) -> Optional[str]:
        r = self.r
        if which == "headers_in":
            return r.headers_in.get(key)
        if which == "headers_out":
            return r.headers_out.get(key)
        if which == "err_headers_out":
            return r.err_headers_out.get(key)
        if which == "notes":
            return table_get(r.notes, key)
        if which == "subprocess_env":
            return table_get(r.subprocess_env, key)
        return None

    def useragent_ip(self) -> Optional[str]:
        return self.r.useragent_ip

    def subrequest_ok(self, kind: str, arg: str) -> bool:
        """-U and -A (op_url_subr): a URI subrequest answered below 400; never when
        this is a subrequest for its parent's own URI (the recursion guard).  -F
        (op_file_subr): a file subrequest answered below 300 whose file exists (the
        default answer is 200, so the file is stat'ed again).  -F has the same guard
        on the file name: Apache has none, and an ``<If "-F ...">`` recurses to the
        subrequest limit and crashes its child."""
        from httpd.request import subrequest
        r = self.r
        if kind == "F":
            if r.main is not None and r.filename and r.main.filename == r.filename:
                return False
            rsub = subrequest.sub_req_lookup_file(arg, r)
            ok = rsub.status < 300 and rsub.filename is not None and _exists(rsub.filename)
        else:
            if r.main is not None and r.main.uri and r.uri and r.main.uri == r.uri:
                return False
            rsub = subrequest.sub_req_lookup_uri(arg, r)
            ok = rsub.status < 400
        return ok


def _server_name(r) -> str:
    """util_expr_eval.c: SERVER_NAME is ap_get_server_name_for_url ("[::1]")."""
    return get_server_name_for_url(r) or ""


def _server_port(r) -> str:
    """util_expr_eval.c: SERVER_PORT is ap_get_server_port."""
    return str(get_server_port(r))


def _document_root(r) -> str:
    own = request_document_root(r)
    if own:
        return own
    core = _core_server(r)
    return getattr(core, "ap_document_root", None) or "" if core is not None else ""


def _last_modified(r) -> str:
    if r.mtime is None and r.finfo is None:
        return ""
    import time
    t = time.localtime(r.mtime if r.mtime is not None else r.finfo.st_mtime)
    return time.strftime("%Y%m%d%H%M%S", t)


_VARS = {
    "REQUEST_METHOD": lambda r: r.method,
    "REQUEST_SCHEME": http_scheme,
    "REQUEST_URI": lambda r: r.uri,
    "REQUEST_FILENAME": lambda r: r.filename or "",
    "SCRIPT_FILENAME": lambda r: r.filename or "",
    "REMOTE_HOST": lambda r: r.useragent_host(),
    "REMOTE_IDENT": lambda r: "",
    "REMOTE_USER": lambda r: r.user or "",
    "SERVER_ADMIN": lambda r: getattr(_core_server(r), "server_admin", "") or "",
    "SERVER_NAME": _server_name,
    "SERVER_PORT": _server_port,
    "SERVER_PROTOCOL": lambda r: r.protocol,
    "PATH_INFO": lambda r: r.path_info or "",
    "QUERY_STRING": lambda r: r.args or "",
    "IS_SUBREQ": lambda r: "true" if r.main is not None else "false",
    "DOCUMENT_ROOT": _document_root,
    "AUTH_TYPE": lambda r: r.ap_auth_type or "",
    "THE_REQUEST": lambda r: r.the_request,
    "CONTENT_TYPE": lambda r: r.content_type or "",
    "HANDLER": lambda r: r.handler or "",
    "REQUEST_LOG_ID": lambda r: getattr(r, "log_id", None) or "",
    "DOCUMENT_URI": lambda r: r.uri,
    "LAST_MODIFIED": _last_modified,
    "CONTEXT_PREFIX": context_prefix,
    "CONTEXT_DOCUMENT_ROOT": context_document_root,
    "REQUEST_STATUS": lambda r: str(r.status),
    "REMOTE_ADDR": lambda r: r.useragent_ip,
    "REMOTE_PORT": lambda r: str(r.useragent_port),
    "HTTP2": lambda r: "off",
    "HTTPS": lambda r: "off",
    "IPV6": lambda r: "on" if ":" in (r.useragent_ip or "") else "off",
    "CONN_LOG_ID": lambda r: str(r.conn.id),
    "CONN_REMOTE_ADDR": lambda r: r.conn.client_ip,
}
