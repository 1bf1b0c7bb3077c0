"""ErrorLogFormat's ``%`` items (the log_* handlers ap_register_log_hooks registers).

Each is ``fn(info, arg) -> str``; an empty string is "nothing", which makes the field
vanish (or the line, for ``%+``).  Values that come from the client are escaped as
ap_escape_errorlog_item does.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Any, Optional

from httpd.util.escape import escape_errorlog_item
from httpd.log.startup import LEVELS
from httpd.module import CORE_MODULE

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
threaded = False            # set when the logs open: %T prints only with a threaded MPM


def status_text(status: Any) -> Optional[str]:
    """log_apr_status: ``(2)No such file or directory``."""
    if not status:
        return None
    if isinstance(status, OSError):
        status = status.errno
        if not status:
            return None
    return f"({status}){os.strerror(status)}"


def ctime(now: float, usec: bool = False, msec: bool = False,
          compact: bool = False) -> str:
    """ap_recent_ctime_ex: ``Thu Nov 26 09:34:01.177865 2026`` and its variants."""
    sec, us = divmod(round(now * 1_000_000), 1_000_000)
    t = time.localtime(sec)
    frac = ""
    if usec:
        frac = ".%06d" % us
    elif msec:
        frac = ".%03d" % (us // 1000)
    if compact:
        return time.strftime("%Y-%m-%d %H:%M:%S", t) + frac
    return (f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}{frac} {t.tm_year}")


def log_remote_address(info, arg):
    """%a: the user agent's address and port for a request, %{c}a the connection's."""
    if info.r is not None and arg != "c":
        return f"{info.r.useragent_ip}:{info.r.useragent_port}"
    c = info.c
    if c is None:
        return ""
    return f"{c.client_ip}:{c.client_port}"


def log_local_address(info, arg):
    c = info.c
    return f"{c.local_ip}:{c.local_port}" if c is not None else ""


def _table_entry(table, name) -> str:
    if table is None:
        return ""
    value = table.get(name)
    if value is None and isinstance(table, dict):
        low = name.lower()
        value = next((v for k, v in table.items() if k.lower() == low), None)
    return escape_errorlog_item(value) if value else ""


def log_env_var(info, arg):
    return _table_entry(info.r.subprocess_env, arg) if info.r is not None else ""


def log_apr_status(info, arg):
    return status_text(info.status) or ""


def log_file_line(info, arg):
    return f"{info.file}({info.line})" if info.file else ""


def log_header(info, arg):
    if info.r is None or not arg:
        return ""
    values = info.r.headers_in.get_all(arg)
    return escape_errorlog_item(", ".join(values)) if values else ""


def log_keepalives(info, arg):
    return str(info.c.keepalives) if info.c is not None else ""


def log_loglevel(info, arg):
    return LEVELS[info.level] if info.level >= 0 else ""


def log_log_id(info, arg):
    """``%{c}L`` the connection's id; ``%{C}L`` the same, but not on request lines;
    ``%L`` the request's."""
    if arg and arg.lower() == "c":
        if info.c is not None and (arg != "C" or info.r is None):
            return info.c.log_id or ""
        return ""
    if info.rmain is not None:
        return info.rmain.log_id or ""
    return ""


def log_module_name(info, arg):
    return info.module or ""


def log_note(info, arg):
    return _table_entry(info.r.notes, arg) if info.r is not None else ""


def log_pid(info, arg):
    return str(os.getpid())


def log_tid(info, arg):
    """``%{g}T`` the kernel's thread id; ``%T`` pthread_self, with a threaded MPM only."""
    if arg and arg[0] == "g":
        return str(threading.get_native_id())
    return str(threading.get_ident()) if threaded else ""


def log_ctime(info, arg):
    """``%t``; ``%{u}t`` microseconds, ``%{m}t`` milliseconds, ``%{c}t`` compact
    (ISO-like); an argument with ``%`` is a strftime format."""
    now = time.time()
    if arg and "%" in arg:
        try:
            return time.strftime(arg, time.localtime(now))
        except (ValueError, UnicodeError):
            return ""
    arg = arg or ""
    return ctime(now, usec="u" in arg, msec="m" in arg, compact="c" in arg)


def log_virtual_host(info, arg):
    core = info.s.module_config.get(CORE_MODULE) if info.s is not None else None
    return getattr(core, "server_hostname", None) or ""


# ap_get_server_name, provided by the HTTP module when it is imported (Apache's
# APR_OPTIONAL_FN: log.c sits below the code that knows UseCanonicalName)
server_name_fn = None


def provide_server_name(fn) -> None:
    """Register ap_get_server_name for %V (called by httpd.http.header_filter)."""
    global server_name_fn
    server_name_fn = fn


def log_server_name(info, arg):
    """%V: ap_get_server_name(r), by UseCanonicalName (the server's name before any
    request module is loaded)."""
    r = info.r
    if r is None:
        return ""
    if server_name_fn is None:
        return r.server.module_config[CORE_MODULE].server_hostname or ""
    return server_name_fn(r) or ""


ITEMS = {
    "a": log_remote_address, "A": log_local_address, "e": log_env_var,
    "E": log_apr_status, "F": log_file_line, "i": log_header, "k": log_keepalives,
    "l": log_loglevel, "L": log_log_id, "m": log_module_name, "n": log_note,
    "P": log_pid, "t": log_ctime, "T": log_tid, "v": log_virtual_host,
    "V": log_server_name,
}
