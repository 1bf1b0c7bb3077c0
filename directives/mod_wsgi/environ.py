"""The WSGI environ as mod_wsgi builds it (wsgi_build_environment): the CGI variables of
Apache's ap_add_common_vars and ap_add_cgi_vars (server/util_script.c), then mod_wsgi's
own keys.

``cgi_environ`` is the one function with the CGI part (kept alone so it can be
reconciled with the core's util_script port when that lands); what depends only on the
server is computed once per server and kept (``_server_vars``), so a request pays for
its headers and its own fields only.
"""
from __future__ import annotations

import os
import time
from typing import Any

from httpd.http.header_filter import signature
from httpd.module import CORE_MODULE
from httpd.request.server_name import get_server_name, get_server_port, http_scheme

MOD_WSGI_VERSION = (4, 9, 4)
_DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"   # DEFAULT_PATH of util_script.c

# header name -> environ key; None for a name Apache drops (not token characters)
_HEADER_KEYS: dict = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}
_TOKEN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
_SERVER_VARS: dict = {}


def _header_key(name: str) -> Any:
    low = name.lower()
    key = _HEADER_KEYS.get(low)
    if key is None and low not in _HEADER_KEYS:
        # http2env: alphanumerics kept (upper-cased), '-' becomes '_'; a name with any
        # other character is dropped (Apache 2.4's "-" only rule, CVE-2016-5387 era)
        key = ("HTTP_" + name.upper().replace("-", "_")) if set(name) <= _TOKEN else None
        if len(_HEADER_KEYS) < 4096:
            _HEADER_KEYS[low] = key
    return key


def _server_vars(r) -> dict:
    """What ap_add_common_vars takes from the server alone."""
    server = r.server
    found = _SERVER_VARS.get(id(server))
    if found is not None and found[0] is server:
        return found[1]
    from httpd.http.header_filter import server_banner
    core = server.module_config.get(CORE_MODULE)
    docroot = getattr(core, "ap_document_root", None) or ""
    v = {
        "PATH": os.environ.get("PATH", _DEFAULT_PATH),
        "SERVER_SOFTWARE": server_banner(getattr(
            r.process.main_server.module_config.get(CORE_MODULE), "server_tokens", "Full")),
        "DOCUMENT_ROOT": docroot,
        "CONTEXT_PREFIX": "",
        "CONTEXT_DOCUMENT_ROOT": docroot,
        "SERVER_ADMIN": getattr(core, "server_admin", None) or "",
        "GATEWAY_INTERFACE": "CGI/1.1",
    }
    _SERVER_VARS[id(server)] = (server, v)
    return v


def cgi_environ(r, pass_authorization: bool, base: Any = None) -> dict:
    """ap_add_common_vars + ap_add_cgi_vars for ``r``, as a dict of str (on a copy of
    ``base``, which holds at least the server's own variables, ``_server_vars``).

    Authorization (and Proxy-Authorization) is passed only with WSGIPassAuthorization
    On, as mod_wsgi does; SCRIPT_NAME is the URI without its path info."""
    env = dict(_server_vars(r) if base is None else base)
    for name, value in r.headers_in.items():
        key = _header_key(name)
        if key is None or key == "HTTP_PROXY":     # httpoxy: Apache drops Proxy too
            continue
        if key in ("HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION") and not pass_authorization:
            continue
        if key in env and key.startswith("HTTP_"):
            env[key] += ", " + value
        else:
            env[key] = value
    if r.subprocess_env:
        env.update(r.subprocess_env)
    conn = r.conn
    env["SERVER_SIGNATURE"] = signature(r)
    env["SERVER_NAME"] = get_server_name(r)
    env["SERVER_ADDR"] = conn.local_ip
    env["SERVER_PORT"] = str(get_server_port(r))
    if conn.remote_host:
        env["REMOTE_HOST"] = conn.remote_host
    env["REMOTE_ADDR"] = conn.client_ip
    env["REQUEST_SCHEME"] = http_scheme(r)
    env["SCRIPT_FILENAME"] = r.filename or ""
    env["REMOTE_PORT"] = str(conn.client_port)
    if r.user is not None:
        env["REMOTE_USER"] = r.user
    if r.ap_auth_type:
        env["AUTH_TYPE"] = r.ap_auth_type
    env["SERVER_PROTOCOL"] = r.protocol
    env["REQUEST_METHOD"] = r.method
    env["QUERY_STRING"] = r.args or ""
    env["REQUEST_URI"] = r.unparsed_uri
    path_info = r.path_info or ""
    uri = r.uri
    script_name = uri[:len(uri) - len(path_info)] if path_info and uri.endswith(path_info) \
        else uri
    # mod_wsgi: no trailing slash on SCRIPT_NAME (WSGIScriptAlias / gives "")
    env["SCRIPT_NAME"] = script_name.rstrip("/")
    if path_info:
        env["PATH_INFO"] = path_info
        docroot = env["DOCUMENT_ROOT"]
        env["PATH_TRANSLATED"] = docroot.rstrip("/") + path_info
    else:
        env["PATH_INFO"] = ""
    return env


_BASES: dict = {}


def _base(r, settings: Any, multithread: bool, multiprocess: bool) -> dict:
    """The server's variables and mod_wsgi's keys that depend only on the server and
    the request's WSGI settings: made once, copied per request."""
    key = (id(r.server), settings.process_group, settings.application_group,
           settings.callable_object, settings.script_reloading, multithread, multiprocess)
    found = _BASES.get(key)
    if found is not None and found[0] is r.server:
        return found[1]
    env = dict(_server_vars(r))
    env["mod_wsgi.process_group"] = settings.process_group
    env["mod_wsgi.application_group"] = settings.application_group
    env["mod_wsgi.callable_object"] = settings.callable_object
    env["mod_wsgi.request_handler"] = "wsgi-script"
    env["mod_wsgi.handler_script"] = ""
    env["mod_wsgi.script_reloading"] = "1" if settings.script_reloading else "0"
    env["mod_wsgi.enable_sendfile"] = "1"
    env["mod_wsgi.ignore_activity"] = "0"
    env["wsgi.version"] = (1, 0)
    env["wsgi.multithread"] = multithread
    env["wsgi.multiprocess"] = multiprocess
    env["wsgi.run_once"] = False
    env["wsgi.input_terminated"] = True
    env["mod_wsgi.version"] = MOD_WSGI_VERSION
    env["apache.version"] = (2, 4, 71)
    if len(_BASES) > 1024:
        _BASES.clear()
    _BASES[key] = (r.server, env)
    return env


def wsgi_environ(r, settings: Any, multithread: bool, multiprocess: bool) -> dict:
    """The whole environ but wsgi.input/errors/file_wrapper: the CGI part, then
    mod_wsgi's keys (``settings``: the request's resolved WSGI settings)."""
    env = cgi_environ(r, settings.pass_authorization,
                      _base(r, settings, multithread, multiprocess))
    env["mod_wsgi.listener_host"] = r.conn.local_ip
    env["mod_wsgi.listener_port"] = str(r.conn.local_port)
    env["mod_wsgi.request_start"] = str(int(r.request_time * 1e6))
    env["mod_wsgi.script_start"] = str(int(time.time() * 1e6))
    env["wsgi.url_scheme"] = env["REQUEST_SCHEME"]
    return env
