"""Running a CGI script for a request: what mod_cgi and mod_cgid share
(modules/generators/cgi_common.h).  Modules do not import each other, so the part
Apache includes into both as a header lives here, in the HTTP part of the core, beside
the gateway routines of ``util_script``.

A module checks the request (:func:`check_request`), builds the environment and argv
(:func:`build_command`), starts the script its own way (mod_cgi forks it from the worker,
mod_cgid asks its daemon) and hands the three pipes to :class:`ScriptPipes`; then
:func:`run_script` writes the request body to the script and reads its answer
(cgi_handle_request and cgi_handle_response): the header block through
``util_script.ScriptHeaders``, a local ``Location`` as an internal redirect (GET), a URL
as a 302, an ``nph-`` script's bytes sent as they are, anything else streamed to the
client as it comes (``r.body`` is a generator that flushes whenever the script pauses).
The script's stderr goes to the error log line by line (AH01215, with the request's
context) whenever it is readable, so a script that floods it never blocks; a script that
writes nothing for ``Timeout`` (or CGIScriptTimeout) is given up (504 before its
headers, a truncated response after them) and its process group killed.  Whatever
happens, ``finish`` (the module's log_transaction, as Apache's pool cleanup) ends the
process group: SIGTERM, 3 seconds, SIGKILL, like APR_KILL_AFTER_TIMEOUT.

The script is exec'd directly with argv built as mod_cgi builds it (only an ISINDEX
query, one without ``=``, becomes arguments): nothing of the request reaches a shell.
"""
from __future__ import annotations

import errno
import os
import select
import signal
import stat as _stat
import time
from typing import Any, Callable, Optional

from httpd.http.util_script import (MAX_STRING_LEN, ScriptHeaders, add_cgi_vars,
                                    add_common_vars, create_environment)
from httpd.log import errorlog
from httpd.module import CORE_MODULE
from httpd.module.hooks import DECLINED, OK
from httpd.protocol import M_GET, M_POST, M_PUT
from httpd.request.record import FLUSH, BodyAborted, Request
from httpd.util.escape import escape_shell_cmd
from httpd.util.uri import unescape_url

from httpd.core.config import OPT_EXECCGI
from httpd.util.fspath import fs_path

HTTP_FORBIDDEN, HTTP_NOT_FOUND, HTTP_INTERNAL_SERVER_ERROR = 403, 404, 500
HTTP_MOVED_TEMPORARILY, HTTP_NOT_MODIFIED = 302, 304
HTTP_BAD_REQUEST = 400
HUGE_STRING_LEN = 8192
APACHE_ARG_MAX = 512
DEFAULT_LOGBYTES = 10385760
DEFAULT_BUFBYTES = 1024
KILL_GRACE = 3.0                     # APR_KILL_AFTER_TIMEOUT's wait before SIGKILL
READ_CHUNK = 8192                    # APR_BUCKET_BUFF_SIZE
TRUST_CL_ENV = "ap_trust_cgilike_cl"  # AP_TRUST_CGILIKE_CL_ENVVAR


class ScriptLogConf:
    """The server config both modules keep (cgi_server_conf): ScriptLog and its two
    limits.  A virtual host without ScriptLog takes the main server's record."""

    __slots__ = ("logname", "logbytes", "bufbytes")

    def __init__(self) -> None:
        self.logname: Optional[str] = None
        self.logbytes = DEFAULT_LOGBYTES
        self.bufbytes = DEFAULT_BUFBYTES

    @staticmethod
    def merge(base: "ScriptLogConf", add: "ScriptLogConf") -> "ScriptLogConf":
        return add if add.logname else base


def _ctime(t: float) -> str:
    return time.strftime("%a %b %d %H:%M:%S %Y", time.localtime(t))


def _open_scriptlog(conf: ScriptLogConf):
    """The ScriptLog for appending, or None (none named, too big, cannot open)."""
    if not conf.logname:
        return None
    try:
        if os.stat(conf.logname).st_size > conf.logbytes:
            return None
    except OSError:
        pass
    try:
        return open(conf.logname, "ab")
    except OSError:
        return None


def _request_line(r: Request) -> str:
    q = f"?{r.args}" if r.args is not None else ""
    return f"%% [{_ctime(time.time())}] {r.method} {r.uri}{q} {r.protocol}\n"


