"""mod_watchdog (mod_watchdog.c): the timer thread other modules hang periodic work on.

Only its one directive lives here: WatchdogInterval, parsed as Apache parses time-outs
(ap_timeout_parameter_parse) and refused below the watchdog's 100 ms time slice.
"""
from __future__ import annotations

from typing import Any, Optional

import attrs

from httpd.module import GLOBAL_ONLY, RSRC_CONF, Args, Directive, Module
from httpd.util.cparse import C_SPACE

NAME = "watchdog_module"
AP_WD_TM_SLICE = 100_000            # microseconds: the watchdog's tick
AP_WD_TM_INTERVAL = 1_000_000       # the default interval, one second
_INT64_MAX = (1 << 63) - 1
# Microseconds per unit, by the suffix that follows the number (default: seconds).
_UNITS = {"s": 1_000_000, "h": 3_600_000_000, "ms": 1_000, "mi": 60_000_000}


@attrs.define
class WatchdogConfig:
    interval: int = AP_WD_TM_INTERVAL   # microseconds


def timeout_parameter_parse(arg: str, default_unit: str = "s") -> Optional[int]:
    """ap_timeout_parameter_parse: microseconds, or None when Apache says it cannot parse.

    A base-10 int64 (strtoi64: leading space and a sign allowed) then an optional unit
    of which only the first letters count: ``s``, ``ms``, ``mi`` (minutes), ``h``.
    Negative values and values that overflow int64 microseconds are refused.
    """
    i, n = 0, len(arg)
    while i < n and arg[i] in C_SPACE:
        i += 1
    j = i + 1 if i < n and arg[i] in "+-" else i
    k = j
    while k < n and "0" <= arg[k] <= "9":
        k += 1
    value = int(arg[i:k]) if k > j else 0
    if value > _INT64_MAX or value < -_INT64_MAX - 1:
        return None                      # strtoi64 set ERANGE
    rest = arg[k:] if k > j else arg     # no digits: strtoi64 leaves end at the start
    unit = rest or default_unit
    if unit[0] == "m":
        per = _UNITS.get(unit[:2])
    else:
        per = _UNITS.get(unit[0])
    if per is None or value < 0 or value > _INT64_MAX // per:
        return None
    return value * per


def set_watchdog_interval(cmd: Any, _mconfig: Any, arg: str) -> Optional[str]:
    interval = timeout_parameter_parse(arg)
    if interval is None:
        return "Unparse-able WatchdogInterval setting"
    if interval < AP_WD_TM_SLICE:
        return f"Invalid WatchdogInterval: minimal value {AP_WD_TM_SLICE // 1000}ms"
    cmd.server.module_config[NAME].interval = interval
    return None


MODULE = Module(
    NAME, "mod_watchdog.c",
    (Directive("WatchdogInterval", set_watchdog_interval, Args.TAKE1, RSRC_CONF,
               "Watchdog interval in seconds", forbidden=GLOBAL_ONLY),),
    create_server_config=lambda server: WatchdogConfig(),
    doc="Provides infrastructure for other modules to periodically run tasks",
    mutex_types=("watchdog-callback",),
)
