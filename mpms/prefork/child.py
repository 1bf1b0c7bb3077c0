"""A prefork child (prefork.c child_main): become User/Group, then accept and serve one
connection at a time until told to go.

SIGHUP and SIGTERM end the child at once.  SIGUSR1, or a byte from the pipe of death,
ends it after the current connection (at once when it is idle in accept).  With more
than one listener, select+accept is serialized by an flock on a lock file each child
opens for itself (flock locks belong to the open file, so an inherited descriptor would
be one lock shared by all).
"""
from __future__ import annotations

import fcntl
import os
import select
import selectors
import signal
from typing import Any, Optional

from httpd.mpm.children import APEXIT_CHILDFATAL, READY
from httpd.mpm.lifecycle import child_exit, child_startup
from httpd.module import CORE_MODULE


_USR1 = {signal.SIGUSR1}


class _Graceful(Exception):
    """Raised out of an idle accept by SIGUSR1 or the pod."""


def child_main(process: Any, serving: Any, listeners: list, pod: Any, slot: Any,
               lock_path: Optional[str]) -> int:
    state = {"idle": False, "graceful": False}

    def on_term(_signum, _frame):
        _leave(process)

    def on_usr1(_signum, _frame):
        state["graceful"] = True
        process.mpm_stopping = True     # stop_listening: mpm_state = AP_MPMQ_STOPPING
        if state["idle"]:
            raise _Graceful()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the parent decides on ^C
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGWINCH, signal.SIG_IGN)
    pod.child_side()
    lockfd = os.open(lock_path, os.O_RDWR) if lock_path else None

    err = child_startup(process)       # drop_privileges, child_init
    if err:
        serving.log_server_error("core", "alert", err)
        return APEXIT_CHILDFATAL

    core = process.main_server.module_config[CORE_MODULE]
    max_conn = getattr(core, "max_requests_per_child", 0) or 0
    poll = _poller(listeners, pod)
    served = 0
    while not state["graceful"]:
        if max_conn and served >= max_conn:
            break
        slot.set_status(READY)
        try:
            conn, addr, listener = _accept(poll, pod, lockfd, state)
        except _Graceful:
            break
        state["idle"] = False
        slot.connection_started(addr[0])
        serving.serve_connection(conn, addr, listener, score=slot)
        served += 1
        slot.connection_done()
    child_exit(process, False)        # clean_child_exit(0)
    return 0


def _leave(process: Any) -> None:
    """just_die: clean_child_exit(0) at once (SIGTERM, SIGHUP)."""
    try:
        child_exit(process, False)
    finally:
        os._exit(0)


def _poller(listeners: list, pod: Any):
    """The wait for a connection or the pod.  On Linux, epoll with EPOLLEXCLUSIVE wakes one
    idle child per event instead of all of them (the herd Apache avoids by blocking in
    accept); elsewhere a plain selector."""
    for ln in listeners:
        ln.sock.setblocking(False)
    exclusive = getattr(select, "EPOLLEXCLUSIVE", 0)
    if exclusive and hasattr(select, "epoll"):
        ep = select.epoll()
        by_fd = {pod.r: None}
        for ln in listeners:
            by_fd[ln.sock.fileno()] = ln
        for fd in by_fd:
            ep.register(fd, select.EPOLLIN | exclusive)
        return lambda: [by_fd[fd] for fd, _ in ep.poll()]
    sel = selectors.DefaultSelector()
    for ln in listeners:
        sel.register(ln.sock, selectors.EVENT_READ, ln)
    sel.register(pod.r, selectors.EVENT_READ, None)
    return lambda: [key.data for key, _ in sel.select()]


def _accept(poll, pod, lockfd, state) -> tuple:
    """poll + accept under the accept mutex; raises _Graceful for the pod or SIGUSR1."""
    state["idle"] = True
    if state["graceful"]:
        raise _Graceful()
    if lockfd is not None:
        fcntl.flock(lockfd, fcntl.LOCK_EX)
    try:
        while True:
            for ln in poll():
                if ln is None:
                    if pod.check() is not None:
                        raise _Graceful()
                    continue
                # SIGUSR1 is held while accepting: its handler raises _Graceful while the
                # child is idle, and raised between accept() returning and the child
                # leaving idle it would drop the accepted connection unanswered
                signal.pthread_sigmask(signal.SIG_BLOCK, _USR1)
                try:
                    conn, addr = ln.sock.accept()
                    state["idle"] = False
                except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                    continue        # another child was quicker
                finally:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, _USR1)
                return conn, addr, ln
    finally:
        if lockfd is not None:
            fcntl.flock(lockfd, fcntl.LOCK_UN)
