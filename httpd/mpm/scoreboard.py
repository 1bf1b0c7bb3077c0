"""The scoreboard (Apache's scoreboard.c / scoreboard.h): what every process and worker
is doing, in memory shared by the parent and all its children.

The parent creates one anonymous shared mapping before it forks (``Scoreboard.create``);
a child inherits the mapping and writes only its own slots, so the hot path takes no
lock and pickles nothing: each field is packed with ``struct`` at a fixed offset.  The
parent (spare-server policy) and mod_status read the whole board.

Layout: one global record, ``server_limit`` process records, then ``server_limit *
thread_limit`` worker records.  prefork uses thread slot 0 of each process; worker and
event use ``ThreadsPerChild`` of them.  The board is sized by ServerLimit/ThreadLimit,
which a restart cannot change, so it survives restarts like Apache's.

Apache keeps the status as a number and mod_status maps it to a letter; here the slot
holds the letter itself (``_`` waiting, ``S`` starting, ``R`` reading, ``W`` sending,
``K`` keepalive, ``D`` DNS, ``C`` closing, ``L`` logging, ``G`` gracefully finishing,
``I`` idle cleanup, ``.`` open slot), since that is all anyone ever asks of it.
Times are seconds (floats, like ``time.time()`` and ``os.times()``) rather than
microseconds and clock ticks.
"""
from __future__ import annotations

import atexit
import mmap
import os
import time
from typing import Any

import attrs

from httpd.mpm.shm_record import record as _record
from httpd.module import CORE_MODULE

# -- the status letters (scoreboard.h SERVER_* and mod_status's status_flags) ---------------

DEAD = "."
STARTING = "S"
READY = "_"
BUSY_READ = "R"
BUSY_WRITE = "W"
BUSY_KEEPALIVE = "K"
BUSY_LOG = "L"
BUSY_DNS = "D"
CLOSING = "C"
GRACEFUL = "G"
IDLE_KILL = "I"
STATUS_LETTERS = "_SRWKDCLGI."

# Sizes of Apache's worker_score strings (client64, request, vhost, protocol).
CLIENT_LEN = 64
REQUEST_LEN = 64
VHOST_LEN = 32
PROTOCOL_LEN = 16


_GlobalBase = _record("_GlobalBase", [
    ("restart_time", "d"), ("running_generation", "i"), ("config_generation", "i"),
    ("server_limit", "i"), ("thread_limit", "i"),
    # what mod_status asks the MPM (AP_MPMQ_MAX_DAEMONS, AP_MPMQ_MAX_THREADS): slots past
    # these are left out of the status line unless something still runs there
    ("max_servers", "i"), ("threads_per_child", "i"),
    ("extended_status", "B"), ("see_request_tail", "B"),
    # CPU seconds of children that exited (the parent adds them, like Apache's global times)
    ("utime", "d"), ("stime", "d"), ("cutime", "d"), ("cstime", "d"),
], "global_score: the server's start time, generation and board dimensions.")


class GlobalScore(_GlobalBase):
    __slots__ = ()


ProcessScore = _record("ProcessScore", [
    ("pid", "i"), ("generation", "i"), ("quiescing", "B"), ("not_accepting", "B"),
    # event's connection counts (process_score in 2.4)
    ("connections", "I"), ("write_completion", "I"), ("keep_alive", "I"),
    ("lingering_close", "I"), ("suspended", "I"), ("wait_io", "I"),
], "process_score: one child process (pid 0 when the slot is free).")

_WorkerBase = _record("_WorkerBase", [
    ("status", "letter"), ("pid", "i"), ("tid", "Q"), ("generation", "i"),
    ("access_count", "Q"), ("bytes_served", "Q"),
    ("my_access_count", "Q"), ("my_bytes_served", "Q"),
    ("conn_count", "I"), ("conn_bytes", "Q"),
    ("start_time", "d"), ("stop_time", "d"), ("last_used", "d"), ("duration", "d"),
    ("utime", "d"), ("stime", "d"), ("cutime", "d"), ("cstime", "d"),
    # the identity the worker serves under (perchild's ChildPerUserID, mpm-itk's
    # AssignUserID): written by the process that serves, after it changed user
    ("uid", "I"), ("gid", "I"),
    ("client", f"text{CLIENT_LEN}"), ("request", f"text{REQUEST_LEN}"),
    ("vhost", f"text{VHOST_LEN}"), ("protocol", f"text{PROTOCOL_LEN}"),
], "worker_score: one worker (a prefork child, or one thread of a worker/event child).")

