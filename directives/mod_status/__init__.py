"""mod_status (status_module, mod_status.c): the ``server-status`` handler.

``SetHandler server-status`` serves the scoreboard as Apache's HTML page, ``?auto`` as
the machine-readable text, ``?notable`` as details without the table, and
``?refresh=N`` adds a Refresh header.  The module has no directives of its own:
ExtendedStatus and SeeRequestTail are core's, and loading mod_status turns
ExtendedStatus on unless the config says Off (Apache since 2.3.6).

The board is the MPM's (``process.scoreboard``, set by the multi-process runtimes).
Without one (``httpd -X``) the module keeps a one-slot board for the single process,
made at post_config so its restart time is the start time, and counts requests into it
from log_transaction, so the page still tells the truth in debug mode.
"""
from __future__ import annotations

import os
import time
import weakref
from typing import Any

from httpd import SERVER_BUILT
from httpd.module.hooks import DECLINED, LAST, MIDDLE, OK, REALLY_LAST, HookSpec, Kind, declare
from httpd.module import Module
from httpd.mpm.scoreboard import READY, Scoreboard, extended_status
from httpd.protocol import M_GET

MODULE_NAME = "status_module"

# ap_run_status_hook (mod_status.h): a module imports this one, then joins with
# hooks={"status_hook": fn}; fn(r, flags) returns text to add to the report (or None);
# flags are mod_status.h's
STATUS_HOOK = declare(HookSpec(
    "status_hook", Kind.RUN_ALL, ("r", "flags"),
    "The server-status page is made: return text to add to it (or None).",
    declared_by=MODULE_NAME))
STATUS_SHORT = 0x1      # ?auto
STATUS_NOTABLE = 0x2
STATUS_EXTENDED = 0x4
HANDLERS = ("server-status", "application/x-httpd-status")   # STATUS_MAGIC_TYPE too

# -X: the single process's own board, by process (a restart makes a new Process)
_LOCAL: weakref.WeakKeyDictionary[Any, Scoreboard] = weakref.WeakKeyDictionary()


def _local_board(process: Any) -> Scoreboard:
    sb = _LOCAL.get(process)
    if sb is None:
        sb = _LOCAL[process] = Scoreboard.for_process(process, 1, 1, shared=False)
        ps = sb.process(0)
        ps.pid = os.getpid()
        w = sb.worker(0, 0)
        w.pid = os.getpid()
        w.set_status(READY)
    return sb


def _post_config(process: Any, server: Any) -> bool:
    if getattr(process, "scoreboard", None) is None:
        _local_board(process)
    return True


def _log_transaction(r: Any) -> int:
    # only for the -X board: under an MPM the connection layer keeps the worker's slot
    if getattr(r.process, "scoreboard", None) is None:
        sb = _LOCAL.get(r.process)
        if sb is not None:
            w = sb.worker(0, 0)
            w.request_started(r)                 # who and what, for every request
            if r.request_time:
                w.start_time = r.request_time    # its duration runs from the request line
            w.request_done(r)
            w.set_status(READY)
    return OK


def _mpm(process: Any) -> tuple[str, bool]:
    decl = process.registry.mpm
    mpm = getattr(decl, "mpm", None)
    if mpm is None:
        return "", False
    return mpm.name, bool(mpm.is_async)


def status_pre_config(process: Any) -> None:
    """status_pre_config (APR_HOOK_LAST): with mod_status loaded, ExtendedStatus is On
    unless the config says Off (Apache since 2.3.6)."""
    process.extended_status_default = True


def status_handler(r: Any) -> int:
    if r.handler not in HANDLERS:
        return DECLINED
    r.allowed = 1 << M_GET
    if r.method_number != M_GET:
        return DECLINED
    from httpd.util.escape import escape_logitem
    from directives.mod_status.page import Snapshot, refresh_value, render
    from httpd.http.header_filter import server_banner, signature
    from httpd.request.server_name import get_server_name
    r.content_type = "text/html; charset=ISO-8859-1"
    short = no_table = False
    args = r.args
    if args:
        refresh = refresh_value(args)
        if refresh is not None:
            r.headers_out.set("Refresh", refresh)
        if "notable" in args:
            no_table = True
        if "auto" in args:
            r.content_type = "text/plain; charset=ISO-8859-1"
            short = True
    process = r.process
    sb = getattr(process, "scoreboard", None)
    if sb is None:
        sb = _local_board(process)
        sb.worker(0, 0).request_started(r)       # this request is what the slot is doing
    name, is_async = _mpm(process)
    extended = extended_status(process)
    flags = ((STATUS_SHORT if short else 0) | (STATUS_NOTABLE if no_table else 0)
             | (STATUS_EXTENDED if extended else 0))
    extensions = "".join(filter(None, (
        fn(r, flags) for fn in process.registry.hooks.functions("status_hook"))))
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    snap = Snapshot(board=sb, now=time.time(), server_name=get_server_name(r),
                    local_ip=r.conn.local_ip, server_version=server_banner("Full"),
                    server_built=SERVER_BUILT, mpm_name=name, is_async=is_async,
                    extended=extended, loadavg=load,
                    signature="" if short else signature(r, "<hr />\n"),
                    escape_logitem=escape_logitem, extensions=extensions)
    r.body = render(snap, short, no_table).encode("latin-1", "replace")
    return OK


MODULE = Module(
    MODULE_NAME, "mod_status.c",
    (),
    hooks={"pre_config": (status_pre_config, LAST),
           "handler": (status_handler, MIDDLE),
           "post_config": _post_config,
           "log_transaction": (_log_transaction, REALLY_LAST)},
    doc="Provides information on server activity and performance",
)
