"""An event child (event.c listener_thread, worker_thread): worker's threads, but one
selector in the listener thread holds every connection that has nothing to do, so a
worker thread is taken only when a connection has a request to process.

Connections wait in the selector in two states (httpd/io/connection.py parks them there
through the ``park`` callback and returns the worker thread):
- "keepalive": between requests, with no byte buffered.  Readable -> queued for the
  next idle worker (resume_connection).  KeepAliveTimeout passed -> closed here.
- "write": write completion.  The response's last bytes (at most 64 KB,
  httpd/io/channel.py WRITE_BACKLOG_MAX) wait for the socket to take them.  Writable ->
  queued for a worker, which writes on and goes on with the connection.  Timeout
  passed -> closed here (the client stopped reading).
- "linger": Apache's lingering close after shutdown(SHUT_WR).  Readable -> the bytes
  are read and dropped here (non-blocking, cheap); EOF, the byte limit or the 2 s
  linger timeout -> closed.

Before a worker hands a keep-alive connection over it waits for the next request for
PEEK_BEFORE_PARK (5 ms, one recv with that kernel timeout; never while work waits in
the queue) and serves it itself when it comes: a busy client then costs no trip through
the listener (two thread switches and four syscalls), while an idle one holds its
thread 5 ms.  Measured with wrk -c16 on a 1 KB file, 4 x 25 threads: a 1 ms wait gave
18,600 requests per second, 5 ms 22,000, 10 ms 21,300.

Timeouts are kept in one FIFO per (state, timeout) value, as event.c's timeout queues:
entries join at the tail in time order, so expiry looks at heads only.

The per-process connection limit (event.c connections_above_limit): new connections
are accepted only while
    connections - lingering < ThreadsPerChild + (idle workers - listeners disabled) * factor
with the factor truncated to an integer (>= 1), and never with no idle worker.  Above
it the listening sockets leave the selector and the scoreboard says not accepting, so
the kernel gives new connections to other children (or keeps them in the backlog).
When work has waited in the queue with every worker busy for BUSY_GRACE, or the
process is dying, all idle keep-alive connections are closed at once, so their clients
reconnect elsewhere instead of waiting behind busy workers.  (Apache decides on the
instant no worker is free; a Python worker between sending a response and waiting for
the next job is slow enough that the instant would purge on every burst.)  A parked
connection that speaks is always queued, never dropped.
"""
from __future__ import annotations

import selectors
import threading
import time
from typing import Any

from httpd.io import connection

from httpd.mpm.listen import Listener
from httpd.mpm.threaded.child import ThreadedChild

MAX_WAIT = 1.0        # the selector wakes at least this often (scoreboard counts)
BUSY_GRACE = 0.1      # work queued with no free worker this long: workers are busy
PEEK_BEFORE_PARK = 0.005   # how long a worker waits for the next request before parking


class _Entry:
    """A parked connection: where it waits and until when."""

    __slots__ = ("conn", "deadline", "fd", "queue", "reason")

    def __init__(self, conn: Any, fd: int, reason: str, deadline: float, queue: dict):
        self.conn, self.fd, self.reason = conn, fd, reason
        self.deadline, self.queue = deadline, queue