_WORKER_FIELDS = _WorkerBase.FIELDS
_STATUS_OFF = _WorkerBase.__dict__["status"].offset


class WorkerScore(_WorkerBase):
    """A worker's slot, with the updates the connection layer makes (Apache's
    ap_update_child_status*, ap_time_process_request, ap_increment_counts)."""

    __slots__ = ("_global", "_extended")

    def __init__(self, buf, base: int, global_score: GlobalScore):
        super().__init__(buf, base)
        self._global = global_score
        # ap_extended_status is fixed for the board's life (written once by create, as
        # Apache's is per generation): read it once here, not from the shared mapping
        # (a struct unpack) twice per request
        self._extended = bool(global_score.extended_status)

    @property
    def extended(self) -> bool:
        return self._extended

    def status_cell(self) -> tuple:
        """(the board's buffer, the offset of this slot's status letter): for a writer
        that sets letters other than READY and DEAD (no counts to reset) many times a
        request, as set_status does for them."""
        return self._buf, self._base + _STATUS_OFF

    @property
    def times(self) -> tuple[float, float, float, float]:
        return (self.utime, self.stime, self.cutime, self.cstime)

    def set_identity(self, uid: int, gid: int) -> None:
        """The user and group the process serving in this slot runs as now."""
        self.uid = uid
        self.gid = gid

    def set_status(self, letter: str) -> None:
        """ap_update_child_status: the slot's state; READY ends a connection's counts."""
        self._buf[self._base + _STATUS_OFF] = ord(letter)
        if letter == READY or letter == DEAD:
            if letter == DEAD:
                self.my_access_count = 0
                self.my_bytes_served = 0
            self.conn_count = 0
            self.conn_bytes = 0
            self.last_used = time.time()

    def connection_started(self, client: str, vhost: str = "",
                           protocol: str = "http/1.1") -> None:
        """ap_update_child_status_from_conn(SERVER_BUSY_READ): a connection was accepted."""
        self._buf[self._base + _STATUS_OFF] = ord(BUSY_READ)
        if self._extended:
            self.last_used = time.time()
            self.client = client
            self.vhost = vhost
            self.protocol = protocol

    def request_started(self, r: Any) -> None:
        """The request line and headers were read: status W, who and what
        (ap_update_child_status(SERVER_BUSY_WRITE, r) and START_PREQUEST)."""
        self._buf[self._base + _STATUS_OFF] = ord(BUSY_WRITE)
        if not self._extended:
            return
        now = time.time()
        self.start_time = self.last_used = now
        self.client = r.conn.client_ip
        self.request = copy_request(r, self._global.see_request_tail)
        self.vhost = vhost_of(r)
        self.protocol = "http/1.1"

    def request_done(self, r: Any) -> None:
        """STOP_PREQUEST and ap_increment_counts: one more access and its bytes, the
        time it took, and the process's CPU times so far."""
        if not self._extended:
            return
        now = time.time()
        self.stop_time = self.last_used = now
        start = self.start_time
        if start:
            self.duration += max(0.0, now - start)
        sent = r.bytes_sent or 0
        self.access_count += 1
        self.my_access_count += 1
        self.conn_count += 1
        self.bytes_served += sent
        self.my_bytes_served += sent
        self.conn_bytes += sent
        t = os.times()
        self.utime, self.stime = t.user, t.system
        self.cutime, self.cstime = t.children_user, t.children_system

    def connection_done(self) -> None:
        """The connection closed: the worker waits for the next one."""
        self.set_status(READY)

    def snapshot(self) -> dict:
        """Every field at once (ap_copy_scoreboard_worker), for readers."""
        return {name: getattr(self, name) for name in _WORKER_FIELDS}


def vhost_of(r: Any) -> str:
    """``server_hostname:local port``, as Apache's worker_score vhost."""
    mc = getattr(r.server, "module_config", None)
    core = mc.get(CORE_MODULE) if mc else None
    name = getattr(core, "server_hostname", None) or getattr(r.server, "server_hostname", "")
    return f"{name}:{r.conn.local_port}"


def copy_request(r: Any, see_tail: bool) -> str:
    """copy_request (scoreboard.c): the request line, its first 63 characters or, with
    SeeRequestTail, its last 63; a password in an absolute URI is hidden."""
    line = r.the_request
    if line is None:
        return "NULL"
    uri = r.unparsed_uri or ""
    if "://" in uri and "@" in uri.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = uri.split("://", 1)
        auth, _, tail = rest.partition("@")
        if ":" in auth:
            user = auth.split(":", 1)[0]
            masked = f"{scheme}://{user}:XXXXXXXX@{tail}"
            line = f"{r.method} {masked} {r.protocol}" if r.protocol else f"{r.method} {masked}"
    limit = REQUEST_LEN - 1
    if see_tail and len(line) > limit:
        return line[-limit:]
    return line[:limit]


