"""Daemon mode (wsgi_daemon.c): each WSGIDaemonProcess group is a set of processes of
its own user, serving its applications for the MPM's children over a Unix socket.

**Who starts what.** At post_config the parent (still root) binds one listening Unix
socket per group (``listen-backlog``), owned by the MPM children's User, and forks a
*supervisor*: the process that starts the group's daemon processes, reaps them and
starts a new one when one dies (the log says how it died), the way an MPM parent keeps
its children, with the shared machinery of httpd/mpm/ (``Children`` for fork and reap,
``describe_exit`` for the lines, the pipe of death to hear from the parent,
``identity.become`` for the switch to the group's user).  The supervisor leaves when
the parent's end of its pipe of death closes (the server stopped) or it reads a
graceful byte on it (a restart made a new generation).

**Restarts.** A new generation binds its sockets under a temporary name and renames
them over the old paths, so every connection from then on reaches the new daemons,
then tells the old supervisor to go: the old daemons stop accepting only when their
backlog is empty and finish what they hold (``graceful-timeout``), so no request is
dropped.

**A request** (``handle``, in the MPM child): connect (retrying while the group
restarts, up to ``connect-timeout``: 503 after), send the environ, then answer the
daemon's frames: ``R`` asks for up to n bytes of the body (read from the client only
then, so nothing is read past what the application asks for), ``L`` is an error-log
line, ``H`` the status and headers, ``B`` body bytes, ``Z`` the end, ``X`` an answer
the daemon gives instead (500 with the traceback, 504 when ``queue-timeout`` expired).
A daemon that dies before the head gives 502 with a line saying so; one that dies
after it closes the client's connection (the response cannot be finished).

Daemon processes honour ``processes``, ``threads``, ``maximum-requests`` (a graceful
exit after that many), ``request-timeout`` (a request running longer makes the process
exit and be replaced), ``inactivity-timeout`` (no request for that long: replaced),
``graceful-timeout``, ``shutdown-timeout``, ``home`` (the working directory; else the
user's home), ``python-path``, ``python-home`` (its site-packages on sys.path: the
interpreter is the server's own), ``display-name`` (the process name), ``umask``,
``lang`` and ``locale``.
"""
from __future__ import annotations

import json
import marshal
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
from typing import Optional

from directives.mod_wsgi import embedded
from directives.mod_wsgi.config import MODULE_NAME, daemon_groups

_HEAD = struct.Struct("!cI")
MAX_FRAME = 1 << 30


# -- frames ---------------------------------------------------------------------------------

def frame(kind: bytes, payload: bytes = b"") -> bytes:
    return _HEAD.pack(kind, len(payload)) + payload


def send_frame(sock: socket.socket, kind: bytes, payload: bytes = b"") -> None:
    if len(payload) > 65536:
        sock.sendall(_HEAD.pack(kind, len(payload)))
        sock.sendall(payload)
    else:
        sock.sendall(_HEAD.pack(kind, len(payload)) + payload)


class Frames:
    """Reading frames from a stream socket; ``next()`` is (kind, payload) or None at EOF."""

    def __init__(self, sock: socket.socket, fds: bool = False):
        self.sock = sock
        self.buf = bytearray()
        self.fds: Optional[list] = [] if fds else None    # descriptors that came along

    def _need(self, n: int) -> bool:
        while len(self.buf) < n:
            try:
                if self.fds is None:
                    data = self.sock.recv(max(65536, n - len(self.buf)))
                else:
                    data, fds, _, _ = socket.recv_fds(self.sock, max(65536, n - len(self.buf)),
                                                      4)
                    self.fds.extend(fds)
            except (ConnectionError, OSError):
                return False
            if not data:
                return False
            self.buf += data
        return True

    def next(self) -> Optional[tuple[bytes, bytes]]:
        if not self._need(5):
            return None
        kind, n = _HEAD.unpack_from(self.buf)
        if n > MAX_FRAME or not self._need(5 + n):
            return None
        payload = bytes(self.buf[5:5 + n])
        del self.buf[:5 + n]
        return kind, payload


# -- the parent: sockets and the supervisor --------------------------------------------------

