"""mod_log_config's ``%`` items at request time (the log_* functions of mod_log_config.c).

Each item is ``fn(r, arg) -> str | None``; None prints ``-`` (process_item), an empty
string prints nothing.  Strings that come from the client or the configuration are
escaped as Apache's ap_escape_logitem does (``\\"``, ``\\\\``, ``\\n`` and friends,
``\\xhh`` for other bytes); addresses and numbers are not.  Request text is held as
latin-1 (one character per byte), so ``\\xhh`` is the byte Apache saw.

:func:`compile_format` turns the items the config pass built (LogItem) into one
function per format when the logs open (the item loop unrolled, arguments bound, the
``%{...}t`` and ``%{...}i`` items specialised for their argument), so a request costs
one call per item and one join.
"""
from __future__ import annotations

import os
import socket
import threading
from typing import Any, Callable, Optional

from httpd.request.server_name import default_port, get_server_name  # noqa: F401 (%V, %p)
from httpd.util.escape import escape_logitem
from httpd.util.table import table_get
from directives.mod_log_config.times import (MONTHS, usec, end_time, clf_time, _strftime, _time_parts, make_time_item, log_request_time, duration, log_request_duration_microseconds, log_request_duration_scaled)  # noqa: F401
from httpd.module import CORE_MODULE
from httpd.http.core import HTTP_MODULE


def _header(headers: Any, name: str, lname: str = "") -> Optional[str]:
    """A request header as Apache's merged table holds it: repeated fields joined."""
    lname = lname or name.lower()
    found = None
    for k, v in headers:
        if k.lower() == lname:
            found = v if found is None else f"{found}, {v}"
    return found


# -- the connection and the client ----------------------------------------------------------

def _remote_host(r, conn: bool = False) -> str:
    """%h: ap_get_useragent_host(REMOTE_NAME), %{c}h: ap_get_remote_host(REMOTE_NAME),
    the name when HostnameLookups found one (a user agent address mod_remoteip set is
    not looked up)."""
    if not conn and r.useragent is not None:
        return r.useragent_ip
    c = r.conn
    host = c.remote_host
    if host is None:
        core = r.per_dir_config.get(CORE_MODULE)
        lookups = getattr(core, "hostname_lookups", None)
        if lookups in ("on", "double"):
            host = c.remote_host = _reverse_lookup(c.client_ip, lookups == "double")
    return host or c.client_ip


def _reverse_lookup(ip: str, double: bool) -> str:
    try:
        name = socket.gethostbyaddr(ip)[0]
        if double and ip not in socket.gethostbyname_ex(name)[2]:
            return ""
        return name.lower()
    except (OSError, UnicodeError):
        return ""


def log_remote_host(r, a):
    return escape_logitem(_remote_host(r, a == "c"))


def log_remote_address(r, a):
    """%a the user agent's address (mod_remoteip's), %{c}a the connection's peer."""
    return r.conn.client_ip if a == "c" else r.useragent_ip


def log_local_address(r, a):
    return r.conn.local_ip


def log_remote_logname(r, a):
    return None                     # mod_ident is not part of this server


def log_remote_user(r, a):
    user = r.user
    if user is None:
        return "-"
    return '""' if user == "" else escape_logitem(user)


# -- the request ----------------------------------------------------------------------

