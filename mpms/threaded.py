"""The table side worker and event share: their defaults, the settings one generation
runs on, the MPM descriptor's query answers, and one check_config with the same clamps
in the same order.  The two differ only in AH numbers, ThreadLimit's compile-time cap,
the log tag, and event's AsyncRequestWorkerFactor.  The runtime they share (a fixed
number of threads per child, processes spare-managed by idle-thread counts) is
httpd/mpm/threaded/.
"""
from __future__ import annotations

from typing import Any, Optional

import attrs

from httpd.mpm.common import (DYNAMIC, MPM, MPMQ, STATIC, Clamp, ListenSettings, MPMConfig)

DEFAULT_START_DAEMON = 3
DEFAULT_MIN_FREE_DAEMON = 3
DEFAULT_MAX_FREE_DAEMON = 10
DEFAULT_THREADS_PER_CHILD = 25
DEFAULT_SERVER_LIMIT = 16
DEFAULT_THREAD_LIMIT = 64
MAX_SERVER_LIMIT = 20000


@attrs.define
class ThreadedConfig(MPMConfig):
    start_servers: int = DEFAULT_START_DAEMON
    min_spare_threads: int = DEFAULT_MIN_FREE_DAEMON * DEFAULT_THREADS_PER_CHILD
    max_spare_threads: int = DEFAULT_MAX_FREE_DAEMON * DEFAULT_THREADS_PER_CHILD
    server_limit: int = DEFAULT_SERVER_LIMIT
    thread_limit: int = DEFAULT_THREAD_LIMIT
    threads_per_child: int = DEFAULT_THREADS_PER_CHILD
    # pre_config sets max_workers = ServerLimit x ThreadsPerChild from the *defaults*, so
    # it stays 400 whatever ThreadsPerChild says (ThreadsPerChild 64 -> AH00316, 384).
    max_request_workers: int = DEFAULT_SERVER_LIMIT * DEFAULT_THREADS_PER_CHILD


@attrs.frozen
class ThreadedSettings:
    """worker's or event's checked numbers for one generation (``process.mpm_state``).

    ``daemons_limit`` is the process cap MaxRequestWorkers / ThreadsPerChild.  As in
    Apache, ``max_request_workers`` is not lowered when that cap hits ServerLimit
    (AH00318/AH00515 lower the process count only).
    """

    mpm: str
    server_limit: int
    thread_limit: int
    threads_per_child: int
    max_request_workers: int
    daemons_limit: int
    start_servers: int
    min_spare_threads: int
    max_spare_threads: int
    graceful_shutdown_timeout: int
    listen: ListenSettings
    async_request_worker_factor: Optional[float] = None   # event only

    def for_run(self, num_buckets: int = 1) -> "ThreadedSettings":
        """The silent adjustments worker_run/event_run make once the bucket count is
        known: a child and a spare thread per bucket, room for one more child per
        bucket before killing, and no more children at start than the cap."""
        limit = max(self.daemons_limit, num_buckets)
        start = max(self.start_servers, num_buckets)
        tpc = self.threads_per_child
        min_spare = max(self.min_spare_threads, tpc * (num_buckets - 1) + num_buckets)
        max_spare = max(self.max_spare_threads, min_spare + (tpc + 1) * num_buckets)
        return attrs.evolve(self, daemons_limit=limit, start_servers=min(start, limit),
                            min_spare_threads=min_spare, max_spare_threads=max_spare)


class ThreadedMPM(MPM):
    is_threaded = STATIC
    is_forked = DYNAMIC

    def _query_settings(self, code: MPMQ, s: Any) -> Optional[int]:
        # worker_query()/event_query(); MAX_REQUESTS_DAEMON is core's.
        return {
            MPMQ.HARD_LIMIT_DAEMONS: s.server_limit,
            MPMQ.HARD_LIMIT_THREADS: s.thread_limit,
            MPMQ.MAX_THREADS: s.threads_per_child,
            MPMQ.MIN_SPARE_DAEMONS: 0,
            MPMQ.MIN_SPARE_THREADS: s.min_spare_threads,
            MPMQ.MAX_SPARE_DAEMONS: 0,
            MPMQ.MAX_SPARE_THREADS: s.max_spare_threads,
            MPMQ.MAX_DAEMONS: s.daemons_limit,
        }.get(code)


