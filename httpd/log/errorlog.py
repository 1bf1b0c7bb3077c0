"""The error log at run time (server/log.c): ap_log_error, ap_log_rerror, ap_log_cerror.

``error_log(server, module, level, msg, r=None, conn=None, status=None)`` is the one
entry point (``log_rerror`` and ``log_cerror`` fill in the server).  A message is first
filtered by LogLevel (the request's per-directory level, else the server's, per module;
``notice`` always passes unless the log is syslog), then handed to structlog as a record
of plain data::

    {"event": "AH00128: File does not exist: /x", "module": "core", "level": "info",
     "ah": "AH00128", "client": "127.0.0.1:54321", "server": "www.example.com",
     "status": None, "log_id": "nR7JAoxj264", "referer": None, "pid": 123, "tid": 123}

so tests assert on records with ``structlog.testing.capture_logs()``.  The last
structlog processor (:func:`write_error_log`) renders Apache's line and writes it:

``[Thu Nov 26 09:34:01.177865 2026] [core:error] [pid 123:tid 123] [client
127.0.0.1:54321] AH00128: File does not exist: /x`` (``, referer: ...`` when the request
has one; ``(2)No such file or directory: `` before the message for a status; the
``file(line): `` of the caller from debug on), or the server's ``ErrorLogFormat``
(compiled by core at config time; every % code of log.c is rendered here), including
the once-per-connection and once-per-request lines.

Destinations (``ErrorLog``, opened by :func:`open_logs`, ServerRoot-relative):
a file (append), ``|program`` (see httpd/log/piped.py; restarted if it dies), or
``syslog[:facility[:tag]]``.  A virtual host with the same ErrorLog as an earlier server
shares its destination, as in Apache.

JSON for log pipelines.  ``Define ErrorLogJSON`` (or ``-D ErrorLogJSON``) makes every
error log write one JSON object per line instead of Apache's text; ``Define ErrorLogJSON
logs/error.json`` (a file or ``|program``) keeps the text logs and writes a JSON copy of
every record there.  A Define is the one switch real Apache accepts and ignores, so the
same httpd.conf still runs there unchanged.  The JSON object is the record above with
``time`` (ISO 8601, local, microseconds) and ``message`` in place of ``event``;
empty fields are left out.
"""
from __future__ import annotations

import base64
import json
import os
import sys
import threading
import time
import weakref
from datetime import datetime
from typing import Any, Optional

import attrs
import structlog

from httpd.log import errorlog_format as errorlog_items
from httpd.util.escape import escape_errorlog_item
from httpd.log.errorlog_format import ITEMS, ctime, status_text
from httpd.log.startup import LEVEL_NUM, LEVELS
from httpd.log.sinks import FileSink, StreamSink, SyslogSink, open_sink
from httpd.module import CORE_MODULE, hooks

NOTICE, DEBUG = LEVEL_NUM["notice"], LEVEL_NUM["debug"]
WARN = LEVEL_NUM["warn"]
MAX_STRING_LEN = 8192
JSON_DEFINE = "ErrorLogJSON"
FIELD_SEP, MESSAGE, REQUIRED, NULL_AS_HYPHEN = 1, 2, 4, 8   # ap_errorlog_format_item flags

# -- per-server state -----------------------------------------------------------------


@attrs.define(eq=False)
class ServerLog:
    """What a server's messages need, gathered once when the logs open."""

    sink: Any
    core: Any                        # the server's CoreServerConfig (level, formats)
    json: bool = False               # write JSON instead of Apache's text
    copy: Any = None                 # a JSON sink every record also goes to


@attrs.define(eq=False)
class Generation:
    sinks: list = attrs.field(factory=list)
    threaded: bool = False


_SERVERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_OPEN: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # process -> Generation
_fallback = StreamSink()


def is_open(process) -> bool:
    return process in _OPEN


