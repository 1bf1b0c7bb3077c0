"""The parent of worker and event (worker.c / event.c server_main_loop,
perform_idle_server_maintenance): the parent of httpd/mpm/parent.py with threads as the
unit of spare capacity.

What differs from prefork's policy (mpms/prefork/runtime.py):
- the scoreboard has ThreadsPerChild worker slots per process, and the spare policy
  counts idle *threads* (READY or STARTING) of current-generation, non-quiescing
  processes against MinSpareThreads/MaxSpareThreads (reference 2.2);
- children are told to go through the pipe of death only ('!' graceful, '$' restart),
  one pod per generation: a generation's pod is closed once its children were told,
  so a child of a newer generation can never take an older generation's byte, and a
  child whose pod reaches EOF knows its parent is gone or done with it;
- processes that are finishing gracefully keep their slot until they exit: at most
  MaxRequestWorkers/ThreadsPerChild *active* processes, ServerLimit in all (event's
  rule, used for worker too so that one slot is one process);
- a child killed by a signal is replaced at once (worker.c/event.c since 2.4.59),
  warning from the third in a row;
- with ListenCoresBucketsRatio, process slot i serves listener bucket i % n (its own
  SO_REUSEPORT sockets and pod), and maintenance runs per bucket with the spare and
  process limits divided by n, so no bucket is ever left without a child.
"""
from __future__ import annotations

import os
import signal
from typing import Any

from httpd.mpm import children as ch
from httpd.mpm.pod import GRACEFUL_CHAR, RESTART_CHAR, Pod
from httpd.mpm.parent import MPMParent, close_inherited
from httpd.mpm.lifecycle import max_connections_per_child

MAX_SPAWN_RATE = 32
IDLE = (ch.READY, ch.STARTING)


