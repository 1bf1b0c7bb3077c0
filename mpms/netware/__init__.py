"""mpm_netware (server/mpm/netware/mpm_netware.c): one process whose main thread keeps
the idle worker threads between MinSpareThreads and MaxSpareThreads, within MaxThreads
(HARD_THREAD_LIMIT 2048), each worker accepting and serving its own connections; the
server console's APACHE2 commands.

This file holds the MPM's directive table (LISTEN_COMMANDS, StartThreads,
MinSpareThreads, MaxSpareThreads, MaxThreads), its defaults (ThreadStackSize 65536)
and check_config with Apache's AH00228-AH00234; the runtime is
mpms/netware/runtime.py.
"""
from __future__ import annotations

from typing import Any, Optional

import attrs

from httpd.module import Module

from httpd.mpm.common import (DYNAMIC, MPM, MPMQ, NOT_SUPPORTED, Clamp, ListenSettings,
                              MPMConfig, int_directive, listen_commands)

NAME = "mpm_netware_module"
TAG = "mpm_netware"

HARD_SERVER_LIMIT = 1
HARD_THREAD_LIMIT = 2048
DEFAULT_START_THREADS = 50
DEFAULT_MAX_FREE_THREADS = 100
DEFAULT_MIN_FREE_THREADS = 10
DEFAULT_THREAD_STACKSIZE = 65536


@attrs.define
class NetWareConfig(MPMConfig):
    start_threads: int = DEFAULT_START_THREADS
    min_spare_threads: int = DEFAULT_MIN_FREE_THREADS
    max_spare_threads: int = DEFAULT_MAX_FREE_THREADS
    thread_limit: int = HARD_THREAD_LIMIT


@attrs.frozen
class NetWareSettings:
    mpm: str
    start_servers: int              # StartThreads
    min_spare_threads: int
    max_spare_threads: int
    thread_limit: int               # MaxThreads
    listen: ListenSettings
    server_limit: int = HARD_SERVER_LIMIT
    graceful_shutdown_timeout: int = 0

    def for_run(self, num_buckets: int = 1) -> "NetWareSettings":
        # ap_mpm_run: "Don't thrash..."; StartThreads above MaxThreads starts MaxThreads
        return attrs.evolve(self, max_spare_threads=max(self.max_spare_threads,
                                                        self.min_spare_threads + 1))


class NetWare(MPM):
    name = "NetWare"                  # netware_get_name
    module = NAME
    is_threaded = DYNAMIC
    is_forked = NOT_SUPPORTED

    def run(self, process: Any, serving: Any, listeners: list, reload=None,
            on_exit=None) -> int:
        from mpms.netware.runtime import run
        return run(process, serving, listeners, reload=reload, on_exit=on_exit)

    def _query_settings(self, code: MPMQ, s: Any) -> Optional[int]:
        return {
            MPMQ.MAX_DAEMON_USED: 1,
            MPMQ.HARD_LIMIT_DAEMONS: HARD_SERVER_LIMIT,
            MPMQ.HARD_LIMIT_THREADS: HARD_THREAD_LIMIT,
            MPMQ.MAX_THREADS: s.thread_limit,
            MPMQ.MIN_SPARE_DAEMONS: 0, MPMQ.MIN_SPARE_THREADS: s.min_spare_threads,
            MPMQ.MAX_SPARE_DAEMONS: 0, MPMQ.MAX_SPARE_THREADS: s.max_spare_threads,
            MPMQ.MAX_DAEMONS: 1,
        }.get(code)


NETWARE = NetWare()


def check_config(process: Any, server: Any) -> Optional[str]:
    """netware_check_config: MaxThreads, StartThreads, MinSpareThreads."""
    cfg = server.module_config.get(NAME) or NetWareConfig()
    previous = process.mpm_state if isinstance(process.mpm_state, NetWareSettings) else None
    clamp = Clamp(process, TAG, startup=previous is None)
    limit = cfg.thread_limit
    if limit > HARD_THREAD_LIMIT:
        clamp.warn(f"AH00228: WARNING: MaxThreads of {limit} exceeds compile-time limit of "
                   f"{HARD_THREAD_LIMIT} threads, decreasing to {HARD_THREAD_LIMIT}. To "
                   "increase, please see the HARD_THREAD_LIMIT define in "
                   "server/mpm/netware/mpm_default.h.",
                   f"AH00229: MaxThreads of {limit} exceeds compile-time limit of "
                   f"{HARD_THREAD_LIMIT}, decreasing to match")
        limit = HARD_THREAD_LIMIT
    elif limit < 1:
        clamp.warn(f"AH00230: WARNING: MaxThreads of {limit} not allowed, increasing to 1.",
                   f"AH02661: MaxThreads of {limit} not allowed, increasing to 1")
        limit = 1
    start = cfg.start_threads
    if start < 0:
        clamp.warn(f"AH00231: WARNING: StartThreads of {start} not allowed, increasing to 1.",
                   f"AH00232: StartThreads of {start} not allowed, increasing to 1")
        start = 1
    min_spare = cfg.min_spare_threads
    if min_spare < 1:
        clamp.warn(f"AH00233: WARNING: MinSpareThreads of {min_spare} not allowed, increasing "
                   "to 1 to avoid almost certain server failure. Please read the documentation.",
                   f"AH00234: MinSpareThreads of {min_spare} not allowed, increasing to 1")
        min_spare = 1
    process.mpm_state = NetWareSettings(
        mpm=NETWARE.name, start_servers=start, min_spare_threads=min_spare,
        max_spare_threads=cfg.max_spare_threads, thread_limit=limit,
        listen=ListenSettings.from_config(cfg))
    return None


MODULE = Module(
    NAME, "mpm_netware.c",
    listen_commands(NAME) + (
        int_directive(NAME, "StartThreads", "start_threads",
                      "Number of worker threads launched at server startup"),
        int_directive(NAME, "MinSpareThreads", "min_spare_threads",
                      "Minimum number of idle threads, to handle request spikes"),
        int_directive(NAME, "MaxSpareThreads", "max_spare_threads",
                      "Maximum number of idle threads"),
        int_directive(NAME, "MaxThreads", "thread_limit",
                      "Maximum number of worker threads alive at the same time"),
    ),
    create_server_config=lambda server: NetWareConfig(),
    check_config=check_config,
    mpm=NETWARE,
    doc="Multi-Processing Module implementing an exclusively threaded web server optimized "
        "for Novell NetWare",
)