def log_scripterror(r: Request, conf: ScriptLogConf, ret: int, logno: str, error: str,
                    module: str, status: Any = None) -> int:
    """log_scripterror: the error log line, and the ScriptLog's record of it."""
    errorlog.log_rerror(r, module, "error",
                        f"{logno + ': ' if logno else ''}stderr from {r.filename}: {error}",
                        status=status)
    f = _open_scriptlog(conf)
    if f is not None:
        with f:
            f.write((_request_line(r) + f"%% {ret} {r.filename}\n%error\n{error}\n")
                    .encode("latin-1", "replace"))
    return ret


CGI_LOGNOS = ("AH02809", "AH02810", "AH02811", "AH02812", "AH02813")    # mod_cgi's
CGID_LOGNOS = ("AH01262", "AH01263", "AH01264", "AH01265", "AH01266")   # mod_cgid's


def check_request(r: Request, conf: ScriptLogConf, module: str,
                  lognos: tuple = CGI_LOGNOS) -> Optional[int]:
    """cgi_handler's checks before it runs anything, in its order: DECLINED for another
    handler, else a refusal's status, else None (run it).  ``lognos``: the module's
    five AH numbers for them."""
    if r.handler not in ("cgi-script", "application/x-httpd-cgi"):
        return DECLINED
    core = r.module_config(CORE_MODULE)
    aliased = (r.notes.get("alias-forced-type") or "").lower() == "cgi-script"
    nph = os.path.basename(r.filename or "").startswith("nph-")
    if not core.opts & OPT_EXECCGI and not aliased:
        return log_scripterror(r, conf, HTTP_FORBIDDEN, lognos[0],
                               "Options ExecCGI is off in this directory", module)
    if nph and r.protocol == "INCLUDED":
        return log_scripterror(r, conf, HTTP_FORBIDDEN, lognos[1],
                               "attempt to include NPH CGI script", module)
    st = r.finfo
    if st is None:
        return log_scripterror(r, conf, HTTP_NOT_FOUND, lognos[2],
                               "script not found or unable to stat", module)
    if _stat.S_ISDIR(st.st_mode):
        return log_scripterror(r, conf, HTTP_FORBIDDEN, lognos[3],
                               "attempt to invoke directory as script", module)
    if core.accept_path_info == "off" and r.path_info:
        return log_scripterror(r, conf, HTTP_NOT_FOUND, lognos[4],
                               "AcceptPathInfo off disallows user's path", module)
    return None


def build_command(r: Request) -> tuple[str, list, dict, str]:
    """ap_add_common_vars, ap_add_cgi_vars and default_build_command: (command, argv,
    environment, working directory).  Only an ISINDEX query (no ``=``) gives arguments:
    split at ``+``, each unescaped and shell-escaped as Apache does, at most
    APACHE_ARG_MAX - 2 of them."""
    add_common_vars(r)
    add_cgi_vars(r)
    command = r.filename or ""
    argv = [command]
    args = r.args
    if args and "=" not in args:
        words = args.split("+")[:APACHE_ARG_MAX - 2]
        argv += [escape_shell_cmd(unescape_url(w)) for w in words]
    cwd = fs_path(os.path.dirname(command) or "/")
    return command, argv, create_environment(r.subprocess_env), cwd


class ScriptProcess:
    """A running script as its module sees it: ``pid`` (the leader of its own process
    group) and ``poll(block)``, the module's way to learn its exit status (a
    returncode as subprocess gives it: negative for a signal; None while it runs)."""

    def __init__(self, pid: int, poll: Callable[[bool], Optional[int]]):
        self.pid = pid
        self._poll = poll
        self.returncode: Optional[int] = None

    def exited(self, block: bool = False) -> bool:
        """True once the script has ended (and been reaped by whoever is its parent)."""
        if self.returncode is None:
            self.returncode = self._poll(block)
        return self.returncode is not None

    def wait_briefly(self, seconds: float = 0.25) -> Optional[int]:
        """The exit status of a script whose output just ended, if it ends within
        ``seconds`` (one that closed its stdout and goes on is left running)."""
        deadline = time.monotonic() + seconds
        delay = 0.0005
        while not self.exited() and time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 2, 0.02)
        return self.returncode

    def kill_group(self, sig: int) -> None:
        if self.pid <= 0:
            return
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def finish(self) -> None:
        """apr's free_proc_chain with APR_KILL_AFTER_TIMEOUT, on the whole group:
        nothing if it has ended, else SIGTERM, up to 3 s, SIGKILL; then reaped.  What
        the script left running in its group is killed too."""
        if not self.exited():
            self.kill_group(signal.SIGTERM)
            deadline = time.monotonic() + KILL_GRACE
            delay = 0.002
            while not self.exited() and time.monotonic() < deadline:
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
            if not self.exited():
                self.kill_group(signal.SIGKILL)
                self.exited(block=True)
        self.kill_group(signal.SIGKILL)


