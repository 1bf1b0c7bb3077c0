"""event (event.c): worker's layout, but idle keep-alive connections, blocked writes and
lingering closes wait in one poller per child instead of holding a thread.

This file holds event's directive table, defaults and check_config (shared with worker
in mpms/threaded.py, with event's AH numbers and ThreadLimit cap) and
AsyncRequestWorkerFactor; the process runtime is mpms/event/runtime.py and
mpms/event/child.py, over httpd/mpm/threaded/.
"""
from __future__ import annotations

from typing import Any, Optional

import attrs

from httpd.module import Module

from httpd.mpm.common import (global_directive, graceful_shutdown_timeout, int_directive,
                     listen_commands, max_clients, max_request_workers, mpm_config,
                     server_limit_directive, start_servers_directive)
from httpd.util.cparse import strtod
from mpms.threaded import Numbers, ThreadedConfig, ThreadedMPM, check_threaded_config

NAME = "mpm_event_module"
TAG = "mpm_event"
MAX_THREAD_LIMIT = 100000
DEFAULT_WORKER_FACTOR = 2.0

AH = Numbers(
    server_limit_high=("00497", "00498"), server_limit_low=("00499", "00500"),
    server_limit_changed="00501",
    thread_limit_high=("00502", "00503"), thread_limit_low=("00504", "00505"),
    thread_limit_changed="00506",
    threads_high=("00507", "00508"), threads_low=("00509", "00510"),
    workers_below_threads=("00511", "00512"), workers_not_multiple=("00513", "00514"),
    workers_over_server_limit=("00515", "00516"),
    start_servers_low=("00517", "00518"), min_spare_low=("00519", "00520"),
)


@attrs.define
class EventConfig(ThreadedConfig):
    async_request_worker_factor: float = DEFAULT_WORKER_FACTOR


class Event(ThreadedMPM):
    name = "event"
    module = NAME
    is_async = True

    def run(self, process: Any, serving: Any, listeners: list, reload=None,
            on_exit=None) -> int:
        from mpms.event.runtime import run      # the process runtime, loaded only to serve
        return run(process, serving, listeners, reload=reload, on_exit=on_exit)


EVENT = Event()


def set_worker_factor(cmd: Any, _mconfig: Any, arg: str) -> Optional[str]:
    """AsyncRequestWorkerFactor: strtod, so unlike the counts it rejects junk.  A NaN
    passes (it is not <= 0), as it does in Apache."""
    val, end = strtod(arg)
    if val is None or end != len(arg):
        return "error parsing value"
    if val <= 0:
        return "AsyncRequestWorkerFactor argument must be a positive number"
    mpm_config(cmd, NAME).async_request_worker_factor = val
    return None


def check_config(process: Any, server: Any) -> Optional[str]:
    return check_threaded_config(process, server, module=NAME, tag=TAG, mpm=EVENT, ah=AH,
                                 max_thread_limit=MAX_THREAD_LIMIT)


MODULE = Module(
    NAME, "event.c",
    listen_commands(NAME) + (
        start_servers_directive(NAME),
        server_limit_directive(NAME,
                               "Maximum number of child processes for this run of Apache"),
        int_directive(NAME, "MinSpareThreads", "min_spare_threads",
                      "Minimum number of idle threads, to handle request spikes"),
        int_directive(NAME, "MaxSpareThreads", "max_spare_threads",
                      "Maximum number of idle threads"),
        max_clients(NAME, TAG, "00521"),
        max_request_workers(NAME, TAG, "00521",
                            "Maximum number of threads alive at the same time"),
        int_directive(NAME, "ThreadsPerChild", "threads_per_child",
                      "Number of threads each child creates"),
        int_directive(NAME, "ThreadLimit", "thread_limit",
                      "Maximum number of worker threads per child process for this run of "
                      "Apache - Upper limit for ThreadsPerChild"),
        global_directive("AsyncRequestWorkerFactor", set_worker_factor,
                "How many additional connects will be accepted per idle worker thread"),
        graceful_shutdown_timeout(NAME),
    ),
    create_server_config=lambda server: EventConfig(),
    check_config=check_config,
    mpm=EVENT,
    doc="A variant of the worker MPM with the goal of consuming threads only for "
        "connections with active processing",
)