@attrs.frozen
class Numbers:
    """The AH numbers of one MPM's check_config messages, startup and restart form,
    in check order (worker: 00300-00323, event: 00497-00520)."""

    server_limit_high: tuple[str, str]
    server_limit_low: tuple[str, str]
    server_limit_changed: str
    thread_limit_high: tuple[str, str]
    thread_limit_low: tuple[str, str]
    thread_limit_changed: str
    threads_high: tuple[str, str]
    threads_low: tuple[str, str]
    workers_below_threads: tuple[str, str]
    workers_not_multiple: tuple[str, str]
    workers_over_server_limit: tuple[str, str]
    start_servers_low: tuple[str, str]
    min_spare_low: tuple[str, str]


def check_threaded_config(process: Any, server: Any, *, module: str, tag: str, mpm: MPM,
                          ah: Numbers, max_thread_limit: int) -> Optional[str]:
    """worker_check_config / event_check_config: clamp in Apache's order, warn, and
    store a ThreadedSettings at ``process.mpm_state``."""
    cfg = server.module_config.get(module) or ThreadedConfig()
    previous = process.mpm_state
    if not (isinstance(previous, ThreadedSettings) and previous.mpm == mpm.name):
        previous = None
    clamp = Clamp(process, tag, startup=previous is None)

    server_limit = cfg.server_limit
    if server_limit > MAX_SERVER_LIMIT:
        a, b = ah.server_limit_high
        clamp.warn(f"AH{a}: WARNING: ServerLimit of {server_limit} exceeds compile-time limit "
                   f"of {MAX_SERVER_LIMIT} servers, decreasing to {MAX_SERVER_LIMIT}.",
                   f"AH{b}: ServerLimit of {server_limit} exceeds compile-time limit of "
                   f"{MAX_SERVER_LIMIT}, decreasing to match")
        server_limit = MAX_SERVER_LIMIT
    elif server_limit < 1:
        a, b = ah.server_limit_low
        clamp.warn(f"AH{a}: WARNING: ServerLimit of {server_limit} not allowed, increasing to 1.",
                   f"AH{b}: ServerLimit of {server_limit} not allowed, increasing to 1")
        server_limit = 1
    # ServerLimit and ThreadLimit size the scoreboard, which outlives a restart.
    if previous is not None and server_limit != previous.server_limit:
        clamp.restart_only(f"AH{ah.server_limit_changed}: changing ServerLimit to {server_limit} "
                           f"from original value of {previous.server_limit} not allowed "
                           "during restart")
        server_limit = previous.server_limit

    thread_limit = cfg.thread_limit
    if thread_limit > max_thread_limit:
        a, b = ah.thread_limit_high
        clamp.warn(f"AH{a}: WARNING: ThreadLimit of {thread_limit} exceeds compile-time limit "
                   f"of {max_thread_limit} threads, decreasing to {max_thread_limit}.",
                   f"AH{b}: ThreadLimit of {thread_limit} exceeds compile-time limit of "
                   f"{max_thread_limit}, decreasing to match")
        thread_limit = max_thread_limit
    elif thread_limit < 1:
        a, b = ah.thread_limit_low
        clamp.warn(f"AH{a}: WARNING: ThreadLimit of {thread_limit} not allowed, increasing to 1.",
                   f"AH{b}: ThreadLimit of {thread_limit} not allowed, increasing to 1")
        thread_limit = 1
    if previous is not None and thread_limit != previous.thread_limit:
        clamp.restart_only(f"AH{ah.thread_limit_changed}: changing ThreadLimit to {thread_limit} "
                           f"from original value of {previous.thread_limit} not allowed "
                           "during restart")
        thread_limit = previous.thread_limit

    tpc = cfg.threads_per_child
    if tpc > thread_limit:
        a, b = ah.threads_high
        clamp.warn(f"AH{a}: WARNING: ThreadsPerChild of {tpc} exceeds ThreadLimit of "
                   f"{thread_limit} threads, decreasing to {thread_limit}. To increase, please "
                   "see the ThreadLimit directive.",
                   f"AH{b}: ThreadsPerChild of {tpc} exceeds ThreadLimit of {thread_limit}, "
                   "decreasing to match")
        tpc = thread_limit
    elif tpc < 1:
        a, b = ah.threads_low
        clamp.warn(f"AH{a}: WARNING: ThreadsPerChild of {tpc} not allowed, increasing to 1.",
                   f"AH{b}: ThreadsPerChild of {tpc} not allowed, increasing to 1")
        tpc = 1

    max_workers = cfg.max_request_workers
    if max_workers < tpc:
        a, b = ah.workers_below_threads
        clamp.warn(f"AH{a}: WARNING: MaxRequestWorkers of {max_workers} is less than "
                   f"ThreadsPerChild of {tpc}, increasing to {tpc}. MaxRequestWorkers must be at "
                   "least as large as the number of threads in a single server.",
                   f"AH{b}: MaxRequestWorkers of {max_workers} is less than ThreadsPerChild of "
                   f"{tpc}, increasing to match")
        max_workers = tpc

    daemons_limit = max_workers // tpc     # both positive here: C's division
    if max_workers % tpc:
        rounded = daemons_limit * tpc
        a, b = ah.workers_not_multiple
        clamp.warn(f"AH{a}: WARNING: MaxRequestWorkers of {max_workers} is not an integer "
                   f"multiple of ThreadsPerChild of {tpc}, decreasing to nearest multiple "
                   f"{rounded}, for a maximum of {daemons_limit} servers.",
                   f"AH{b}: MaxRequestWorkers of {max_workers} is not an integer multiple of "
                   f"ThreadsPerChild of {tpc}, decreasing to nearest multiple {rounded}")
        max_workers = rounded

    if daemons_limit > server_limit:
        a, b = ah.workers_over_server_limit
        clamp.warn(f"AH{a}: WARNING: MaxRequestWorkers of {max_workers} would require "
                   f"{daemons_limit} servers and would exceed ServerLimit of {server_limit}, "
                   f"decreasing to {server_limit * tpc}. To increase, please see the "
                   "ServerLimit directive.",
                   f"AH{b}: MaxRequestWorkers of {max_workers} would require {daemons_limit} "
                   f"servers and exceed ServerLimit of {server_limit}, decreasing to "
                   f"{server_limit * tpc}")
        daemons_limit = server_limit

    # StartServers above the process cap is trimmed silently at run time (for_run).
    start = cfg.start_servers
    if start < 1:
        a, b = ah.start_servers_low
        clamp.warn(f"AH{a}: WARNING: StartServers of {start} not allowed, increasing to 1.",
                   f"AH{b}: StartServers of {start} not allowed, increasing to 1")
        start = 1

    min_spare = cfg.min_spare_threads
    if min_spare < 1:
        a, b = ah.min_spare_low
        clamp.warn(f"AH{a}: WARNING: MinSpareThreads of {min_spare} not allowed, increasing to 1 "
                   "to avoid almost certain server failure. Please read the documentation.",
                   f"AH{b}: MinSpareThreads of {min_spare} not allowed, increasing to 1")
        min_spare = 1

    # MaxSpareThreads < MinSpareThreads + ThreadsPerChild is left to for_run too.
    process.mpm_state = ThreadedSettings(
        mpm=mpm.name, server_limit=server_limit, thread_limit=thread_limit,
        threads_per_child=tpc, max_request_workers=max_workers, daemons_limit=daemons_limit,
        start_servers=start, min_spare_threads=min_spare,
        max_spare_threads=cfg.max_spare_threads,
        graceful_shutdown_timeout=cfg.graceful_shutdown_timeout,
        listen=ListenSettings.from_config(cfg),
        async_request_worker_factor=getattr(cfg, "async_request_worker_factor", None))
    return None
