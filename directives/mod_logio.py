"""mod_logio (mod_logio.c): bytes in and out per request, and time to first byte.

It adds the ``%I %O %S %^FB`` items to mod_log_config's formats (providers
``log_handler`` for parsing and ``log_item`` for writing) and one directive,
LogIOTrackTTFB.

The counts are the connection's (ConnInfo.bytes_in/bytes_out, which the connection layer
adds to as bytes cross the socket): the request line, headers and body read, the status
line, headers and body written.  After the request is logged they start again from zero
(logio_transaction), so each request logs its own share of a keep-alive connection.
``%^FB`` is Request.first_byte_time - request_time in microseconds, with
LogIOTrackTTFB on (``-`` otherwise).
"""
from __future__ import annotations

from typing import Optional

import attrs

from httpd.module.hooks import LAST, OK
from httpd.module import OR_ALL, Args, Module, directive

# tag -> want_orig_default, as logio_pre_config registers them
LOG_HANDLERS = {"I": False, "O": False, "S": False, "^FB": False}


@attrs.define
class LogioDirConfig:
    """``track_ttfb`` is None when not set in this section."""

    track_ttfb: Optional[bool] = None


def create_dir_config(path: Optional[str]) -> LogioDirConfig:
    return LogioDirConfig()


def merge_dir_config(base: LogioDirConfig, add: LogioDirConfig) -> LogioDirConfig:
    # Apache's merge is "add ? add : base" on the flag, so an inner Off cannot turn
    # off an outer On; kept as is.
    return LogioDirConfig(add.track_ttfb or base.track_ttfb)


@directive("LogIOTrackTTFB", Args.FLAG, OR_ALL,
           "Set to 'ON' to enable tracking time to first byte")
def set_track_ttfb(cmd, conf: LogioDirConfig, flag: bool):
    conf.track_ttfb = flag
    return None


# -- the items and the reset -------------------------------------------------------------

def log_bytes_in(r, a):
    return str(r.conn.bytes_in)


def log_bytes_out(r, a):
    return str(r.conn.bytes_out)


def log_bytes_combined(r, a):
    c = r.conn
    return str(c.bytes_in + c.bytes_out)


def log_ttfb(r, a):
    conf = r.module_config("logio_module")
    if conf is None or not conf.track_ttfb or not r.first_byte_time:
        return "-"
    ttfb = round(r.first_byte_time * 1_000_000) - round(r.request_time * 1_000_000)
    return str(ttfb) if ttfb else "-"


ITEMS = {"I": log_bytes_in, "O": log_bytes_out, "S": log_bytes_combined, "^FB": log_ttfb}


def logio_transaction(r) -> int:
    """After mod_log_config has written (this hook runs LAST): count afresh for the
    next request; the total stays in conn.notes for the scoreboard
    (ap_logio_get_last_bytes)."""
    c = r.conn
    c.notes["logio_bytes_last_request"] = c.bytes_in + c.bytes_out
    c.bytes_in = c.bytes_out = 0
    return OK


MODULE = Module(
    "logio_module", "mod_logio.c", (set_track_ttfb,),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    hooks={"log_transaction": (logio_transaction, LAST)},
    providers={"log_handler": LOG_HANDLERS, "log_item": ITEMS},
    doc="Logging of input and output bytes per request",
)