class _Current:
    """This process's view of the running generation's daemons."""

    supervisor_pid = 0
    pod_w = -1
    sockets: dict = {}            # group name -> path
    status_path = ""
    owner = 0                     # the process that forked the supervisor


def _socket_dir(process) -> str:
    logs = os.path.join(process.server_root, "logs")
    return logs if os.path.isdir(logs) else tempfile.gettempdir()


def _socket_path(process, index: int) -> str:
    base = os.path.join(_socket_dir(process), f"wsgi.{os.getpid()}.{index}.sock")
    if len(base) > 100:                 # sun_path holds 108 bytes
        base = os.path.join(tempfile.gettempdir(), f"httpd-wsgi.{os.getpid()}.{index}.sock")
    return base


def _mpm_user(process) -> tuple[int, int]:
    u = process.main_server.module_config.get("unixd_module")
    if u is None:
        return -1, -1
    return u.user_id, getattr(u, "group_id", -1)


def _listen(path: str, backlog: int, owner: tuple[int, int]) -> tuple[socket.socket, tuple]:
    """A listening socket bound at ``path`` (through a temporary name renamed over it,
    so connections never find the path missing)."""
    tmp = f"{path}.{os.getpid()}.new"
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(tmp)
    if os.geteuid() == 0 and owner[0] not in (-1, 0xFFFFFFFF):
        os.chown(tmp, owner[0], -1)
    os.chmod(tmp, 0o600 if os.geteuid() == 0 else 0o700)
    s.listen(backlog or 100)
    os.rename(tmp, path)
    st = os.stat(path)
    return s, (path, st.st_dev, st.st_ino)      # to unlink only our own, at the end


def post_config(process, server) -> bool:
    groups = list(daemon_groups(process).values())
    old_pid, old_pod = _Current.supervisor_pid, _Current.pod_w
    _Current.sockets = {}
    _Current.supervisor_pid, _Current.pod_w = 0, -1
    if groups:
        owner = _mpm_user(process)
        listeners, ids = [], []
        for i, g in enumerate(groups):
            path = _socket_path(process, i)
            sock, path_id = _listen(path, g.listen_backlog, owner)
            listeners.append(sock)
            ids.append(path_id)
            _Current.sockets[g.name] = path
        _Current.status_path = os.path.join(_socket_dir(process), f"wsgi.{os.getpid()}.status")
        pod_r, pod_w = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.close(pod_w)
                if old_pod >= 0:
                    os.close(old_pod)
                code = Supervisor(process, groups, listeners, pod_r, parent, ids).run()
            except BaseException:
                import traceback
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        os.close(pod_r)
        for s in listeners:
            s.close()
        _Current.supervisor_pid, _Current.pod_w = pid, pod_w
        _Current.owner = os.getpid()
    if old_pid:
        # the old generation's daemons finish what they hold and leave
        try:
            os.write(old_pod, b"!")
        except OSError:
            pass
        os.close(old_pod)
    return True


def child_init(process) -> None:
    """An MPM child holds no end of the supervisor's pipe of death (under -X the one
    process is the parent and keeps it)."""
    if _Current.pod_w >= 0 and os.getpid() != _Current.owner:
        try:
            os.close(_Current.pod_w)
        except OSError:
            pass
        _Current.pod_w = -1


def status_hook(r, flags) -> Optional[str]:
    """/server-status: the daemon processes (from the supervisor's status file)."""
    path = _Current.status_path
    if not path:
        return None
    try:
        with open(path) as f:
            groups = json.load(f)
    except (OSError, ValueError):
        return None
    short = flags & 0x1
    out = []
    if short:
        for name, procs in groups.items():
            out.append(f"WSGIDaemonProcess {name}: {' '.join(str(p['pid']) for p in procs)}\n")
        return "".join(out)
    out.append("<h2>WSGI daemon processes</h2>\n<table border=\"0\"><tr><th>group</th>"
               "<th>pid</th><th>user</th><th>started</th><th>restarts</th></tr>\n")
    from httpd.util.escape import escape_html
    for name, procs in groups.items():
        for p in procs:
            started = time.strftime("%d-%b-%Y %H:%M:%S", time.localtime(p["started"]))
            out.append(f"<tr><td>{escape_html(name)}</td><td>{p['pid']}</td>"
                       f"<td>{escape_html(p['user'])}</td><td>{started}</td>"
                       f"<td>{p['restarts']}</td></tr>\n")
    out.append("</table>\n")
    return "".join(out)


