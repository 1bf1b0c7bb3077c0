"""prefork (prefork.c): one single-threaded child per connection, spare-managed.

This file holds prefork's directive table, defaults and check_config clamps with
Apache's warnings; the process runtime is mpms/prefork/runtime.py (the parent's policy
over httpd/mpm/parent.py) and mpms/prefork/child.py.
"""
from __future__ import annotations

from typing import Any, Optional

import attrs

from httpd.module import Module

from httpd.mpm.common import (DYNAMIC, MPM, MPMQ, NOT_SUPPORTED, Clamp, ListenSettings, MPMConfig,
                     graceful_shutdown_timeout, int_directive, listen_commands, max_clients,
                     max_request_workers, server_limit_directive, start_servers_directive)

NAME = "mpm_prefork_module"
TAG = "mpm_prefork"            # the module tag in error-log lines

DEFAULT_START_DAEMON = 5
DEFAULT_MIN_FREE_DAEMON = 5
DEFAULT_MAX_FREE_DAEMON = 10
DEFAULT_SERVER_LIMIT = 256
MAX_SERVER_LIMIT = 200000      # compile-time cap on ServerLimit


@attrs.define
class PreforkConfig(MPMConfig):
    start_servers: int = DEFAULT_START_DAEMON
    min_spare_servers: int = DEFAULT_MIN_FREE_DAEMON
    max_spare_servers: int = DEFAULT_MAX_FREE_DAEMON
    server_limit: int = DEFAULT_SERVER_LIMIT
    # ap_daemons_limit: prefork's MaxRequestWorkers counts processes.
    max_request_workers: int = DEFAULT_SERVER_LIMIT


@attrs.frozen
class PreforkSettings:
    """prefork's checked numbers for one generation (``process.mpm_state``)."""

    mpm: str
    server_limit: int
    max_request_workers: int
    start_servers: int
    min_spare_servers: int
    max_spare_servers: int
    graceful_shutdown_timeout: int
    listen: ListenSettings

    def for_run(self, num_buckets: int = 1) -> "PreforkSettings":
        """The silent adjustments prefork_run makes once the bucket count is known:
        at least one child, one spare and room for one more per bucket; never more
        children at start than MaxRequestWorkers."""
        limit = max(self.max_request_workers, num_buckets)
        start = max(self.start_servers, num_buckets)
        min_spare = max(self.min_spare_servers, num_buckets)
        max_spare = max(self.max_spare_servers, min_spare + num_buckets)
        return attrs.evolve(self, max_request_workers=limit, start_servers=min(start, limit),
                            min_spare_servers=min_spare, max_spare_servers=max_spare)


class Prefork(MPM):
    name = "prefork"
    module = NAME
    is_threaded = NOT_SUPPORTED
    is_forked = DYNAMIC

    def run(self, process: Any, serving: Any, listeners: list, reload=None,
            on_exit=None) -> int:
        from mpms.prefork.runtime import run      # the process runtime, loaded only to serve
        return run(process, serving, listeners, reload=reload, on_exit=on_exit)

    def _query_settings(self, code: MPMQ, s: Any) -> Optional[int]:
        # prefork_query(); MAX_REQUESTS_DAEMON is core's MaxConnectionsPerChild.
        return {
            MPMQ.HARD_LIMIT_DAEMONS: s.server_limit,
            MPMQ.HARD_LIMIT_THREADS: 1,
            MPMQ.MAX_THREADS: 1,
            MPMQ.MIN_SPARE_DAEMONS: s.min_spare_servers,
            MPMQ.MIN_SPARE_THREADS: 0,
            MPMQ.MAX_SPARE_DAEMONS: s.max_spare_servers,
            MPMQ.MAX_SPARE_THREADS: 0,
            MPMQ.MAX_DAEMONS: s.max_request_workers,
        }.get(code)


PREFORK = Prefork()