def _masked_uri(uri: str) -> Optional[str]:
    """apr_uri_unparse(uri, 0) when the URI carries a password, else None."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        if not uri.startswith("//"):
            return None
        scheme, rest = "", uri[2:]
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0),
              default=len(rest))
    hostinfo, tail = rest[:end], rest[end:]
    userinfo, at, hostport = hostinfo.rpartition("@")
    if not at or ":" not in userinfo:
        return None
    user = userinfo.partition(":")[0]
    host, colon, port = hostport.rpartition(":") if not hostport.endswith("]") else (
        hostport, "", "")
    if not colon or "]" in port:
        host, port = hostport, ""
    default = {"http": "80", "https": "443", "ftp": "21"}.get(scheme.lower())
    if port and (port.lstrip("0") or "0") in ("0", default):
        port = ""
    prefix = f"{scheme}://" if scheme else "//"
    return f"{prefix}{user}:XXXXXXXX@{host}{':' + port if port else ''}{tail}"


def log_request_line(r, a):
    line = r.the_request
    if "@" in line:
        masked = _masked_uri(r.unparsed_uri)
        if masked is not None:
            line = f"{r.method} {masked}" + (
                "" if r.protocol == "HTTP/0.9" else f" {r.protocol}")
    return escape_logitem(line)


def log_request_file(r, a):
    return escape_logitem(r.filename)


def log_request_uri(r, a):
    return escape_logitem(r.uri)


def log_request_method(r, a):
    return escape_logitem(r.method)


def log_log_id(r, a):
    if a == "c":
        return r.conn.log_id or "-"
    return r.log_id or "-"


def log_request_protocol(r, a):
    return escape_logitem(r.protocol)


def log_request_query(r, a):
    return "" if r.args is None else "?" + escape_logitem(r.args)


def log_status(r, a):
    return str(r.status) if r.status > 0 else "-"


def log_handler(r, a):
    return escape_logitem(r.handler)


def clf_log_bytes_sent(r, a):
    return str(r.bytes_sent) if r.sent_bodyct and r.bytes_sent else "-"


def log_bytes_sent(r, a):
    return str(r.bytes_sent) if r.sent_bodyct and r.bytes_sent else "0"


def log_header_in(r, a):
    return escape_logitem(_header(r.headers_in, a))


def make_header_in_item(a: str) -> Callable:
    lname = a.lower()
    return lambda r, _: escape_logitem(_header(r.headers_in, a, lname))


def log_trailer_in(r, a):
    t = r.trailers_in
    return None if t is None else escape_logitem(t.get(a))


def _field_noparam(value: str) -> str:
    """ap_field_noparam: a header value without its ``;`` parameters."""
    semi = value.find(";")
    return value if semi < 0 else value[:semi].rstrip(" \t\r\n\v\f")


def log_header_out(r, a):
    la = a.lower()
    if la == "content-type" and r.content_type:
        return escape_logitem(_field_noparam(r.content_type))
    if la == "set-cookie":
        values = r.err_headers_out.get_all(a) + r.headers_out.get_all(a)
        return escape_logitem(", ".join(values)) if values else None
    # at logging time Apache's headers_out is err_headers_out overlaid by headers_out
    v = r.err_headers_out.get(a)
    return escape_logitem(v if v is not None else r.headers_out.get(a))


def log_trailer_out(r, a):
    t = r.trailers_out
    return None if t is None else escape_logitem(t.get(a))


def log_note(r, a):
    return escape_logitem(table_get(r.notes, a))


def log_env_var(r, a):
    return escape_logitem(table_get(r.subprocess_env, a))


_WS = " \t\n\r\v\f"


def log_cookie(r, a):
    """Version 0 cookies, tolerant of blanks; names compared case-insensitively."""
    cookies = _header(r.headers_in, "Cookie")
    if cookies is None:
        return None
    la = a.lower()
    for token in cookies.split(";"):
        name, eq, value = token.lstrip("=").partition("=")
        if not name or not value:
            continue
        if name.lstrip(" \t").rstrip(_WS).lower() == la:
            return escape_logitem(value.lstrip(" \t").rstrip(_WS))
    return None


# -- the server -----------------------------------------------------------------------

def _core(server) -> Any:
    return server.module_config.get(CORE_MODULE)


def log_virtual_host(r, a):
    return escape_logitem(getattr(_core(r.server), "server_hostname", None))


def log_server_name(r, a):
    return escape_logitem(get_server_name(r))


def log_server_port(r, a):
    """%p: canonical is the ServerName's port (r->server->port, not
    ap_get_server_port: the Host's port never shows here), else ap_default_port."""
    which = a.lower()
    if which in ("", "canonical"):
        return str(getattr(_core(r.server), "port", 0) or default_port(r))
    if which == "remote":
        return str(r.useragent_port)
    if which == "local":
        return str(r.conn.local_port)
    return a


def log_pid_tid(r, a):
    which = a.lower()
    if which in ("", "pid"):
        return str(os.getpid())
    if which == "tid":
        return str(threading.get_ident())       # pthread_self, as apr_os_thread_current
    if which == "hextid":
        return "%x" % threading.get_ident()
    return a


def _keep_alive_max(r) -> int:
    http = r.server.module_config.get(HTTP_MODULE)
    if http is None:
        return 100
    value = http.keep_alive_max
    return 100 if value is None else value


def log_connection_status(r, a):
    """``X`` aborted, ``+`` kept alive, ``-`` closed, as mod_log_config.c words it:
    kept alive and MaxKeepAliveRequests not used up by c->keepalives, which
    set_keepalive has already bumped for this response."""
    c = r.conn
    if c.aborted:
        return "X"
    if c.keepalive:
        most = _keep_alive_max(r)
        if not most or most - c.keepalives > 0:
            return "+"
    return "-"


def log_requests_on_connection(r, a):
    """``%k``: c->keepalives - 1 (0 before any), the keep-alive requests served before."""
    n = r.conn.keepalives
    return str(n - 1 if n else 0)


