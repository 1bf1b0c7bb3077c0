"""perchild (Apache 2.0's server/mpm/experimental/perchild/perchild.c): a fixed number
of children (NumServers), each with its own user and group (ChildPerUserID) and its own
pool of threads that grows and shrinks (StartThreads, Min/MaxSpareThreads,
MaxThreadsPerChild); a virtual host tied to a user and group (AssignUserID) is served
only by children of that identity, and a connection that reaches another child is
passed to one of them with its socket (SCM_RIGHTS).

This file holds perchild's directive table, defaults and check_config (Apache 2.0 gave
its warnings from the directive handlers, without AH numbers; the texts are its own),
its query answers, and the status and -S lines showing each child's identity; the
process runtime is mpms/perchild/runtime.py over httpd/mpm/threaded/.
"""
from __future__ import annotations

import sys
from typing import Any, Optional

import attrs

from httpd.module import CORE_MODULE, RSRC_CONF, Args, Directive, Module
from httpd.module.hooks import DECLINED, MIDDLE, OK, REALLY_FIRST
from httpd.mpm.common import (DYNAMIC, MPM, MPMQ, STATIC, Clamp, ListenSettings, MPMConfig,
                              atoi, global_directive, graceful_shutdown_timeout,
                              listen_commands, mpm_config)
from httpd.mpm.scoreboard import DEAD
from httpd.mpm.identity import become, gname2id, setuid_error, uname2id

NAME = "mpm_perchild_module"
TAG = "mpm_perchild"

# mpm_default.h of perchild (2.0)
DEFAULT_NUM_DAEMON = 2
DEFAULT_START_THREAD = 5
DEFAULT_MIN_SPARE_THREAD = 5
DEFAULT_MAX_SPARE_THREAD = 10
DEFAULT_SERVER_LIMIT = 8
DEFAULT_THREAD_LIMIT = 64
MAX_SERVER_LIMIT = 20000
MAX_THREAD_LIMIT = 20000

TOO_MANY_IDS = ("Trying to use more child ID's than NumServers.  Increase NumServers in "
                "your config file.")
ROOT_IDS = "Assigning root user/group to a child."
NO_MATCH = "Unable to find process with matching uid/gid."


@attrs.frozen
class Identity:
    """The user and group a child runs as (ChildPerUserID) or a vhost is tied to
    (AssignUserID), with the names as written."""

    uid: int
    gid: int
    user: str
    group: str

    @property
    def key(self) -> tuple[int, int]:
        return (self.uid, self.gid)


@attrs.define
class PerchildConfig(MPMConfig):
    num_servers: int = DEFAULT_NUM_DAEMON
    start_threads: int = DEFAULT_START_THREAD
    min_spare_threads: int = DEFAULT_MIN_SPARE_THREAD
    max_spare_threads: int = DEFAULT_MAX_SPARE_THREAD
    max_threads: Optional[int] = None          # MaxThreadsPerChild; None: ThreadLimit
    server_limit: int = DEFAULT_SERVER_LIMIT
    thread_limit: int = DEFAULT_THREAD_LIMIT
    # child_info_table: the identities ChildPerUserID gave, child number by number
    child_ids: list = attrs.field(factory=list)
    # AssignUserID of this server (a virtual host, or the main server)
    assigned: Optional[Identity] = None


@attrs.frozen
class PerchildSettings:
    """perchild's checked numbers for one generation (``process.mpm_state``).

    ``slot_ids`` has one entry per child number (NumServers of them): the Identity of
    ChildPerUserID, or None for a child that runs as User/Group.  ``routes`` maps each
    server (by id) to the identity key of the children that may serve it (None: the
    User/Group children), computed once per generation for the request path."""

    mpm: str
    server_limit: int
    thread_limit: int
    num_servers: int
    start_threads: int
    min_spare_threads: int
    max_spare_threads: int
    max_threads: int
    slot_ids: tuple
    routes: dict
    graceful_shutdown_timeout: int
    listen: ListenSettings

    # what the shared parent machinery asks of any MPM's settings
    @property
    def start_servers(self) -> int:
        return self.num_servers

    @property
    def daemons_limit(self) -> int:
        return self.num_servers

    @property
    def threads_per_child(self) -> int:
        return self.max_threads

    def key_of(self, number: int) -> Optional[tuple[int, int]]:
        ident = self.slot_ids[number]
        return None if ident is None else ident.key

    def for_run(self, num_buckets: int = 1) -> "PerchildSettings":
        return self


