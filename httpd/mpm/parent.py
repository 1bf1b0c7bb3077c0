"""prefork's process runtime (prefork.c prefork_run, child_main, server_main_loop).

The parent binds nothing itself (the caller hands it the listeners), never serves, and
keeps idle children between MinSpareServers and MaxSpareServers.  Its signal handlers
only enqueue (gunicorn's arbiter style); the main loop acts on them between ticks, so
no restart ever runs inside a signal handler.  Children are forked from the parent's
current generation and serve one connection at a time.
"""
from __future__ import annotations

import os
import select
import signal
import time
from typing import Any, Callable, Optional

from httpd.mpm import children as ch
from httpd.mpm.children import Children
from httpd.mpm.listen import BindError, bucket_count, duplicate_listeners, open_listeners
from httpd.mpm.pod import Pod
from mpms.prefork.child import child_main

TAG = "mpm_prefork"
MAX_SPAWN_RATE = 32
HOLD_OFF_AFTER_GRACEFUL = 10

PARENT_SIGNALS = {signal.SIGTERM: "stop", signal.SIGINT: "stop", signal.SIGHUP: "restart",
                  signal.SIGUSR1: "graceful", signal.SIGWINCH: "graceful-stop"}


class Reloaded:
    """What a restart needs from the config: a new generation or why there is none."""

    def __init__(self, process: Any = None, serving: Any = None, error: str = "",
                 fatal: bool = False):
        self.process, self.serving, self.error, self.fatal = process, serving, error, fatal


