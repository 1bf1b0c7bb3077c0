"""A real multi-process server, for every MPM with a process runtime: the MPM suite
(tests/mpms/conformance/), the per-MPM tests (tests/mpms/*/) and httpd -k
(tests/main/test_control.py) start theirs with start_server.

The server runs in the foreground (-DFOREGROUND) on a free 127.0.0.1 port from a scratch
ServerRoot readable by User nobody; it is stopped by its own pid, and any child still
alive afterwards is killed by pid.  Every wait is bounded in time.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

from tests.e2e.servers import start_httpd

AS_ROOT = os.geteuid() == 0
# mpm-itk switches each connection's process to a user: it serves only as root
MPMS = ["prefork", "worker", "event", "perchild"] + (["itk"] if AS_ROOT else [])
# A variant is an MPM plus modules loaded right after it: mpm-itk is prefork with
# mpm_itk_module (LoadModule mod_mpm_itk.so after mod_mpm_prefork.so, as Debian's).  Its
# server's ``mpm`` is the MPM it runs on, ``variant`` its own name.
VARIANTS = {"itk": ("prefork", ("mpm_itk",))}


def split_variant(mpm: str) -> tuple[str, tuple]:
    """(the MPM, the modules loaded right after it) of an MPM or a variant."""
    return VARIANTS.get(mpm, (mpm, ()))


# a variant's own log lines: under mpm-itk a connection's process is the child's child,
# whose death its prefork child logs (and then leaves: the parent starts another)
VARIANT_MESSAGES = {"itk": {"killed": "child died with signal 9"}}
# variants whose connections each get a process of their own, which leaves (and so
# writes what it buffered, BufferedLogs) when its connection ends
FORKS_PER_CONNECTION = {"itk"}

# The tests speak prefork's language: a "server" is one unit of capacity (a process).
# Under worker and event a unit is a process of THREADS_PER_CHILD threads, so the
# spare and limit directives are scaled into their thread forms (translate()).  What
# is by nature different per MPM is listed here and nowhere else.
THREADS_PER_CHILD = {"prefork": 1, "worker": 2, "event": 2, "perchild": 2}
# perchild keeps a fixed number of children (NumServers): the spare-server settings
# become NumServers = max(StartServers, MinSpareServers), MaxSpareServers and
# MaxRequestWorkers have no counterpart, and its thread pools are pinned at
# THREADS_PER_CHILD (StartThreads = MaxThreadsPerChild) so that a unit is the same
# as under worker and event; the pools' growth is tested in tests/mpms/perchild/.
FIXED_PROCESS_COUNT = {"perchild"}
MESSAGES = {
    "prefork": {
        "started": "AH00163: ",
        "graceful": "AH00171: Graceful restart requested, doing restart",
        "restart": "AH00173: SIGHUP received.  Attempting to restart",
        "stop": "AH00169: caught SIGTERM, shutting down",
        "graceful_stop": "AH00170: caught SIGWINCH, shutting down gracefully",
        # prefork counts processes: MinSpareServers above MaxRequestWorkers is "reached"
        "max_workers": "AH00161: server reached MaxRequestWorkers setting, consider "
                       "raising the MaxRequestWorkers setting",
    },
    "worker": {
        "started": "AH00292: ",
        "graceful": "AH00297: SIGUSR1 received.  Doing graceful restart",
        "restart": "AH00298: SIGHUP received.  Attempting to restart",
        "stop": "AH00295: caught SIGTERM, shutting down",
        "graceful_stop": "AH00296: caught SIGWINCH, shutting down gracefully",
        # worker and event count threads: idle threads remain, so "within MinSpareThreads"
        "max_workers": "AH00287: server is within MinSpareThreads of MaxRequestWorkers, "
                       "consider raising the MaxRequestWorkers setting",
    },
    "perchild": {       # Apache 2.0's lines, without AH numbers
        "started": "[mpm_perchild:notice]",
        "graceful": "SIGUSR1 received.  Doing graceful restart",
        "restart": "SIGHUP received.  Attempting to restart",
        "stop": "caught SIGTERM, shutting down",
        "graceful_stop": "caught SIGWINCH, shutting down gracefully",
        # NumServers above ServerLimit is lowered with a start-up warning on the
        # console; nothing is logged when the fixed count is reached
        "max_workers": None,
    },
    "event": {
        "started": "AH00489: ",
        "graceful": "AH00493: SIGUSR1 received.  Doing graceful restart",
        "restart": "AH00494: SIGHUP received.  Attempting to restart",
        "stop": "AH00491: caught SIGTERM, shutting down",
        "graceful_stop": "AH00492: caught SIGWINCH, shutting down gracefully",
        "max_workers": "AH10159: server is within MinSpareThreads of MaxRequestWorkers, "
                       "consider raising the MaxRequestWorkers setting",
    },
}
# the MPM a restart switches to (ThreadsPerChild stays valid between worker and event)
OTHER_MPM = {"prefork": "worker", "worker": "event", "event": "worker", "perchild": "worker"}

_SCALED = {"minspareservers": "MinSpareThreads", "maxspareservers": "MaxSpareThreads",
           "maxrequestworkers": "MaxRequestWorkers"}


def translate(mpm: str, settings: str) -> str:
    """prefork's process-count directives in ``mpm``'s terms (see THREADS_PER_CHILD)."""
    tpc = THREADS_PER_CHILD[split_variant(mpm)[0]]
    if mpm in FIXED_PROCESS_COUNT:
        return _translate_fixed(tpc, settings)
    if tpc == 1:
        return settings
    out = [f"ThreadsPerChild {tpc}"]
    for line in settings.splitlines():
        words = line.split()
        if len(words) == 2 and words[0].lower() in _SCALED:
            line = f"{_SCALED[words[0].lower()]} {int(words[1]) * tpc}"
        out.append(line)
    return "\n".join(out) + "\n"


def _translate_fixed(tpc: int, settings: str) -> str:
    counts, out = {}, []
    for line in settings.splitlines():
        words = line.split()
        key = words[0].lower() if len(words) == 2 else ""
        if key in ("startservers", "minspareservers"):
            counts[key] = int(words[1])
        elif key not in ("maxspareservers", "maxrequestworkers"):
            out.append(line)
    num = max(counts.values()) if counts else 2
    head = [f"NumServers {num}", f"StartThreads {tpc}", f"MaxThreadsPerChild {tpc}",
            "MinSpareThreads 1", f"MaxSpareThreads {tpc}"]
    return "\n".join(head + out) + "\n"


def children_of(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(name))
    return sorted(out)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def wait_for(cond: Callable[[], bool], seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


class MPMServer:
    def __init__(self, mpm: str, root: Path, port: int, proc: subprocess.Popen,
                 variant: Optional[str] = None):
        self.mpm, self.root, self.port, self.proc = mpm, root, port, proc
        self.variant = variant or mpm
        self.pid = proc.pid
        self.seen_children: set[int] = set()
        self.says = {**MESSAGES[mpm], **VARIANT_MESSAGES.get(self.variant, {})}
        self.threads_per_child = THREADS_PER_CHILD[mpm]

    @property
    def conf(self) -> Path:
        return self.root / "httpd.conf"

    @property
    def error_log(self) -> str:
        p = self.root / "logs" / "error_log"
        return p.read_text(errors="replace") if p.exists() else ""

    def children(self) -> list[int]:
        kids = children_of(self.pid)
        self.seen_children.update(kids)
        return kids

    def signal(self, sig: int) -> None:
        os.kill(self.pid, sig)

    def get(self, path: str = "/index.html", timeout: float = 5.0) -> tuple[int, bytes]:
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                      .encode())
            data = read_all(s, timeout)
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
        return status, data.split(b"\r\n\r\n", 1)[-1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.children()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for pid in self.seen_children:      # only processes this test started
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def owner_of(server, client: socket.socket) -> int:
    """The child whose socket is the other end of ``client`` (or the child's child that
    serves the connection, under mpm-itk)."""
    port = client.getsockname()[1]
    inode = None
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            remote_port = int(parts[2].split(":")[1], 16)
            local_port = int(parts[1].split(":")[1], 16)
            if remote_port == port and local_port == server.port:
                inode = parts[9]
    assert inode is not None
    kids = server.children()
    for pid in kids + [g for kid in kids for g in children_of(kid)]:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise AssertionError("no child holds the connection")


def try_owner_of(server, conn):
    try:
        return owner_of(server, conn)
    except AssertionError:
        return None


def read_all(s: socket.socket, timeout: float) -> bytes:
    out = bytearray()
    deadline = time.monotonic() + timeout
    s.settimeout(timeout)
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionError):
            break
        if not chunk:
            break
        out += chunk
    return bytes(out)


def scratch_root() -> Path:
    """A ServerRoot the unprivileged children can read (pytest's tmp dirs are 0700)."""
    root = Path(tempfile.mkdtemp(prefix="httpd-mpm-"))
    root.chmod(0o755)
    (root / "logs").mkdir()
    (root / "htdocs").mkdir()
    (root / "htdocs" / "index.html").write_text("hello\n")
    for p in (root / "htdocs", root / "htdocs" / "index.html"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return root


def config_body(root: Path, settings: str = "") -> str:
    user = "User nobody\nGroup nogroup\n" if AS_ROOT else ""
    return (f"DocumentRoot {root}/htdocs\n<Directory {root}/htdocs>\nRequire all granted\n"
            f"</Directory>\nLogLevel info\n{user}{settings}")


def start_server(mpm: str, settings: str = "", root: Optional[Path] = None,
                 modules: tuple = (), raw: bool = False) -> MPMServer:
    """``raw``: the settings are already in ``mpm``'s own terms (no translate()).
    ``mpm`` may be a variant (VARIANTS)."""
    variant = mpm
    mpm, extra = split_variant(mpm)
    root = root or scratch_root()
    body = config_body(root, settings if raw else translate(mpm, settings))
    try:
        srv = start_httpd(root, body, args=("-DFOREGROUND",), seconds=15,
                          popen={"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE},
                          mpm=mpm, modules=extra + ("authz_core", "mime", "dir")
                          + tuple(modules))
    except RuntimeError as e:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"{mpm} server did not start:\n{str(e).partition(chr(10))[2]}") \
            from None
    srv = MPMServer(mpm, root, srv.port, srv.proc, variant)
    # the parent's signal handlers are in place once it logs this, and children follow
    if not wait_for(lambda: "resuming normal operations" in srv.error_log
                    and srv.children(), 10):
        srv.stop()
        raise RuntimeError(f"{mpm} server did not start its children:\n{srv.error_log}")
    return srv