# -- the supervisor ---------------------------------------------------------------------------

class Supervisor:
    def __init__(self, process, groups, listeners, pod_r: int, parent: int, ids: list):
        self.process, self.groups, self.listeners = process, groups, listeners
        self.path_ids = ids
        self.pod_r, self.parent = pod_r, parent
        self.slots = []                   # slot -> (group index, process number)
        for gi, g in enumerate(groups):
            for n in range(g.processes):
                self.slots.append((gi, n + 1))
        self.restarts = [0] * len(self.slots)
        self.started = [0.0] * len(self.slots)
        self.stopping = False

    def log(self, level: str, msg: str) -> None:
        from httpd.log import errorlog
        errorlog.error_log(self.process.main_server, "wsgi", level, msg)

    def run(self) -> int:
        from httpd.log import errorlog
        from httpd.mpm.children import Children
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGWINCH, signal.SIG_IGN)
        _set_name("httpd (wsgi supervisor)")
        errorlog.open_logs(self.process, replace_stderr=True)
        self.children = Children(len(self.slots))
        for slot in range(len(self.slots)):
            self._spawn(slot)
        graceful = False
        while True:
            try:
                ready, _, _ = select.select([self.pod_r], [], [], 0.5)
            except InterruptedError:
                ready = []
            if ready:
                try:
                    data = os.read(self.pod_r, 1)
                except OSError:
                    data = b""
                graceful = bool(data)
                break
            # (not the parent's pid: detaching, -k start, forks the parent anew; the
            # pipe of death's EOF is what says the server is gone)
            for child, status in self.children.reap():
                self._died(child, status)
            self._write_status()
        self._stop(graceful)
        return 0

    def _spawn(self, slot: int) -> None:
        gi, n = self.slots[slot]
        g = self.groups[gi]
        sock = self.listeners[gi]

        def main(_slot: int) -> int:
            os.close(self.pod_r)
            for i, s in enumerate(self.listeners):
                if i != gi:
                    s.close()
            return DaemonProcess(self.process, g, sock, n).run()

        child = self.children.spawn(slot, 0, main)
        if child is None:
            self.log("error", f"mod_wsgi (pid={os.getpid()}): Couldn't spawn process "
                     f"'{g.name}'.")
            return
        self.started[slot] = time.time()
        self.log("info", f"mod_wsgi (pid={child.pid}): Starting process '{g.name}' with "
                 f"uid={g.uid}, gid={g.gid} and threads={g.threads or 1}.")

    def _died(self, child, status: int) -> None:
        from httpd.mpm.children import describe_exit
        gi, n = self.slots[child.slot]
        g = self.groups[gi]
        said = describe_exit(child.pid, status)
        how = ""
        if os.WIFSIGNALED(status):
            how = f" (signal {os.WTERMSIG(status)})"
        elif os.WIFEXITED(status) and os.WEXITSTATUS(status):
            how = f" (exit status {os.WEXITSTATUS(status)})"
        if said is not None:
            self.log(said[0], said[1])
        self.log("info" if not how else "error",
                 f"mod_wsgi (pid={child.pid}): Process '{g.name}' has died{how}, deregister "
                 "and restart it.")
        if self.stopping:
            return
        self.restarts[child.slot] += 1
        if time.time() - self.started[child.slot] < 1.0:
            time.sleep(0.2)          # a process that dies at once is not restarted in a loop
        self._spawn(child.slot)

    def _write_status(self) -> None:
        groups: dict = {}
        for c in self.children:
            gi, n = self.slots[c.slot]
            g = self.groups[gi]
            groups.setdefault(g.name, []).append(
                {"pid": c.pid, "user": g.user or str(g.uid), "started": self.started[c.slot],
                 "restarts": self.restarts[c.slot]})
        path = _Current.status_path
        if not path:
            return
        text = json.dumps(groups, sort_keys=True)
        if text == getattr(self, "_last_status", None):
            return
        self._last_status = text
        tmp = path + ".tmp"
        try:
            with open(tmp, "w") as f:
                f.write(text)
            os.chmod(tmp, 0o644)
            os.rename(tmp, path)
        except OSError:
            pass

    def _stop(self, graceful: bool) -> None:
        """Graceful: the daemons drain their backlog and finish (graceful-timeout);
        otherwise they get shutdown-timeout.  Then whatever is left is killed."""
        self.stopping = True
        sig = signal.SIGUSR1 if graceful else signal.SIGTERM
        self.children.kill(sig)
        wait = max((g.graceful_timeout if graceful else g.shutdown_timeout)
                   for g in self.groups) + 1.0
        deadline = time.monotonic() + wait
        while len(self.children) and time.monotonic() < deadline:
            for child, status in self.children.reap():
                self._died(child, status)
            time.sleep(0.05)
        if len(self.children):
            self.children.kill(signal.SIGKILL)
            end = time.monotonic() + 2
            while len(self.children) and time.monotonic() < end:
                self.children.reap()
                time.sleep(0.02)
        _unlink_if_ours(self.path_ids)
        if not graceful:
            try:
                os.unlink(_Current.status_path)
            except OSError:
                pass