def _file_mapping(path: str, size: int) -> mmap.mmap:
    """create_namebased_scoreboard: the file must not exist before (an old one is
    removed), it is made 0600 and mapped shared; the parent that made it removes it
    when it exits (Apache's pool cleanup)."""
    try:
        os.unlink(path)
    except OSError:
        pass
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.ftruncate(fd, size)
        buf = mmap.mmap(fd, size, flags=mmap.MAP_SHARED,
                        prot=mmap.PROT_READ | mmap.PROT_WRITE)
    except OSError:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)
    atexit.register(_remove_board_file, path, os.getpid())
    return buf


def _remove_board_file(path: str, creator: int) -> None:
    if os.getpid() == creator:          # a forked child leaving must not remove it
        try:
            os.unlink(path)
        except OSError:
            pass


def _core(process: Any) -> Any:
    return process.main_server.module_config[CORE_MODULE]


def extended_status(process: Any) -> bool:
    """ap_extended_status: ExtendedStatus if the config says, else the generation's
    default (Off; a module may turn it On at pre_config, as mod_status does)."""
    flag = getattr(_core(process), "extended_status", None)
    if flag is not None:
        return bool(flag)
    return bool(getattr(process, "extended_status_default", False))


def see_request_tail(process: Any) -> bool:
    return bool(getattr(_core(process), "see_request_tail", False))


# -- the board --------------------------------------------------------------------------------

@attrs.define
class Counts:
    """Totals over the board (what mod_status prints and the spare-server policy needs).

    ``busy``/``idle``/``graceful`` count live, non-quiescing processes as mod_status does
    (idle: READY workers of the current generation); ``letters`` counts every slot."""

    busy: int = 0
    idle: int = 0
    graceful: int = 0
    letters: dict = attrs.field(factory=dict)
    total_accesses: int = 0
    total_kbytes: int = 0
    total_duration: float = 0.0          # seconds
    utime: float = 0.0
    stime: float = 0.0
    cutime: float = 0.0
    cstime: float = 0.0


