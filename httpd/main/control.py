"""Controlling a running server: ``-k start|stop|restart|graceful|graceful-stop``, the
PidFile, detaching, and re-reading the config on restart.

Texts and exit codes follow Apache's ap_signal_server (apache-config-cli.md 11.13): the
word "httpd" is printed whatever argv0 is.
"""
from __future__ import annotations

import os
import signal
import sys
from typing import Any, Optional
from httpd.module import CORE_MODULE

SIGNALS = {"stop": signal.SIGTERM, "graceful-stop": signal.SIGWINCH,
           "restart": signal.SIGHUP, "graceful": signal.SIGUSR1}


class PidFileError(Exception):
    pass


def pid_file_path(process: Any) -> str:
    core = process.main_server.module_config[CORE_MODULE]
    return process.server_root_relative(core.pid_fname)


def read_pid(path: str) -> Optional[int]:
    """ap_read_pid: None when there is no file; PidFileError when it holds garbage."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise PidFileError(str(e))
    try:
        pid = int(text.strip())
    except ValueError:
        raise PidFileError(text)
    if pid <= 0:
        raise PidFileError(text)
    return pid


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_server(process: Any, action: str, known: Optional[dict] = None) -> Optional[int]:
    """ap_signal_server: act on the running server.  Returns the exit code, or None
    when the caller should go on and start a server.  ``known``: the MPM's own -k words
    and their signals (MPM.k_signals); a word it does not know runs the server."""
    if known is not None and action != "start" and action not in known:
        return None
    path = pid_file_path(process)
    try:
        pid = read_pid(path)
    except PidFileError:
        rel = process.main_server.module_config[CORE_MODULE].pid_fname
        process.log.startup("(20014)Internal error (specific information not available): "
                            f"AH00058: Error retrieving pid file {rel}", "emerg")
        process.log.startup("AH00059: Remove it before continuing if it is corrupted.",
                            "emerg")
        return 1
    running = pid is not None and is_running(pid)
    if action == "start":
        if running:
            print(f"httpd (pid {pid}) already running")
            return 0
        return None
    if not running:
        if action in ("restart", "graceful"):
            print("httpd not running, trying to start")
            sys.stdout.flush()
            return None
        print("httpd (no pid file) not running" if pid is None
              else f"httpd (pid {pid}?) not running")
        return 0
    try:
        os.kill(pid, (known or SIGNALS)[action])
    except OSError as e:
        print(f"httpd (pid {pid}) could not be signalled: {e.strerror}", file=sys.stderr)
        return 1
    return 0


def write_pid_file(process: Any) -> None:
    """ap_log_pid: the parent's pid, replacing an older file."""
    path = pid_file_path(process)
    try:
        with open(path, "w") as f:
            f.write(f"{os.getpid()}\n")
    except OSError as e:
        from httpd.log import errorlog
        errorlog.error_log(process.main_server, "core", "error",
                           f"({e.errno}){os.strerror(e.errno)}: AH00099: could not create "
                           f"{path}")


def remove_pid_file(process: Any) -> None:
    """ap_remove_pid: only our own file (a newer server may have replaced it)."""
    path = pid_file_path(process)
    try:
        if read_pid(path) != os.getpid():
            return
        os.unlink(path)
    except (OSError, PidFileError):
        return
    from httpd.log import errorlog
    errorlog.error_log(process.main_server, "core", "info",
                       f"AH00096: removed PID file {path} (pid={os.getpid()})")


def detach() -> None:
    """apr_proc_detach: fork (the parent exits 0), new session, fork again so the daemon
    can never reacquire a terminal, then stdio on /dev/null and cwd /."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)