class ScriptPipes:
    """The script's stdin, stdout and stderr (our ends, non-blocking), polled together
    as the CGI bucket polls them: stderr lines go to the error log as they come."""

    def __init__(self, r: Request, proc: ScriptProcess, stdin: int, stdout: int, stderr: int,
                 timeout: float, conf: ScriptLogConf, module: str):
        self.r, self.proc, self.conf, self.module = r, proc, conf, module
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        for fd in (stdin, stdout, stderr):
            if fd >= 0:
                os.set_blocking(fd, False)
        self.timeout = timeout
        self.out = bytearray()          # stdout read but not yet consumed
        self.out_eof = False
        self.err = bytearray()
        self.err_eof = stderr < 0
        self.aborted = False
        self.entity_logno = "AH01270" if module == "cgid" else "AH01225"

    # -- stderr --------------------------------------------------------------------------

    def _log_err_lines(self, final: bool = False) -> None:
        """log_script_err: each line (HUGE_STRING_LEN at most, its CR LF dropped)."""
        err = self.err
        while True:
            nl = err.find(b"\n", 0, HUGE_STRING_LEN - 1)
            if nl < 0:
                if len(err) >= HUGE_STRING_LEN - 1:
                    line, cut = err[:HUGE_STRING_LEN - 1], HUGE_STRING_LEN - 1
                elif final and err:
                    line, cut = err[:], len(err)
                else:
                    return
            else:
                line, cut = err[:nl], nl + 1
                if line.endswith(b"\r"):
                    line = line[:-1]
            del err[:cut]
            log_scripterror(self.r, self.conf, self.r.status, "AH01215",
                            line.decode("latin-1"), self.module)

    def _read_err(self) -> None:
        try:
            data = os.read(self.stderr, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.err_eof = True
            self._log_err_lines(final=True)
            os.close(self.stderr)
            self.stderr = -1
            return
        self.err += data
        self._log_err_lines()

    # -- polling ---------------------------------------------------------------------------

    def _poll(self, wait: Optional[float], want_write: bool = False) -> tuple[bool, bool]:
        """Wait up to ``wait`` (None: forever, 0: not at all) for stdout (or stdin to be
        writable); stderr is served meanwhile.  Returns (ready, timed_out)."""
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            rl = []
            if not self.out_eof:
                rl.append(self.stdout)
            if not self.err_eof:
                rl.append(self.stderr)
            wl = [self.stdin] if want_write and self.stdin >= 0 else []
            if not rl and not wl:
                return True, False
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                r, w, _ = select.select(rl, wl, [], left)
            except InterruptedError:
                continue
            if self.stderr >= 0 and self.stderr in r:
                self._read_err()
                if wait and not w and self.stdout not in r:
                    # as the CGI bucket's poll loop: stderr output starts the wait anew
                    deadline = time.monotonic() + wait
            if w or (self.stdout in r and not self.out_eof):
                return True, False
            if not r and not w:
                return False, left == 0.0 and wait != 0

    def _read_out(self) -> bool:
        """One read of stdout into ``out``; False at its end."""
        try:
            data = os.read(self.stdout, 65536)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            self.out_eof = True
            return False
        self.out += data
        return True

    def fill(self, wait: Optional[float] = None) -> Optional[bool]:
        """More of stdout into ``out``: True when some came, False at its end, None
        when ``wait`` passed (``timeout`` if None) with nothing."""
        if self.out_eof:
            return False
        ready, _ = self._poll(self.timeout if wait is None else wait)
        if not ready:
            return None
        before = len(self.out)
        more = self._read_out()
        return True if len(self.out) > before else (None if more else False)

    # -- the request body ------------------------------------------------------------------

    def write_body(self, dbuf: Optional[bytearray]) -> Optional[int]:
        """cgi_handle_request: the request body (de-chunked, under LimitRequestBody) to
        the script's stdin, then stdin closed.  While the pipe is full, stdout is read
        into ``out`` and stderr logged, so a script that answers before it has read
        everything cannot deadlock us.  Returns None, or the status of a bad body."""
        r = self.r
        read = r.read_body
        stopped = False
        try:
            while read is not None:
                try:
                    data = read(HUGE_STRING_LEN)
                except Exception as e:
                    errorlog.log_rerror(r, self.module, "error",
                                        f"{self.entity_logno}: Error reading request "
                                        "entity data")
                    return getattr(e, "status", HTTP_BAD_REQUEST)
                if not data:
                    break
                if dbuf is not None and len(dbuf) < self.conf.bufbytes:
                    dbuf += data[:self.conf.bufbytes - len(dbuf)]
                if stopped:
                    continue
                view = memoryview(data)
                while view:
                    try:
                        n = os.write(self.stdin, view)
                        view = view[n:]
                        continue
                    except BlockingIOError:
                        pass
                    except OSError as e:
                        stopped = True
                        errorlog.log_rerror(r, self.module, "error", "AH02651: Error "
                                            f"writing request body to script {r.filename}",
                                            status=e.errno)
                        break
                    if not self.out_eof and len(self.out) < (1 << 22):
                        ready, _ = self._poll(self.timeout, want_write=True)
                        if self.stdout >= 0 and not self.out_eof:
                            r_ok = select.select([self.stdout], [], [], 0)[0]
                            if r_ok:
                                self._read_out()
                        if not ready:
                            stopped = True
                            errorlog.log_rerror(r, self.module, "error", "AH02651: Error "
                                                "writing request body to script "
                                                f"{r.filename}", status=errno.ETIMEDOUT)
                            break
                    else:
                        ready = select.select([], [self.stdin], [], self.timeout)[1]
                        if not ready:
                            stopped = True
                            break
        finally:
            self.close_stdin()
        return None

    def close_stdin(self) -> None:
        if self.stdin >= 0:
            os.close(self.stdin)
            self.stdin = -1

    # -- reading the answer --------------------------------------------------------------------

    def getline(self) -> Any:
        """getsfunc_BRIGADE: up to MAX_STRING_LEN - 1 bytes up to a LF (not included),
        every CR dropped, as text; False at the end of output, None on a timeout."""
        limit = MAX_STRING_LEN - 1
        while True:
            out = self.out
            nl = out.find(b"\n", 0, limit + 1)
            if nl >= 0:
                line = bytes(out[:nl])
                del out[:nl + 1]
                return line.replace(b"\r", b"").decode("latin-1")
            if len(out) >= limit or (self.out_eof and out):
                cut = min(len(out), limit)
                line = bytes(out[:cut])
                del out[:cut]
                return line.replace(b"\r", b"").decode("latin-1")
            got = self.fill()
            if got is None:
                return None
            if got is False and not self.out:
                return False

    def discard_output(self) -> None:
        """discard_script_output: read stdout to its end (or a timeout)."""
        self.out.clear()
        while self.fill() is True:
            self.out.clear()

    def drain_stderr(self) -> None:
        """log_script_err after the output: stderr until its end or ``timeout``."""
        deadline = time.monotonic() + self.timeout
        while not self.err_eof and time.monotonic() < deadline:
            try:
                ready = select.select([self.stderr], [], [], deadline - time.monotonic())[0]
            except InterruptedError:
                continue
            if not ready:
                break
            self._read_err()

    def close(self) -> None:
        self.close_stdin()
        for name in ("stdout", "stderr"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)
        self.out_eof = self.err_eof = True


def _log_script(r: Request, conf: ScriptLogConf, ret: int, dbuf: Optional[bytearray],
                sbuf: str, pipes: ScriptPipes) -> int:
    """log_script: with a ScriptLog, the request, the response so far, the rest of the
    script's stdout and stderr; without one, stdout discarded and stderr logged."""
    f = _open_scriptlog(conf)
    if f is None:
        pipes.discard_output()
        pipes.drain_stderr()
        return ret
    out = [_request_line(r), f"%% {ret} {r.filename}\n", "%request\n"]
    out += [f"{k}: {v}\n" for k, v in r.headers_in]
    if r.method_number in (M_POST, M_PUT) and dbuf:
        out.append("\n" + bytes(dbuf).decode("latin-1") + "\n")
    out.append("%response\n")
    out += [f"{k}: {v}\n" for k, v in r.err_headers_out]
    if sbuf:
        out.append(sbuf + "\n")
    rest = bytearray(pipes.out)
    pipes.out.clear()
    while pipes.fill() is True:
        rest += pipes.out
        pipes.out.clear()
    if rest:
        out.append("%stdout\n" + rest.decode("latin-1") + "\n")
    pipes.drain_stderr()
    with f:
        f.write("".join(out).encode("latin-1", "replace"))
    return ret


def _stream(r: Request, pipes: ScriptPipes, module: str):
    """The response body: the script's stdout as it comes; FLUSH whenever it pauses.
    A timeout (AH01220) or a read error ends it early: BodyAborted, so the client gets
    a truncated response, never one that looks whole."""
    try:
        if pipes.out:
            data = bytes(pipes.out)
            pipes.out.clear()
            yield data
        while True:
            got = pipes.fill(0)
            if got is None:
                yield FLUSH
                got = pipes.fill()
            if got is None:
                errorlog.log_rerror(r, module, "warn", "AH01220: Timeout waiting for "
                                    f"output from CGI script {r.filename}")
                pipes.aborted = True
                raise BodyAborted()
            if got is False:
                code = pipes.proc.wait_briefly()
                if code is not None and code < 0:
                    # Apache sends what came and ends the body as if it were whole;
                    # here the client learns it is not, and the log says why
                    errorlog.log_rerror(r, module, "error", "AH00000: script "
                                        f"{r.filename} was killed by signal {-code} "
                                        "before it finished: response truncated")
                    pipes.aborted = True
                    raise BodyAborted()
                break
            data = bytes(pipes.out)
            pipes.out.clear()
            yield data
        if not r.conn.aborted:
            pipes.drain_stderr()
    finally:
        pipes.close()


def run_script(r: Request, pipes: ScriptPipes, conf: ScriptLogConf, module: str) -> int:
    """cgi_handle_request then cgi_handle_response; returns the handler's status."""
    dbuf = bytearray() if conf.logname else None
    status = pipes.write_body(dbuf)
    if status is not None:
        return status
    nph = os.path.basename(r.filename or "").startswith("nph-")
    if nph:
        # "get rid of all filters up through protocol": the script's bytes as they are,
        # no head of ours, and the connection closes after them
        r.assbackwards = True
        r.conn.keepalive = False
        r.body = _stream(r, pipes, module)
        return OK
    scan = ScriptHeaders(r, module)
    sbuf = ""
    ret: Optional[int] = None
    while ret is None:
        line = pipes.getline()
        if line is None:
            ret = scan.end(timed_out=True)
            break
        if line is False:
            ret = scan.end()
            break
        ret = scan.feed(line)
        if ret is not None and scan.bad_line is not None:
            sbuf = scan.bad_line
    if not r.subprocess_env.get(TRUST_CL_ENV):
        r.headers_out.unset("Content-Length")
    # 2.4's answer to a script's Transfer-Encoding: the field is dropped and the body
    # framed by the server (trunk refuses it with 502, AH10501)
    r.headers_out.unset("Transfer-Encoding")
    if ret != OK:
        if ret == 504:            # given up: end it now, then read what is left
            pipes.proc.finish()
        ret = _log_script(r, conf, ret, dbuf, sbuf, pipes)
        if ret == HTTP_NOT_MODIFIED:
            r.status = ret
            return OK
        return ret
    location = r.headers_out.get("Location")
    if location and r.status == 200:
        pipes.discard_output()
        pipes.drain_stderr()
        if location.startswith("/"):
            from httpd.http.request import internal_redirect
            r.method, r.method_number = "GET", M_GET
            r.headers_in.unset("Content-Length")
            internal_redirect(location, r)
            return OK
        return HTTP_MOVED_TEMPORARILY
    # as Apache's content-length filter does: when the whole output is there already
    # (read without waiting), it goes out with a Content-Length
    while pipes.fill(0) is True:
        pass
    if pipes.out_eof:
        code = pipes.proc.wait_briefly()
        if code is None or code >= 0:
            r.body = bytes(pipes.out)
            pipes.out.clear()
            pipes.drain_stderr()
            pipes.close()
            return OK
    r.body = _stream(r, pipes, module)
    return OK


# -- what both modules declare and run alike ---------------------------------------------------

def scriptlog_directives(module_name: str) -> tuple:
    """ScriptLog, ScriptLogLength and ScriptLogBuffer of a module whose server config is
    a :class:`ScriptLogConf` (mod_cgi's and mod_cgid's tables have the same three)."""
    from httpd.module import RSRC_CONF, Args, directive
    from httpd.util.cparse import atoi, strtol

    def conf(cmd) -> ScriptLogConf:
        return cmd.server.module_config[module_name]

    @directive("ScriptLog", Args.TAKE1, RSRC_CONF,
               "the name of a log for script debugging info")
    def set_scriptlog(cmd, _d, arg: str):
        conf(cmd).logname = cmd.process.server_root_relative(arg)
        return None

    @directive("ScriptLogLength", Args.TAKE1, RSRC_CONF,
               "the maximum length (in bytes) of the script debug log")
    def set_scriptlog_length(cmd, _d, arg: str):
        conf(cmd).logbytes = strtol(arg)[0]          # atol
        return None

    @directive("ScriptLogBuffer", Args.TAKE1, RSRC_CONF,
               "the maximum size (in bytes) to record of a POST request")
    def set_scriptlog_buffer(cmd, _d, arg: str):
        conf(cmd).bufbytes = max(0, atoi(arg))
        return None

    return set_scriptlog, set_scriptlog_length, set_scriptlog_buffer


class ScriptDirConfig:
    """cgi_dirconf / cgid_dirconf: the script timeout in seconds (None: Timeout).  No
    merger in either module: the nearer section's record wins whole."""

    __slots__ = ("timeout",)

    def __init__(self, timeout: Optional[float] = None):
        self.timeout = timeout

    @staticmethod
    def create(path: Optional[str]) -> "ScriptDirConfig":
        return ScriptDirConfig()

    @staticmethod
    def merge(base: "ScriptDirConfig", add: "ScriptDirConfig") -> "ScriptDirConfig":
        return add


def script_timeout_directive(name: str):
    """CGIScriptTimeout / CGIDScriptTimeout (ap_timeout_parameter_parse, seconds)."""
    from httpd.http.core import parse_timeout
    from httpd.module import ACCESS_CONF, RSRC_CONF, Args, directive

    def set_script_timeout(cmd, d: ScriptDirConfig, arg: str):
        t = parse_timeout(arg, "s")
        if t is None:
            return f"{name} has wrong format"
        d.timeout = t
        return None

    return directive(name, Args.TAKE1, RSRC_CONF | ACCESS_CONF,
                     "The amount of time to wait between successful reads from the CGI "
                     "script, in seconds.")(set_script_timeout)


def script_timeout(r: Request, module_name: str) -> float:
    """The module's script timeout for ``r``, else the server's Timeout."""
    d = r.module_config(module_name)
    t = getattr(d, "timeout", None)
    if t:
        return t
    core = r.server.module_config[CORE_MODULE].timeout
    return float(core) if core else 60.0


def hold(r: Request, key: str, process: ScriptProcess, pipes: ScriptPipes) -> None:
    """Keep the request's script for :func:`cleanup` (the pool cleanup of Apache)."""
    r.request_config[key] = (process, pipes)


def cleanup(r: Request, key: str) -> None:
    """Every script the request (or its internal redirects) ran is ended and reaped."""
    while r is not None:
        held = r.request_config.pop(key, None)
        if held is not None:
            process, pipes = held
            pipes.close()
            process.finish()
            closer = getattr(process._poll, "close", None)
            if closer is not None:
                closer()
        r = r.next
