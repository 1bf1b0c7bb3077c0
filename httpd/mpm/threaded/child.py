"""A worker or event child (worker.c / event.c child_main): ThreadsPerChild worker
threads, one listener thread, and the main thread blocked on the pipe of death.

The listener hands work to idle workers over one FIFO queue.  ``idle`` is the threads
not busy with a connection, less the items already queued for them, so the listener
knows when no worker is free (worker then stops accepting; event stops accepting and
closes its idle keep-alive connections).  A thread stops being busy the moment its
connection is done with it (event: parked), before it loops back to the queue.
Workers tell the listener when they free up through a wake pipe only while it has
stopped accepting, so the common path costs no syscall.

Going away:
- '!' on the pod, the pod's EOF (the parent closed it: restart, stop, or the parent
  died), SIGUSR1 or MaxConnectionsPerChild: graceful.  The listener stops accepting
  and closes this process's copies of the listening sockets, the process is marked
  quiescing on the scoreboard, queued and in-flight connections are finished, then
  the workers and the process exit.
- '$' on the pod, SIGTERM or SIGHUP: exit now.
"""
from __future__ import annotations

import os
import queue
import select
import selectors
import signal
import threading
import time
from typing import Any, Optional

from httpd.mpm.children import APEXIT_CHILDFATAL, DEAD, GRACEFUL, READY, STARTING
from httpd.mpm.pod import RESTART_CHAR
from httpd.mpm.lifecycle import child_exit, child_startup, child_stopped, child_stopping
from httpd.module import CORE_MODULE

STOP = None          # the queue item that ends a worker thread
# How long a process with more connections than another accepting child leaves a new
# connection to that child before taking it anyway (see ThreadedChild.fair_to_accept).
FAIR_WAIT = 0.0002


class _Wake(Exception):
    """Raised out of the main thread's pod wait by SIGUSR1."""