class PreforkRuntime:
    """The parent.  worker's and event's parents (mpms/threaded/runtime.py) subclass it:
    they differ in the AH numbers below, the scoreboard's shape, the child, the spare
    policy and how children are told to go (the ``_tell_*`` hooks)."""

    TAG = TAG
    AH_STARTED, AH_BUILT = "AH00163", "AH00164"
    AH_STOP = "AH00169: caught SIGTERM, shutting down"
    AH_GRACEFUL_STOP = "AH00170: caught SIGWINCH, shutting down gracefully"
    AH_RESTART = "AH00173: SIGHUP received.  Attempting to restart"
    AH_GRACEFUL = "AH00171: Graceful restart requested, doing restart"

    def __init__(self, process: Any, serving: Any, listeners: list,
                 reload: Optional[Callable[[Any], Reloaded]] = None,
                 on_exit: Optional[Callable[[Any], None]] = None):
        self.process = process
        self.serving = serving
        # ListenCoresBucketsRatio: children of slot i accept from bucket i % num_buckets,
        # each with its own sockets, pod and accept mutex (prefork.c all_buckets)
        self.num_buckets, self._bucket_note = bucket_count(
            process.mpm_state.listen.cores_buckets_ratio)
        self.settings = process.mpm_state.for_run(self.num_buckets)
        self.listeners = listeners
        self.buckets = duplicate_listeners(process.mpm_state.listen, listeners,
                                           self.num_buckets)
        self.pods = [Pod() for _ in range(self.num_buckets)]
        self._kill_bucket = -1          # the pod that retires the next idle child
        self.reload = reload
        self.on_exit = on_exit            # remove the PidFile, close logs
        self.generation = 0
        self.children = Children(self.settings.server_limit, self._new_board())
        self.spawn_rate = 1
        self.hold_off = 0
        self.remaining_to_start = 0
        self.reported_max_workers = False  # AH00161 once in the parent's life
        self.pending: list[str] = []
        self._wake_r, self._wake_w = os.pipe()
        for fd in (self._wake_r, self._wake_w):
            os.set_blocking(fd, False)
        self.lock_paths: dict[int, str] = {}

    @property
    def pod(self) -> Pod:
        return self.pods[0]

    def _new_board(self):
        """A fresh scoreboard (ap_create_scoreboard) for this config, published as
        process.scoreboard for mod_status and mod_headers."""
        from httpd.mpm.scoreboard import Scoreboard
        board = Scoreboard.for_process(self.process, self.settings.server_limit, 1,
                                       max_servers=self.settings.max_request_workers,
                                       threads_per_child=1)
        self.process.scoreboard = board
        return board

    # -- logging ---------------------------------------------------------------------------
    def log(self, level: str, msg: str, module: Optional[str] = None) -> None:
        from httpd.log import errorlog
        errorlog.error_log(self.process.main_server, module or self.TAG, level, msg)

    def _log_started(self) -> None:
        from httpd.http.header_filter import server_banner
        self.log("notice", f"{self.AH_STARTED}: {server_banner('Full')} configured -- "
                           "resuming normal operations")
        self.log("info", f"{self.AH_BUILT}: Server built: {_built()}")
        line = getattr(self.process, "command_line", None) or self.process.argv0
        self.log("notice", f"AH00094: Command line: '{line}'", module="core")

    # -- signals ---------------------------------------------------------------------------
    def _enqueue(self, signum, _frame) -> None:
        if signum == signal.SIGCHLD:
            what = None
        else:
            what = PARENT_SIGNALS.get(signum)
        if what is not None:
            self.pending.append(what)
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def _install_signals(self) -> None:
        for sig in list(PARENT_SIGNALS) + [signal.SIGCHLD]:
            signal.signal(sig, self._enqueue)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def _sleep(self, seconds: float) -> None:
        try:
            select.select([self._wake_r], [], [], max(seconds, 0))
        except InterruptedError:
            pass
        try:
            while os.read(self._wake_r, 512):
                pass
        except (BlockingIOError, OSError):
            pass

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

    def _process_child_status(self, child: ch.Child, status: int) -> tuple[Optional[int], bool]:
        """process_child_status: log how a child ended.  (exit code when the server must
        stop: CHILDFATAL from the running generation, AH00050; whether it was sick:
        CHILDSICK, which resets the spawn rate)."""
        said = ch.describe_exit(child.pid, status)
        if said is not None:
            self.log(said[0], said[1], module="core")
        if os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
            if code == ch.APEXIT_CHILDSICK:
                self.spawn_rate = 1
                return None, True
            if code == ch.APEXIT_CHILDFATAL and child.generation == self.generation:
                self.log("alert", f"AH00050: Child {child.pid} returned a Fatal error... "
                                  "Apache is exiting!", module="core")
                return ch.APEXIT_CHILDFATAL, False
        return None, False

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
                if self.hold_off > 0:
                    self.hold_off -= 1
                elif self.spawn_rate < MAX_SPAWN_RATE:
                    self.spawn_rate *= 2
        else:
            self.spawn_rate = 1

    # -- the main loop ---------------------------------------------------------------------
    def run(self) -> int:
        self._install_signals()
        if self._bucket_note is not None:
            self.log(self._bucket_note[0], self._bucket_note[1], module="core")
        self._log_started()
        self.startup_children(self.settings.start_servers)
        next_tick = time.monotonic() + 1.0
        reaped = False
        try:
            while True:
                self._sleep(next_tick - time.monotonic())
                while self.pending:
                    what = self.pending.pop(0)
                    code = self._act(what)
                    if code is not None:
                        return code
                    next_tick = time.monotonic() + 1.0
                for child, status in self.children.reap():
                    reaped = True
                    code = self._child_exited(child, status)
                    if code is not None:
                        self._shutdown(signal.SIGTERM)
                        return code
                if time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + 1.0
                    if self.remaining_to_start and not reaped:
                        # a lull after a graceful restart: the rest start at once
                        self.startup_children(self.remaining_to_start)
                        self.remaining_to_start = 0
                    elif not reaped:
                        self.idle_server_maintenance()
                    reaped = False
        finally:
            for pod in self.pods:
                pod.close()
            for path in self.lock_paths.values():
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def _act(self, what: str) -> Optional[int]:
        if what == "stop":
            self._shutdown(signal.SIGTERM)
            self.log("notice", self.AH_STOP)
            return 0
        if what == "graceful-stop":
            return self._graceful_stop()
        if what == "restart":
            self.log("notice", self.AH_RESTART)
            return self._restart(graceful=False)
        if what == "graceful":
            self.log("notice", self.AH_GRACEFUL)
            return self._restart(graceful=True)
        return None

    def _close_listeners(self) -> None:
        for bucket in self.buckets:
            for ln in bucket:
                ln.sock.close()

    def _shutdown(self, sig: int) -> None:
        self.children.kill(sig)
        self.children.reclaim(self.log, terminate=True)
        self._close_listeners()
        if self.on_exit is not None:
            self.on_exit(self.process)

    def _graceful_stop(self) -> int:
        self._close_listeners()
        self._tell_graceful(list(self.children))
        if self.on_exit is not None:
            self.on_exit(self.process)
        self.log("notice", self.AH_GRACEFUL_STOP)
        timeout = self.settings.graceful_shutdown_timeout
        deadline = time.monotonic() + timeout if timeout else None
        while len(self.children):
            self.children.reap()
            if not len(self.children):
                break
            if "stop" in self.pending or (deadline is not None and time.monotonic() >= deadline):
                break
            self._sleep(1.0)
        if len(self.children):
            self.children.reclaim(self.log, terminate=True)
        return 0

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

    def _restart(self, graceful: bool) -> Optional[int]:
        new = self.reload(self.process) if self.reload is not None else Reloaded(
            self.process, self.serving)
        if new.fatal:
            self.log("emerg", new.error, module="core")
            self._shutdown(signal.SIGTERM)
            return 1
        if new.process is None:
            self.log("error", f"AH00000: restart failed, still serving the previous "
                              f"configuration: {new.error}", module="core")
            return None
        try:
            listeners = open_listeners(new.process.mpm_state.listen, keep=self.listeners)
        except BindError as e:
            for line in e.lines:
                self.log("error", line, module="core")
            return None
        if not graceful:     # a graceful restart keeps the bucket count (prefork_open_logs)
            self.num_buckets, self._bucket_note = bucket_count(
                new.process.mpm_state.listen.cores_buckets_ratio)
            if self._bucket_note is not None:
                self.log(self._bucket_note[0], self._bucket_note[1], module="core")
        try:
            buckets = duplicate_listeners(new.process.mpm_state.listen, listeners,
                                          self.num_buckets, keep=self.buckets)
        except BindError as e:
            for line in e.lines:
                self.log("crit", line, module="core")
            return None
        old_gen = [c for c in self.children]
        self.listeners, self.buckets = listeners, buckets
        self.process, self.serving = new.process, new.serving
        self.settings = new.process.mpm_state.for_run(self.num_buckets)
        self.generation += 1
        for pod in self.pods:
            pod.drain()
        while len(self.pods) < self.num_buckets:
            self.pods.append(Pod())
        if graceful:
            board = self.children.scoreboard
            if board is not None:         # the statistics survive a graceful restart
                board.global_score.running_generation = self.generation
                board.global_score.config_generation += 1
                self.process.scoreboard = board
            self._tell_graceful(old_gen)
            self.remaining_to_start = self.settings.start_servers
            self.hold_off = HOLD_OFF_AFTER_GRACEFUL
        else:
            self._tell_restart(old_gen)
            old_board = self.children.scoreboard
            self.children = Children(self.settings.server_limit, self._new_board())
            if old_board is not None and self.children.scoreboard is not None:
                g = self.children.scoreboard.global_score
                g.running_generation = self.generation
                g.config_generation = old_board.global_score.config_generation + 1
            self.spawn_rate = 1
            self.startup_children(self.settings.start_servers)
        self._log_started()
        return None


def _built() -> str:
    from httpd import SERVER_BUILT
    return SERVER_BUILT


def close_inherited(wake: tuple, pods: list, listeners: list) -> None:
    """In a new child: the parent's wake pipe, and the pods and sockets of the other
    listener buckets (a child sees only its own bucket)."""
    for fd in wake:
        os.close(fd)
    for p in pods:
        p.close()
    for ln in listeners:
        ln.sock.close()


def run(process: Any, serving: Any, listeners: list, reload=None, on_exit=None) -> int:
    """PREFORK.run: the parent's life, from the first fork to the last reap."""
    return PreforkRuntime(process, serving, listeners, reload, on_exit).run()