def open_logs(process, replace_stderr: bool = False) -> bool:
    """ap_open_logs: every server's ErrorLog, the main one first; False on failure.

    ``replace_stderr`` (for the MPM when it starts serving) points file descriptor 2 at
    the main error log, so stray output lands there as in Apache."""
    configure_structlog()
    if process in _OPEN:
        close_logs(process)
    gen = Generation()
    mpm = getattr(process.registry, "mpm", None)
    gen.threaded = bool(getattr(getattr(mpm, "mpm", None), "is_threaded", 0))
    errorlog_items.threaded = gen.threaded
    json_all = JSON_DEFINE in getattr(process, "defines", ())
    copy_target = getattr(process, "variables", {}).get(JSON_DEFINE) if json_all else None
    copy = None
    if copy_target:
        copy = open_sink(process, copy_target)
        if copy is None:
            return False
        gen.sinks.append(copy)
    opened: dict[str, Any] = {}
    main = process.main_server
    logs = {}
    for s in [main] + list(process.vhosts):
        core = s.module_config.get(CORE_MODULE)
        fname = getattr(core, "error_fname", None) or main.module_config[
            CORE_MODULE].error_fname
        sink = opened.get(fname)
        if sink is None:
            sink = open_sink(process, fname)
            if sink is None:
                for done in gen.sinks:
                    done.close()
                return False
            opened[fname] = sink
            gen.sinks.append(sink)
        logs[s] = ServerLog(sink, core, json_all and not copy_target, copy)
    _SERVERS.update(logs)
    _OPEN[process] = gen
    if replace_stderr:
        sink = _SERVERS[main].sink
        if isinstance(sink, FileSink):
            sys.stderr.flush()
            os.dup2(sink.fd, 2)
    return True


def close_logs(process) -> None:
    gen = _OPEN.pop(process, None)
    if gen is not None:
        for sink in gen.sinks:
            sink.close()


# -- levels ---------------------------------------------------------------------------


def _module_id(module: str) -> str:
    return module if module.endswith("_module") else module + "_module"


def _short(module: str) -> str:
    return module[:-7] if module.endswith("_module") else module


def configured_level(server, module: str, r=None) -> int:
    """ap_get_request_module_loglevel / ap_get_server_module_loglevel."""
    mod_id = _module_id(module)
    core = server.module_config.get(CORE_MODULE) if server is not None else None
    slog = getattr(core, "log", None)
    if r is not None:
        d = r.per_dir_config.get(CORE_MODULE)
        dlog = getattr(d, "log", None)
        if dlog is not None:
            if dlog.module_levels and mod_id in dlog.module_levels:
                return dlog.module_levels[mod_id]
            if dlog.level is not None:
                return dlog.level
    if slog is None:
        return WARN
    level = slog.level_for(mod_id)
    return WARN if level is None else level


# -- log ids --------------------------------------------------------------------------


