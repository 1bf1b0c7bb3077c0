"""mpmt_os2 (server/mpm/mpmt_os2/mpmt_os2.c; static only): a parent keeping exactly
StartServers children alive (at most HARD_SERVER_LIMIT 10), each child a main thread
accepting under a mutex and queueing to at most 256 worker threads whose number a
per-child maintenance thread keeps between MinSpareThreads and MaxSpareThreads.

This file holds the MPM's directive table (LISTEN_COMMANDS, StartServers, the two spare
thresholds, and User, Group and ScoreBoardFile as the "Not applicable on this
platform" no-ops of the source), its defaults and check_config with Apache's
AH00213-AH00216; the runtime is mpms/os2/runtime.py.
"""
from __future__ import annotations

from typing import Any, Optional

import attrs

from httpd.module import Module

from httpd.mpm.common import (DYNAMIC, MPM, MPMQ, NOT_SUPPORTED, Clamp, ListenSettings,
                              MPMConfig, int_directive, listen_commands, no_op,
                              start_servers_directive)

NAME = "mpm_mpmt_os2_module"
TAG = "mpm_mpmt_os2"

HARD_SERVER_LIMIT = 10
HARD_THREAD_LIMIT = 256
DEFAULT_START_DAEMON = 2
DEFAULT_MIN_SPARE_THREAD = 5
DEFAULT_MAX_SPARE_THREAD = 10


@attrs.define
class OS2Config(MPMConfig):
    start_servers: int = DEFAULT_START_DAEMON
    min_spare_threads: int = DEFAULT_MIN_SPARE_THREAD
    max_spare_threads: int = DEFAULT_MAX_SPARE_THREAD


@attrs.frozen
class OS2Settings:
    """mpmt_os2's checked numbers for one generation (``process.mpm_state``)."""

    mpm: str
    start_servers: int
    min_spare_threads: int
    max_spare_threads: int
    listen: ListenSettings
    server_limit: int = HARD_SERVER_LIMIT
    thread_limit: int = HARD_THREAD_LIMIT
    graceful_shutdown_timeout: int = 0      # no GracefulShutdownTimeout on OS/2

    def for_run(self, num_buckets: int = 1) -> "OS2Settings":
        # the parent's loop fills slots below HARD_SERVER_LIMIT only
        return attrs.evolve(self, start_servers=min(self.start_servers, HARD_SERVER_LIMIT))


class OS2(MPM):
    name = "mpmt_os2"
    module = NAME
    is_threaded = DYNAMIC
    is_forked = NOT_SUPPORTED         # mpmt_os2_query says so (children are DosExecPgm'd)

    def run(self, process: Any, serving: Any, listeners: list, reload=None,
            on_exit=None) -> int:
        from mpms.os2.runtime import run
        return run(process, serving, listeners, reload=reload, on_exit=on_exit)

    def _query_settings(self, code: MPMQ, s: Any) -> Optional[int]:
        # mpmt_os2_query(): MAX_THREADS, the spare thread counts and MAX_DAEMONS are
        # APR_ENOTIMPL there
        return {
            MPMQ.HARD_LIMIT_DAEMONS: HARD_SERVER_LIMIT,
            MPMQ.HARD_LIMIT_THREADS: HARD_THREAD_LIMIT,
            MPMQ.MIN_SPARE_DAEMONS: 0,
            MPMQ.MAX_SPARE_DAEMONS: 0,
        }.get(code)


OS2_MPM = OS2()


def check_config(process: Any, server: Any) -> Optional[str]:
    """mpmt_os2_check_config: StartServers < 0 and MinSpareThreads < 1 are raised."""
    cfg = server.module_config.get(NAME) or OS2Config()
    previous = process.mpm_state if isinstance(process.mpm_state, OS2Settings) else None
    clamp = Clamp(process, TAG, startup=previous is None)
    start = cfg.start_servers
    if start < 0:
        clamp.warn(f"AH00213: WARNING: StartServers of {start} not allowed, increasing to 1.",
                   f"AH00214: StartServers of {start} not allowed, increasing to 1")
        start = 1
    min_spare = cfg.min_spare_threads
    if min_spare < 1:
        clamp.warn(f"AH00215: WARNING: MinSpareThreads of {min_spare} not allowed, increasing "
                   "to 1 to avoid almost certain server failure. Please read the documentation.",
                   f"AH00216: MinSpareThreads of {min_spare} not allowed, increasing to 1")
        min_spare = 1
    process.mpm_state = OS2Settings(mpm=OS2_MPM.name, start_servers=start,
                                    min_spare_threads=min_spare,
                                    max_spare_threads=cfg.max_spare_threads,
                                    listen=ListenSettings.from_config(cfg))
    return None


NOT_APPLICABLE = "Not applicable on this platform"


MODULE = Module(
    NAME, "mpmt_os2.c",
    listen_commands(NAME) + (
        start_servers_directive(NAME),
        int_directive(NAME, "MinSpareThreads", "min_spare_threads",
                      "Minimum number of idle children, to handle request spikes"),
        int_directive(NAME, "MaxSpareThreads", "max_spare_threads",
                      "Maximum number of idle children"),
        no_op("User", NOT_APPLICABLE), no_op("Group", NOT_APPLICABLE),
        no_op("ScoreBoardFile", NOT_APPLICABLE),
    ),
    create_server_config=lambda server: OS2Config(),
    check_config=check_config,
    mpm=OS2_MPM,
    doc="Hybrid multi-process, multi-threaded MPM for OS/2",
)
