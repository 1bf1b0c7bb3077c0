"""The WSGI environ as mod_wsgi 4.9.4 builds it (wsgi_build_environment, in mod_wsgi.c):
the CGI variables of the core's port of Apache's ap_add_cgi_vars and ap_add_common_vars
(``httpd.http.util_script``, the one copy of those rules, written into
``r.subprocess_env`` as Apache does), then mod_wsgi's own changes on top:

* ``HTTP_AUTHORIZATION`` from the request's Authorization under WSGIPassAuthorization On
  (without it, only ``CGIPassAuth On`` passes it, as in ap_add_common_vars);
* ``PATH_INFO`` always there (empty without path info);
* ``SCRIPT_NAME`` and ``PATH_INFO`` with runs of slashes merged (ap_no2slash), saved
  as ``mod_wsgi.script_name``/``mod_wsgi.path_info``;
* the ``mod_wsgi.*`` and ``wsgi.*`` keys.

``PATH_TRANSLATED`` stays: 4.9.4 calls ap_add_cgi_vars, which finds it with a
subrequest for the path info (later mod_wsgi releases replaced the call and dropped it).
What depends only on the server and the WSGI settings is made once and kept (``_base``).
"""
from __future__ import annotations

import time
from typing import Any

from httpd.http.util_script import add_cgi_vars, add_common_vars
from httpd.util.uri import no2slash

MOD_WSGI_VERSION = (4, 9, 4)


def _no2slash_lead(value: str) -> str:
    """mod_wsgi's fix of SCRIPT_NAME and PATH_INFO: a value starting with '/' has its
    leading slashes as one and every other run of slashes merged."""
    if value[:1] != "/":
        return value
    return no2slash(value)


_BASES: dict = {}
_BASES_MAX = 1024
# the keys mod_wsgi's Python side adds to the table's (Adapter_environ)
_PY_KEYS = {"wsgi.version": (1, 0), "wsgi.run_once": False, "wsgi.input_terminated": True,
            "mod_wsgi.version": MOD_WSGI_VERSION, "apache.version": (2, 4, 71)}


def _base(r, settings: Any, multithread: bool, multiprocess: bool) -> tuple:
    """What depends only on the server, the request's WSGI settings and the listener
    it came on, made once: mod_wsgi's keys of ``r.subprocess_env`` (strings), and the
    environ's Python keys."""
    server, conn = r.server, r.conn
    # (the settings: resolve's object, kept while its entry is, so its id is its own)
    key = (id(settings), id(server), multithread, multiprocess, conn.local_ip,
           conn.local_port)
    found = _BASES.get(key)
    if found is not None and found[0] is server and found[1] is settings:
        return found[2]
    table = {
        "mod_wsgi.process_group": settings.process_group,
        "mod_wsgi.application_group": settings.application_group,
        "mod_wsgi.callable_object": settings.callable_object,
        "mod_wsgi.request_handler": "wsgi-script",
        "mod_wsgi.handler_script": "",
        "mod_wsgi.script_reloading": "1" if settings.script_reloading else "0",
        # WSGIEnableSendfile is not offered: its default, Off (the server sends a
        # wsgi.file_wrapper with sendfile all the same, which no client can tell)
        "mod_wsgi.enable_sendfile": "0",
        "mod_wsgi.ignore_activity": "0",
        "mod_wsgi.listener_host": conn.local_ip,
        "mod_wsgi.listener_port": str(conn.local_port),
    }
    py = dict(_PY_KEYS, **{"wsgi.multithread": multithread,
                           "wsgi.multiprocess": multiprocess})
    if len(_BASES) >= _BASES_MAX:
        _BASES.clear()
    _BASES[key] = (server, settings, (table, py))
    return table, py


def wsgi_environ(r, settings: Any, multithread: bool, multiprocess: bool) -> dict:
    """The whole environ but wsgi.input/errors/file_wrapper (``settings``: the
    request's resolved WSGI settings); the string keys are left in
    ``r.subprocess_env`` too, as mod_wsgi leaves them."""
    add_cgi_vars(r)
    add_common_vars(r)
    e = r.subprocess_env
    if settings.pass_authorization:
        value = r.headers_in.get("Authorization")
        if value:
            e["HTTP_AUTHORIZATION"] = value
    script_name = e.get("SCRIPT_NAME", "")
    if "//" in script_name:             # (no run of slashes: _no2slash_lead's identity)
        script_name = e["SCRIPT_NAME"] = _no2slash_lead(script_name)
    path_info = e.get("PATH_INFO")
    if path_info is None:
        path_info = e["PATH_INFO"] = ""
    elif "//" in path_info:
        path_info = e["PATH_INFO"] = _no2slash_lead(path_info)
    e["mod_wsgi.script_name"] = script_name
    e["mod_wsgi.path_info"] = path_info
    table, py = _base(r, settings, multithread, multiprocess)
    e.update(table)
    e["mod_wsgi.request_start"] = str(int(r.request_time * 1e6))
    env = {**e, **py}
    env["mod_wsgi.script_start"] = str(int(time.time() * 1e6))
    env["wsgi.url_scheme"] = e["REQUEST_SCHEME"]
    return env
