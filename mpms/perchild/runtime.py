"""perchild's process runtime (perchild.c ap_mpm_run, server_main_loop,
perform_child_maintenance, child_main, worker_thread, pass_request), over the threaded
MPMs' parent and child (httpd/mpm/threaded/).

The parent keeps exactly NumServers children of the current generation.  A child has a
*number* (0 .. NumServers-1, Apache's child_num) whose identity ChildPerUserID gave
(or User/Group); the scoreboard slot it occupies is any free one, so that during a
graceful restart the new generation's children start beside the old ones.  A child
that dies is replaced at once; missing children are otherwise filled once a second,
doubling up to 32 a second (perchild's exponential fill).

Each child's thread pool starts at StartThreads and moves between MinSpareThreads and
MaxSpareThreads idle threads (up to MaxThreadsPerChild).

Routing.  Every child accepts from the listeners.  The core asks ``route(r, hconn)``
once a request's virtual host is known; when that host belongs to another identity
(AssignUserID; no AssignUserID: the User/Group children), the child sends the
connection's socket (SCM_RIGHTS) with the bytes already read and the keep-alive count
to that identity's hand-off socket and lets the connection go.  The parent makes one
SOCK_SEQPACKET socketpair per identity before it forks (as perchild.c made one per
AssignUserID) and keeps it for its life: every child may send to every identity, only
that identity's children receive (the others close their copy of its receiving end).
A message waits in the kernel until one of them reads it, so a connection passed while
its child restarts is served by a sibling or the new child.  When no child of the
identity is alive the sender waits up to PASS_WAIT seconds for one, then answers 503
and logs Apache's "Could not pass request to proper child" line; a child never serves
a host of another identity.
"""
from __future__ import annotations

import email.utils
import mmap
import os
import select
import socket
import struct
import threading
import time
from typing import Any, Optional

from httpd.mpm import children as ch
from httpd.mpm.threaded.child import ThreadedChild
from httpd.mpm.threaded.parent import MAX_SPAWN_RATE, ThreadedParent, child_settings

import mpms.perchild as perchild

PASS_WAIT = 5.0                 # seconds a hand-off waits for a child of the identity
HEADER = struct.Struct("!II")   # keep-alives so far, length of the bytes that follow
MAX_MESSAGE = 1 << 20           # the most a hand-off carries (head, body bytes, pipeline)
SNDBUF = 4 << 20


