"""Child processes, shared by the forking MPMs: fork into a slot, reap, reclaim, and the
per-slot status that children write and the parent reads.

The status of each slot lives in a shared anonymous mapping (one byte per slot, the
scoreboard's status letters), so the parent can count idle children without asking
them.  When httpd/mpm/scoreboard.py exists, children also report there (mod_status); the
parent's policy only needs this small array.
"""
from __future__ import annotations

import mmap
import os
import signal
import time
from typing import Any, Callable, Iterator, Optional

import attrs

# the scoreboard letters (scoreboard.h SERVER_*) the slots hold, re-exported for the MPMs
from httpd.mpm.scoreboard import (BUSY_KEEPALIVE, BUSY_LOG, BUSY_READ,  # noqa: F401
                              BUSY_WRITE, CLOSING, DEAD, GRACEFUL, READY, STARTING)


APEXIT_CHILDINIT = 0x3     # a child could not start (setuid failed...)
APEXIT_CHILDSICK = 0x7     # resource shortage: reset the spawn rate
APEXIT_CHILDFATAL = 0xF    # the whole server must stop

# Signals the parent itself sends: a child dying of these is not news (AH00052 is not logged).
QUIET_SIGNALS = frozenset({signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGKILL})
# children this parent sent SIGKILL to (reclaim): their deaths are expected and quiet
_SENT_KILL: set[int] = set()

_BUSY_WRITE_BYTE = ord(BUSY_WRITE)


