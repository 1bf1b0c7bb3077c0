"""The cgid daemon (cgid_server in mod_cgid.c): one process the parent forks at
post_config, before any worker exists, that forks and execs every script.

It binds the Unix socket (as root when the server starts as root, then owned by User),
drops its privileges as a child does (the drop_privileges hook: User, Group), and
serves requests one at a time: a request is a length-prefixed JSON record (command,
argv, environment, directory) sent with the script's three pipe ends; the answer is
``PID n`` (or ``ERR errno``), and once the script is reaped, ``EXIT code`` on the same
connection, which then closes.  Every script is a process group of its own, so the
worker that serves its request can end all of it.

The daemon leaves when its parent and every worker are gone (the read end of a pipe
whose write end only they hold sees EOF), or on SIGTERM.
"""
from __future__ import annotations

import errno
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time
from typing import Any, Optional

from httpd.log import errorlog

_HEADER = struct.Struct("!I")
MAX_REQUEST = 16 << 20
_STATE: dict = {"path": None, "wfd": None, "pid": None, "fds": [], "generation": 0}


def socket_path() -> Optional[str]:
    """The current generation's daemon socket (None: no daemon was started)."""
    return _STATE["path"]


def started() -> float:
    """When the current daemon was started (time.time())."""
    return _STATE.get("started", 0.0)


def alive() -> bool:
    """kill(daemon_pid, 0): the daemon is there (not ours to know when it is not)."""
    pid = _STATE["pid"]
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def start(process: Any, server: Any, base: Optional[str], module: str) -> bool:
    """Fork this generation's daemon (``base``: the ScriptSock path, the parent's pid
    appended; None: a daemon that died is replaced on its socket); True when it runs
    (a failure is logged, and start-up goes on: every CGI request then gets 503, as in
    Apache without its daemon)."""
    if base is None:
        path = _STATE["path"]
    else:
        path = f"{base}.{os.getpid()}"
        _STATE["generation"] += 1
        if _STATE["generation"] > 1:    # a restart: a new socket for the new daemon
            path = f"{path}.{_STATE['generation']}"
    rfd, wfd = os.pipe()
    old_wfd = _STATE["wfd"]
    try:
        pid = os.fork()
    except OSError as e:
        os.close(rfd)
        os.close(wfd)
        errorlog.error_log(server, module.removesuffix("_module"), "error",
                           "AH01253: Couldn't spawn cgid daemon process", status=e.errno)
        return True
    if pid == 0:                                        # the daemon
        code = 0
        try:
            os.close(wfd)
            for fd in _STATE["fds"]:
                try:
                    os.close(fd)
                except OSError:
                    pass
            code = _daemon_main(process, server, path, rfd, module)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(rfd)
    if old_wfd is not None:           # the old daemon ends with its last worker
        os.close(old_wfd)
        _STATE["fds"].remove(old_wfd)
    os.set_inheritable(wfd, True)
    _STATE.update(path=path, wfd=wfd, pid=pid, started=time.time())
    _STATE["fds"].append(wfd)
    return True


def _log(server: Any, module: str, level: str, msg: str, status: Any = None) -> None:
    try:
        errorlog.error_log(server, module.removesuffix("_module"), level, msg,
                           status=status)
    except Exception:
        pass


def _leave(*_: Any) -> None:
    raise SystemExit(0)


def _daemon_main(process: Any, server: Any, path: str, parent_fd: int, module: str) -> int:
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _leave)
    try:
        errorlog.open_logs(process, replace_stderr=False)
    except Exception:
        pass
    try:
        os.unlink(path)
    except OSError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        old = os.umask(0o077)
        try:
            listener.bind(path)
        finally:
            os.umask(old)
        listener.listen(100)
    except OSError as e:
        _log(server, module, "error", f"AH01252: Couldn't bind unix domain socket {path}",
             e.errno)
        return 1
    unixd = server.module_config.get("unixd_module")
    uid = getattr(unixd, "user_id", -1)
    if os.geteuid() == 0 and isinstance(uid, int) and 0 < uid < (1 << 32) - 1:
        try:
            os.chown(path, uid, -1)
        except OSError as e:
            _log(server, module, "error", "AH01254: Couldn't change owner of unix domain "
                 f"socket {path}", e.errno)
            return 1
    rv = process.registry.hooks.run("drop_privileges", process, server)
    if rv not in (None, 0, True) and isinstance(rv, (str, bool)) and rv is not True:
        _log(server, module, "alert", f"AH00000: cgid daemon: {rv}")
        return 1
    children: dict[int, socket.socket] = {}
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "accept")
    sel.register(parent_fd, selectors.EVENT_READ, "parent")
    sel.register(wake_r, selectors.EVENT_READ, "signal")
    try:
        while True:
            for key, _ in sel.select():
                what = key.data
                if what == "parent":
                    return 0
                if what == "signal":
                    try:
                        while os.read(wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                elif what == "accept":
                    try:
                        conn, _ = listener.accept()
                    except OSError:
                        continue
                    _serve(conn, children, server, module)
            _reap(children)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def _reap(children: dict) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        except InterruptedError:
            continue
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        try:
            conn.sendall(f"EXIT {code}\n".encode())
        except OSError:
            pass
        conn.close()


def _recv_request(conn: socket.socket) -> tuple[dict, list]:
    conn.settimeout(10)
    data, fds, _, _ = socket.recv_fds(conn, 65536, 3)
    while len(data) < _HEADER.size:
        more = conn.recv(65536)
        if not more:
            raise ConnectionError("short request")
        data += more
    (n,) = _HEADER.unpack_from(data)
    if n > MAX_REQUEST:
        raise ValueError("request too large")
    body = data[_HEADER.size:]
    while len(body) < n:
        more = conn.recv(min(65536, n - len(body)))
        if not more:
            raise ConnectionError("short request")
        body += more
    return json.loads(body.decode("latin-1")), fds


def _serve(conn: socket.socket, children: dict, server: Any, module: str) -> None:
    fds: list = []
    try:
        req, fds = _recv_request(conn)
        if len(fds) != 3:
            raise ValueError("three descriptors expected")
        enc = "latin-1"
        try:
            proc = subprocess.Popen(
                [a.encode(enc) for a in req["argv"]], executable=req["command"].encode(enc),
                stdin=fds[0], stdout=fds[1], stderr=fds[2], cwd=req["cwd"],
                env={k.encode(enc): v.encode(enc) for k, v in req["env"].items()},
                close_fds=True, process_group=0, restore_signals=True)
        except OSError as e:
            # what cgid_child_errfn logs from the child that could not exec
            _log(server, module, "error", f"AH01241: exec of '{req['command']}' failed",
                 e.errno or errno.ENOEXEC)
            conn.sendall(f"ERR {e.errno or errno.ENOEXEC}\n".encode())
            conn.close()
            return
        # subprocess must not reap it behind our back: we wait for every pid ourselves
        proc.returncode = 0
        children[proc.pid] = conn
        conn.sendall(f"PID {proc.pid}\n".encode())
    except Exception as e:
        _log(server, module, "error", f"AH01248: Error reading request from worker: {e}")
        try:
            conn.close()
        except OSError:
            pass
    finally:
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit("the cgid daemon is started by mod_cgid")