class Perchild(MPM):
    name = "perchild"
    module = NAME
    # perchild_query: AP_MPMQ_IS_THREADED = DYNAMIC, AP_MPMQ_IS_FORKED = STATIC
    is_threaded = DYNAMIC
    is_forked = STATIC

    def _query_settings(self, code: MPMQ, s: Any) -> Optional[int]:
        return {
            MPMQ.HARD_LIMIT_DAEMONS: s.server_limit,
            MPMQ.HARD_LIMIT_THREADS: s.thread_limit,
            MPMQ.MAX_THREADS: s.max_threads,
            MPMQ.MIN_SPARE_DAEMONS: 0,
            MPMQ.MIN_SPARE_THREADS: s.min_spare_threads,
            MPMQ.MAX_SPARE_DAEMONS: 0,
            MPMQ.MAX_SPARE_THREADS: s.max_spare_threads,
            MPMQ.MAX_DAEMONS: s.num_servers,
        }.get(code)

    def run(self, process: Any, serving: Any, listeners: list, reload=None,
            on_exit=None) -> int:
        from mpms.perchild.runtime import run      # the process runtime, loaded only to serve
        return run(process, serving, listeners, reload=reload, on_exit=on_exit)


PERCHILD = Perchild()


# -- the directives -------------------------------------------------------------------------

def _main_cfg(cmd: Any) -> PerchildConfig:
    return cmd.process.main_server.module_config[NAME]


def _limit(value: int, high: int) -> int:
    return high if value > high else 1 if value < 1 else value


def _num_daemons(cfg: PerchildConfig) -> int:
    """NumServers as set_num_daemons left it when the directive was read: within 1 and
    the ServerLimit read so far."""
    return _limit(cfg.num_servers, _limit(cfg.server_limit, MAX_SERVER_LIMIT))


def _int(field: str):
    def handler(cmd, _mconfig, arg):
        setattr(mpm_config(cmd, NAME), field, atoi(arg))
        return None
    handler.__name__ = f"set_{field}"
    return handler


def set_child_per_uid(cmd: Any, _mconfig: Any, user: str, group: str, num: str) -> Optional[str]:
    """ChildperUserID user group num: the next num children run as user:group."""
    cfg = _main_cfg(cmd)
    for _ in range(atoi(num)):
        if len(cfg.child_ids) >= _num_daemons(cfg):
            return TOO_MANY_IDS
        ident = Identity(uname2id(cmd.process, user), gname2id(cmd.process, group),
                         user, group)
        if ident.uid == 0 or ident.gid == 0:
            return ROOT_IDS
        cfg.child_ids.append(ident)
    return None


def assign_childuid(cmd: Any, _mconfig: Any, user: str, group: str) -> Optional[str]:
    """AssignUserID user group: this server is served by the children of user:group."""
    ident = Identity(uname2id(cmd.process, user), gname2id(cmd.process, group), user, group)
    main = _main_cfg(cmd)
    if not any(c.key == ident.key for c in main.child_ids[:_num_daemons(main)]):
        return NO_MATCH
    mpm_config(cmd, NAME).assigned = ident
    return None


def _directives() -> tuple[Directive, ...]:
    g = global_directive
    return listen_commands(NAME) + (
        g("NumServers", _int("num_servers"), "Number of children alive at the same time"),
        g("StartThreads", _int("start_threads"), "Number of threads each child creates"),
        g("MinSpareThreads", _int("min_spare_threads"),
          "Minimum number of idle threads per child, to handle request spikes"),
        g("MaxSpareThreads", _int("max_spare_threads"),
          "Maximum number of idle threads per child"),
        g("MaxThreadsPerChild", _int("max_threads"), "Maximum number of threads per child"),
        # RSRC_CONF without ap_check_cmd_context, as perchild.c registers them
        Directive("ChildperUserID", set_child_per_uid, Args.TAKE3, RSRC_CONF,
                  "Specify a User and Group for a specific child process."),
        Directive("AssignUserID", assign_childuid, Args.TAKE2, RSRC_CONF,
                  "Tie a virtual host to a specific child process."),
        g("ServerLimit", _int("server_limit"),
          "Maximum value of NumServers for this run of Apache"),
        g("ThreadLimit", _int("thread_limit"),
          "Maximum worker threads in a server for this run of Apache"),
        graceful_shutdown_timeout(NAME),
    )


# -- check_config ---------------------------------------------------------------------------

def _warn(clamp: Clamp, *lines: str) -> None:
    # Apache 2.0 logged each piece with its own ap_log_error(APLOG_STARTUP) call
    for line in lines:
        clamp.warn(line, line)