class EventChild(ThreadedChild):
    def __init__(self, *args, factor: float = 2.0, **kw):
        super().__init__(*args, **kw)
        # event.c stores factor*16 and divides by 16 in integers: 1.5 acts as 1
        self.factor = max(1, int(factor))
        self.parks: list = []              # (conn, reason, timeout) from workers
        self.parks_lock = threading.Lock()
        self.connections = 0               # open connections of this process
        self.lingering = 0
        self.keepalive = 0
        self.writing = 0

    # -- the worker side -------------------------------------------------------------------
    def park(self, conn: Any, reason: str, timeout: float) -> None:
        """Called by serve_connection in a worker thread as it lets the connection go;
        ``handle`` hands it to the listener once serve_connection has returned."""
        self._local.parked = (conn, reason, timeout)

    def handle(self, item: Any, ws: Any) -> None:
        local = self._local
        local.parked = None
        peek = self.peek_time
        if item[0] == "new":
            _, sock, addr, ln = item
            ws.connection_started(addr[0])
            self.serving.serve_connection(sock, addr, ln, score=ws, park=self.park, peek=peek)
        else:
            connection.resume_connection(item[1], score=ws, park=self.park, peek=peek)
        if local.parked is not None:
            with self.parks_lock:
                self.parks.append(local.parked)
            self.release()          # the thread is free from here on
            self.wake()
            return
        with self.lock:                 # it ended and was closed
            self.connections -= 1
        ws.connection_done()

    def peek_time(self) -> float:
        """How long a worker waits for a kept-alive client's next request before parking
        the connection: the next request is often there within a moment (the client
        read the response and answered), and serving it in the same thread saves the
        round trip through the listener (two thread switches and four syscalls).  Never
        while work waits in the queue or the process is going away."""
        if self.queued > 0 or self.graceful.is_set():
            return 0.0
        return PEEK_BEFORE_PARK

    # -- the listener ----------------------------------------------------------------------
    def open_connections(self) -> int:
        return self.connections

    def below_limit(self, listening: bool) -> bool:
        idle = self.idle
        if idle <= 0:
            return False
        disabled = 0 if listening else 1
        return self.connections - self.lingering < self.threads + (idle - disabled) * self.factor

    def listener_loop(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        for ln in self.listeners:
            ln.sock.setblocking(False)
        queues: dict[tuple, dict[int, _Entry]] = {}
        listening = False
        closed_listeners = False
        busy_since = None
        ps = self.ps
        while True:
            dying = self.graceful.is_set()
            if dying and not closed_listeners:
                if listening:
                    for ln in self.listeners:
                        sel.unregister(ln.sock)
                    listening = False
                for ln in self.listeners:      # new connections go to other children
                    ln.sock.close()
                closed_listeners = True
                self._close_keepalives(sel, queues)
            if dying and self.connections <= 0:
                break
            now = time.monotonic()
            deferring = now < self.defer_until      # leaving a connection to another child
            can = not dying and self.below_limit(listening)
            want = can and not deferring
            if want != listening:
                if not dying and not deferring:
                    self._log_accepting(want)
                for ln in self.listeners:
                    if want:
                        sel.register(ln.sock, selectors.EVENT_READ, ln)
                    else:
                        sel.unregister(ln.sock)
                listening = want
            self.listener_stopped = not listening
            ps.not_accepting = 0 if listening or dying or (deferring and can) else 1
            ps.connections, ps.keep_alive, ps.lingering_close = \
                self.connections, self.keepalive, self.lingering
            ps.write_completion = self.writing
            if listening and not self.below_limit(True):
                wait = 0.0       # a worker was taken meanwhile: re-check before polling
            else:
                wait = self._next_expiry(queues)
                if busy_since is not None:
                    wait = min(wait, BUSY_GRACE)
                if deferring:
                    wait = min(wait, self.defer_until - now)
            for key, _ in sel.select(wait):
                data = key.data
                if data is None:
                    self.drain_wake()
                elif isinstance(data, Listener):
                    if self.graceful.is_set() or not self.below_limit(True) \
                            or not self.fair_to_accept(time.monotonic()):
                        continue
                    got = self.accept(data)
                    if got is None:
                        continue
                    with self.lock:
                        self.connections += 1
                    ps.connections = self.connections
                    self.push(("new", got[0], got[1], data))
                    if self.count_connection():
                        self.start_graceful()      # MaxConnectionsPerChild
                elif data.reason == "keepalive":
                    self._forget(sel, data)
                    self.keepalive -= 1
                    self.push(("resume", data.conn))
                elif data.reason == "write":         # writable: a worker writes on
                    self._forget(sel, data)
                    self.writing -= 1
                    self.push(("resume", data.conn))
                elif not _linger_read(data.conn):
                    self._forget(sel, data)
                    self._closed(data)
            self._take_parks(sel, queues)
            if self.idle < 0:                    # work waits for a worker
                now = time.monotonic()
                if busy_since is None:
                    busy_since = now
                elif now - busy_since >= BUSY_GRACE:
                    self._close_keepalives(sel, queues)
            else:
                busy_since = None
            if self.graceful.is_set():
                self._close_keepalives(sel, queues)
            self._expire(sel, queues)
        sel.close()

    def _log_accepting(self, on: bool) -> None:
        """event.c's debug lines when the listeners are enabled or disabled."""
        if on:
            msg = (f"AH00457: Accepting new connections again: {self.connections} active "
                   f"conns ({self.lingering} lingering/0 clogged/0 suspended), {self.idle} "
                   "idle workers")
        elif self.idle <= 0:
            msg = "All workers busy, not accepting new conns in this process"
        else:
            msg = (f"Too many open connections ({self.connections}), not accepting new "
                   "conns in this process")
        self.serving.log_server_error("mpm_event", "debug", msg)

    def _next_expiry(self, queues: dict) -> float:
        now = time.monotonic()
        wait = MAX_WAIT
        for q in queues.values():
            for entry in q.values():          # the head: the oldest of this queue
                wait = min(wait, entry.deadline - now)
                break
        return max(wait, 0.0)

    def _take_parks(self, sel: Any, queues: dict) -> None:
        with self.parks_lock:
            parks, self.parks = self.parks, []
        now = time.monotonic()
        for conn, reason, timeout in parks:
            if reason == "keepalive" and self.graceful.is_set():
                _close(conn)                      # a dying process keeps no idle client
                with self.lock:
                    self.connections -= 1
                continue
            q = queues.setdefault((reason, timeout), {})
            try:
                fd = conn.sock.fileno()
                entry = _Entry(conn, fd, reason, now + timeout, q)
                sel.register(fd, selectors.EVENT_WRITE if reason == "write"
                             else selectors.EVENT_READ, entry)
            except (OSError, ValueError):
                _close(conn)
                with self.lock:
                    self.connections -= 1
                continue
            q[fd] = entry
            if reason == "keepalive":
                self.keepalive += 1
            elif reason == "write":
                self.writing += 1
            else:
                self.lingering += 1

    def _forget(self, sel: Any, entry: _Entry) -> None:
        entry.queue.pop(entry.fd, None)
        try:
            sel.unregister(entry.fd)
        except (KeyError, ValueError):
            pass

    def _closed(self, entry: _Entry) -> None:
        _close(entry.conn)
        if entry.reason == "keepalive":
            self.keepalive -= 1
        elif entry.reason == "write":    # Timeout passed with the client not reading
            self.writing -= 1
        else:
            self.lingering -= 1
        with self.lock:
            self.connections -= 1

    def _expire(self, sel: Any, queues: dict) -> None:
        now = time.monotonic()
        for q in queues.values():
            while q:
                entry = next(iter(q.values()))
                if entry.deadline > now:
                    break
                self._forget(sel, entry)
                self._closed(entry)

    def _close_keepalives(self, sel: Any, queues: dict) -> None:
        for (reason, _), q in queues.items():
            if reason != "keepalive":
                continue
            for entry in list(q.values()):
                self._forget(sel, entry)
                self._closed(entry)


def _linger_read(conn: Any) -> bool:
    try:
        return bool(conn.linger_read())
    except Exception:
        return False


def _close(conn: Any) -> None:
    try:
        conn.close()
    except Exception:
        pass
