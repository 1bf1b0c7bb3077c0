"""worker (worker.c): children with a fixed number of threads each; a thread owns its
connection for its whole life, keep-alive waits included.

This file holds worker's directive table, defaults and check_config (shared with event
in mpms/threaded.py, with worker's AH numbers); the process runtime is
mpms/worker/runtime.py, over httpd/mpm/threaded/.
"""
from __future__ import annotations

from typing import Any, Optional

from httpd.module import Module

from httpd.mpm.common import (graceful_shutdown_timeout, int_directive, listen_commands, max_clients,
                     max_request_workers, server_limit_directive, start_servers_directive)
from mpms.threaded import Numbers, ThreadedConfig, ThreadedMPM, check_threaded_config

NAME = "mpm_worker_module"
TAG = "mpm_worker"
MAX_THREAD_LIMIT = 20000

AH = Numbers(
    server_limit_high=("00300", "00301"), server_limit_low=("00302", "00303"),
    server_limit_changed="00304",
    thread_limit_high=("00305", "00306"), thread_limit_low=("00307", "00308"),
    thread_limit_changed="00309",
    threads_high=("00310", "00311"), threads_low=("00312", "00313"),
    workers_below_threads=("00314", "00315"), workers_not_multiple=("00316", "00317"),
    workers_over_server_limit=("00318", "00319"),
    start_servers_low=("00320", "00321"), min_spare_low=("00322", "00323"),
)


class Worker(ThreadedMPM):
    name = "worker"
    module = NAME

    def run(self, process: Any, serving: Any, listeners: list, reload=None,
            on_exit=None) -> int:
        from mpms.worker.runtime import run      # the process runtime, loaded only to serve
        return run(process, serving, listeners, reload=reload, on_exit=on_exit)


WORKER = Worker()


def check_config(process: Any, server: Any) -> Optional[str]:
    return check_threaded_config(process, server, module=NAME, tag=TAG, mpm=WORKER, ah=AH,
                                 max_thread_limit=MAX_THREAD_LIMIT)


MODULE = Module(
    NAME, "worker.c",
    listen_commands(NAME) + (
        start_servers_directive(NAME),
        int_directive(NAME, "MinSpareThreads", "min_spare_threads",
                      "Minimum number of idle threads, to handle request spikes"),
        int_directive(NAME, "MaxSpareThreads", "max_spare_threads",
                      "Maximum number of idle threads"),
        max_request_workers(NAME, TAG, "00324",
                            "Maximum number of threads alive at the same time"),
        max_clients(NAME, TAG, "00324"),
        int_directive(NAME, "ThreadsPerChild", "threads_per_child",
                      "Number of threads each child creates"),
        server_limit_directive(NAME,
                               "Maximum number of child processes for this run of Apache"),
        int_directive(NAME, "ThreadLimit", "thread_limit",
                      "Maximum number of worker threads per child process for this run of "
                      "Apache - Upper limit for ThreadsPerChild"),
        graceful_shutdown_timeout(NAME),
    ),
    create_server_config=lambda server: ThreadedConfig(),
    check_config=check_config,
    mpm=WORKER,
    doc="Multi-Processing Module implementing a hybrid multi-threaded multi-process web server",
    mutex_types=("mpm-accept",),
)