def _unlink_if_ours(path_ids: list) -> None:
    """Remove the socket paths that are still this generation's (a newer one renamed
    its own over them otherwise)."""
    for path, dev, ino in path_ids:
        try:
            st = os.stat(path)
            if (st.st_dev, st.st_ino) == (dev, ino):
                os.unlink(path)
        except OSError:
            pass


def _set_name(name: str) -> None:
    try:
        with open("/proc/self/comm", "w") as f:
            f.write(name[:15])
    except OSError:
        pass


# -- a daemon process -------------------------------------------------------------------------

class DaemonProcess:
    def __init__(self, process, group, sock: socket.socket, number: int):
        self.process, self.group, self.sock, self.number = process, group, sock, number
        self.lock = threading.Lock()
        self.active: dict = {}            # thread id -> start time
        self.requests = 0
        self.last_activity = time.monotonic()
        self.accepting = True
        self.draining = False
        self.reason = ""

    def log(self, level: str, msg: str) -> None:
        from httpd.log import errorlog
        errorlog.error_log(self.process.main_server, "wsgi", level, msg)

    def _become(self) -> None:
        g = self.group
        if g.umask >= 0:
            os.umask(g.umask)
        if os.geteuid() == 0 and g.uid not in (-1, 0xFFFFFFFF):
            from httpd.mpm.identity import become, user_name_of
            name = g.user or user_name_of(g.uid)
            become(g.uid, g.gid, name)
        home = g.home
        if home is None:
            import pwd
            try:
                home = pwd.getpwuid(os.getuid()).pw_dir
            except KeyError:
                home = None
        if home:
            try:
                os.chdir(home)
            except OSError as e:
                self.log("error", f"mod_wsgi (pid={os.getpid()}): Unable to change working "
                         f"directory to '{home}': {e.strerror}.")
        if g.lang:
            os.environ["LANG"] = g.lang
        if g.locale:
            os.environ["LC_ALL"] = g.locale
            import locale
            try:
                locale.setlocale(locale.LC_ALL, g.locale)
            except locale.Error:
                pass
        paths = list(g.python_path)
        if g.python_home:
            v = f"python{sys.version_info[0]}.{sys.version_info[1]}"
            paths.append(os.path.join(g.python_home, "lib", v, "site-packages"))
        embedded.add_python_path(paths)

    def run(self) -> int:
        g = self.group
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGUSR1, self._on_graceful)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGWINCH, signal.SIG_IGN)
        name = g.display_name
        if name == "%{GROUP}":
            name = f"(wsgi:{g.name})"
        _set_name(name or f"(wsgi:{g.name})")
        try:
            self._become()
        except OSError as e:
            self.log("alert", f"mod_wsgi (pid={os.getpid()}): Unable to change to uid={g.uid}"
                     f" for daemon process '{g.name}': {e.strerror}.")
            return 3
        self._import_scripts()
        self.sock.settimeout(0.25)
        threads = [threading.Thread(target=self._accept_loop, daemon=True,
                                    name=f"wsgi-{g.name}-{i}")
                   for i in range(max(g.threads, 1))]
        for t in threads:
            t.start()
        deadline = None
        while True:
            time.sleep(0.1)
            now = time.monotonic()
            with self.lock:
                active = dict(self.active)
            if g.request_timeout and active:
                oldest = min(active.values())
                if now - oldest > g.request_timeout:
                    self.log("info", f"mod_wsgi (pid={os.getpid()}): Daemon process request "
                             f"time limit exceeded, stopping process '{g.name}'.")
                    return 0
            if g.inactivity_timeout and not active and \
                    now - self.last_activity > g.inactivity_timeout:
                self.log("info", f"mod_wsgi (pid={os.getpid()}): Daemon process inactivity "
                         f"timer expired, stopping process '{g.name}'.")
                return 0
            if g.maximum_requests and self.requests >= g.maximum_requests and \
                    self.accepting:
                self.log("info", f"mod_wsgi (pid={os.getpid()}): Maximum requests reached, "
                         f"triggering graceful shutdown '{g.name}'.")
                self.accepting = False
                deadline = now + (g.graceful_timeout or 0) if g.graceful_timeout else None
            if self.reason and deadline is None:
                t = g.graceful_timeout if self.reason == "graceful" else g.shutdown_timeout
                deadline = now + t
                if self.reason == "graceful":
                    self.draining = True
                else:
                    self.accepting = False
            if not self.accepting or self.draining:
                alive = any(t.is_alive() for t in threads)
                if not alive and not active:
                    return 0
                if not self.draining and not active:
                    return 0
                if deadline is not None and now > deadline:
                    return 0

    def _on_term(self, signum, frame) -> None:
        self.reason = "term"

    def _on_graceful(self, signum, frame) -> None:
        self.reason = "graceful"

    def _import_scripts(self) -> None:
        seen = set()
        for s in [self.process.main_server] + list(self.process.vhosts):
            conf = s.module_config.get(MODULE_NAME)
            if conf is None:
                continue
            for imp in conf.imports:
                key = (imp.path, imp.application_group)
                if imp.process_group != self.group.name or key in seen:
                    continue
                seen.add(key)
                try:
                    embedded.load_script(imp.path, imp.application_group, None, False)
                except embedded.ScriptError as e:
                    for line in e.lines:
                        self.log("error", line)

    def _accept_loop(self) -> None:
        while True:
            if not self.accepting:
                return
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                if self.draining:
                    return            # the backlog is empty: no request is left behind
                continue
            except OSError:
                return
            if not self.accepting and not self.draining:
                conn.close()
                return
            conn.settimeout(None)
            tid = threading.get_ident()
            with self.lock:
                self.active[tid] = time.monotonic()
            try:
                self._serve(conn)
            except Exception:
                import traceback
                self.log("error", "".join(traceback.format_exc()).rstrip())
            finally:
                with self.lock:
                    self.active.pop(tid, None)
                    self.requests += 1
                self.last_activity = time.monotonic()
                try:
                    conn.close()
                except OSError:
                    pass

    def _serve(self, conn: socket.socket) -> None:
        g = self.group
        frames = Frames(conn)
        first = frames.next()
        if first is None or first[0] != b"E":
            return
        env = marshal.loads(first[1])
        if g.queue_timeout:
            queued = time.time() - int(env.get("mod_wsgi.queue_start", "0")) / 1e6
            if queued > g.queue_timeout:
                send_frame(conn, b"X", marshal.dumps((504, [
                    f"mod_wsgi (pid={os.getpid()}): Queue timeout expired for WSGI daemon "
                    f"process '{g.name}'."])))
                return
        env["mod_wsgi.daemon_start"] = str(int(time.time() * 1e6))
        path = env["SCRIPT_FILENAME"]
        reloading = env.get("mod_wsgi.script_reloading") == "1"
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            mtime = None
        try:
            module = embedded.load_script(path, env["mod_wsgi.application_group"], mtime,
                                          reloading)
            app = embedded.find_callable(module, path, env["mod_wsgi.callable_object"])
        except embedded.ScriptError as e:
            send_frame(conn, b"X", marshal.dumps((500, e.lines)))
            return

        def read(n: int) -> bytes:
            send_frame(conn, b"R", struct.pack("!I", max(0, min(n, 1 << 20))))
            f = frames.next()
            if f is None or f[0] != b"D":
                raise OSError("request data read error")
            if f[1][:1] == b"\x00":
                return f[1][1:]
            e = OSError("request data read error")
            e.status = int(f[1][1:] or b"400")
            raise e

        def emit(line: str) -> None:
            send_frame(conn, b"L", line.encode("utf-8", "replace"))

        stream = embedded.Input(read)
        env["wsgi.input"] = stream
        env["wsgi.errors"] = embedded.ErrorStream(emit)
        env["wsgi.file_wrapper"] = embedded.FileWrapper
        resp = embedded.Response()
        result = None
        pid = os.getpid()
        try:
            try:
                result = app(env, resp.start_response)
                if isinstance(result, embedded.FileWrapper) and resp.status is not None:
                    src = result.sendfile_source()
                    if src is not None:
                        # the file itself goes to the MPM child, which sends it with
                        # sendfile (SCM_RIGHTS), as embedded mode does
                        fd, offset, length = src
                        data = (frame(b"H", marshal.dumps((resp.status, resp.headers)))
                                + frame(b"F", marshal.dumps((offset, length))))
                        socket.send_fds(conn, [data], [fd])
                        return
                it, first_chunk = embedded.first_chunk(result, resp)
                if resp.status is None:
                    raise RuntimeError("response has not been started")
            except Exception:
                status = stream.error_status
                send_frame(conn, b"X", marshal.dumps((
                    status if status in (400, 408, 413) else 500,
                    [f"mod_wsgi (pid={pid}): Exception occurred processing WSGI script "
                     f"'{path}'."] + embedded.traceback_lines())))
                return
            # the head and what is already there go in one write; a list's items too,
            # with the end; an iterator's chunks go out as it yields them
            out = bytearray(frame(b"H", marshal.dumps((resp.status, resp.headers))))
            for p in resp.written:
                out += frame(b"B", p)
            if first_chunk is not None:
                out += frame(b"B", first_chunk)
            whole = type(result) in (list, tuple)
            try:
                for chunk in it:
                    if not isinstance(chunk, (bytes, bytearray)):
                        raise TypeError(f"sequence of byte string values expected, value "
                                        f"of type {type(chunk).__name__} found")
                    if chunk:
                        if not whole:
                            conn.sendall(out)
                            out = bytearray()
                        out += frame(b"B", bytes(chunk))
            except OSError:
                return                   # the client side went away
            except Exception:
                conn.sendall(out)
                for line in [f"mod_wsgi (pid={pid}): Exception occurred processing WSGI "
                             f"script '{path}'."] + embedded.traceback_lines():
                    emit(line)
                return                   # no Z: the response cannot be finished
            out += frame(b"Z")
            conn.sendall(out)
        except OSError:
            return
        finally:
            if result is not None:
                embedded.close_iterable(result, lambda lines: [self._emit_safe(emit, x)
                                                               for x in lines])

    @staticmethod
    def _emit_safe(emit, line: str) -> None:
        try:
            emit(line)
        except OSError:
            pass


