"""The parent process of a forking MPM (the skeleton of prefork.c, worker.c and event.c
<mpm>_run / server_main_loop, with mpm_common.c's ap_process_child_status and
ap_reclaim_child_processes through httpd/mpm/children.py).

The parent binds nothing itself (the caller hands it the listeners), never serves, and
runs one loop for every forking MPM: its signal handlers only enqueue (gunicorn's
arbiter style) and the loop acts on them between ticks, so no restart ever runs inside
a signal handler; it reaps children, starts the rest of a graceful restart's children
in a lull, and otherwise runs the MPM's idle-server maintenance once a second.  Stop,
graceful stop, restart and graceful restart (a new config generation, the listeners
and on a graceful restart the scoreboard carried over) are the same for every MPM.

An MPM's runtime (mpms/<name>/runtime.py, or httpd/mpm/threaded/ for the threaded
ones) subclasses MPMParent with its policy: its AH numbers and log tag, the
scoreboard's shape, how a child is forked and what it runs, how many start, the spare
policy, what a child's exit means, and how children are told to go.
"""
from __future__ import annotations

import os
import select
import signal
import time
from typing import Any, Callable, Optional

from httpd.mpm import children as ch
from httpd.mpm.children import Children
from httpd.mpm.listen import (BindError, bucket_count, deferred_protocols, duplicate_listeners,
                              open_listeners)

HOLD_OFF_AFTER_GRACEFUL = 10     # maintenance ticks that do not ramp the spawn rate

PARENT_SIGNALS = {signal.SIGTERM: "stop", signal.SIGINT: "stop", signal.SIGHUP: "restart",
                  signal.SIGUSR1: "graceful", signal.SIGWINCH: "graceful-stop"}


class Reloaded:
    """What a restart needs from the config: a new generation or why there is none."""

    def __init__(self, process: Any = None, serving: Any = None, error: str = "",
                 fatal: bool = False):
        self.process, self.serving, self.error, self.fatal = process, serving, error, fatal