def generate_log_id(when: Optional[float] = None) -> str:
    """core_generate_log_id: time, pid and thread mixed into 64 bits, base64 without
    the final ``=``."""
    t = round((time.time() if not when else when) * 1_000_000)
    pid = os.getpid()
    n = t ^ (pid << 40) ^ ((pid >> 24) << 56) ^ (threading.get_ident() << 32)
    return base64.b64encode((n & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")).decode()[:11]


def _log_id(server, conn, r) -> str:
    """ap_run_generate_log_id: a module's id for the connection or request (mod_unique_id
    gives the request's UNIQUE_ID), else the core's."""
    process = getattr(r, "process", None)
    if process is not None:
        rv = process.registry.hooks.run("generate_log_id", conn, r)
        if isinstance(rv, str):
            return rv
    return generate_log_id(r.request_time if r is not None else None)


# -- the message record ---------------------------------------------------------------


@attrs.define(eq=False)
class Info:
    """ap_errorlog_info: what the format items read."""

    s: Any
    c: Any
    r: Any
    rmain: Any
    level: int                      # -1 for once-per-connection/request lines
    module: Optional[str]
    file: Optional[str] = None
    line: int = 0
    status: Any = None
    using_syslog: bool = False


_tls = threading.local()
_logger = structlog.wrap_logger(None, wrapper_class=structlog.BoundLogger)


def _caller() -> tuple[Optional[str], int]:
    f = sys._getframe(2)
    here = __file__
    while f is not None and f.f_code.co_filename == here:
        f = f.f_back
    if f is None:
        return None, 0
    return os.path.basename(f.f_code.co_filename), f.f_lineno


def error_log(server, module: str, level: str, msg: str, r=None, conn=None,
              status: Any = None) -> None:
    """ap_log_error / ap_log_rerror / ap_log_cerror (log_error_core)."""
    n = LEVEL_NUM[level]
    if r is not None:
        conn = r.conn
    slog = _SERVERS.get(server) if server is not None else None
    if slog is None:
        # before the logs open: standard error at the default level (-e)
        if n != NOTICE and n > (configured_level(server, module, r) if server else WARN):
            return
    else:
        if n > configured_level(server, module, r) and (
                n != NOTICE or isinstance(slog.sink, SyslogSink)):
            return
    rmain = None
    conn_lines = req_lines = None
    if slog is not None:
        core = slog.core
        if conn is not None and conn.log_id is None:
            conn.log_id = _log_id(server, conn, None)
            conn_lines = getattr(core, "error_log_conn", None)
        if r is not None:
            rmain = r.main or r
            if rmain.log_id is None:
                req_lines = getattr(core, "error_log_req", None)
                rmain.log_id = _log_id(server, conn, rmain)
    file, line = _caller()
    module = _short(module)
    info = Info(server, conn, r, rmain, n, module, file, line, status,
                slog is not None and isinstance(slog.sink, SyslogSink))
    if conn_lines or req_lines:
        _extra_lines(slog, info, conn_lines, req_lines)
    client = None
    if r is not None:           # r->useragent_ip, as log.c prints it for a request
        client = f"{r.useragent_ip}:{r.useragent_port}"
    elif conn is not None:
        client = f"{conn.client_ip}:{conn.client_port}"
    ah = msg[:7] if msg.startswith("AH") and msg[2:7].isdigit() and msg[7:9] == ": " else None
    core = server.module_config.get(CORE_MODULE) if server is not None else None
    _tls.pending = (slog, info, msg)
    getattr(_logger, level)(
        msg, module=module, level=level, ah=ah, client=client,
        server=getattr(core, "server_hostname", None), status=status_text(status),
        log_id=(rmain.log_id if rmain is not None else
                conn.log_id if conn is not None else None),
        referer=r.headers_in.get("Referer") if r is not None else None,
        pid=os.getpid(), tid=threading.get_native_id())


def log_rerror(r, module: str, level: str, msg: str, status: Any = None) -> None:
    error_log(r.server, module, level, msg, r=r, status=status)


def _report_hook_failure(r, msg: str) -> None:
    log_rerror(r, "core", "error", msg)      # looked up at each call (tests patch it)


hooks.report_failure = _report_hook_failure   # a hook that raised is logged here


def log_cerror(conn, module: str, level: str, msg: str, status: Any = None,
               server=None) -> None:
    error_log(server if server is not None else conn.base_server, module, level, msg,
              conn=conn, status=status)


# -- rendering ------------------------------------------------------------------------


# Whether the running MPM is threaded (AP_MPMQ_IS_THREADED): a non-threaded MPM's lines
# carry [pid N] only, as Apache's log_tid decides.  Unknown until an MPM runs: then the
# thread id is shown, as in Apache's start-up messages.
MPM_THREADED = True


def set_mpm_threaded(threaded: bool) -> None:
    global MPM_THREADED
    MPM_THREADED = threaded


def render_default(info: Info, msg: str) -> str:
    """do_errorlog_default."""
    parts = []
    if not info.using_syslog:
        parts.append(f"[{ctime(time.time(), usec=True)}] ")
    if MPM_THREADED:
        parts.append(f"[{info.module}:{LEVELS[info.level]}] [pid {os.getpid()}:tid "
                     f"{threading.get_native_id()}] ")
    else:
        parts.append(f"[{info.module}:{LEVELS[info.level]}] [pid {os.getpid()}] ")
    if info.level >= DEBUG and info.file:
        parts.append(f"{info.file}({info.line}): ")
    st = status_text(info.status)
    if st:
        parts.append(st + ": ")
    c = info.c
    if info.r is not None:
        parts.append(f"[client {info.r.useragent_ip}:{info.r.useragent_port}] ")
    elif c is not None:
        parts.append(f"[client {c.client_ip}:{c.client_port}] ")
    parts.append(escape_errorlog_item(msg[:MAX_STRING_LEN - 1]))
    if info.r is not None:
        referer = info.r.headers_in.get("Referer")
        if referer:
            parts.append(", referer: " + escape_errorlog_item(referer))
    return "".join(parts)


def render_format(items, info: Info, msg: str) -> str:
    """do_errorlog_format: fields between blanks vanish when an item in them is empty;
    ``%+`` items drop the whole line, ``%-`` items print ``-``."""
    buf: list[str] = []
    field_start, skipping = 0, False
    for item in items:
        if item.flags & FIELD_SEP:
            if skipping:
                skipping = False
            else:
                field_start = len(buf)
        if item.flags & MESSAGE:
            buf.append(escape_errorlog_item(msg[:MAX_STRING_LEN - 1]))
        elif skipping:
            continue
        elif info.level != -1 and item.min_loglevel > info.level:
            del buf[field_start:]
            skipping = True
        else:
            value = item.arg if not item.func else ITEMS[item.func](info, item.arg)
            if value:
                buf.append(value)
            elif item.flags & REQUIRED:
                return ""
            elif item.flags & NULL_AS_HYPHEN:
                buf.append("-")
            else:
                del buf[field_start:]
                skipping = True
    return "".join(buf)


def _line(slog: Optional[ServerLog], info: Info, msg: str, items=None) -> str:
    if items is None and slog is not None:
        items = getattr(slog.core, "error_log_format", None)
    text = render_format(items, info, msg) if items else render_default(info, msg)
    return text[:MAX_STRING_LEN - 2]


def _extra_lines(slog: ServerLog, info: Info, conn_lines, req_lines) -> None:
    """The once-per-connection and once-per-request lines (never to the JSON copy)."""
    for lines, r in ((conn_lines, None), (req_lines, info.rmain)):
        for items in lines or ():
            extra = Info(info.s, info.c, r, r, -1, None, using_syslog=info.using_syslog)
            text = _line(slog, extra, "", items)
            if text and not slog.json:
                slog.sink.write(text + "\n", LEVEL_NUM["debug"])


def to_json(event_dict: dict) -> str:
    out = {"time": datetime.now().astimezone().isoformat(timespec="microseconds")}
    for k, v in event_dict.items():
        if k == "event":
            out["message"] = v
        elif v is not None and k != "log_level":
            out[k] = v
    return json.dumps(out, ensure_ascii=True)


def write_error_log(logger, method_name: str, event_dict: dict):
    """The last structlog processor: Apache's line (or JSON) to the server's error log."""
    pending = getattr(_tls, "pending", None)
    _tls.pending = None
    if pending is None:                     # a record that did not come from error_log
        sys.stderr.write(f"{event_dict}\n")
        raise structlog.DropEvent
    slog, info, msg = pending
    if slog is None:
        _fallback.write(_line(None, info, msg) + "\n", info.level)
    else:
        if slog.json:
            slog.sink.write(to_json(event_dict) + "\n", info.level)
        else:
            slog.sink.write(_line(slog, info, msg) + "\n", info.level)
        if slog.copy is not None:
            slog.copy.write(to_json(event_dict) + "\n", info.level)
    raise structlog.DropEvent


PROCESSORS = [write_error_log]


_configured = False


def configure_structlog() -> None:
    """Route structlog records through :func:`write_error_log` (once: a later call must
    not undo structlog.testing.capture_logs)."""
    global _configured
    if not _configured:
        _configured = True
        structlog.configure(processors=[write_error_log])


configure_structlog()
