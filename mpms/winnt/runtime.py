"""mpm_winnt's processes (mpm_winnt.c master_main, child.c child_main).

The control process binds the listeners and forks exactly one child at a time, which
inherits them (fork stands in for CreateProcess and the WSADuplicateSocket hand-off).
Windows' named events are signals here: SIGTERM/SIGINT is ap<PID>_shutdown, SIGHUP
ap<PID>_restart, and the parent's SIGUSR1 to its child the child's exit event; the
parent takes no SIGUSR1 or SIGWINCH (no graceful modes).

- A restart (the event, or the child reaching MaxConnectionsPerChild, which signals
  the parent to restart as AH00358 says) logs AH00424, re-reads the config for the
  next child (a config that cannot be read stops the server), signals the old child
  to exit without waiting for it, and forks the new one, which starts accepting only
  when the old one has let go of the start mutex (an flock).
- A child that dies by itself: APEXIT_CHILDINIT/CHILDFATAL stop the server (AH00427),
  anything else restarts it (AH00428).
- Stop: AH00422, the child's exit event, 30 s for it (AH00430, else AH00431 and
  SIGKILL).
- The child: ThreadsPerChild workers on one FIFO queue (httpd/mpm/threaded/child.py)
  and one accept thread per listener, with the listener's AcceptFilter (connect, or
  none; data is connect, as since 2.4.23).  At exit it closes the listeners, lets
  the workers finish, and gives the busy ones Timeout seconds before AH00363.
"""
from __future__ import annotations

import fcntl
import os
import select
import signal
import tempfile
import threading
import time
from typing import Any, Optional

from httpd.mpm import children as ch
from httpd.mpm.children import APEXIT_CHILDFATAL, APEXIT_CHILDINIT
from httpd.mpm.lifecycle import (child_exit, child_init, child_stopped, child_stopping,
                                 max_connections_per_child)
from httpd.mpm.parent import MPMParent, Reloaded, close_inherited
from httpd.mpm.threaded.child import STOP, ThreadedChild, _stack_size
from httpd.mpm.listen import BindError, deferred_protocols, open_listeners
from httpd.module import CORE_MODULE

SHUTDOWN_WAIT = 30.0            # master_main's timeout for the child at shutdown


def accept_filter(serving: Any, process: Any, protocol: str) -> str:
    """get_accept_filter: the AcceptFilter of ``protocol`` as this MPM reads it."""
    core = process.main_server.module_config[CORE_MODULE]
    name = (core.accf_map or {}).get(protocol)
    if name is None:
        serving.log_server_error("mpm_winnt", "warn",
                                 f"AH02531: winnt_accept: Listen protocol '{protocol}' has no "
                                 "known accept filter. Using 'none' instead")
        return "none"
    if name == "data":
        serving.log_server_error("mpm_winnt", "info",
                                 "AH03458: winnt_accept: 'data' accept filter is no longer "
                                 "supported. Using 'connect' instead")
        return "connect"
    if name in ("connect", "none"):
        return name
    serving.log_server_error("mpm_winnt", "warn",
                             f"AH00331: winnt_accept: unrecognized AcceptFilter '{name}', only "
                             "'data', 'connect' or 'none' are valid. Using 'none' instead")
    return "none"