class MPMParent:
    """The parent's life, from the first fork to the last reap.

    A subclass sets the class attributes (its module tag and the AH numbers of its
    startup and signal lines) and fills in the hooks below the line "the MPM's
    policy"; everything else is the same for every forking MPM."""

    TAG: str                       # the module tag of the MPM's error-log lines
    AH_STARTED: str                # "AHnnnnn" of "... configured -- resuming normal operations"
    AH_BUILT: str                  # "AHnnnnn" of "Server built: ..."
    AH_STOP: str                   # the whole lines logged on each signal
    AH_GRACEFUL_STOP: str
    AH_RESTART: str
    AH_GRACEFUL: str
    # the signals the parent acts on (an MPM whose Apache parent handles fewer, or maps
    # them otherwise, narrows this table); "" for a line the MPM's parent does not log
    SIGNALS = PARENT_SIGNALS

    def __init__(self, process: Any, serving: Any, listeners: list,
                 reload: Optional[Callable[[Any], Reloaded]] = None,
                 on_exit: Optional[Callable[[Any], None]] = None):
        self.process = process
        self.serving = serving
        # ListenCoresBucketsRatio: children of slot i accept from bucket i % num_buckets,
        # each with its own sockets (and, as the MPM decides, its own pod)
        self.num_buckets, self._bucket_note = bucket_count(
            process.mpm_state.listen.cores_buckets_ratio)
        self.settings = process.mpm_state.for_run(self.num_buckets)
        self.listeners = listeners
        self.buckets = duplicate_listeners(process.mpm_state.listen, listeners,
                                           self.num_buckets)
        self.reload = reload
        self.on_exit = on_exit            # remove the PidFile, close logs
        self.generation = 0
        self.children = Children(self.settings.server_limit, self._new_board())
        self.spawn_rate = 1
        self.hold_off = 0
        self.remaining_to_start = 0
        self.reported_max_workers = False  # "server reached MaxRequestWorkers" once in a life
        self.pending: list[str] = []
        self._wake_r, self._wake_w = os.pipe()
        for fd in (self._wake_r, self._wake_w):
            os.set_blocking(fd, False)

    def _new_board(self):
        """A fresh scoreboard (ap_create_scoreboard) for this config, in the MPM's shape,
        published as process.scoreboard for mod_status and mod_headers."""
        from httpd.mpm.scoreboard import Scoreboard
        server_limit, thread_limit, max_servers, threads_per_child = self.scoreboard_shape()
        board = Scoreboard.for_process(self.process, server_limit, thread_limit,
                                       max_servers=max_servers,
                                       threads_per_child=threads_per_child)
        self.process.scoreboard = board
        return board

    # -- logging ---------------------------------------------------------------------------
    def log(self, level: str, msg: str, module: Optional[str] = None) -> None:
        from httpd.log import errorlog
        errorlog.error_log(self.process.main_server, module or self.TAG, level, msg)

    def _log_started(self) -> None:
        from httpd.http.header_filter import server_banner
        # an MPM of Apache 2.0 (perchild) has no AH numbers: its lines have no prefix
        started, built = (f"{ah}: " if ah else "" for ah in (self.AH_STARTED, self.AH_BUILT))
        self.log("notice", f"{started}{server_banner('Full')} configured -- "
                           "resuming normal operations")
        self.log("info", f"{built}Server built: {_built()}")
        line = getattr(self.process, "command_line", None) or self.process.argv0
        self.log("notice", f"AH00094: Command line: '{line}'", module="core")

    # -- signals ---------------------------------------------------------------------------
    def _enqueue(self, signum, _frame) -> None:
        if signum == signal.SIGCHLD:
            what = None
        else:
            what = self.SIGNALS.get(signum)
        if what is not None:
            self.pending.append(what)
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def _install_signals(self) -> None:
        for sig in list(PARENT_SIGNALS) + [s for s in self.SIGNALS if s not in PARENT_SIGNALS] \
                + [signal.SIGCHLD]:
            if sig in self.SIGNALS or sig == signal.SIGCHLD:
                signal.signal(sig, self._enqueue)
            else:
                signal.signal(sig, signal.SIG_IGN)
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
    def _process_child_status(self, child: ch.Child, status: int) -> tuple[Optional[int], bool]:
        """process_child_status: log how a child ended.  (exit code when the server must
        stop: CHILDFATAL from the running generation, AH00050; whether it was sick:
        CHILDSICK, which resets the spawn rate)."""
        said = ch.describe_exit(child.pid, status, ch.coredump_dir(self.process))
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

    def ramp_up(self, max_rate: int) -> None:
        """The spawn rate after a tick that started children: it doubles up to
        ``max_rate`` (1, 2, 4 ... as every Apache MPM's maintenance does), except for the
        hold-off ticks after a graceful restart."""
        if self.hold_off > 0:
            self.hold_off -= 1
        elif self.spawn_rate < max_rate:
            self.spawn_rate *= 2

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
                    self._monitor()
                    if self.remaining_to_start and not reaped:
                        # a lull after a graceful restart: the rest start at once
                        self.startup_children(self.remaining_to_start)
                        self.remaining_to_start = 0
                    elif not reaped:
                        self.idle_server_maintenance()
                    reaped = False
        finally:
            self.cleanup()

    def _monitor(self) -> None:
        """ap_run_monitor, once a second; a module that fails costs nothing here."""
        try:
            self.process.registry.hooks.run("monitor", self.process, self.process.main_server)
        except Exception:
            pass

    def _act(self, what: str) -> Optional[int]:
        if what == "stop":
            self._shutdown(signal.SIGTERM)
            self._say(self.AH_STOP)
            return 0
        if what == "graceful-stop":
            return self._graceful_stop()
        if what == "restart":
            self._say(self.AH_RESTART)
            return self._restart(graceful=False)
        if what == "graceful":
            self._say(self.AH_GRACEFUL)
            return self._restart(graceful=True)
        return None

    def _say(self, line: str) -> None:
        if line:
            self.log("notice", line)

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
            listeners = open_listeners(new.process.mpm_state.listen, keep=self.listeners,
                                       defer=deferred_protocols(new.process))
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
        self.new_generation()
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

    # -- the MPM's policy ------------------------------------------------------------------
    def scoreboard_shape(self) -> tuple[int, int, int, int]:
        """(ServerLimit, ThreadLimit, the process cap, ThreadsPerChild) of the scoreboard
        for the current settings."""
        raise NotImplementedError

    def make_child(self, slot: int) -> Optional[ch.Child]:
        """Fork one child of the current generation into ``slot`` (None: fork failed,
        logged)."""
        raise NotImplementedError

    def startup_children(self, number: int) -> None:
        """Start up to ``number`` children (startup_children)."""
        raise NotImplementedError

    def _child_exited(self, child: ch.Child, status: int) -> Optional[int]:
        """A child was reaped: _process_child_status and whatever replaces it.  Returns
        an exit code when the server must stop."""
        raise NotImplementedError

    def idle_server_maintenance(self) -> None:
        """perform_idle_server_maintenance, once a second when nothing else happened."""
        raise NotImplementedError

    def _tell_graceful(self, children: list) -> None:
        """Tell these children to finish their connections, then go."""
        raise NotImplementedError

    def _tell_restart(self, children: list) -> None:
        """Tell these children to go now (a hard restart), then wait for them."""
        raise NotImplementedError

    def new_generation(self) -> None:
        """A restart has made the new generation current (settings, listeners, bucket
        count), before the old children are told to go."""

    def cleanup(self) -> None:
        """The parent is leaving its main loop: release what the MPM holds besides its
        children and listeners (pods, lock files)."""


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