def check_config(process: Any, server: Any) -> Optional[str]:
    """The clamps perchild.c's directive handlers make, in one place and in the order
    of its table, with its texts; then the settings of this generation."""
    cfg: PerchildConfig = server.module_config.get(NAME) or PerchildConfig()
    previous = process.mpm_state
    if not (isinstance(previous, PerchildSettings) and previous.mpm == PERCHILD.name):
        previous = None
    clamp = Clamp(process, TAG, startup=previous is None)

    server_limit = cfg.server_limit
    if server_limit > MAX_SERVER_LIMIT:
        _warn(clamp, f"WARNING: ServerLimit of {server_limit} exceeds compile time limit of "
                     f"{MAX_SERVER_LIMIT} servers,",
              f" lowering ServerLimit to {MAX_SERVER_LIMIT}.")
        server_limit = MAX_SERVER_LIMIT
    elif server_limit < 1:
        _warn(clamp, "WARNING: Require ServerLimit > 0, setting to 1")
        server_limit = 1
    thread_limit = cfg.thread_limit
    if thread_limit > MAX_THREAD_LIMIT:
        _warn(clamp, f"WARNING: ThreadLimit of {thread_limit} exceeds compile time limit of "
                     f"{MAX_THREAD_LIMIT} servers,",
              f" lowering ThreadLimit to {MAX_THREAD_LIMIT}.")
        thread_limit = MAX_THREAD_LIMIT
    elif thread_limit < 1:
        _warn(clamp, "WARNING: Require ThreadLimit > 0, setting to 1")
        thread_limit = 1
    # ServerLimit and ThreadLimit size the scoreboard, which outlives a restart
    if previous is not None and (server_limit, thread_limit) != (previous.server_limit,
                                                                 previous.thread_limit):
        clamp.restart_only("WARNING: Attempt to change ServerLimit or ThreadLimit ignored "
                           "during restart")
        server_limit, thread_limit = previous.server_limit, previous.thread_limit

    num = cfg.num_servers
    if num > server_limit:
        _warn(clamp, f"WARNING: NumServers of {num} exceeds ServerLimit value of "
                     f"{server_limit} servers,",
              f" lowering NumServers to {server_limit}.  To increase, please see the",
              " ServerLimit directive.")
        num = server_limit
    elif num < 1:
        _warn(clamp, "WARNING: Require NumServers > 0, setting to 1")
        num = 1

    start = cfg.start_threads
    if start > thread_limit:
        _warn(clamp, f"WARNING: StartThreads of {start} exceeds ThreadLimit value of "
                     f"{thread_limit} threads,",
              f" lowering StartThreads to {thread_limit}. To increase, please see the",
              " ThreadLimit directive.")
        start = thread_limit
    elif start < 1:
        _warn(clamp, "WARNING: Require StartThreads > 0, setting to 1")
        start = 1

    min_spare = cfg.min_spare_threads
    if min_spare <= 0:
        _warn(clamp, "WARNING: detected MinSpareThreads set to non-positive.",
              "Resetting to 1 to avoid almost certain Apache failure.",
              "Please read the documentation.")
        min_spare = 1

    max_spare = cfg.max_spare_threads
    if max_spare >= thread_limit:
        # (sic: perchild.c names MinSpareThreads in its MaxSpareThreads warning)
        _warn(clamp, "WARNING: detected MinSpareThreads set higher than",
              f"ThreadLimit. Resetting to {thread_limit}")
        max_spare = thread_limit

    max_threads = thread_limit if cfg.max_threads is None else cfg.max_threads
    if max_threads > thread_limit:
        _warn(clamp, "WARNING: detected MaxThreadsPerChild set higher than",
              f"ThreadLimit. Resetting to {thread_limit}")
        max_threads = thread_limit
    max_threads = max(max_threads, 1)
    start = min(start, max_threads)         # a pool never starts above its maximum

    slot_ids = tuple(cfg.child_ids[:num]) + (None,) * max(0, num - len(cfg.child_ids))
    process.mpm_state = PerchildSettings(
        mpm=PERCHILD.name, server_limit=server_limit, thread_limit=thread_limit,
        num_servers=num, start_threads=start, min_spare_threads=min_spare,
        max_spare_threads=max_spare, max_threads=max_threads, slot_ids=slot_ids,
        routes=_routes(process, cfg), graceful_shutdown_timeout=cfg.graceful_shutdown_timeout,
        listen=ListenSettings.from_config(cfg))
    return None


def server_identity(process: Any, server: Any) -> Optional[Identity]:
    """The AssignUserID of ``server`` (None: the User/Group children serve it).  A
    virtual host without the directive shares the main server's config object; it
    is still a User/Group host, as in Apache 2.0 (each vhost had its own config)."""
    main_cfg = process.main_server.module_config.get(NAME)
    cfg = server.module_config.get(NAME)
    if cfg is None or (cfg is main_cfg and server is not process.main_server):
        return None
    return cfg.assigned


def _routes(process: Any, main_cfg: PerchildConfig) -> dict:
    servers = [process.main_server] + list(getattr(process, "vhosts", ()) or ())
    out = {}
    for s in servers:
        ident = server_identity(process, s)
        out[id(s)] = None if ident is None else ident.key
    return out