class _Source:
    """A hand-off socket as the listener loop polls it (like a listener: ``sock``)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock


class Handoff:
    """The identities' hand-off sockets and, in shared memory, which identity each
    scoreboard slot's child has (so a sender knows whether anyone is there to receive).
    Made by the parent before its first fork; kept for its life."""

    def __init__(self, server_limit: int):
        self.pairs: dict = {}            # identity key -> (send end, receive end)
        self.index: dict = {}            # identity key -> 1, 2, ... (0: a free slot)
        self.server_limit = server_limit
        self.slots = mmap.mmap(-1, 4 * server_limit)

    def pair(self, key: Any) -> tuple[socket.socket, socket.socket]:
        p = self.pairs.get(key)
        if p is None:
            a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            for s in (a, b):
                for opt in (getattr(socket, "SO_SNDBUFFORCE", None), socket.SO_SNDBUF):
                    if opt is None:
                        continue
                    try:
                        s.setsockopt(socket.SOL_SOCKET, opt, SNDBUF)
                        break
                    except OSError:
                        continue
            p = self.pairs[key] = (a, b)
            self.index[key] = len(self.index) + 1
        return p

    def set_slot(self, slot: int, key: Any) -> None:
        struct.pack_into("i", self.slots, 4 * slot, self.index[key])

    def clear_slot(self, slot: int) -> None:
        struct.pack_into("i", self.slots, 4 * slot, 0)

    def slot_index(self, slot: int) -> int:
        return struct.unpack_from("i", self.slots, 4 * slot)[0]

    def keep_only(self, key: Any) -> None:
        """In a child: close the receiving ends of the other identities."""
        for k, (_a, b) in self.pairs.items():
            if k != key:
                b.close()


class PerchildChild(ThreadedChild):
    """One perchild child: the threaded child with a pool that grows and shrinks, the
    hand-off socket of its identity polled beside the listeners, and the route."""

    def __init__(self, *args, settings: Any, key: Any, handoff: Handoff, **kw):
        super().__init__(*args, **kw)
        self.settings, self.key, self.handoff = settings, key, handoff
        self.routes = settings.routes
        self.receiver = _Source(handoff.pairs[key][1])
        self.free_ids = list(range(settings.start_threads, settings.max_threads))
        self.by_local = {}
        for ln in self.listeners:
            try:
                self.by_local[ln.sock.getsockname()] = ln
            except OSError:
                pass
        for j in range(settings.start_threads, self.board.thread_limit):
            self.board.worker(self.slot, j).set_status(ch.DEAD)

    # -- the pool --------------------------------------------------------------------------
    def start_worker(self, j: int) -> None:
        self.board.worker(self.slot, j).set_identity(os.getuid(), os.getgid())
        super().start_worker(j)

    def taken(self) -> None:
        """A thread took work while MinSpareThreads or fewer are idle: one more thread,
        up to MaxThreadsPerChild."""
        s = self.settings
        with self.lock:
            if self.graceful.is_set() or self.idle > s.min_spare_threads \
                    or self.threads >= s.max_threads or not self.free_ids:
                return
            self.threads += 1
            j = self.free_ids.pop(0)
        self.start_worker(j)
        if self.listener_stopped:      # the listener paused for want of an idle thread
            self.wake()

    def retire(self, j: int) -> bool:
        """A thread going idle while MaxSpareThreads others are idle leaves the pool."""
        with self.lock:
            if self.graceful.is_set() or self.threads <= 1 \
                    or self.idle <= self.settings.max_spare_threads:
                return False
            self.threads -= 1
            me = threading.current_thread()        # retire() runs in the worker itself
            if me in self._workers:
                self._workers.remove(me)
            self.board.worker(self.slot, j).set_status(ch.DEAD)
            self.free_ids.append(j)
        return True

    # -- work: accepted connections and passed ones ------------------------------------------
    def listener_loop(self) -> None:
        self.accept_while_idle()

    def sources(self) -> list:
        return list(self.listeners) + [self.receiver]

    def fair_to_take(self, src: Any, now: float) -> bool:
        # only this identity's children read its hand-off socket: never leave it
        return src is self.receiver or super().fair_to_take(src, now)

    def take(self, src: Any) -> Optional[tuple]:
        if src is not self.receiver:
            return super().take(src)
        try:
            msg, fds, _flags, _addr = socket.recv_fds(src.sock, MAX_MESSAGE + HEADER.size, 4,
                                                      socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return None              # a sibling was quicker
        except OSError as e:
            self.serving.log_server_error(TAG, "error", f"({e.errno}){e.strerror}: "
                                          "receiving a passed connection failed")
            return None
        for extra in fds[1:]:
            os.close(extra)
        if not fds:
            return None
        sock = socket.socket(fileno=fds[0])
        if len(msg) < HEADER.size:
            sock.close()
            return None
        keepalives, n = HEADER.unpack_from(msg)
        data = bytes(msg[HEADER.size:HEADER.size + n])
        try:
            addr = sock.getpeername()
            ln = self.by_local.get(sock.getsockname())
        except OSError:              # the client has gone meanwhile
            sock.close()
            return None
        if ln is None and self.listeners:
            ln = self.listeners[0]
        return (sock, addr, ln, data, keepalives)

    def handle(self, item: Any, ws: Any) -> None:
        sock, addr, ln = item[0], item[1], item[2]
        preread, keepalives = (item[3], item[4]) if len(item) > 3 else (b"", 0)
        ws.connection_started(addr[0])
        self.serving.serve_connection(sock, addr, ln, score=ws,
                                      route=lambda r, hconn: self.route(sock, r, hconn),
                                      preread=preread, keepalives=keepalives)
        ws.connection_done()

    # -- routing ---------------------------------------------------------------------------
    def route(self, sock: socket.socket, r: Any, hconn: Any) -> bool:
        """perchild_post_read: False when this child's identity serves r's host, else
        the connection goes to a child of that identity (or is answered 503)."""
        key = self.routes.get(id(r.server))
        if key == self.key:
            return False
        self.pass_request(sock, key, r, hconn)
        return True

    def _receiver_alive(self, key: Any) -> bool:
        idx = self.handoff.index.get(key)
        if idx is None:
            return False
        board = self.board
        for i in range(board.server_limit):
            if self.handoff.slot_index(i) == idx:
                ps = board.process(i)
                if ps.pid and not ps.quiescing:
                    return True
        return False

    def pass_request(self, sock: socket.socket, key: Any, r: Any, hconn: Any) -> None:
        data = hconn.pending_bytes()
        pair = self.handoff.pairs.get(key)
        sent = False
        if pair is not None and len(data) <= MAX_MESSAGE:
            msg = HEADER.pack(hconn.keepalives, len(data)) + data
            deadline = time.monotonic() + PASS_WAIT
            while True:
                if self._receiver_alive(key):
                    try:
                        socket.send_fds(pair[0], [msg], [sock.fileno()], socket.MSG_DONTWAIT)
                        sent = True
                        break
                    except (BlockingIOError, InterruptedError):
                        pass             # the identity's queue is full: wait for room
                    except OSError as e:
                        self.serving.log_server_error(
                            TAG, "error", f"({e.errno}){e.strerror}: Writing message failed")
                        break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    select.select([], [pair[0]], [], min(left, 0.02))
                except InterruptedError:
                    pass
                if not self._receiver_alive(key):
                    time.sleep(min(max(left, 0), 0.02))
        if not sent:
            self.serving.log_server_error(TAG, "error", "Could not pass request to proper "
                                          "child, request will not be honored.")
            _answer_503(sock, r)
        try:
            sock.close()             # this process's copy; the receiver has its own
        except OSError:
            pass


TAG = perchild.TAG


def _answer_503(sock: socket.socket, r: Any) -> None:
    """A canned 503 for a request no child of its identity could take: written here,
    without any hook (an ErrorDocument would run under the wrong identity)."""
    from httpd.http.errors import error_page
    from httpd.http.header_filter import banner_of
    body = error_page(r, 503)
    head = ("HTTP/1.1 503 Service Unavailable\r\n"
            f"Date: {email.utils.formatdate(usegmt=True)}\r\n"
            f"Server: {banner_of(r)}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n"
            "Content-Type: text/html; charset=iso-8859-1\r\n\r\n").encode("latin-1")
    try:
        sock.settimeout(2.0)
        sock.sendall(head + body)
    except OSError:
        pass


class PerchildRuntime(ThreadedParent):
    TAG = TAG
    # Apache 2.0's lines, which had no AH numbers
    AH_STARTED, AH_BUILT = "", ""
    AH_STOP = "caught SIGTERM, shutting down"
    AH_GRACEFUL_STOP = "caught SIGWINCH, shutting down gracefully"
    AH_RESTART = "SIGHUP received.  Attempting to restart"
    AH_GRACEFUL = "SIGUSR1 received.  Doing graceful restart"

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.handoff = Handoff(self.settings.server_limit)
        self.new_generation()
        self.number_of: dict[int, int] = {}        # pid -> child number
        self.born: dict[int, float] = {}           # pid -> when it was forked
        self._next_number = 0

    # -- the board: StartThreads slots start, up to MaxThreadsPerChild may be used ----------
    def scoreboard_shape(self) -> tuple[int, int, int, int]:
        s = self.settings
        return s.server_limit, s.thread_limit, s.num_servers, s.max_threads

    def new_generation(self) -> None:
        """Every identity of the generation gets its hand-off socket before any of its
        children is forked, so that each child can pass to each identity."""
        for number in range(self.settings.num_servers):
            self.handoff.pair(self.settings.key_of(number))

    # -- children --------------------------------------------------------------------------
    def _missing(self) -> list[int]:
        """The child numbers of this generation with no live child."""
        have = {self.number_of.get(c.pid) for c in self.children
                if c.generation == self.generation and not c.signalled}
        return [n for n in range(self.settings.num_servers) if n not in have]

    def _free_slots(self) -> list[int]:
        used = {c.slot for c in self.children}
        return [i for i in range(self.settings.server_limit) if i not in used]

    def startup_children(self, number: int) -> None:
        for n, slot in list(zip(self._missing(), self._free_slots()))[:max(0, number)]:
            self.make_number(slot, n)

    def make_number(self, slot: int, number: int) -> Optional[ch.Child]:
        key = self.settings.key_of(number)
        self.handoff.set_slot(slot, key)
        self._next_number = number
        child = self.make_child(slot)
        if child is None:
            self.handoff.clear_slot(slot)
        else:
            self.number_of[child.pid] = number
            self.born[child.pid] = time.monotonic()
        return child

    def child_main(self, slot: int, listeners: list, pod: Any) -> int:
        number = self._next_number
        s = self.settings
        key = s.key_of(number)
        self.handoff.keep_only(key)
        perchild.THIS_CHILD[0] = s.slot_ids[number]
        _threads, max_conn = child_settings(self.process)
        child = PerchildChild(self.process, self.serving, listeners, pod,
                              self.children.scoreboard, slot, self.generation,
                              s.start_threads, max_conn, settings=s, key=key,
                              handoff=self.handoff)
        return child.run()

    def _child_exited(self, child: ch.Child, status: int) -> Optional[int]:
        self.number_of.pop(child.pid, None)
        lived = time.monotonic() - self.born.pop(child.pid, 0.0)
        # several children may be reaped at once, and an earlier one's replacement may
        # already stand in this one's slot: then the slot is not this child's to clear
        if not any(c.slot == child.slot for c in self.children):
            self._mark_threads(child.slot, ch.DEAD)
            self.handoff.clear_slot(child.slot)
            ps = self.children.scoreboard.process(child.slot)
            ps.quiescing = ps.not_accepting = 0
            ps.connections = ps.keep_alive = ps.lingering_close = 0
        code, sick = self._process_child_status(child, status)
        if code is not None or sick:
            return code
        if child.generation == self.generation and not child.signalled \
                and lived < 1.0 and not os.WIFSIGNALED(status):
            return None      # died young without a crash: the maintenance tick, no storm
        # NumServers is fixed: a slot came free, so whatever is missing starts now
        # (a crash, MaxConnectionsPerChild, or the old generation making room)
        self.remaining_to_start = max(0, self.remaining_to_start - 1)
        self.startup_children(len(self._missing()))
        return None

    def _mark_threads(self, slot: int, letter: str, pid: int = 0) -> None:
        board = self.children.scoreboard
        for j in range(board.thread_limit):
            ws = board.worker(slot, j)
            if ws.status != ch.DEAD or (letter != ch.DEAD and j < self.settings.start_threads):
                ws.set_status(letter)
                ws.pid = pid

    # -- maintenance: perform_child_maintenance ---------------------------------------------
    def idle_server_maintenance(self) -> None:
        missing = self._missing()
        if not missing:
            self.spawn_rate = 1
            return
        self.startup_children(min(self.spawn_rate, len(missing)))
        self.ramp_up(MAX_SPAWN_RATE)


def run(process: Any, serving: Any, listeners: list, reload=None, on_exit=None) -> int:
    """PERCHILD.run: the parent's life, from the first fork to the last reap."""
    return PerchildRuntime(process, serving, listeners, reload, on_exit).run()