class StatusArray:
    """One status byte per slot in memory shared across fork."""

    def __init__(self, slots: int):
        self.slots = slots
        self._map = mmap.mmap(-1, max(slots, 1), flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
        self._map.write(DEAD.encode() * max(slots, 1))

    def get(self, i: int) -> str:
        return chr(self._map[i])

    def set(self, i: int, letter: str) -> None:
        self._map[i] = ord(letter)

    def letters(self) -> str:
        return self._map[: self.slots].decode()


class Slot:
    """A child's handle on its own slot: the status byte, and the scoreboard's worker
    record when the scoreboard exists.  ``set_status`` is what httpd.io.connection calls."""

    __slots__ = ("status", "index", "worker", "_map", "_cell", "_extended")

    def __init__(self, status: StatusArray, index: int, worker=None):
        self.status = status
        self.index = index
        self.worker = worker
        self._map = status._map
        # the worker's status letter, written in place for the letters that reset
        # nothing (WorkerScore.set_status does the same, with a call per letter), and
        # whether the request fields are kept at all (ExtendedStatus)
        self._cell = worker.status_cell() if worker is not None else None
        self._extended = worker is not None and worker.extended

    def set_status(self, letter: str) -> None:
        byte = ord(letter)
        self._map[self.index] = byte                    # StatusArray.set, inlined (hot)
        cell = self._cell
        if cell is not None:
            if letter == READY or letter == DEAD:
                self.worker.set_status(letter)
            else:
                cell[0][cell[1]] = byte

    def connection_started(self, client_ip: str) -> None:
        self.status.set(self.index, BUSY_READ)
        if self.worker is not None:
            self.worker.connection_started(client_ip)

    def request_started(self, r) -> None:
        """The head was read: status W (ap_update_child_status(SERVER_BUSY_WRITE, r)),
        the scoreboard's request fields with it."""
        self._map[self.index] = _BUSY_WRITE_BYTE
        if self._extended:
            self.worker.request_started(r)
        elif self._cell is not None:
            cell = self._cell
            cell[0][cell[1]] = _BUSY_WRITE_BYTE

    def request_done(self, r) -> None:
        if self._extended:
            self.worker.request_done(r)

    def connection_done(self) -> None:
        if self.worker is not None:
            self.worker.connection_done()

    def set_identity(self, uid: int, gid: int) -> None:
        if self.worker is not None:
            self.worker.set_identity(uid, gid)


@attrs.define(eq=False)
class Child:
    pid: int
    slot: int
    generation: int
    started: float = attrs.field(factory=time.monotonic)
    signalled: bool = False        # told to go (pod or SIGUSR1)


def describe_exit(pid: int, status: int, coredump_dir: str = "") -> Optional[tuple[str, str]]:
    """(level, message) for an exit worth logging, Apache's process_child_status
    (``coredump_dir``: ap_coredump_dir, the CoreDumpDirectory or else the ServerRoot)."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGKILL and pid not in _SENT_KILL:
            # Stricter than Apache, which never reports SIGKILL: one the parent did not
            # send (the OOM killer, an operator) is worth a line
            return ("notice", f"AH00052: child pid {pid} exit signal Killed (9)")
        if sig in QUIET_SIGNALS:
            _SENT_KILL.discard(pid)
            return None
        name = signal.strsignal(sig) or f"signal {sig}"
        if os.WCOREDUMP(status):
            return ("notice", f"AH00051: child pid {pid} exit signal {name} ({sig}), "
                              f"possible coredump in {coredump_dir}")
        return ("notice", f"AH00052: child pid {pid} exit signal {name} ({sig})")
    return None


def coredump_dir(process: Any) -> str:
    """ap_coredump_dir: CoreDumpDirectory, else the ServerRoot (each MPM's pre_config
    copies it there)."""
    from httpd.module import CORE_MODULE
    core = process.main_server.module_config[CORE_MODULE]
    return core.coredump_dir or str(process.server_root)


class Children:
    """The live children, by pid, and the slots they occupy."""

    def __init__(self, slots: int, scoreboard=None):
        self.status = StatusArray(slots)
        self.scoreboard = scoreboard        # httpd.mpm.scoreboard.Scoreboard, for mod_status
        self.by_pid: dict[int, Child] = {}
        self.max_slot_used = -1

    def slot_handle(self, slot: int) -> Slot:
        board = self.scoreboard
        return Slot(self.status, slot, board.worker(slot, 0) if board is not None else None)

    def _board_set(self, slot: int, pid: int, generation: int, letter: str) -> None:
        board = self.scoreboard
        if board is None:
            return
        ps = board.process(slot)
        ps.pid = pid
        ps.generation = generation
        ps.quiescing = 0
        ws = board.worker(slot, 0)
        ws.pid = pid
        ws.generation = generation
        ws.set_status(letter)

    def mark_graceful(self, child: Child) -> None:
        """An old-generation child told to finish: G on the board, no longer idle."""
        child.signalled = True
        self.status.set(child.slot, GRACEFUL)
        if self.scoreboard is not None:
            self.scoreboard.worker(child.slot, 0).set_status(GRACEFUL)

    def __len__(self) -> int:
        return len(self.by_pid)

    def __iter__(self) -> Iterator[Child]:
        return iter(list(self.by_pid.values()))

    def free_slots(self, limit: int, want: int) -> list[int]:
        used = {c.slot for c in self.by_pid.values()}
        out = []
        for i in range(min(limit, self.status.slots)):
            if i not in used:
                out.append(i)
                if len(out) >= want:
                    break
        return out

    def spawn(self, slot: int, generation: int, child_main: Callable[[int], int]) -> Optional[Child]:
        """Fork a child into ``slot``; the child runs ``child_main(slot)`` and never
        returns from here (os._exit with its result)."""
        self.status.set(slot, STARTING)
        self._board_set(slot, 0, generation, STARTING)
        try:
            pid = os.fork()
        except OSError:
            self.status.set(slot, DEAD)
            self._board_set(slot, 0, generation, DEAD)
            return None
        if pid == 0:
            code = 0
            if self.scoreboard is not None:
                self.scoreboard.my_generation = generation
            try:
                code = child_main(slot)
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 0
            except BaseException:
                code = APEXIT_CHILDSICK
            finally:
                os._exit(code or 0)
        child = Child(pid, slot, generation)
        if self.scoreboard is not None:     # the status is the child's own from now on
            self.scoreboard.process(slot).pid = pid
            self.scoreboard.worker(slot, 0).pid = pid
        self.by_pid[pid] = child
        self.max_slot_used = max(self.max_slot_used, slot)
        return child

    def reap(self) -> list[tuple[Child, int]]:
        """Every child that has exited, without blocking; their slots become DEAD."""
        out = []
        while self.by_pid:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            if pid == 0:
                break
            child = self.by_pid.pop(pid, None)
            if child is None:
                continue            # not ours (a piped logger, say)
            self.status.set(child.slot, DEAD)
            self._board_set(child.slot, 0, child.generation, DEAD)
            out.append((child, status))
        return out

    def idle_count(self, generation: int) -> int:
        """STARTING and READY slots of the current generation count as idle."""
        n = 0
        for c in self.by_pid.values():
            if c.generation == generation and not c.signalled and \
                    self.status.get(c.slot) in (STARTING, READY):
                n += 1
        return n

    def kill(self, sig: int, children: Optional[list[Child]] = None) -> None:
        for c in (self.by_pid.values() if children is None else children):
            if sig == signal.SIGKILL:
                _SENT_KILL.add(c.pid)
            try:
                os.kill(c.pid, sig)
            except ProcessLookupError:
                pass

    def reclaim(self, log: Callable[[str, str], None], terminate: bool = True,
                on_exit: Optional[Callable[[Child, int], None]] = None) -> None:
        """ap_reclaim_child_processes: TERM at 0 (when terminating), again at 3, 5 and
        7 s with AH00045, KILL at 9 s with AH00046, give up at 10 s with AH00047."""
        start = time.monotonic()
        if terminate:
            self.kill(signal.SIGTERM)
        actions = [(3.0, "term"), (5.0, "term"), (7.0, "term"), (9.0, "kill"), (10.0, "give")]
        wait = 0.016
        while self.by_pid:
            for child, status in self.reap():
                if on_exit is not None:
                    on_exit(child, status)
            if not self.by_pid:
                break
            elapsed = time.monotonic() - start
            while actions and elapsed >= actions[0][0]:
                _, what = actions.pop(0)
                for c in self:
                    if what == "term":
                        log("warn", f"AH00045: child process {c.pid} still did not exit, "
                                    "sending a SIGTERM")
                        self.kill(signal.SIGTERM, [c])
                    elif what == "kill":
                        log("error", f"AH00046: child process {c.pid} still did not exit, "
                                     "sending a SIGKILL")
                        self.kill(signal.SIGKILL, [c])
                    else:
                        log("error", f"AH00047: could not make child process {c.pid} exit, "
                                     "attempting to continue anyway")
                        self.by_pid.pop(c.pid, None)
                        self.status.set(c.slot, DEAD)
            time.sleep(wait)
            wait = min(wait * 4, 1.0) if wait < 1.0 else 1.0
