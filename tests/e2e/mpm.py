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
MPMS += ["mpmt_os2", "winnt", "beos", "netware"]  # the MPMs of Apache's other platforms
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
MESSAGES.update({
    "mpmt_os2": {
        "started": "AH00206: ",
        # master_main logs no line on a restart: the parent's "configured" again
        "graceful": "AH00206: ", "restart": "AH00206: ",
        "stop": "AH00201: caught SIGTERM, shutting down",
        "mpm_name": "mpmt_os2",
    },
    "winnt": {
        "started": "AH00455: ",
        # its one restart, the restart event, lets the child's requests finish (the
        # source: "This MPM supports only graceful restarts"); see SIGNALS_AS
        "graceful": "AH00424: Parent: Received restart signal -- Restarting the server.",
        "restart": "AH00424: Parent: Received restart signal -- Restarting the server.",
        "stop": "AH00422: Parent: Received shutdown signal -- Shutting down the server.",
        "graceful_stop": "AH00422: Parent: Received shutdown signal -- Shutting down the "
                         "server.",
        "mpm_name": "WinNT",
    },
    "beos": {           # Apache 2.0's lines: no AH numbers
        "started": "configured -- resuming normal operations",
        "graceful": "SIGUSR1 received.  Doing graceful restart",
        "restart": "SIGHUP received.  Attempting to restart",
        "stop": "caught SIGTERM, shutting down",
        "mpm_name": "beos",
    },
    "netware": {
        "started": "AH00224: ",
        # every restart is graceful (the console's RESTART; SIGHUP and SIGUSR1 here)
        "graceful": "AH00227: Graceful restart requested, doing restart",
        "restart": "AH00227: Graceful restart requested, doing restart",
        "stop": "AH00226: caught SIGTERM, shutting down",
        "mpm_name": "NetWare",
    },
})
# what the suite's signals are in the terms of an MPM with fewer control paths: winnt's
# parent has the shutdown and restart events only (SIGTERM, SIGHUP); its restart and
# shutdown give the child's requests Timeout seconds, so they are its graceful forms
SIGNALS_AS = {"winnt": {signal.SIGUSR1: signal.SIGHUP, signal.SIGWINCH: signal.SIGTERM}}
# how many connections in a row one child may take before another gets one: a
# threaded child's THREADS_PER_CHILD, but an mpmt_os2 child's main thread queues all it
# accepts (up to 256 threads), with nothing to make it leave one to another child
IN_A_ROW = {"mpmt_os2": 8}
# how many children the suite can count on: winnt has exactly one
MIN_CHILDREN = {"winnt": 1, "beos": 0, "netware": 0}
THREADS_PER_CHILD["mpmt_os2"] = 1      # MinSpareThreads 1 / MaxSpareThreads 1 (translate)
THREADS_PER_CHILD["beos"] = THREADS_PER_CHILD["netware"] = 1
THREADS_PER_CHILD["winnt"] = 2         # StartServers N is ThreadsPerChild 2N (translate)
# the MPMs ./configure builds only statically (Apache's "does not support dynamic loading")
STATIC = {"mpmt_os2", "winnt"}
ONE_CHILD = "one child process serves every connection: there is no other child"
NO_CHILD = "one process of threads: no child process is forked"
SAME_FOR_ONE_PROCESS = {
    "test_idle_children_rise_to_min_spare_servers": NO_CHILD,
    "test_idle_children_above_max_spare_are_retired_one_per_second": NO_CHILD,
    "test_a_child_killed_mid_request_loses_only_its_connection": NO_CHILD,
    "test_a_crashing_child_is_logged_as_apache_does": NO_CHILD,
    "test_max_connections_per_child_recycles_children": NO_CHILD,
    "test_buffered_lines_of_a_leaving_child_are_written": NO_CHILD,      # tests/mpm/
    "test_children_run_as_user_and_group_the_parent_stays_root":
        "User and Group are no-ops: the MPM never drops privileges",
    "test_graceful_shutdown_timeout_bounds_a_graceful_stop": "no GracefulShutdownTimeout",
}

