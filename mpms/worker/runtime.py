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

import selectors
import time
from typing import Any

from httpd.mpm.threaded.child import ThreadedChild
from httpd.mpm.threaded.parent import ThreadedParent, child_settings


class WorkerChild(ThreadedChild):
    def listener_loop(self) -> None:
        sel = selectors.DefaultSelector()
        for ln in self.listeners:
            ln.sock.setblocking(False)
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        registered = False
        ps = self.ps
        while not self.graceful.is_set():
            ps.connections = self.open_connections()
            busy = self.idle <= 0
            ps.not_accepting = 1 if busy else 0
            if busy:
                self.listener_stopped = True    # a worker freed from here on wakes us
            # not polling the listeners: no idle worker (checked again after the flag,
            # so a release in between is not missed), or leaving a connection to another
            # child (fair_to_accept)
            pause = 1.0 if self.idle <= 0 else self.defer_until - time.monotonic()
            if pause > 0:
                if registered:
                    for ln in self.listeners:
                        sel.unregister(ln.sock)
                    registered = False
                sel.select(pause)
                self.drain_wake()
                continue
            if not registered:
                for ln in self.listeners:
                    sel.register(ln.sock, selectors.EVENT_READ, ln)
                registered = True
            self.listener_stopped = False
            for key, _ in sel.select(1.0):
                ln = key.data
                if ln is None:
                    self.drain_wake()
                    continue
                if self.graceful.is_set() or self.idle <= 0 \
                        or not self.fair_to_accept(time.monotonic()):
                    break
                got = self.accept(ln)
                if got is None:
                    continue
                self.push((got[0], got[1], ln))
                ps.connections = self.open_connections()
                if self.count_connection():
                    return             # MaxConnectionsPerChild: a graceful exit
        sel.close()


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
