"""worker's process runtime (worker.c worker_run, listener_thread, worker_thread).

The parent is the threaded parent (httpd/mpm/threaded/parent.py) with worker's AH
numbers, and the child is the threaded child (httpd/mpm/threaded/child.py) with worker's
listener loop.  A child's listener accepts only when a worker thread is idle, as worker's listener
waits for an idler (ap_queue_info_wait_for_idler) before it polls: connections beyond
the process's threads wait in the kernel's listen backlog, or are taken by another
child that has a free thread.  A worker thread then owns the connection to its end,
keep-alive waits included.

Accept is non-blocking after a poll, so two listeners (or two children) racing for one
connection cost one EAGAIN, not a blocked thread: no mpm-accept mutex is taken.
"""
from __future__ import annotations

from typing import Any

from httpd.mpm.threaded.child import ThreadedChild
from httpd.mpm.threaded.parent import ThreadedParent, child_settings


class WorkerChild(ThreadedChild):
    def listener_loop(self) -> None:
        self.accept_while_idle()


class WorkerRuntime(ThreadedParent):
    TAG = "mpm_worker"
    AH_STARTED, AH_BUILT = "AH00292", "AH00293"
    AH_STOP = "AH00295: caught SIGTERM, shutting down"
    AH_GRACEFUL_STOP = "AH00296: caught SIGWINCH, shutting down gracefully"
    AH_RESTART = "AH00298: SIGHUP received.  Attempting to restart"
    AH_GRACEFUL = "AH00297: SIGUSR1 received.  Doing graceful restart"

    def child_main(self, slot: int, listeners: list, pod: Any) -> int:
        threads, max_conn = child_settings(self.process)
        child = WorkerChild(self.process, self.serving, listeners, pod,
                            self.children.scoreboard, slot, self.generation, threads, max_conn)
        return child.run()


def run(process: Any, serving: Any, listeners: list, reload=None, on_exit=None) -> int:
    """WORKER.run: the parent's life, from the first fork to the last reap."""
    return WorkerRuntime(process, serving, listeners, reload, on_exit).run()