class WinNTChild(ThreadedChild):
    def __init__(self, process, serving, listeners, board, generation, threads, max_conn,
                 start_mutex: str):
        super().__init__(process, serving, listeners, None, board, 0, generation, threads,
                         max_conn)
        self.start_mutex = start_mutex
        self.exit_event = threading.Event()
        self.max_reached = False
        self.shutdown_in_progress = threading.Event()

    def log(self, level: str, msg: str) -> None:
        self.serving.log_server_error("mpm_winnt", level, msg)

    def accept_thread(self, ln: Any) -> None:
        accf = accept_filter(self.serving, self.process, ln.protocol)
        host, port = ln.address[0], ln.address[1]
        self.log("debug", f"AH00334: Child: Accept thread listening on {host}:{port} using "
                          f"AcceptFilter {accf}")
        ln.sock.setblocking(False)
        while not self.shutdown_in_progress.is_set():
            try:
                ready, _, _ = select.select([ln.sock], [], [], 0.25)
            except (InterruptedError, ValueError, OSError):
                if self.shutdown_in_progress.is_set():
                    break
                continue
            if not ready:
                continue
            got = self.accept(ln)
            if got is None:
                continue
            self.push((got[0], got[1], ln))
            if self.count_connection():
                self.max_reached = True
                self.exit_event.set()
                break
        self.log("debug", "AH00348: Child: Accept thread exiting.")

    def _take_start_mutex(self) -> Optional[int]:
        fd = os.open(self.start_mutex, os.O_RDWR)
        while not self.exit_event.is_set():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                time.sleep(0.02)
        os.close(fd)
        return None

    def run(self) -> int:
        def on_term(_signum, _frame):
            try:
                child_exit(self.process, False)
            finally:
                os._exit(0)

        signal.signal(signal.SIGTERM, on_term)
        signal.signal(signal.SIGUSR1, lambda *_: self.exit_event.set())
        for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGWINCH):
            signal.signal(sig, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        child_init(self.process)
        mutex = self._take_start_mutex()
        if mutex is None:
            return 0
        self.log("debug", "AH00337: Child: Acquired the start mutex.")
        self.log("notice", f"AH00354: Child: Starting {self.threads} worker threads.")
        _stack_size(self.process)
        for j in range(self.threads):
            t = threading.Thread(target=self.worker, args=(j,), daemon=True,
                                 name=f"httpd-worker-{j}")
            t.start()
            self._workers.append(t)
        acceptors = [threading.Thread(target=self.accept_thread, args=(ln,), daemon=True,
                                      name="httpd-accept") for ln in self.listeners]
        for t in acceptors:
            t.start()
        while not self.exit_event.wait(1.0):
            if os.getppid() == 1:
                self.log("crit", "AH02538: Child: Parent process exited abruptly. Child "
                                 "process is ending")
                break
        if self.max_reached:
            self.log("notice", "AH00358: Child: Process exiting because it reached "
                               "MaxConnectionsPerChild. Signaling the parent to restart a new "
                               "child process.")
            try:
                os.kill(os.getppid(), signal.SIGHUP)
            except OSError:
                pass
        else:
            self.log("debug", "AH00357: Child: Exit event signaled. Child process is ending.")
        # shutdown: the listeners first, then the accept threads; the workers go on
        # with the connections already accepted
        self.shutdown_in_progress.set()
        for t in acceptors:
            t.join(2.0)
        for ln in self.listeners:
            ln.sock.close()
        self.ps.quiescing = 1
        child_stopping(self.process, True)
        fcntl.flock(mutex, fcntl.LOCK_UN)          # the next child may start accepting
        os.close(mutex)
        self.log("debug", "AH00359: Child: Released the start mutex")
        for _ in self._workers:
            self.push(STOP)
        core = self.process.main_server.module_config[CORE_MODULE]
        deadline = time.monotonic() + (core.timeout or 60)
        for t in self._workers:
            t.join(max(0.0, deadline - time.monotonic()))
        left = sum(1 for t in self._workers if t.is_alive())
        if left:
            self.log("notice", f"AH00363: Child: Terminating {left} threads that failed to "
                               "exit.")
        else:
            self.log("notice", "AH00364: Child: All worker threads have exited.")
        child_stopped(self.process, True)
        os._exit(0)          # busy threads past Timeout die with the process (TerminateThread)


class WinNTRuntime(MPMParent):
    TAG = "mpm_winnt"
    AH_STARTED, AH_BUILT = "AH00455", "AH00456"
    AH_STOP = "AH00422: Parent: Received shutdown signal -- Shutting down the server."
    AH_RESTART = "AH00424: Parent: Received restart signal -- Restarting the server."
    AH_GRACEFUL = AH_GRACEFUL_STOP = ""
    SIGNALS = {signal.SIGTERM: "stop", signal.SIGINT: "stop", signal.SIGHUP: "restart"}

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        fd, self.start_mutex = tempfile.mkstemp(prefix="httpd-start-mutex.")
        os.close(fd)
        self.current: Optional[ch.Child] = None

    def scoreboard_shape(self) -> tuple[int, int, int, int]:
        s = self.settings
        return 1, s.thread_limit, 1, s.threads_per_child

    def make_child(self, slot: int = 0) -> Optional[ch.Child]:
        process, serving, listeners = self.process, self.serving, self.listeners
        board, gen, mutex = self.children.scoreboard, self.generation, self.start_mutex
        wake = (self._wake_r, self._wake_w)
        threads = self.settings.threads_per_child
        for j in range(board.thread_limit):
            board.worker(0, j).set_status(ch.STARTING if j < threads else ch.DEAD)

        def main(_s: int) -> int:
            close_inherited(wake, [], [])
            return WinNTChild(process, serving, listeners, board, gen, threads,
                              max_connections_per_child(process), mutex).run()

        # slot 0 is the single child's, whatever an old child still finishes there
        child = self.children.spawn(0, self.generation, main)
        if child is None:
            self.log("crit", "AH00419: master_main: create child process failed. Exiting.")
        self.current = child
        return child

    def startup_children(self, number: int = 1) -> None:
        if self.current is None:
            if self.make_child() is None:
                self.pending.append("stop")

    def idle_server_maintenance(self) -> None:
        pass                     # one child, never more, never fewer

    def _child_exited(self, child: ch.Child, status: int) -> Optional[int]:
        if child is not self.current:
            # an old child, told to exit on a restart: the slot stays the current one's
            if self.current is not None:
                self.children.scoreboard.process(0).pid = self.current.pid
                self.children.scoreboard.process(0).generation = self.current.generation
            return None
        self.current = None
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else os.WTERMSIG(status)
        said = ch.describe_exit(child.pid, status, ch.coredump_dir(self.process))
        if said is not None:
            self.log(said[0], said[1], module="core")
        if os.WIFEXITED(status) and code in (APEXIT_CHILDFATAL, APEXIT_CHILDINIT):
            self.log("crit", f"AH00427: Parent: child process {child.pid} exited with status "
                             f"{code} -- Aborting.")
            return 1
        self.log("notice", f"AH00428: Parent: child process {child.pid} exited with status "
                           f"{code} -- Restarting.")
        board = self.children.scoreboard
        for j in range(self.settings.threads_per_child):
            board.worker(0, j).set_status(ch.DEAD)
        return self._restart(graceful=False, announce=False)

    def _shutdown(self, sig: int) -> None:
        if self.current is not None:
            self.children.kill(signal.SIGUSR1, [self.current])
            deadline = time.monotonic() + SHUTDOWN_WAIT
            while self.current.pid in self.children.by_pid and time.monotonic() < deadline:
                self.children.reap()
                self._sleep(0.05)
            if self.current.pid in self.children.by_pid:
                self.log("notice", f"AH00431: Parent: Forcing termination of child process "
                                   f"{self.current.pid}")
                self.children.kill(signal.SIGKILL, [self.current])
            else:
                self.log("notice", f"AH00430: Parent: Child process {self.current.pid} exited "
                                   "successfully.")
        self.children.kill(signal.SIGKILL)             # old children past their Timeout
        self.children.reclaim(self.log, terminate=False)
        self._close_listeners()
        if self.on_exit is not None:
            self.on_exit(self.process)

    def _act(self, what: str) -> Optional[int]:
        if what == "stop":
            self._say(self.AH_STOP)
            self._shutdown(signal.SIGTERM)
            return 0
        if what == "restart":
            self._say(self.AH_RESTART)
            return self._restart(graceful=False, announce=False)
        return None

    def _restart(self, graceful: bool = False, announce: bool = True) -> Optional[int]:
        """The main loop's next round: the config read again for the next child, the
        old child told to exit (not waited for), the new one forked."""
        new = self.reload(self.process) if self.reload is not None else Reloaded(
            self.process, self.serving)
        if new.process is None:
            self.log("emerg", new.error, module="core")
            self._shutdown(signal.SIGTERM)
            return 1
        try:
            listeners = open_listeners(new.process.mpm_state.listen, keep=self.listeners,
                                       defer=deferred_protocols(new.process))
        except BindError as e:
            for line in e.lines:
                self.log("emerg", line, module="core")
            self._shutdown(signal.SIGTERM)
            return 1
        for ln in self.listeners:
            if ln not in listeners:
                ln.sock.close()
        self.listeners, self.buckets = listeners, [listeners]
        self.process, self.serving = new.process, new.serving
        self.settings = new.process.mpm_state
        self.generation += 1
        board = self.children.scoreboard
        board.global_score.running_generation = self.generation
        board.global_score.config_generation += 1
        board.global_score.threads_per_child = self.settings.threads_per_child
        self.process.scoreboard = board
        old = self.current
        if old is not None:
            old.signalled = True
            self.children.kill(signal.SIGUSR1, [old])
        self.current = None
        self._log_started()
        self.startup_children()
        return None

    def cleanup(self) -> None:
        try:
            os.unlink(self.start_mutex)
        except OSError:
            pass


def run(process: Any, serving: Any, listeners: list, reload=None, on_exit=None) -> int:
    return WinNTRuntime(process, serving, listeners, reload, on_exit).run()