# -- what perchild shows: the identities in -S and on /server-status ------------------------

def _server_label(server: Any) -> str:
    core = server.module_config.get(CORE_MODULE)
    name = getattr(core, "server_hostname", None) or "(none)"
    if not getattr(server, "is_virtual", False):
        return f"main server {name}"
    return f"{name} ({server.defn_name}:{server.defn_line})"


def perchild_dump_vhosts(process: Any, server: Any) -> None:
    """test_config: with DUMP_VHOSTS (-S), one line per server saying which children
    serve it."""
    if not process.is_defined("DUMP_VHOSTS"):
        return
    s = process.mpm_state
    if not isinstance(s, PerchildSettings):
        return
    out = ["perchild children:"]
    for n, ident in enumerate(s.slot_ids):
        who = "User/Group" if ident is None else \
            f'user="{ident.user}" id={ident.uid} group="{ident.group}" id={ident.gid}'
        out.append(f"    child {n}: {who}")
    out.append("perchild identities (AssignUserID):")
    servers = [process.main_server] + list(getattr(process, "vhosts", ()) or ())
    for srv in servers:
        ident = server_identity(process, srv)
        who = "User/Group children" if ident is None else \
            f'user="{ident.user}" id={ident.uid} group="{ident.group}" id={ident.gid}'
        out.append(f"    {_server_label(srv)}: {who}")
    sys.stdout.write("\n".join(out) + "\n")


STATUS_SHORT = 0x1       # mod_status.h's AP_STATUS_SHORT (?auto)


def perchild_status(r: Any, flags: int) -> Optional[str]:
    """status_hook: each child's identity and each busy worker's request, as a table
    after mod_status's own (?auto: ``PerchildChild:`` and ``PerchildWorker:`` lines)."""
    board = getattr(r.process, "scoreboard", None)
    if board is None:
        return None
    short = bool(flags & STATUS_SHORT)
    lines = []
    rows = []
    for i in range(board.server_limit):
        ps = board.process(i)
        if not ps.pid:
            continue
        w0 = board.worker(i, 0)
        threads = sum(1 for j in range(board.thread_limit)
                      if board.worker(i, j).status != DEAD)
        lines.append(f"PerchildChild: slot={i} pid={ps.pid} uid={w0.uid} gid={w0.gid} "
                     f"generation={ps.generation} threads={threads}\n")
        rows.append(f"<tr><td>{i}</td><td>{ps.pid}</td><td>{w0.uid}</td><td>{w0.gid}</td>"
                    f"<td>{ps.generation}</td><td>{threads}</td></tr>\n")
        for j in range(board.thread_limit):
            ws = board.worker(i, j)
            st = ws.status
            if st in ("W", "R", "K", "L", "C") and ws.pid == ps.pid:
                lines.append(f"PerchildWorker: slot={i} thread={j} pid={ps.pid} uid={ws.uid} "
                             f"gid={ws.gid} status={st} vhost={ws.vhost} "
                             f"request={ws.request}\n")
    if short:
        return "".join(lines)
    return ("<h2>perchild: the identity of each child</h2>\n<table border=\"0\"><tr>"
            "<th>Srv</th><th>PID</th><th>UID</th><th>GID</th><th>Generation</th><th>Threads</th>"
            "</tr>\n"
            + "".join(rows) + "</table>\n") if rows else None


# -- the child's identity ------------------------------------------------------------------

# The identity of this process once it is a perchild child (Apache's child_num into
# child_info_table): set by the runtime in the forked child, before drop_privileges.
THIS_CHILD: list = [None]


def perchild_drop_privileges(process: Any, server: Any) -> Any:
    """drop_privileges, before mod_unixd's: a ChildPerUserID child becomes its user and
    group (mod_unixd then has nothing to do, not being root); a User/Group child is
    left to mod_unixd."""
    ident = THIS_CHILD[0]
    if ident is None:
        return DECLINED
    try:
        become(ident.uid, ident.gid, ident.user)
    except OSError as e:
        return setuid_error(e, ident.uid)
    return OK


MODULE = Module(
    NAME, "perchild.c",
    _directives(),
    create_server_config=lambda server: PerchildConfig(),
    check_config=check_config,
    hooks={"test_config": (perchild_dump_vhosts, MIDDLE),
           "drop_privileges": (perchild_drop_privileges, REALLY_FIRST)},
    # mod_status's hook, joined without importing it (APR_OPTIONAL_HOOK)
    optional_hooks={"status_hook": (perchild_status, MIDDLE)},
    mpm=PERCHILD,
    doc="Multi-Processing Module allowing for daemon processes serving requests to be "
        "assigned a variety of different userids",
)
