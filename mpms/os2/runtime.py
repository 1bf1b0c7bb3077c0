"""mpmt_os2's processes (mpmt_os2.c master_main, mpmt_os2_child.c ap_mpm_child_main).

The parent (httpd/mpm/parent.py's loop) keeps exactly StartServers children: a slot
left by a child is filled again at once, and none is ever added for load.  It tells
children to go by signal only: SIGHUP (graceful: finish the queued and the running
connections) on a graceful restart, SIGTERM otherwise; it handles SIGTERM/SIGINT
(stop), SIGHUP (restart) and SIGUSR1 (graceful restart), and no SIGWINCH: mpmt_os2 has
no graceful stop.  It logs no line on a restart, only AH00206 "configured" again.

A child is the threaded child's queue and workers (httpd/mpm/threaded/child.py) with
mpmt_os2's policy: its main thread accepts (serialized across the children by an
flock when there is more than one listener, the mutex semaphore of the source) and
queues each connection; a maintenance thread every 0.5 s adds
``MinSpareThreads - idle + queued`` workers into free thread slots (at most
HARD_THREAD_LIMIT 256) and retires one (an exit item on the queue) when
``idle - queued > MaxSpareThreads``.  Spare threads are counted per child.
"""
from __future__ import annotations

import fcntl
import os
import select
import signal
import tempfile
import threading
from typing import Any, Optional

from httpd.mpm import children as ch
from httpd.mpm.children import DEAD, READY, STARTING
from httpd.mpm.lifecycle import (child_exit, child_init, child_stopped, child_stopping,
                                 max_connections_per_child)
from httpd.mpm.parent import PARENT_SIGNALS, MPMParent, close_inherited
from httpd.mpm.threaded.child import STOP, ThreadedChild, _stack_size
from mpms.os2 import HARD_THREAD_LIMIT

MAINTENANCE_INTERVAL = 0.5
DEFAULT_STACK = 128 * 1024         # add_worker's stack when ThreadStackSize is 0


