"""mod_cgid's handler (cgid_handler): the checks, then the script started by the
daemon rather than by this worker: a connection to ScriptSock carries the request and
the script's pipe ends; the daemon answers the pid and, later, the exit status."""
from __future__ import annotations

import errno
import json
import os
import select
import socket
import struct
import time

from httpd.http.cgi_common import (CGID_LOGNOS, ScriptPipes, ScriptProcess, build_command,
                                   check_request, hold, log_scripterror, run_script,
                                   script_timeout)
from httpd.http.cgi_common import cleanup as cgi_cleanup
from httpd.log import errorlog
from httpd.module.hooks import DECLINED

from directives.mod_cgid import daemon

MODULE = "cgid"
MODULE_NAME = "cgid_module"
HTTP_INTERNAL_SERVER_ERROR, HTTP_SERVICE_UNAVAILABLE = 500, 503
DEFAULT_CONNECT_ATTEMPTS = 15        # connect_to_daemon's tries, 100 ms apart at first
CONNECT_STARTUP_DELAY = 60           # DEFAULT_CONNECT_STARTUP_DELAY, seconds
_KEY = "cgid_module:process"
_HEADER = struct.Struct("!I")


def _connect(r, conf):
    """connect_to_daemon: ECONNREFUSED (a full queue) and ENOENT (not started yet) are
    retried, 100 ms apart and doubling up to 2 s, 15 times; the socket missing long
    after the start (AH02833) or the daemon gone (AH01258) is 503 at once."""
    path = daemon.socket_path()
    if path is None:
        return None, log_scripterror(r, conf, HTTP_SERVICE_UNAVAILABLE, "AH01258",
                                     "cgid daemon is gone; is Apache terminating?", MODULE)
    sleep = 0.1
    tries = 0
    while True:
        tries += 1
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s, None
        except OSError as e:
            s.close()
            err = e.errno
        if err in (errno.ECONNREFUSED, errno.ENOENT) and tries < DEFAULT_CONNECT_ATTEMPTS:
            errorlog.log_rerror(r, MODULE, "debug", f"AH01256: connect #{tries} to cgi "
                                "daemon failed, sleeping before retry", status=err)
            time.sleep(sleep)
            if sleep < 2.0:
                sleep *= 2
        else:
            return None, log_scripterror(r, conf, HTTP_SERVICE_UNAVAILABLE, "AH01257",
                                         "unable to connect to cgi daemon after multiple "
                                         "tries", MODULE, status=err)
        if err == errno.ENOENT and time.time() - daemon.started() > CONNECT_STARTUP_DELAY:
            return None, log_scripterror(r, conf, HTTP_SERVICE_UNAVAILABLE, "AH02833",
                                         f"ScriptSock {path} does not exist", MODULE,
                                         status=err)
        if err != errno.ENOENT and not daemon.alive():
            return None, log_scripterror(r, conf, HTTP_SERVICE_UNAVAILABLE, "AH01258",
                                         "cgid daemon is gone; is Apache terminating?",
                                         MODULE, status=err)


class _DaemonChild:
    """The poll of a script the daemon reaps: ``EXIT code`` on the connection."""

    def __init__(self, sock: socket.socket, rest: bytes):
        self.sock, self.buf = sock, rest

    def __call__(self, block: bool):
        while b"\n" not in self.buf:
            if self.sock is None:
                return -1
            if not block and not select.select([self.sock], [], [], 0)[0]:
                return None
            try:
                data = self.sock.recv(256)
            except OSError:
                data = b""
            if not data:
                self.close()
                return -1 if b"\n" not in self.buf else None
            self.buf += data
        line = self.buf.split(b"\n", 1)[0]
        self.close()
        try:
            return int(line.split()[1])
        except (IndexError, ValueError):
            return -1

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def cgid_handler(r) -> int:
    conf = r.server_config(MODULE_NAME)
    refused = check_request(r, conf, MODULE, CGID_LOGNOS)
    if refused is not None:
        return refused
    command, argv, env, cwd = build_command(r)
    sock, status = _connect(r, conf)
    if sock is None:
        return status
    ours, theirs = [], []
    try:
        for _ in range(3):
            a, b = os.pipe2(os.O_CLOEXEC)
            ours.append(a)
            theirs.append(b)
        # stdin: the script reads what we write; stdout and stderr: the other way round
        script_ends = [ours[0], theirs[1], theirs[2]]
        our_ends = [theirs[0], ours[1], ours[2]]
        body = json.dumps({"command": command, "argv": argv, "env": env, "cwd": cwd},
                          ensure_ascii=True).encode("ascii")
        socket.send_fds(sock, [_HEADER.pack(len(body)) + body[:60000]], script_ends)
        if len(body) > 60000:
            sock.sendall(body[60000:])
        for fd in script_ends:
            os.close(fd)
        sock.settimeout(script_timeout(r, MODULE_NAME))
        reply = b""
        while b"\n" not in reply:
            data = sock.recv(256)
            if not data:
                break
            reply += data
    except OSError as e:
        sock.close()
        for fd in ours + theirs:
            try:
                os.close(fd)
            except OSError:
                pass
        errorlog.log_rerror(r, MODULE, "error", "AH01250: Error writing request to cgi "
                            "daemon", status=e.errno)
        return HTTP_INTERNAL_SERVER_ERROR
    line, _, rest = reply.partition(b"\n")
    words = line.split()
    if len(words) != 2 or words[0] != b"PID":
        sock.close()
        for fd in our_ends:
            os.close(fd)
        errorlog.log_rerror(r, MODULE, "error", "End of script output before headers: "
                            f"{os.path.basename(command)}")
        return HTTP_INTERNAL_SERVER_ERROR
    process = ScriptProcess(int(words[1]), _DaemonChild(sock, rest))
    pipes = ScriptPipes(r, process, our_ends[0], our_ends[1], our_ends[2], script_timeout(r, MODULE_NAME),
                        conf, MODULE)
    hold(r, _KEY, process, pipes)
    return run_script(r, pipes, conf, MODULE)


def cleanup(r) -> int:
    """cleanup_script: the scripts this request started are ended (the daemon reaps)."""
    cgi_cleanup(r, _KEY)
    return DECLINED