# where an MPM differs from prefork by its nature, test by test: the conformance suite
# reports each as skipped with this reason (that MPM's documented behaviour)
DIFFERS = {
    "mpmt_os2": {
        "test_idle_children_rise_to_min_spare_servers":
            "the parent keeps exactly StartServers children; spares are threads per child",
        "test_idle_children_above_max_spare_are_retired_one_per_second":
            "the parent keeps exactly StartServers children; spares are threads per child",
        "test_max_request_workers_reached_is_logged_once":
            "no MaxRequestWorkers: StartServers children of up to 256 threads",
        "test_graceful_stop_waits_for_the_request_in_flight":
            "no graceful stop: mpmt_os2 does not handle SIGWINCH",
        "test_graceful_shutdown_timeout_bounds_a_graceful_stop":
            "no graceful stop and no GracefulShutdownTimeout",
        "test_scoreboard_file_holds_the_board_while_running":
            "ScoreBoardFile is a no-op (\"Not applicable on this platform\")",
        "test_scoreboard_file_that_cannot_be_made_stops_the_start":
            "ScoreBoardFile is a no-op (\"Not applicable on this platform\")",
        "test_children_run_as_user_and_group_the_parent_stays_root":
            "User and Group are no-ops: the MPM never drops privileges",
        "test_changing_the_mpm_on_restart_stops_the_server":
            "a static-only MPM: no other MPM can be loaded in its build",
    },
    "beos": dict(SAME_FOR_ONE_PROCESS, **{
        "test_max_request_workers_reached_is_logged_once":
            "maintenance fills every slot up to MaxClients and logs nothing",
        "test_server_status_counts_the_children":
            "maintenance fills every slot up to MaxClients: the idle count is not StartThreads",
        "test_graceful_stop_waits_for_the_request_in_flight":
            "no graceful stop in 2.0: SIGWINCH is not handled",
        "test_changing_the_mpm_on_restart_stops_the_server":
            "beos has no StartServers (StartThreads): no config serves it and another MPM",
    }),
    "netware": dict(SAME_FOR_ONE_PROCESS, **{
        "test_graceful_stop_waits_for_the_request_in_flight":
            "no graceful stop: SIGTERM, SIGABRT and the console's SHUTDOWN stop it",
        "test_max_request_workers_reached_is_logged_once":
            "no process count: MaxThreads bounds the threads (tests/mpms/netware)",
        "test_changing_the_mpm_on_restart_stops_the_server":
            "netware has no StartServers (StartThreads): no config serves it and another MPM",
    }),
    "winnt": {
        "test_idle_children_rise_to_min_spare_servers": ONE_CHILD,
        "test_idle_children_above_max_spare_are_retired_one_per_second": ONE_CHILD,
        "test_max_request_workers_reached_is_logged_once":
            "no MaxRequestWorkers: ThreadsPerChild is the whole server's concurrency",
        "test_a_child_killed_mid_request_loses_only_its_connection": ONE_CHILD,
        "test_broken_config_on_restart_keeps_the_old_generation_serving":
            "a config broken at a restart stops the server (tests/mpms/winnt)",
        "test_graceful_shutdown_timeout_bounds_a_graceful_stop":
            "no GracefulShutdownTimeout: the child's requests get Timeout seconds",
        "test_children_run_as_user_and_group_the_parent_stays_root":
            "no User/Group on Windows: the MPM never drops privileges",
        "test_changing_the_mpm_on_restart_stops_the_server":
            "a static-only MPM: no other MPM can be loaded in its build",
    },
}
# the MPM a restart switches to (ThreadsPerChild stays valid between worker and event)
OTHER_MPM = {"prefork": "worker", "worker": "event", "event": "worker", "perchild": "worker"}

_SCALED = {"minspareservers": "MinSpareThreads", "maxspareservers": "MaxSpareThreads",
           "maxrequestworkers": "MaxRequestWorkers"}


# prefork's directives in the terms of the MPMs that have no process-count directives:
# a new name (scaled by THREADS_PER_CHILD), None to drop the line, extra lines first
_TERMS = {
    "mpmt_os2": ({"minspareservers": None, "maxspareservers": None,
                  "maxrequestworkers": None, "serverlimit": None},
                 "MinSpareThreads 1\nMaxSpareThreads 1\n"),
    "beos": ({"startservers": "StartThreads", "minspareservers": "MinSpareThreads",
              "maxspareservers": "MaxSpareThreads", "maxrequestworkers": "MaxClients",
              "serverlimit": None, "gracefulshutdowntimeout": None}, ""),
    "netware": ({"startservers": "StartThreads", "minspareservers": "MinSpareThreads",
                 "maxspareservers": "MaxSpareThreads", "maxrequestworkers": "MaxThreads",
                 "serverlimit": None, "gracefulshutdowntimeout": None}, ""),
    "winnt": ({"startservers": "ThreadsPerChild", "minspareservers": None,
               "maxspareservers": None, "maxrequestworkers": None, "serverlimit": None,
               "gracefulshutdowntimeout": None}, ""),
}


def skip_if_differs(mpm: str, test: str) -> None:
    """Skip ``test`` for ``mpm`` with its DIFFERS reason (that MPM's documented
    behaviour), if it has one."""
    import pytest
    reason = DIFFERS.get(mpm, {}).get(test)
    if reason:
        pytest.skip(f"{mpm} differs by design (tests/e2e/mpm.py DIFFERS): {reason}")


def static_build(mpm: str, where: Path) -> Optional[str]:
    """For a static-only MPM, a build config (./configure --with-mpm=MPM) in ``where``
    for HTTPD_BUILD_CONFIG; None for the others (the installed build has them shared)."""
    if mpm not in STATIC:
        return None
    from httpd.module.build import Build
    path = where / f"build-{mpm}.json"
    path.write_text(Build(default_mpm=mpm, static_mpm=mpm, shared_mpms=(),
                          catalogues=("directives", "mpms")).to_json())
    return str(path)


def translate(mpm: str, settings: str) -> str:
    """prefork's process-count directives in ``mpm``'s terms (see THREADS_PER_CHILD)."""
    if mpm in _TERMS:
        names, extra = _TERMS[mpm]
        out = [extra.rstrip("\n")] if extra else []
        for line in settings.splitlines():
            words = line.split()
            if len(words) == 2 and words[0].lower() in names:
                new = names[words[0].lower()]
                if new is None:
                    continue
                line = f"{new} {int(words[1]) * THREADS_PER_CHILD[mpm]}"
            out.append(line)
        return "\n".join(out) + "\n"
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
        self.min_children = MIN_CHILDREN.get(mpm, 2)
        self.in_a_row = IN_A_ROW.get(mpm, self.threads_per_child)

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
        os.kill(self.pid, SIGNALS_AS.get(self.mpm, {}).get(sig, sig))

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
    build = static_build(mpm, root)
    try:
        srv = start_httpd(root, body, args=("-DFOREGROUND",), seconds=15,
                          env={"HTTPD_BUILD_CONFIG": build} if build else None,
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
                    and (srv.children() or not srv.min_children), 10):
        srv.stop()
        raise RuntimeError(f"{mpm} server did not start its children:\n{srv.error_log}")
    return srv
