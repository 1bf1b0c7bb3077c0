"""mod_logio (mod_logio.c): bytes in and out per request, and time to first byte.

It adds the ``%I %O %S %^FB`` items to mod_log_config's formats (through the
``log_handlers`` hook) and one directive, LogIOTrackTTFB.
"""
from __future__ import annotations

from typing import Optional

import attrs

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


MODULE = Module(
    "logio_module", "mod_logio.c", (set_track_ttfb,),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    providers={"log_handler": LOG_HANDLERS},
    doc="Logging of input and output bytes per request",
)