class ThreadedParent(MPMParent):
    """The threaded MPMs' parent; a subclass adds its AH numbers and log tag and
    ``child_main`` (what its forked child runs)."""

    # The AH numbers of the spare policy (worker's; event overrides them).
    AH_REACHED_MAX = "AH00286"
    AH_WITHIN_MIN_SPARE = "AH00287"
    AH_SCOREBOARD_FULL = "AH00288: scoreboard is full, not at MaxRequestWorkers"
    AH_BUSY = "AH00289"
    AH_KILLED_SUCCESSIVELY = "AH10393"
    COUNT_NOT_ACCEPTING = True        # event leaves out processes that stopped accepting

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.reported_within_min_spare = False
        self.successive_kills = 0
        # the current generation's pods, one per bucket
        self.child_pods = [Pod() for _ in range(self.num_buckets)]

    def cleanup(self) -> None:
        for pod in self.child_pods:
            pod.close()

    @property
    def spawn_rate(self) -> int:
        """The spawn rate of bucket 0 (each bucket ramps on its own); setting it sets
        every bucket's, as a restart or a sick child does."""
        return self.rates[0]

    @spawn_rate.setter
    def spawn_rate(self, value: int) -> None:
        self.rates = [value] * max(1, getattr(self, "num_buckets", 1))

    # -- the board -------------------------------------------------------------------------
    def scoreboard_shape(self) -> tuple[int, int, int, int]:
        s = self.settings
        return s.server_limit, s.thread_limit, s.daemons_limit, s.threads_per_child

    def _mark_threads(self, slot: int, letter: str, pid: int = 0) -> None:
        board = self.children.scoreboard
        for j in range(board.thread_limit):
            ws = board.worker(slot, j)
            if j < self.settings.threads_per_child or ws.status != ch.DEAD:
                ws.set_status(letter)
                ws.pid = pid

    # -- children --------------------------------------------------------------------------
    def child_main(self, slot: int, listeners: list, pod: Pod) -> int:
        """What a forked child runs (worker or event child); set by the subclass."""
        raise NotImplementedError

    def make_child(self, slot: int) -> ch.Child | None:
        wake = (self._wake_r, self._wake_w)
        bucket = slot % self.num_buckets
        pod = self.child_pods[bucket]
        buckets = getattr(self, "buckets", [self.listeners])
        others = [p for p in self.child_pods if p is not pod]
        others_ln = [ln for i, b in enumerate(buckets) if i != bucket for ln in b]

        def main(s: int) -> int:
            close_inherited(wake, others, others_ln)
            return self.child_main(s, buckets[bucket], pod)

        # every thread slot counts as idle (starting) from the fork on, as the parent's
        # next tick must not see a half-started child as missing capacity
        self._mark_threads(slot, ch.STARTING)
        self.children.scoreboard.process(slot).not_accepting = 0
        child = self.children.spawn(slot, self.generation, main)
        if child is None:
            self._mark_threads(slot, ch.DEAD)
            self.log("error", "AH00159: fork: Unable to fork new process")
        return child

    def _counts(self, bucket: int = 0) -> tuple[int, int, int, list[int]]:
        """(idle threads, active processes, all processes, free slots) of one bucket
        as the maintenance pass sees them."""
        board = self.children.scoreboard
        by_slot = {c.slot: c for c in self.children}
        tpc = self.settings.threads_per_child
        n = self.num_buckets
        idle = active = total = 0
        free = []
        for slot in range(bucket, self.settings.server_limit, n):
            c = by_slot.get(slot)
            if c is None:
                free.append(slot)
                continue
            total += 1
            ps = board.process(slot)
            if c.generation != self.generation or c.signalled or ps.quiescing:
                continue
            active += 1
            if ps.not_accepting and not self.COUNT_NOT_ACCEPTING:
                continue
            for j in range(tpc):
                if board.worker(slot, j).status in IDLE:
                    idle += 1
        return idle, active, total, free

    def startup_children(self, number: int) -> None:
        """Up to ``number`` children, the buckets taking turns."""
        counts = [self._counts(b) for b in range(self.num_buckets)]
        room = max(0, self.settings.daemons_limit - sum(c[1] for c in counts))
        slots = sorted(slot for c in counts for slot in c[3])
        for slot in slots[:min(number, room)]:
            self.make_child(slot)

    def _child_exited(self, child: ch.Child, status: int) -> int | None:
        # several children may be reaped at once, and an earlier one's replacement may
        # already stand in this one's slot: then the slot is not this child's to clear
        if not any(c.slot == child.slot for c in self.children):
            self._mark_threads(child.slot, ch.DEAD)
            ps = self.children.scoreboard.process(child.slot)
            ps.quiescing = ps.not_accepting = 0
            ps.connections = ps.keep_alive = ps.lingering_close = 0
        code, sick = self._process_child_status(child, status)
        if code is not None or sick:
            return code
        if self.remaining_to_start > 0:
            self.remaining_to_start -= 1
            self.startup_children(1)
        elif os.WIFSIGNALED(status) and child.generation == self.generation \
                and not child.signalled:
            # a crash: restart now, in its slot (its bucket), rather than at the next tick
            self.successive_kills += 1
            if self.successive_kills % 10 == 3:
                self.log("warn", f"{self.AH_KILLED_SUCCESSIVELY}: children are killed "
                                 "successively!")
            if sum(self._counts(b)[1] for b in range(self.num_buckets)) \
                    < self.settings.daemons_limit:
                self.make_child(child.slot)
        else:
            self.successive_kills = 0
        return None

    # -- maintenance -----------------------------------------------------------------------
    def idle_server_maintenance(self) -> None:
        """perform_idle_server_maintenance, reference sections 2.2 and 2.3: once per
        bucket, with the limits divided among the buckets."""
        for bucket in range(self.num_buckets):
            self._maintain(bucket)

    def _maintain(self, bucket: int) -> None:
        s, n = self.settings, self.num_buckets
        idle, active, total, free = self._counts(bucket)
        rate = self.rates[bucket]
        limit = max(1, s.daemons_limit // n)
        if idle > s.max_spare_threads // n:
            if self._may_kill(active, total):
                self.child_pods[bucket].signal(GRACEFUL_CHAR)
            rate = 1
        elif idle < s.min_spare_threads // n:
            room = limit - active
            if room <= 0 or not free:
                if active >= limit:
                    if idle == 0:
                        if not self.reported_max_workers:
                            self.log("error", f"{self.AH_REACHED_MAX}: server reached "
                                              "MaxRequestWorkers setting, consider raising "
                                              "the MaxRequestWorkers setting")
                            self.reported_max_workers = True
                    elif not self.reported_within_min_spare:
                        self.log("error", f"{self.AH_WITHIN_MIN_SPARE}: server is within "
                                          "MinSpareThreads of MaxRequestWorkers, consider "
                                          "raising the MaxRequestWorkers setting")
                        self.reported_within_min_spare = True
                else:
                    self.log("error", self.AH_SCOREBOARD_FULL)
                rate = 1
            else:
                spawn = min(rate, len(free), room)
                if rate >= 8:
                    self._log_busy(spawn, idle, active, total)
                for slot in free[:spawn]:
                    self.make_child(slot)
                if self.hold_off > 0:
                    self.hold_off -= 1
                elif rate < MAX_SPAWN_RATE // n:
                    rate *= 2
        else:
            rate = 1
        self.rates[bucket] = rate

    def _may_kill(self, active: int, total: int) -> bool:
        return True

    def _log_busy(self, n: int, idle: int, active: int, total: int) -> None:
        self.log("info", f"{self.AH_BUSY}: server seems busy, (you may need to increase "
                         "StartServers, ThreadsPerChild or Min/MaxSpareThreads), spawning "
                         f"{n} children, there are around {idle} idle threads, and {total} "
                         "total children")

    # -- telling children ------------------------------------------------------------------
    def _retire_pod(self, children: list, char: bytes) -> None:
        """One byte per child on its bucket's pod, then fresh pods for whoever is forked
        next; the old ones are closed here (their children see EOF after their bytes).
        A full pipe needs no more bytes: EOF tells the rest."""
        old = self.child_pods
        for c in children:
            old[c.slot % len(old)].signal(char)
        for pod in old:
            pod.close()
        self.child_pods = [Pod() for _ in range(self.num_buckets)]

    def _tell_graceful(self, children: list) -> None:
        for c in children:
            c.signalled = True
        self._retire_pod(children, GRACEFUL_CHAR)
        g = self.children.scoreboard.global_score      # ThreadsPerChild may have changed
        g.max_servers = self.settings.daemons_limit
        g.threads_per_child = self.settings.threads_per_child

    def _tell_restart(self, children: list) -> None:
        self._retire_pod(children, RESTART_CHAR)
        self.children.kill(signal.SIGTERM, children)
        self.children.reclaim(self.log, terminate=False)


def child_settings(process: Any) -> tuple[int, int]:
    """(ThreadsPerChild, MaxConnectionsPerChild) for a child of this generation."""
    return process.mpm_state.threads_per_child, max_connections_per_child(process)
