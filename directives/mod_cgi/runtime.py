"""mod_cgi's handler: cgi_handler and run_cgi_child.  The script is forked by this
worker (subprocess's fork and exec in C: no Python runs between them), directly, with
no shell; its own process group, so that a timeout or the end of the request ends
everything it started."""
from __future__ import annotations

import os
import subprocess

from httpd.http.cgi_common import (ScriptPipes, ScriptProcess, build_command,
                                   check_request, hold, run_script, script_timeout)
from httpd.http.cgi_common import cleanup as cgi_cleanup
from httpd.log import errorlog
from httpd.module.hooks import DECLINED

MODULE = "cgi"
MODULE_NAME = "cgi_module"
HTTP_INTERNAL_SERVER_ERROR = 500
_KEY = "cgi_module:process"


def cgi_handler(r) -> int:
    conf = r.server_config(MODULE_NAME)
    refused = check_request(r, conf, MODULE)
    if refused is not None:
        return refused
    command, argv, env, cwd = build_command(r)
    fds = []
    try:
        in_r, in_w = os.pipe2(os.O_CLOEXEC)
        fds += [in_r, in_w]
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        fds += [out_r, out_w]
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        fds += [err_r, err_w]
    except OSError as e:
        for fd in fds:
            os.close(fd)
        errorlog.log_rerror(r, MODULE, "error", f"AH01223: couldn't spawn child process: "
                            f"{r.filename}", status=e.errno)
        return HTTP_INTERNAL_SERVER_ERROR
    enc = "latin-1"
    try:
        proc = subprocess.Popen(
            [a.encode(enc, "replace") for a in argv], executable=command.encode(enc),
            stdin=in_r, stdout=out_w, stderr=err_w, cwd=cwd,
            env={k.encode(enc, "replace"): v.encode(enc, "replace") for k, v in env.items()},
            close_fds=True, process_group=0, restore_signals=True)
    except OSError as e:
        # the child's exec failed: Apache's child writes this to the script's stderr,
        # which mod_cgi logs, and the script's output ends before any header
        for fd in (in_r, out_w, err_w):
            os.close(fd)
        pipes = ScriptPipes(r, ScriptProcess(-1, lambda block: 127), in_w, out_r, err_r,
                            script_timeout(r, MODULE_NAME), conf, MODULE)
        pipes.err += (f"({e.errno}){os.strerror(e.errno)}: exec of '{command}' "
                      "failed\n").encode(enc, "replace")
        pipes._log_err_lines()
        pipes.close()
        errorlog.log_rerror(r, MODULE, "error", "End of script output before headers: "
                            f"{os.path.basename(command)}")
        return HTTP_INTERNAL_SERVER_ERROR
    for fd in (in_r, out_w, err_w):
        os.close(fd)

    def poll(block: bool):
        try:
            return proc.wait() if block else proc.poll()
        except ChildProcessError:
            return -1

    process = ScriptProcess(proc.pid, poll)
    pipes = ScriptPipes(r, process, in_w, out_r, err_r, script_timeout(r, MODULE_NAME), conf, MODULE)
    hold(r, _KEY, process, pipes)
    return run_script(r, pipes, conf, MODULE)


def cleanup(r) -> int:
    """The request's pool cleanup: every script it ran is ended and reaped."""
    cgi_cleanup(r, _KEY)
    return DECLINED
