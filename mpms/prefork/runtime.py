"""prefork's process runtime (prefork.c prefork_run, make_child,
perform_idle_server_maintenance): the parent of httpd/mpm/parent.py with prefork's
policy.

Idle *children* are the unit of spare capacity, kept between MinSpareServers and
MaxSpareServers with Apache's exponential ramp (reference section 2.1).  Each listener
bucket has one pipe of death for the parent's whole life: a byte retires one idle
child of that bucket, the buckets taking turns.  Children are told to go by signal
(SIGUSR1 graceful, SIGHUP now), by pid.  With more than one listener each bucket's
children serialize select+accept on a lock file (the mpm-accept mutex).  The child is
mpms/prefork/child.py: one connection at a time.
"""
from __future__ import annotations

import os
import signal
from typing import Any, Optional

from httpd.mpm import children as ch
from httpd.mpm.parent import MPMParent, close_inherited
from httpd.mpm.pod import Pod
from mpms.prefork.child import child_main

MAX_SPAWN_RATE = 32


class PreforkRuntime(MPMParent):
    TAG = "mpm_prefork"
    AH_STARTED, AH_BUILT = "AH00163", "AH00164"
    AH_STOP = "AH00169: caught SIGTERM, shutting down"
    AH_GRACEFUL_STOP = "AH00170: caught SIGWINCH, shutting down gracefully"
    AH_RESTART = "AH00173: SIGHUP received.  Attempting to restart"
    AH_GRACEFUL = "AH00171: Graceful restart requested, doing restart"

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        # one pod per bucket (prefork.c all_buckets), kept across restarts
        self.pods = [Pod() for _ in range(self.num_buckets)]
        self._kill_bucket = -1          # the pod that retires the next idle child
        self.lock_paths: dict[int, str] = {}

    def scoreboard_shape(self) -> tuple[int, int, int, int]:
        s = self.settings
        return s.server_limit, 1, s.max_request_workers, 1

    # -- children --------------------------------------------------------------------------
    def _lock_file(self, bucket: int) -> Optional[str]:
        """The mpm-accept mutex (one per bucket) is only needed with more than one
        listener."""
        if len(self.listeners) < 2:
            return None
        path = self.lock_paths.get(bucket)
        if path is None:
            import tempfile
            fd, path = tempfile.mkstemp(prefix="httpd-accept.")
            os.close(fd)
            self.lock_paths[bucket] = path
        return path

    def make_child(self, slot: int) -> Optional[ch.Child]:
        bucket = slot % self.num_buckets
        process, serving, listeners = self.process, self.serving, self.buckets[bucket]
        lock = self._lock_file(bucket)
        board_slot = self.children.slot_handle
        pod = self.pods[bucket]
        others = [p for i, p in enumerate(self.pods) if i != bucket]
        others_ln = [ln for i, b in enumerate(self.buckets) if i != bucket for ln in b]
        wake = (self._wake_r, self._wake_w)

        def main(s: int) -> int:
            close_inherited(wake, others, others_ln)
            return child_main(process, serving, listeners, pod, board_slot(s), lock)

        child = self.children.spawn(slot, self.generation, main)
        if child is None:
            self.log("error", "AH00159: fork: Unable to fork new process")
        return child

    def startup_children(self, number: int) -> None:
        for slot in self.children.free_slots(self.settings.max_request_workers, number):
            self.make_child(slot)

    def _child_exited(self, child: ch.Child, status: int) -> Optional[int]:
        """process_child_status and the one-for-one replacement after a graceful
        restart.  Returns an exit code when the server must stop."""
        code, _sick = self._process_child_status(child, status)
        if code is not None:
            return code
        if self.remaining_to_start > 0 and child.slot < self.settings.max_request_workers:
            self.remaining_to_start -= 1
            self.make_child(child.slot)
        return None

    # -- maintenance -----------------------------------------------------------------------
    def idle_server_maintenance(self) -> None:
        """perform_idle_server_maintenance, reference section 2.1."""
        s = self.settings
        idle = self.children.idle_count(self.generation)
        if idle > s.max_spare_servers:
            # one child goes; the buckets take turns (bucket_kill_child_record)
            self._kill_bucket = (self._kill_bucket + 1) % self.num_buckets
            self.pods[self._kill_bucket].signal()
            self.spawn_rate = 1
        elif idle < s.min_spare_servers:
            free = self.children.free_slots(s.max_request_workers, self.spawn_rate)
            if not free:
                if not self.reported_max_workers:
                    self.log("error", "AH00161: server reached MaxRequestWorkers setting, "
                                      "consider raising the MaxRequestWorkers setting")
                    self.reported_max_workers = True
                self.spawn_rate = 1
            else:
                if self.spawn_rate >= 8:
                    self.log("info", "AH00162: server seems busy, (you may need to increase "
                                     "StartServers, or Min/MaxSpareServers), spawning "
                                     f"{self.spawn_rate} children, there are {idle} idle, and "
                                     f"{len(self.children)} total children")
                for slot in free:
                    self.make_child(slot)
                self.ramp_up(MAX_SPAWN_RATE)
        else:
            self.spawn_rate = 1

    # -- telling children ------------------------------------------------------------------
    def _tell_graceful(self, children: list) -> None:
        """Finish the current connection, then go: prefork sends each child SIGUSR1 by
        pid (not to the group, so CGIs and piped loggers are left alone)."""
        for c in children:
            self.children.mark_graceful(c)
        self.children.kill(signal.SIGUSR1, children)

    def _tell_restart(self, children: list) -> None:
        """Go now (a hard restart), then wait for them: SIGHUP, no initial SIGTERM."""
        self.children.kill(signal.SIGHUP, children)
        self.children.reclaim(self.log, terminate=False)

    # -- generations -----------------------------------------------------------------------
    def new_generation(self) -> None:
        """The pods outlive the generation: bytes meant for the old children are
        dropped, and a hard restart that raised the bucket count gets more pods."""
        for pod in self.pods:
            pod.drain()
        while len(self.pods) < self.num_buckets:
            self.pods.append(Pod())

    def cleanup(self) -> None:
        for pod in self.pods:
            pod.close()
        for path in self.lock_paths.values():
            try:
                os.unlink(path)
            except OSError:
                pass


def run(process: Any, serving: Any, listeners: list, reload=None, on_exit=None) -> int:
    """PREFORK.run: the parent's life, from the first fork to the last reap."""
    return PreforkRuntime(process, serving, listeners, reload, on_exit).run()