def check_config(process: Any, server: Any) -> Optional[str]:
    """prefork_check_config: clamp in Apache's order, warn, store the settings."""
    cfg = server.module_config.get(NAME) or PreforkConfig()
    previous = process.mpm_state if isinstance(process.mpm_state, PreforkSettings) else None
    clamp = Clamp(process, TAG, startup=previous is None)

    server_limit = cfg.server_limit
    if server_limit > MAX_SERVER_LIMIT:
        clamp.warn(f"AH00175: WARNING: ServerLimit of {server_limit} exceeds compile-time "
                   f"limit of {MAX_SERVER_LIMIT} servers, decreasing to {MAX_SERVER_LIMIT}.",
                   f"AH00176: ServerLimit of {server_limit} exceeds compile-time limit of "
                   f"{MAX_SERVER_LIMIT}, decreasing to match")
        server_limit = MAX_SERVER_LIMIT
    elif server_limit < 1:
        clamp.warn(f"AH00177: WARNING: ServerLimit of {server_limit} not allowed, "
                   "increasing to 1.",
                   f"AH00178: ServerLimit of {server_limit} not allowed, increasing to 1")
        server_limit = 1

    # ServerLimit sizes the scoreboard, which outlives a restart: keep the first one.
    if previous is not None and server_limit != previous.server_limit:
        clamp.restart_only(f"AH00179: changing ServerLimit to {server_limit} from original "
                           f"value of {previous.server_limit} not allowed during restart")
        server_limit = previous.server_limit

    daemons_limit = cfg.max_request_workers
    if daemons_limit > server_limit:
        clamp.warn(f"AH00180: WARNING: MaxRequestWorkers of {daemons_limit} exceeds ServerLimit "
                   f"value of {server_limit} servers, decreasing MaxRequestWorkers to "
                   f"{server_limit}. To increase, please see the ServerLimit directive.",
                   f"AH00181: MaxRequestWorkers of {daemons_limit} exceeds ServerLimit value "
                   f"of {server_limit}, decreasing to match")
        daemons_limit = server_limit
    elif daemons_limit < 1:
        clamp.warn(f"AH00182: WARNING: MaxRequestWorkers of {daemons_limit} not allowed, "
                   "increasing to 1.",
                   f"AH00183: MaxRequestWorkers of {daemons_limit} not allowed, increasing to 1")
        daemons_limit = 1

    # StartServers > MaxRequestWorkers is trimmed silently at run time (for_run).
    start = cfg.start_servers
    if start < 1:
        clamp.warn(f"AH00184: WARNING: StartServers of {start} not allowed, increasing to 1.",
                   f"AH00185: StartServers of {start} not allowed, increasing to 1")
        start = 1

    min_spare = cfg.min_spare_servers
    if min_spare < 1:
        clamp.warn(f"AH00186: WARNING: MinSpareServers of {min_spare} not allowed, increasing "
                   "to 1 to avoid almost certain server failure. Please read the documentation.",
                   f"AH00187: MinSpareServers of {min_spare} not allowed, increasing to 1")
        min_spare = 1

    # MaxSpareServers < MinSpareServers + 1 is also left to for_run, as prefork_run does.
    process.mpm_state = PreforkSettings(
        mpm=PREFORK.name, server_limit=server_limit, max_request_workers=daemons_limit,
        start_servers=start, min_spare_servers=min_spare,
        max_spare_servers=cfg.max_spare_servers,
        graceful_shutdown_timeout=cfg.graceful_shutdown_timeout,
        listen=ListenSettings.from_config(cfg))
    return None


MODULE = Module(
    NAME, "prefork.c",
    listen_commands(NAME) + (
        start_servers_directive(NAME),
        int_directive(NAME, "MinSpareServers", "min_spare_servers",
                      "Minimum number of idle children, to handle request spikes"),
        int_directive(NAME, "MaxSpareServers", "max_spare_servers",
                      "Maximum number of idle children"),
        max_clients(NAME, TAG, "00188"),
        max_request_workers(NAME, TAG, "00188",
                            "Maximum number of children alive at the same time"),
        server_limit_directive(NAME,
                               "Maximum value of MaxRequestWorkers for this run of Apache"),
        graceful_shutdown_timeout(NAME),
    ),
    create_server_config=lambda server: PreforkConfig(),
    check_config=check_config,
    mpm=PREFORK,
    doc="Implements a non-threaded, pre-forking web server",
    mutex_types=("mpm-accept",),
)