class OS2Child(ThreadedChild):
    """One mpmt_os2 child: ``threads`` is the live worker count, which changes."""

    def __init__(self, process: Any, serving: Any, listeners: list, board: Any, slot: int,
                 generation: int, max_connections: int, lock_path: Optional[str]):
        super().__init__(process, serving, listeners, None, board, slot, generation, 0,
                         max_connections)
        s = process.mpm_state
        self.min_spare, self.max_spare = s.min_spare_threads, s.max_spare_threads
        self.lock_path = lock_path
        self.shutdown = threading.Event()
        self.is_graceful = False
        self._threads: dict[int, threading.Thread] = {}

    # -- workers ---------------------------------------------------------------------------
    def add_worker(self) -> None:
        """A worker thread in the first DEAD thread slot (none free: nothing)."""
        for j in range(HARD_THREAD_LIMIT):
            ws = self.board.worker(self.slot, j)
            if ws.status == DEAD:
                ws.set_status(STARTING)
                t = threading.Thread(target=self._worker, args=(j,), daemon=True,
                                     name=f"httpd-worker-{j}")
                self._threads[j] = t
                t.start()
                return

    def _worker(self, j: int) -> None:
        with self.lock:
            self.threads += 1
        try:
            self.worker(j)          # READY, then queue items until an exit item
        finally:
            with self.lock:
                self.threads -= 1

    def _slots(self, letters: tuple) -> int:
        return sum(1 for j in range(HARD_THREAD_LIMIT)
                   if self.board.worker(self.slot, j).status in letters)

    def maintenance(self) -> None:
        """server_maintenance: every 0.5 s until the child shuts down."""
        while True:
            idle = self._slots((READY,))
            pending = self.queued
            needed = self.min_spare - idle + pending
            for _ in range(max(0, needed)):
                self.add_worker()
            if idle - pending > self.max_spare:
                self.push(STOP)
            if self.shutdown.wait(MAINTENANCE_INTERVAL):
                return

    # -- the main thread: accept and queue -------------------------------------------------
    def _accept_one(self, lockfd: Optional[int]):
        if lockfd is not None:
            fcntl.flock(lockfd, fcntl.LOCK_EX)
        try:
            while not self.shutdown.is_set():
                try:
                    ready, _, _ = select.select(self._socks, [], [], 0.5)
                except InterruptedError:
                    continue
                for sock in ready:
                    ln = self._socks[sock]
                    got = self.accept(ln)
                    if got is not None:
                        return got[0], got[1], ln
            return None
        finally:
            if lockfd is not None:
                fcntl.flock(lockfd, fcntl.LOCK_UN)

    def run(self) -> int:
        def sig_term(_signum, _frame):
            try:
                child_exit(self.process, False)
            finally:
                os._exit(0)

        def sig_hup(_signum, _frame):
            self.is_graceful = True
            self.shutdown.set()

        signal.signal(signal.SIGTERM, sig_term)
        signal.signal(signal.SIGHUP, sig_hup)
        for sig in (signal.SIGUSR1, signal.SIGINT, signal.SIGWINCH):
            signal.signal(sig, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        child_init(self.process)
        self.ps.quiescing = 0
        _stack_size(self.process)          # ThreadStackSize, else add_worker's 128 KB
        if not threading.stack_size():
            try:
                threading.stack_size(DEFAULT_STACK)
            except (ValueError, RuntimeError):
                pass
        for j in range(self.board.thread_limit):
            self.board.worker(self.slot, j).set_status(DEAD)
        maint = threading.Thread(target=self.maintenance, daemon=True, name="httpd-maint")
        maint.start()
        self._socks = {ln.sock: ln for ln in self.listeners}
        for ln in self.listeners:
            ln.sock.setblocking(False)
        lockfd = os.open(self.lock_path, os.O_RDWR) if self.lock_path else None
        while not self.shutdown.is_set():
            got = self._accept_one(lockfd)
            if got is None:
                break
            self.push(got)
            if self.count_connection():
                break            # MaxConnectionsPerChild
        self.ps.quiescing = 1
        self.shutdown.set()
        maint.join()
        for ln in self.listeners:
            ln.sock.close()
        # SIGHUP or MaxConnectionsPerChild: the queued and running connections finish
        # (SIGTERM never gets here: its handler leaves at once)
        child_stopping(self.process, True)
        live = [t for t in self._threads.values() if t.is_alive()]
        for _ in live:
            self.push(STOP)
        for t in live:
            t.join()
        child_stopped(self.process, True)
        return 0


class OS2Runtime(MPMParent):
    TAG = "mpm_mpmt_os2"
    AH_STARTED, AH_BUILT = "AH00206", "AH00207"
    AH_STOP = "AH00201: caught SIGTERM, shutting down"
    AH_GRACEFUL_STOP = ""
    AH_RESTART = AH_GRACEFUL = ""          # master_main logs nothing on a restart
    SIGNALS = {sig: what for sig, what in PARENT_SIGNALS.items() if sig != signal.SIGWINCH}

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.lock_path: Optional[str] = None
        if len(self.listeners) > 1:
            fd, self.lock_path = tempfile.mkstemp(prefix="httpd-accept.")
            os.close(fd)

    def scoreboard_shape(self) -> tuple[int, int, int, int]:
        s = self.settings
        return s.server_limit, s.thread_limit, s.server_limit, s.thread_limit

    def make_child(self, slot: int) -> Optional[ch.Child]:
        listeners = self.buckets[slot % self.num_buckets]
        others_ln = [ln for i, b in enumerate(self.buckets)
                     if i != slot % self.num_buckets for ln in b]
        wake = (self._wake_r, self._wake_w)
        process, serving, board, gen = self.process, self.serving, self.children.scoreboard, \
            self.generation
        lock = self.lock_path

        def main(s: int) -> int:
            close_inherited(wake, [], others_ln)
            return OS2Child(process, serving, listeners, board, s, gen,
                            max_connections_per_child(process), lock).run()

        child = self.children.spawn(slot, self.generation, main)
        if child is None:
            self.log("error", f"AH00208: error spawning child, slot {slot}")
        return child

    def _active(self) -> int:
        return sum(1 for c in self.children if not c.signalled
                   and not self.children.scoreboard.process(c.slot).quiescing)

    def startup_children(self, number: int = 0) -> None:
        """Fill free slots until StartServers children are active (master_main's loop)."""
        want = self.settings.start_servers - self._active()
        if want > 0:
            for slot in self.children.free_slots(self.settings.server_limit, want):
                self.make_child(slot)

    def _child_exited(self, child: ch.Child, status: int) -> Optional[int]:
        code, _sick = self._process_child_status(child, status)
        if code is not None:
            return code
        self.startup_children()
        return None

    def idle_server_maintenance(self) -> None:
        self.startup_children()

    def _tell_graceful(self, children: list) -> None:
        for c in children:
            c.signalled = True
        self.children.kill(signal.SIGHUP, children)

    def _tell_restart(self, children: list) -> None:
        self.children.kill(signal.SIGTERM, children)
        self.children.reclaim(self.log, terminate=False)

    def cleanup(self) -> None:
        if self.lock_path:
            try:
                os.unlink(self.lock_path)
            except OSError:
                pass


def run(process: Any, serving: Any, listeners: list, reload=None, on_exit=None) -> int:
    return OS2Runtime(process, serving, listeners, reload, on_exit).run()