# tag -> function: the runtime half of log_pre_config's registrations
ITEMS: dict[str, Callable] = {
    "h": log_remote_host, "a": log_remote_address, "A": log_local_address,
    "l": log_remote_logname, "u": log_remote_user, "t": log_request_time,
    "f": log_request_file, "b": clf_log_bytes_sent, "B": log_bytes_sent,
    "i": log_header_in, "o": log_header_out, "n": log_note, "L": log_log_id,
    "e": log_env_var, "V": log_server_name, "v": log_virtual_host, "p": log_server_port,
    "P": log_pid_tid, "H": log_request_protocol, "m": log_request_method,
    "q": log_request_query, "X": log_connection_status, "C": log_cookie,
    "k": log_requests_on_connection, "r": log_request_line,
    "D": log_request_duration_microseconds, "T": log_request_duration_scaled,
    "U": log_request_uri, "s": log_status, "R": log_handler,
    "^ti": log_trailer_in, "^to": log_trailer_out,
}

# Items whose function is built for their argument when compiled.
SPECIALISED = {"t": make_time_item, "i": make_header_in_item}


# -- compiled formats ------------------------------------------------------------------

# The commonest items written into a compiled format as expressions (no call), each
# giving what its function gives (never None, so no "-" test), when ``functions`` holds
# this module's own function for the tag (a provider's own is called as it is).
# ``{r}``: the request the item reads, ``{f}``/``{a}``: its function and argument.
_INLINE = {
    "l": (log_remote_logname, "'-'"),
    "u": (log_remote_user,
          "('-' if (v := {r}.user) is None else '\"\"' if v == '' else _esc(v))"),
    "h": (log_remote_host, "_esc(_rhost({r}))"),
    # the request line as it is when it needs neither masking nor escaping
    "r": (log_request_line,
          "(v if (v := {r}.the_request).isascii() and v.isprintable() and '@' not in v "
          "and '\"' not in v and '\\\\' not in v else {f}({r}, {a}))"),
    "s": (log_status, "(str(v) if (v := {r}.status) > 0 else '-')"),
    "b": (clf_log_bytes_sent,
          "(str({r}.bytes_sent) if {r}.sent_bodyct and {r}.bytes_sent else '-')"),
    "B": (log_bytes_sent,
          "(str({r}.bytes_sent) if {r}.sent_bodyct and {r}.bytes_sent else '0')"),
}
_INLINE_NAMES = {"_esc": escape_logitem, "_rhost": _remote_host, "_clf": clf_time}


def _inline(it, functions: dict) -> Optional[str]:
    """The expression standing for item ``it`` in a compiled format, or None (a call)."""
    if it.tag == "t":
        if functions.get("t") is not log_request_time or _time_parts(it.arg) != (
                False, "clf", ""):
            return None
        # %t: the request's start, as make_time_item's clf item computes it
        return "_clf(round({r}.request_time * 1000000) // 1000000)"
    found = _INLINE.get(it.tag)
    if found is None or functions.get(it.tag) is not found[0]:
        return None
    if it.tag == "h" and it.arg == "c":        # %{c}h: the connection's peer
        return "_esc(_rhost({r}, True))"
    return found[1]


def compile_format(items, functions: dict[str, Callable]) -> Callable:
    """LogItems to one function ``line(r, orig) -> str`` (config_log_transaction's
    loop, unrolled once per format when the logs open).

    Constant text is joined; each item is a call with its argument bound; a status
    condition tests the final request's status; ``None`` becomes ``-``."""
    env: dict[str, Any] = {}
    parts: list[str] = []
    text: list[str] = []
    for i, it in enumerate(items):
        if it.tag is None:
            text.append(it.arg)
            continue
        if not it.conditions and _inline(it, functions) == "'-'":
            text.append("-")            # %l: constant text
            continue
        if text:
            parts.append(repr("".join(text)))
            text = []
        special = SPECIALISED.get(it.tag)
        env[f"f{i}"] = special(it.arg) if special is not None else functions[it.tag]
        env[f"a{i}"] = it.arg
        req = 'o' if it.want_orig else 'r'
        inline = _inline(it, functions)
        if inline is not None:
            env.update(_INLINE_NAMES)
            call = inline.format(r=req, f=f"f{i}", a=f"a{i}")
        else:
            call = f"('-' if (v := f{i}({req}, a{i})) is None else v)"
        if it.conditions:
            env[f"c{i}"] = frozenset(it.conditions)
            call = (f"('-' if s in c{i} else {call})" if it.negated
                    else f"({call} if s in c{i} else '-')")
        parts.append(call)
    if text:
        parts.append(repr("".join(text)))
    src = ("def line(r, o):\n    s = r.status\n"
           f"    return ''.join(({', '.join(parts)},))\n" if parts else
           "def line(r, o):\n    return ''\n")
    exec(compile(src, "<LogFormat>", "exec"), env)
    line = env["line"]
    line.source = src
    return line


def render(compiled: Callable, r, orig) -> str:
    """One line of text for ``r`` (its newline included)."""
    return compiled(r, orig)
