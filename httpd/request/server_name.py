"""The server's name and port as a request sees them (server/core.c: ap_get_server_name,
ap_get_server_name_for_url, ap_get_server_port; http_core's ap_http_scheme and
ap_default_port; ap_construct_url), by UseCanonicalName and UseCanonicalPhysicalPort.
The one implementation: ap_expr, the logs, signatures, redirects use it."""
from __future__ import annotations

import socket

from httpd.log import errorlog_format
from httpd.module import CORE_MODULE as CORE
from httpd.request.record import Request


def http_scheme(r: Request) -> str:
    """ap_http_scheme (http_core's hook): "https" for a server whose ServerName says
    so, else "http"."""
    return "https" if r.server.module_config[CORE].server_scheme == "https" else "http"


def default_port(r: Request) -> int:
    """ap_default_port (http_core's hook): 443 for a server whose ServerName says
    https, else 80."""
    return 443 if r.server.module_config[CORE].server_scheme == "https" else 80


def get_server_name(r: Request) -> str:
    """ap_get_server_name (core.c): UseCanonicalName On: the ServerName; DNS: the
    local address's reverse name (kept on the connection); Off or unset: the client's
    host (r->hostname, an IPv6 literal without brackets), else the ServerName.  The
    one implementation: every caller (ap_expr, the logs, signatures, URLs) uses it.
    apr_getnameinfo with no flags asks for a name (NI_NAMEREQD): an address without
    one falls back to the ServerName."""
    d = r.module_config(CORE)
    server_hostname = r.server.module_config[CORE].server_hostname
    ucn = d.use_canonical_name if d is not None else None
    if ucn == "on":
        return server_hostname
    if ucn == "dns":
        local = r.conn.notes.get("local_host")
        if local is None:
            try:
                local = socket.getnameinfo((r.conn.local_ip, 0),
                                           socket.NI_NAMEREQD)[0].lower()
            except (OSError, UnicodeError):
                local = server_hostname
            r.conn.notes["local_host"] = local
        return local
    return r.hostname or server_hostname


def get_server_name_for_url(r: Request) -> str:
    """ap_get_server_name_for_url: the server name, an IPv6 literal in brackets."""
    name = get_server_name(r)
    return f"[{name}]" if ":" in name else name


def get_server_port(r: Request) -> int:
    """ap_get_server_port (core.c), case for case.  UseCanonicalName Off, DNS or
    unset: the port the request named (``r.parsed_port``: the absolute target's, or
    the Host field's), then with UseCanonicalPhysicalPort On the local port, then the
    ServerName's, then the scheme's default.  On: the ServerName's port, then (with
    UseCanonicalPhysicalPort On) the local port, then the default."""
    d = r.module_config(CORE)
    server_port = r.server.module_config[CORE].port
    phys = d.use_canonical_phys_port if d is not None else None
    if d is not None and d.use_canonical_name == "on":
        if phys:
            return server_port or r.conn.local_port or default_port(r)
        return server_port or default_port(r)
    if r.parsed_port:
        return r.parsed_port
    if phys:
        return r.conn.local_port or server_port or default_port(r)
    return server_port or default_port(r)


def construct_url(r: Request, uri: str) -> str:
    """ap_construct_url: scheme, the server's name (for a URL) and port (only when it
    is not the scheme's default), then ``uri``."""
    port = get_server_port(r)
    host = get_server_name_for_url(r)
    if port == default_port(r):
        return f"{http_scheme(r)}://{host}{uri}"
    return f"{http_scheme(r)}://{host}:{port}{uri}"


# the error log's %V (log.c sits below this layer: Apache's APR_OPTIONAL_FN)
errorlog_format.provide_server_name(get_server_name)