# -- the MPM child's side of a request ---------------------------------------------------------

def _connect(r, group, path: str) -> Optional[socket.socket]:
    deadline = time.monotonic() + (group.connect_timeout or 15)
    delay = 0.05
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError as e:
            s.close()
            err = e
        if time.monotonic() + delay > deadline:
            from httpd.http.request import log_rerror
            log_rerror(r, "wsgi", "error", f"({err.errno}){err.strerror}: mod_wsgi "
                       f"(pid={os.getpid()}): Unable to connect to WSGI daemon process "
                       f"'{group.name}' on '{path}' after multiple attempts as user with "
                       f"uid={os.getuid()}.")
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def handle(r, settings) -> int:
    from httpd.http.request import log_rerror
    from directives.mod_wsgi import handler as h
    from directives.mod_wsgi.environ import wsgi_environ
    groups = daemon_groups(r.process)
    group = groups.get(settings.process_group)
    if group is None:
        log_rerror(r, "wsgi", "error", f"mod_wsgi (pid={os.getpid()}): No WSGI daemon process "
                   f"called '{settings.process_group}' has been configured: {r.filename}")
        return 500
    if group.server.is_virtual and group.server is not r.server and \
            h._hostname_of(group.server) != h._hostname_of(r.server):
        log_rerror(r, "wsgi", "error", f"mod_wsgi (pid={os.getpid()}): Daemon process called "
                   f"'{group.name}' cannot be accessed by this WSGI application: {r.filename}")
        return 500
    path = _Current.sockets.get(group.name)
    if path is None:
        return 503
    env = wsgi_environ(r, settings, group.threads > 1, group.multiprocess)
    env["mod_wsgi.queue_start"] = str(int(time.time() * 1e6))
    sock = _connect(r, group, path)
    if sock is None:
        return 503
    timeout = group.socket_timeout or h.server_timeout(r)
    sock.settimeout(timeout)
    frames = Frames(sock, fds=True)
    try:
        send_frame(sock, b"E", marshal.dumps(env))
    except OSError:
        sock.close()
        return _died(r, group, before_head=True)
    h.remember_close(r, sock)
    body_error = [0]
    while True:
        f = frames.next()
        if f is None:
            return _died(r, group, before_head=True)
        kind, payload = f
        if kind == b"R":
            _answer_read(r, sock, payload, body_error)
        elif kind == b"L":
            log_rerror(r, "wsgi", "error", payload.decode("utf-8", "replace"))
        elif kind == b"X":
            status, lines = marshal.loads(payload)
            for line in lines:
                log_rerror(r, "wsgi", "error", line)
            return status
        elif kind == b"H":
            status_line, headers = marshal.loads(payload)
            resp = embedded.Response()
            resp.status, resp.headers = status_line, headers
            h.apply_head(r, resp)
            if frames._need(5) and frames.buf[:1] == b"F":
                f = frames.next()
                if f is None or not frames.fds:
                    return _died(r, group, before_head=True)
                offset, length = marshal.loads(f[1])
                return h.apply_fd(r, frames.fds.pop(0), offset, length)
            r.body = h.body(r, _daemon_body(r, group, sock, frames, body_error), [])
            return 0
        else:
            return _died(r, group, before_head=True)


