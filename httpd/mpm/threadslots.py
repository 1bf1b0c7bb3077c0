"""The server process that is its own worker pool: the runtime of the one-process
MPMs (beos.c, mpm_netware.c).  No child is forked; the unit of capacity is a thread in a
slot of the one-process scoreboard (ServerLimit 1, a thread slot per thread), and each
thread accepts and serves its own connections, one acceptor at a time under an
in-process accept mutex.

It is the parent of httpd/mpm/parent.py (signals, generations, PidFile, the start and
stop lines) with threads where the forking MPMs have children: a subclass says how
a thread is told to leave (``tell_threads``), what one thread does between
connections (``keep_serving``), and the spare policy (``idle_server_maintenance``).
A restart tells every thread of the old generation to leave after its connection,
waits for them, and starts the new generation's threads.
"""
from __future__ import annotations

import os
import select
import threading
from typing import Any, Optional

from httpd.mpm import children as ch
from httpd.mpm.lifecycle import child_init, child_stopped, child_stopping
from httpd.mpm.parent import MPMParent


class ThreadSlots(MPMParent):
    """One process, ``thread_limit`` thread slots (the MPM's settings say how many)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.accept_mutex = threading.Lock()
        self.threads: dict[int, threading.Thread] = {}
        self.lock = threading.Lock()
        self.stopping = False            # restart or shutdown pending
        self.connections = 0             # served since the start (the console's count)
        self.children.scoreboard.process(0).pid = os.getpid()
        self.serving_process = self.process      # the generation the threads serve
        child_init(self.process)

    # -- the board -------------------------------------------------------------------------
    def thread_limit(self) -> int:
        return self.settings.thread_limit

    def scoreboard_shape(self) -> tuple[int, int, int, int]:
        n = self.thread_limit()
        return 1, n, 1, n

    def worker_score(self, slot: int):
        return self.children.scoreboard.worker(0, slot)

    # -- threads ---------------------------------------------------------------------------
    def make_worker(self, slot: int) -> bool:
        """Start a thread in ``slot`` (make_worker / make_child)."""
        ws = self.worker_score(slot)
        ws.set_status(ch.STARTING)
        ws.generation = self.generation
        t = threading.Thread(target=self._thread, args=(slot, self.serving, self.generation),
                             daemon=True, name=f"httpd-worker-{slot}")
        with self.lock:
            self.threads[slot] = t
        try:
            t.start()
        except RuntimeError:
            with self.lock:
                self.threads.pop(slot, None)
            ws.set_status(ch.DEAD)
            return False
        return True

    def free_slots(self, want: int) -> list[int]:
        with self.lock:
            used = set(self.threads)
        return [i for i in range(self.thread_limit()) if i not in used][:max(0, want)]

    def _thread(self, slot: int, serving: Any, generation: int) -> None:
        ws = self.worker_score(slot)
        ws.tid = threading.get_native_id()
        ws.pid = os.getpid()
        try:
            self.serve_thread(slot, ws, serving)
        except Exception as e:       # a bug costs one thread, which is replaced
            serving.log_server_error("core", "error", f"AH00000: worker thread failed: {e!r}")
        finally:
            ws.set_status(ch.DEAD)
            with self.lock:
                if self.threads.get(slot) is threading.current_thread():
                    del self.threads[slot]
            self.thread_exited(slot)

    def serve_thread(self, slot: int, ws: Any, serving: Any) -> None:
        """A thread's life: accept under the mutex, serve, until told to go."""
        served = 0
        limit = self.max_requests_per_thread()
        socks = {ln.sock: ln for ln in self.listeners}
        for s in socks:
            s.setblocking(False)
        while self.keep_serving(slot, ws, served, limit):
            ws.set_status(ch.READY)
            got = None
            # waiting for the mutex is bounded too, so that a thread told to leave
            # (IDLE_KILL, a restart) notices without a connection coming
            if not self.accept_mutex.acquire(timeout=0.5):
                continue
            try:
                while got is None and self.keep_serving(slot, ws, served, limit):
                    watch = list(socks) + self.control_fds()
                    try:
                        ready, _, _ = select.select(watch, [], [], 0.5)
                    except (InterruptedError, ValueError, OSError):
                        if self.stopping:
                            return
                        continue
                    for fd in ready:
                        if fd not in socks:
                            if self.control_message(fd):
                                return
                            continue
                        try:
                            conn, addr = fd.accept()
                        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                            continue
                        except OSError:
                            continue
                        got = conn, addr, socks[fd]
                        break
            finally:
                self.accept_mutex.release()
            if got is None:
                return
            conn, addr, ln = got
            conn.setblocking(True)
            ws.connection_started(addr[0])
            serving.serve_connection(conn, addr, ln, score=ws)
            ws.connection_done()
            served += 1
            self.connections += 1

    # -- the MPM's policy ------------------------------------------------------------------
    def keep_serving(self, slot: int, ws: Any, served: int, limit: int) -> bool:
        """May this thread take another connection?"""
        return not self.stopping and not (limit and served >= limit)

    def max_requests_per_thread(self) -> int:
        return 0

    def control_fds(self) -> list:
        """Descriptors a waiting thread polls besides the listeners."""
        return []

    def control_message(self, fd: Any) -> bool:
        """A control descriptor is readable: True when this thread must leave."""
        return False

    def thread_exited(self, slot: int) -> None:
        """A thread has left its slot (it is DEAD on the board)."""

    def tell_threads(self) -> None:
        """Tell every thread to leave after its connection."""
        self.stopping = True

    def wait_threads(self, seconds: float) -> None:
        for t in list(self.threads.values()):
            t.join(seconds)

    # -- MPMParent's hooks -----------------------------------------------------------------
    def make_child(self, slot: int) -> Optional[ch.Child]:
        return None                      # no process is ever forked

    def startup_children(self, number: int) -> None:
        for slot in self.free_slots(number):
            if not self.make_worker(slot):
                break

    def _child_exited(self, child: ch.Child, status: int) -> Optional[int]:
        return self._process_child_status(child, status)[0]   # a CGI daemon, say

    def _tell_graceful(self, children: list) -> None:
        pass                             # new_generation told and waited for the threads

    def _tell_restart(self, children: list) -> None:
        pass

    def _stop_generation(self) -> None:
        """The threads of the running generation leave, after their connections; then
        its child_stopping and child_stopped hooks run (BufferedLogs are written), as
        when a forking MPM's child leaves."""
        old = self.serving_process
        child_stopping(old, True)
        self.tell_threads()
        self.wait_threads(self.thread_wait())
        self.stopping = False
        child_stopped(old, True)

    def thread_wait(self) -> float:
        return 30.0

    def new_generation(self) -> None:
        """The new config is good: the old generation's threads go first, then the new
        generation's child_init (its piped logs, say) runs in this process."""
        self._stop_generation()
        self.serving_process = self.process
        child_init(self.process)

    def _restart(self, graceful: bool) -> Optional[int]:
        code = super()._restart(graceful)
        board = self.children.scoreboard
        board.process(0).pid = os.getpid()
        board.process(0).generation = self.generation
        if graceful:           # MPMParent leaves the rest to a lull; threads start now
            self.startup_children(self.remaining_to_start)
            self.remaining_to_start = 0
        return code

    def _shutdown(self, sig: int) -> None:
        self._stop_generation()
        super()._shutdown(sig)

    def _graceful_stop(self) -> int:
        self._close_listeners()
        self._stop_generation()
        if self.on_exit is not None:
            self.on_exit(self.process)
        self._say(self.AH_GRACEFUL_STOP)
        return 0