class Scoreboard:
    """The shared board.  ``create`` maps it; after ``fork()`` both sides see one memory."""

    def __init__(self, buf, server_limit: int, thread_limit: int):
        self._buf = buf
        self.server_limit = server_limit
        self.thread_limit = thread_limit
        self._proc_base = GlobalScore.SIZE
        self._worker_base = self._proc_base + server_limit * ProcessScore.SIZE
        self.global_score = GlobalScore(buf, 0)
        # the generation this process was forked in (ap_my_generation); None: the running one
        self.my_generation: int | None = None

    @staticmethod
    def size_for(server_limit: int, thread_limit: int) -> int:
        return (GlobalScore.SIZE + server_limit * ProcessScore.SIZE
                + server_limit * thread_limit * WorkerScore.SIZE)

    @classmethod
    def create(cls, server_limit: int, thread_limit: int, *, shared: bool = True,
               max_servers: int | None = None, threads_per_child: int | None = None,
               extended_status: bool = True, see_request_tail: bool = False,
               restart_time: float | None = None, path: str | None = None) -> Scoreboard:
        """A fresh board (ap_create_scoreboard): every worker slot open (``.``).
        ``path`` (ScoreBoardFile): a shared mapping of that file, which other programs
        can map too, instead of anonymous memory; raises OSError when it cannot be
        made."""
        if server_limit < 1 or thread_limit < 1:
            raise ValueError("server_limit and thread_limit must be at least 1")
        size = cls.size_for(server_limit, thread_limit)
        if shared and path:
            buf = _file_mapping(path, size)
        elif shared:
            buf = mmap.mmap(-1, size, flags=mmap.MAP_SHARED,
                            prot=mmap.PROT_READ | mmap.PROT_WRITE)
        else:
            buf = bytearray(size)
        sb = cls(buf, server_limit, thread_limit)
        g = sb.global_score
        g.restart_time = time.time() if restart_time is None else restart_time
        g.running_generation = 0
        g.config_generation = 1
        g.server_limit = server_limit
        g.thread_limit = thread_limit
        g.max_servers = server_limit if max_servers is None else max_servers
        g.threads_per_child = thread_limit if threads_per_child is None else threads_per_child
        g.extended_status = 1 if extended_status else 0
        g.see_request_tail = 1 if see_request_tail else 0
        base, step = sb._worker_base, WorkerScore.SIZE
        dead = ord(DEAD)
        for k in range(server_limit * thread_limit):
            buf[base + k * step + _STATUS_OFF] = dead
        return sb

    @classmethod
    def for_process(cls, process: Any, server_limit: int, thread_limit: int,
                    max_servers: int | None = None, threads_per_child: int | None = None,
                    shared: bool = True) -> Scoreboard:
        """A board for this config: ExtendedStatus (On by default once mod_status is
        loaded, as Apache's status_pre_config does), SeeRequestTail and ScoreBoardFile
        from core.  A ScoreBoardFile that cannot be made stops the server (exit 1)
        after AH00001, as Apache's pre_mpm failure does."""
        path = None
        fname = _core(process).scoreboard_fname if shared else None
        if fname:
            path = process.server_root_relative(fname)
        try:
            return cls.create(server_limit, thread_limit, shared=shared,
                              max_servers=max_servers, threads_per_child=threads_per_child,
                              extended_status=extended_status(process),
                              see_request_tail=see_request_tail(process), path=path)
        except OSError as e:
            from httpd.log import errorlog
            errorlog.error_log(process.main_server, "core", "crit",
                               f"({e.errno}){os.strerror(e.errno or 0)}: AH00001: unable to "
                               f'create or access scoreboard "{path}" (name-based shared '
                               "memory failure)")
            raise SystemExit(1) from None

    def close(self) -> None:
        if isinstance(self._buf, mmap.mmap):
            self._buf.close()

    # -- views -------------------------------------------------------------------------------
    def process(self, i: int) -> ProcessScore:
        if not 0 <= i < self.server_limit:
            raise IndexError(f"process slot {i} out of range")
        return ProcessScore(self._buf, self._proc_base + i * ProcessScore.SIZE)

    def worker(self, i: int, j: int = 0) -> WorkerScore:
        if not (0 <= i < self.server_limit and 0 <= j < self.thread_limit):
            raise IndexError(f"worker slot {i}/{j} out of range")
        base = self._worker_base + (i * self.thread_limit + j) * WorkerScore.SIZE
        return WorkerScore(self._buf, base, self.global_score)

    @property
    def generation(self) -> int:
        """The MPM generation the status page reports (AP_MPMQ_GENERATION)."""
        g = self.my_generation
        return self.global_score.running_generation if g is None else g

    def status_letters(self) -> str:
        """Every slot's letter, process by process (all server_limit x thread_limit)."""
        base, step, n = self._worker_base + _STATUS_OFF, WorkerScore.SIZE, \
            self.server_limit * self.thread_limit
        buf = self._buf
        return "".join(chr(buf[base + k * step]) for k in range(n))

    # -- totals ------------------------------------------------------------------------------
    def counts(self, extended: bool | None = None) -> Counts:
        """mod_status's pass over the board: busy/idle/graceful, letters, and (with
        ExtendedStatus) accesses, kB, duration and CPU times."""
        if extended is None:
            extended = bool(self.global_score.extended_status)
        c = Counts()
        gen = self.generation
        letters = c.letters
        bcount = 0
        g = self.global_score
        for i in range(self.server_limit):
            ps = self.process(i)
            live = ps.pid != 0 and not ps.quiescing
            current = ps.generation == gen
            pu = ps_ = pcu = pcs = 0.0
            for j in range(self.thread_limit):
                ws = self.worker(i, j)
                st = ws.status
                letters[st] = letters.get(st, 0) + 1
                if live:
                    if st == READY:
                        if current:
                            c.idle += 1
                    elif st not in (DEAD, STARTING, IDLE_KILL):
                        c.busy += 1
                        if st == GRACEFUL:
                            c.graceful += 1
                if extended:
                    acc = ws.access_count
                    if acc != 0 or (st != READY and st != DEAD):
                        c.total_accesses += acc
                        c.total_duration += ws.duration
                        bcount += ws.bytes_served
                        if bcount >= 1024:
                            c.total_kbytes += bcount >> 10
                            bcount &= 0x3FF
                        # threads of one process share its CPU times: keep the largest
                        t = ws.times
                        if t[0] > pu or t[1] > ps_ or t[2] > pcu or t[3] > pcs:
                            pu, ps_, pcu, pcs = t
            c.utime += pu
            c.stime += ps_
            c.cutime += pcu
            c.cstime += pcs
        c.utime += g.utime
        c.stime += g.stime
        c.cutime += g.cutime
        c.cstime += g.cstime
        return c