def _answer_read(r, sock, payload: bytes, body_error: list) -> None:
    n = struct.unpack("!I", payload)[0]
    if body_error[0]:
        send_frame(sock, b"D", b"\x01" + str(body_error[0]).encode())
        return
    try:
        data = r.read_body(n) if n else b""
    except Exception as e:
        body_error[0] = getattr(e, "status", 400)
        send_frame(sock, b"D", b"\x01" + str(body_error[0]).encode())
        return
    send_frame(sock, b"D", b"\x00" + data)


def _daemon_body(r, group, sock, frames, body_error):
    from httpd.http.request import log_rerror
    from httpd.io.channel import ClientGone
    while True:
        f = frames.next()
        if f is None:
            log_rerror(r, "wsgi", "error", f"mod_wsgi (pid={os.getpid()}): Daemon process "
                       f"'{group.name}' went away before the response to {r.filename} "
                       "was complete; the connection is closed.")
            r.conn.keepalive = False
            raise ClientGone()
        kind, payload = f
        if kind == b"B":
            yield payload
        elif kind == b"Z":
            return
        elif kind == b"L":
            log_rerror(r, "wsgi", "error", payload.decode("utf-8", "replace"))
        elif kind == b"R":
            _answer_read(r, sock, payload, body_error)


def _died(r, group, before_head: bool) -> int:
    from httpd.http.request import log_rerror
    log_rerror(r, "wsgi", "error", f"mod_wsgi (pid={os.getpid()}): Truncated or oversized "
               f"response headers received from daemon process '{group.name}': {r.filename} "
               "(the daemon process died or closed the connection before answering).")
    return 502
