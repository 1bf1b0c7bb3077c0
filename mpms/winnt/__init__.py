"""mpm_winnt (server/mpm/winnt/mpm_winnt.c, child.c; static only): a control process
and exactly one child of ThreadsPerChild worker threads, the whole server's
concurrency.

This file holds the MPM's directive table (LISTEN_COMMANDS, ThreadsPerChild,
ThreadLimit), its defaults and check_config with Apache's AH00439-AH00447, and the
control path of Windows' ``-k`` (stop/shutdown and restart only: there is no graceful
mode); the runtime is mpms/winnt/runtime.py.
"""
from __future__ import annotations

import signal
from typing import Any, Optional

import attrs

from httpd.module import Module

from httpd.mpm.common import (MPM, MPMQ, NOT_SUPPORTED, STATIC, Clamp, ListenSettings,
                              MPMConfig, int_directive, listen_commands)

NAME = "mpm_winnt_module"
TAG = "mpm_winnt"

HARD_SERVER_LIMIT = 1
DEFAULT_THREAD_LIMIT = 1920
MAX_THREAD_LIMIT = 15000
DEFAULT_THREADS_PER_CHILD = 64
MAXIMUM_WAIT_OBJECTS = 64          # Windows' constant, what MAX_DAEMON_USED answers


@attrs.define
class WinNTConfig(MPMConfig):
    threads_per_child: int = DEFAULT_THREADS_PER_CHILD
    thread_limit: int = DEFAULT_THREAD_LIMIT


@attrs.frozen
class WinNTSettings:
    """mpm_winnt's checked numbers for one generation (``process.mpm_state``)."""

    mpm: str
    threads_per_child: int
    thread_limit: int
    listen: ListenSettings
    server_limit: int = HARD_SERVER_LIMIT
    start_servers: int = 1
    graceful_shutdown_timeout: int = 0

    def for_run(self, num_buckets: int = 1) -> "WinNTSettings":
        return self


class WinNT(MPM):
    name = "WinNT"                    # winnt_get_name
    module = NAME
    is_threaded = STATIC
    is_forked = NOT_SUPPORTED
    # Windows' -k: the named events ap<PID>_shutdown and ap<PID>_restart, here SIGTERM
    # and SIGHUP; any other word (graceful, graceful-stop) is no command of this MPM,
    # and the server then runs, as winnt_rewrite_args' "run" does
    k_signals = {"stop": signal.SIGTERM, "restart": signal.SIGHUP}

    def run(self, process: Any, serving: Any, listeners: list, reload=None,
            on_exit=None) -> int:
        from mpms.winnt.runtime import run
        return run(process, serving, listeners, reload=reload, on_exit=on_exit)

    def _query_settings(self, code: MPMQ, s: Any) -> Optional[int]:
        return {
            MPMQ.MAX_DAEMON_USED: MAXIMUM_WAIT_OBJECTS,
            MPMQ.HARD_LIMIT_DAEMONS: HARD_SERVER_LIMIT,
            MPMQ.HARD_LIMIT_THREADS: s.thread_limit,
            MPMQ.MAX_THREADS: s.threads_per_child,
            MPMQ.MIN_SPARE_DAEMONS: 0, MPMQ.MIN_SPARE_THREADS: 0,
            MPMQ.MAX_SPARE_DAEMONS: 0, MPMQ.MAX_SPARE_THREADS: 0,
            MPMQ.MAX_DAEMONS: 1,
        }.get(code)


WINNT = WinNT()


def check_config(process: Any, server: Any) -> Optional[str]:
    """winnt_check_config: ThreadLimit, then ThreadsPerChild against it."""
    cfg = server.module_config.get(NAME) or WinNTConfig()
    previous = process.mpm_state if isinstance(process.mpm_state, WinNTSettings) else None
    clamp = Clamp(process, TAG, startup=previous is None)
    limit = cfg.thread_limit
    if limit > MAX_THREAD_LIMIT:
        clamp.warn(f"AH00439: WARNING: ThreadLimit of {limit} exceeds compile-time limit of "
                   f"{MAX_THREAD_LIMIT} threads, decreasing to {MAX_THREAD_LIMIT}.",
                   f"AH00440: ThreadLimit of {limit} exceeds compile-time limit of "
                   f"{MAX_THREAD_LIMIT}, decreasing to match")
        limit = MAX_THREAD_LIMIT
    elif limit < 1:
        clamp.warn(f"AH00441: WARNING: ThreadLimit of {limit} not allowed, increasing to 1.",
                   f"AH00442: ThreadLimit of {limit} not allowed, increasing to 1")
        limit = 1
    if previous is not None and limit != previous.thread_limit:
        clamp.restart_only(f"AH00443: changing ThreadLimit to {limit} from original value of "
                           f"{previous.thread_limit} not allowed during restart")
        limit = previous.thread_limit
    tpc = cfg.threads_per_child
    if tpc > limit:
        clamp.warn(f"AH00444: WARNING: ThreadsPerChild of {tpc} exceeds ThreadLimit of {limit} "
                   f"threads, decreasing to {limit}. To increase, please see the ThreadLimit "
                   "directive.",
                   f"AH00445: ThreadsPerChild of {tpc} exceeds ThreadLimit of {limit}, "
                   "decreasing to match")
        tpc = limit
    elif tpc < 1:
        clamp.warn(f"AH00446: WARNING: ThreadsPerChild of {tpc} not allowed, increasing to 1.",
                   f"AH00447: ThreadsPerChild of {tpc} not allowed, increasing to 1")
        tpc = 1
    process.mpm_state = WinNTSettings(mpm=WINNT.name, threads_per_child=tpc,
                                      thread_limit=limit,
                                      listen=ListenSettings.from_config(cfg))
    return None


MODULE = Module(
    NAME, "mpm_winnt.c",
    listen_commands(NAME) + (
        int_directive(NAME, "ThreadsPerChild", "threads_per_child",
                      "Number of threads each child creates"),
        int_directive(NAME, "ThreadLimit", "thread_limit",
                      "Maximum worker threads in a server for this run of Apache"),
    ),
    create_server_config=lambda server: WinNTConfig(),
    check_config=check_config,
    mpm=WINNT,
    doc="Multi-Processing Module optimized for Windows NT",
)