class ThreadedChild:
    """The parts worker and event share; ``listener_loop`` is each MPM's own."""

    def __init__(self, process: Any, serving: Any, listeners: list, pod: Any, board: Any,
                 slot: int, generation: int, threads: int, max_connections: int):
        self.process, self.serving, self.listeners = process, serving, listeners
        self.pod, self.board, self.slot = pod, board, slot
        self.generation = generation
        self.threads = threads
        self.max_connections = max_connections
        self.ps = board.process(slot)
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.busy = 0                 # workers holding a connection
        self.queued = 0               # items put and not yet taken
        self.accepted = 0
        self.graceful = threading.Event()
        self.listener_stopped = False   # the listener wants a wake-up when a worker frees
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._workers: list[threading.Thread] = []
        self._in_wait = False
        self._local = threading.local()
        self.defer_until = 0.0        # fair_to_accept: leaving connections to others until

    # -- idle accounting -------------------------------------------------------------------
    @property
    def idle(self) -> int:
        """Workers free for new work (ap_queue_info's idlers)."""
        return self.threads - self.busy - self.queued

    def push(self, item: Any) -> None:
        with self.lock:
            self.queued += 1
        self.queue.put(item)

    def wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass

    def drain_wake(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except (BlockingIOError, OSError):
            pass

    # -- workers ---------------------------------------------------------------------------
    def worker(self, j: int) -> None:
        ws = self.board.worker(self.slot, j)
        ws.tid = threading.get_native_id()
        ws.pid = os.getpid()
        ws.generation = self.generation
        local = self._local
        while True:
            ws.set_status(GRACEFUL if self.graceful.is_set() else READY)
            item = self.queue.get()
            with self.lock:
                self.busy += 1
                self.queued -= 1
            if item is STOP:
                break
            self.taken()
            local.released = False
            try:
                self.handle(item, ws)
            except Exception as e:     # a bug costs one connection, never the thread
                self.serving.log_server_error("core", "error",
                                              f"AH00000: worker thread failed: {e!r}")
            if not local.released:
                self.release()
            if self.retire(j):
                return             # retire() has given the slot back
        ws.set_status(DEAD)

    # -- the pool's size: fixed here (ThreadsPerChild); an MPM whose pool grows and
    # shrinks (perchild) overrides these two ------------------------------------------------
    def taken(self) -> None:
        """A worker has just taken an item from the queue (its thread counts as busy)."""

    def retire(self, j: int) -> bool:
        """A worker is idle again: True makes its thread exit at once; retire() has then
        taken it out of the pool and marked its scoreboard slot."""
        return False

    def start_worker(self, j: int) -> None:
        """One more worker thread, on thread slot ``j`` of this process's scoreboard."""
        self.board.worker(self.slot, j).set_status(STARTING)
        t = threading.Thread(target=self.worker, args=(j,), daemon=True,
                             name=f"httpd-worker-{j}")
        with self.lock:
            self._workers.append(t)
        t.start()

    def release(self) -> None:
        """This thread is done with its connection: one more idle worker."""
        self._local.released = True
        with self.lock:
            self.busy -= 1
        if self.listener_stopped:
            self.wake()

    def handle(self, item: Any, ws: Any) -> None:
        """Serve one queued item: (socket, address, listener) for worker."""
        sock, addr, ln = item
        ws.connection_started(addr[0])
        self.serving.serve_connection(sock, addr, ln, score=ws)
        ws.connection_done()

    def count_connection(self) -> bool:
        """One more accepted connection; True when MaxConnectionsPerChild is reached."""
        self.accepted += 1
        return bool(self.max_connections) and self.accepted >= self.max_connections

    def accept(self, ln: Any) -> Optional[tuple]:
        """(socket, address) from a listener the selector saw readable, or None when
        another child was quicker or accept failed (logged)."""
        try:
            return ln.sock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return None
        except OSError as e:
            self.serving.log_server_error(
                "core", "error", f"({e.errno}){e.strerror}: AH00000: accept failed")
            return None

    # -- sharing connections between processes ---------------------------------------------
    def open_connections(self) -> int:
        """This process's connections (worker: each holds a thread)."""
        return self.busy + self.queued

    def fair_to_accept(self, now: float) -> bool:
        """May this process take a waiting connection now?

        A process's threads share one interpreter lock, so the connections of a burst
        must spread over the processes for the server to use more than one core (the
        kernel wakes every listener of the socket, and the first to call accept() wins,
        usually the process that just accepted).  A process holding more than twice as
        many connections (plus two) as another accepting child of its generation
        leaves the connection to that child for FAIR_WAIT (0.2 ms), then takes it if it
        is still waiting (one connection: the next one is judged again).  The bounds
        keep the rule out of the way of short connections, whose counts come and go
        (2 ms and a tighter bound cost half the requests per second without
        keep-alive).  Apache's C threads need no such rule; this one only orders who
        accepts, never refuses."""
        if self.defer_until:
            if now < self.defer_until:
                return False
            recent = now < self.defer_until + FAIR_WAIT
            self.defer_until = 0.0
            if recent:       # the others had FAIR_WAIT: take this one, judge the next
                return True
        mine = self.open_connections()
        if mine <= 2:
            return True          # nobody can hold fewer than (mine - 2) / 2
        # another child holding fewer than half as many, less two: differences that
        # come and go with short connections, or within a flood, do not matter
        enough = (mine - 2) / 2
        board, me, gen = self.board, self.slot, self.generation
        for i in range(board.server_limit):
            if i == me:
                continue
            ps = board.process(i)
            if (ps.pid and ps.generation == gen and not ps.quiescing
                    and not ps.not_accepting and ps.connections < enough):
                self.defer_until = now + FAIR_WAIT
                return False
        return True

    # -- the listener (each MPM's own) -----------------------------------------------------
    def listener_loop(self) -> None:
        raise NotImplementedError

    def accept_while_idle(self) -> None:
        """worker's listener loop (ap_queue_info_wait_for_idler, then poll and accept):
        the sources (``sources()``: the listeners, and whatever else hands this process
        work) are polled only while a worker thread is idle; connections beyond the
        threads wait in the kernel, or are taken by another child with a free thread.
        ``take(src)`` turns a readable source into a queue item."""
        sel = selectors.DefaultSelector()
        sources = self.sources()
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
                    for src in sources:
                        sel.unregister(src.sock)
                    registered = False
                sel.select(pause)
                self.drain_wake()
                continue
            if not registered:
                for src in sources:
                    sel.register(src.sock, selectors.EVENT_READ, src)
                registered = True
            self.listener_stopped = False
            for key, _ in sel.select(1.0):
                ln = key.data
                if ln is None:
                    self.drain_wake()
                    continue
                if self.graceful.is_set() or self.idle <= 0 \
                        or not self.fair_to_take(ln, time.monotonic()):
                    break
                item = self.take(ln)
                if item is None:
                    continue
                self.push(item)
                ps.connections = self.open_connections()
                if self.count_connection():
                    return             # MaxConnectionsPerChild: a graceful exit
        sel.close()

    def sources(self) -> list:
        """What the listener polls for work: objects with a ``sock``."""
        return list(self.listeners)

    def fair_to_take(self, src: Any, now: float) -> bool:
        """May this process take work from ``src`` now (fair_to_accept for listeners,
        which every child polls)?"""
        return self.fair_to_accept(now)

    def take(self, ln: Any) -> Optional[tuple]:
        """The queue item for a readable source: (socket, address, listener)."""
        got = self.accept(ln)
        return None if got is None else (got[0], got[1], ln)

    def _listener(self) -> None:
        try:
            self.listener_loop()
        except Exception as e:
            self.serving.log_server_error("core", "error", f"AH00000: listener failed: {e!r}")
        finally:
            for ln in self.listeners:     # this process's copies only
                try:
                    ln.sock.close()
                except OSError:
                    pass
            self.start_graceful()

    def start_graceful(self) -> None:
        if self.graceful.is_set():
            return
        self.graceful.set()
        self.process.mpm_stopping = True    # signal_threads: mpm_state = AP_MPMQ_STOPPING
        self.ps.quiescing = 1
        self.wake()
        try:
            os.kill(os.getpid(), signal.SIGUSR1)     # wake the main thread from select
        except OSError:
            pass

    # -- the process -----------------------------------------------------------------------
    def run(self) -> int:
        def on_term(_signum, _frame):
            try:
                child_exit(self.process, False)
            finally:
                os._exit(0)

        def on_usr1(_signum, _frame):
            self.start_graceful()
            if self._in_wait:
                self._in_wait = False
                raise _Wake()

        signal.signal(signal.SIGTERM, on_term)
        signal.signal(signal.SIGHUP, on_term)
        signal.signal(signal.SIGUSR1, on_usr1)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGWINCH, signal.SIG_IGN)
        self.pod.child_side()
        err = child_startup(self.process)      # drop_privileges, child_init
        if err:
            self.serving.log_server_error("core", "alert", err)
            return APEXIT_CHILDFATAL
        self.ps.quiescing = 0
        self.ps.not_accepting = 0
        _stack_size(self.process)
        for j in range(self.threads):
            self.start_worker(j)
        listener = threading.Thread(target=self._listener, daemon=True, name="httpd-listener")
        listener.start()
        try:
            self._in_wait = True
            self._wait_for_pod()
        except _Wake:
            pass
        self._in_wait = False
        child_stopping(self.process, True)
        self.start_graceful()
        listener.join()
        self.stop_workers()
        child_stopped(self.process, True)
        return 0

    def stop_workers(self) -> None:
        """One STOP per worker thread still in the pool, then wait for them all."""
        with self.lock:      # (a thread leaves the list only by retiring, never on STOP)
            workers = list(self._workers)
        for _ in workers:
            self.push(STOP)
        for t in workers:
            t.join()

    def _wait_for_pod(self) -> None:
        """ap_mpm_podx_check in the main thread, until something says go."""
        fd = self.pod.r
        while not self.graceful.is_set():
            try:
                ready, _, _ = select.select([fd], [], [], 1.0)
            except InterruptedError:
                continue
            if not ready:
                continue
            try:
                data = os.read(fd, 1)
            except (BlockingIOError, InterruptedError):
                continue           # another child took the byte
            except OSError:
                data = b""
            if data == RESTART_CHAR:
                try:
                    child_exit(self.process, False)
                finally:
                    os._exit(0)
            return                 # '!' or EOF


def _stack_size(process: Any) -> None:
    """ThreadStackSize for the worker and listener threads (0: the OS default)."""
    core = process.main_server.module_config[CORE_MODULE]
    size = getattr(core, "thread_stacksize", 0) or 0
    if size:
        try:
            threading.stack_size(max(size, 32768))    # Python's own floor
        except (ValueError, RuntimeError):
            pass
