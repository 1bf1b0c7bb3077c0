"""What every Unix MPM shares: the MPM descriptor and query codes, the per-generation
config base, the common directive factories (Apache's LISTEN_COMMANDS, StartServers,
ServerLimit, MaxRequestWorkers/MaxClients, GracefulShutdownTimeout) and the
start-up/restart warning helper.

Apache keeps these numbers in C globals reset by each MPM's pre_config hook.  Here
they live on the MPM's server config object, created afresh for every config
generation, so a restart builds new settings while the old ones stay intact.
"""
from __future__ import annotations

import enum
from typing import Any, Callable, Optional

import attrs

from httpd.module import GLOBAL_ONLY, RSRC_CONF, Args, Directive

from httpd.util.cparse import atoi
from httpd.mpm.listen import (DEFAULT_LISTENBACKLOG, DEFAULT_TCP_DEFER_ACCEPT, ListenRec,
                              ListenSettings, deferred_protocols, open_listeners,
                              set_listener)
from httpd.mpm.oneprocess import run_one_process

__all__ = ["atoi", "MPMQ", "MPM", "MPMConfig", "ListenSettings", "ListenRec", "Clamp",
           "listen_commands", "global_directive", "int_directive",
           "start_servers_directive", "server_limit_directive", "max_clients",
           "max_request_workers", "graceful_shutdown_timeout", "mpm_config", "no_op"]


# -- the MPM descriptor ---------------------------------------------------------------------

class MPMQ(enum.Enum):
    """What other modules may ask the MPM (Apache's AP_MPMQ_* query codes)."""

    MAX_DAEMON_USED = "max_daemon_used"
    IS_THREADED = "is_threaded"
    IS_FORKED = "is_forked"
    HARD_LIMIT_DAEMONS = "hard_limit_daemons"
    HARD_LIMIT_THREADS = "hard_limit_threads"
    MAX_THREADS = "max_threads"
    MIN_SPARE_DAEMONS = "min_spare_daemons"
    MIN_SPARE_THREADS = "min_spare_threads"
    MAX_SPARE_DAEMONS = "max_spare_daemons"
    MAX_SPARE_THREADS = "max_spare_threads"
    MAX_REQUESTS_DAEMON = "max_requests_daemon"
    MAX_DAEMONS = "max_daemons"
    MPM_STATE = "mpm_state"
    IS_ASYNC = "is_async"
    GENERATION = "generation"


# Answers to IS_THREADED / IS_FORKED (AP_MPMQ_NOT_SUPPORTED, _STATIC, _DYNAMIC).
NOT_SUPPORTED, STATIC, DYNAMIC = 0, 1, 2


class MPM:
    """Describes one MPM to the rest of the server (``Module.mpm``).

    ``-V`` prints ``name``, ``threaded`` and ``forked``; other modules ask ``query``
    and never name the MPM.  The command line runs the server through ``run``,
    ``one_process`` and ``open_listeners``, which each MPM's class provides.
    """

    name = ""
    module = ""             # the MPM module's identifier, e.g. mpm_prefork_module
    is_threaded = NOT_SUPPORTED
    is_forked = NOT_SUPPORTED
    is_async = False
    # the -k words this MPM's control path knows and the signal each sends; None: the
    # Unix MPMs' stop/graceful-stop/restart/graceful (httpd/main/control.py)
    k_signals: Optional[dict] = None

    @staticmethod
    def _text(code: int, what: str) -> str:
        # show_mpm_settings() in Apache's main.c
        if code == DYNAMIC:
            return f"yes (variable {what} count)"
        if code == STATIC:
            return f"yes (fixed {what} count)"
        return "no"

    @property
    def threaded(self) -> str:
        return self._text(self.is_threaded, "thread")

    @property
    def forked(self) -> str:
        return self._text(self.is_forked, "process")

    def query(self, code: MPMQ, settings: Any = None) -> Optional[int]:
        """The answer to ``code`` from the checked ``settings``; None when the MPM does
        not know (APR_ENOTIMPL), or when the answer belongs to the running server
        (MPM_STATE, GENERATION, MAX_DAEMON_USED: the runtime answers those)."""
        if code is MPMQ.IS_THREADED:
            return self.is_threaded
        if code is MPMQ.IS_FORKED:
            return self.is_forked
        if code is MPMQ.IS_ASYNC:
            return int(self.is_async)
        if settings is None:
            return None
        return self._query_settings(code, settings)

    def _query_settings(self, code: MPMQ, settings: Any) -> Optional[int]:
        return None

    # -- the runtime: what the command line asks of the MPM (it names no MPM package) ----
    def run(self, process: Any, serving: Any, listeners: list, reload: Any = None,
            on_exit: Any = None) -> int:
        """The server's life as a daemon (each MPM's ap_mpm_run): the parent from the
        first fork to the last reap.  ``reload(process)`` makes a restart's generation
        (a :class:`httpd.mpm.lifecycle.Reloaded`); ``on_exit(process)`` runs at the end.
        An MPM without a multi-process runtime does not override it (``can_run``)."""
        raise NotImplementedError(f"the {self.name} MPM has no process runtime")

    @property
    def can_run(self) -> bool:
        return type(self).run is not MPM.run

    def one_process(self, serving: Any) -> int:
        """``httpd -X`` (ONE_PROCESS): serve in this process; the generic runner unless
        the MPM has its own."""
        return run_one_process(serving)

    def open_listeners(self, process: Any) -> list:
        """Bind the Listen records before the first fork (each MPM's open_logs hook
        calling ap_setup_listeners); raises httpd.mpm.listen.BindError."""
        return open_listeners(process.mpm_state.listen, defer=deferred_protocols(process))

    def __repr__(self) -> str:
        return f"<MPM {self.name}>"


# -- per-generation config ------------------------------------------------------------------


@attrs.define
class MPMConfig:
    """The values the MPM directives set, before check_config clamps them.

    Filled by the walk pass on the main server (every MPM directive is GLOBAL_ONLY);
    one per config generation.  Subclasses add each MPM's own numbers and defaults.
    """

    listeners: list = attrs.field(factory=list)            # ListenRec, in config order
    listen_backlog: int = DEFAULT_LISTENBACKLOG
    listen_cores_buckets_ratio: int = 0                    # 0: one bucket
    listen_tcp_defer_accept: int = DEFAULT_TCP_DEFER_ACCEPT
    send_buffer_size: int = 0                              # 0: the system's default
    receive_buffer_size: int = 0
    graceful_shutdown_timeout: int = 0                     # 0: wait for ever


def mpm_config(cmd: Any, module: str) -> Any:
    """The MPM's config of the server being configured."""
    return cmd.server.module_config[module]


# -- check_config's warnings ----------------------------------------------------------------

class Clamp:
    """Logs one clamp the way Apache's check_config hooks do.

    The first time the config is checked ("startup", retained module_loads == 1) the
    warning is a bare start-up line starting with ``WARNING:``; on a restart the other
    text goes to the error log with the MPM's module tag.
    """

    def __init__(self, process: Any, tag: str, startup: bool):
        self.process = process
        self.tag = tag
        self.startup = startup

    def warn(self, startup_msg: str, restart_msg: str) -> None:
        if self.startup:
            self.process.log.startup(startup_msg, "warn")
        else:
            self.process.log.error(self.tag, "warn", restart_msg)

    def restart_only(self, msg: str) -> None:
        # "don't need a startup console version here" (ServerLimit/ThreadLimit changes)
        self.process.log.error(self.tag, "warn", msg)


# -- directive factories --------------------------------------------------------------------

LISTEN_HELP = {
    "ListenBacklog": "Maximum length of the queue of pending connections, as used by listen(2)",
    "ListenCoresBucketsRatio": "Ratio between the number of CPU cores (online) and the number "
                               "of listeners buckets",
    "Listen": "A port number or a numeric IP address and a port number, and an optional protocol",
    "SendBufferSize": "Send buffer size in bytes",
    "ReceiveBufferSize": "Receive buffer size in bytes",
    "ListenTCPDeferAccept": "Value set for the socket option TCP_DEFER_ACCEPT if it is set",
}

GRACEFUL_SHUTDOWN_HELP = ("Maximum time in seconds to wait for child processes to complete "
                          "transactions during shutdown")


def global_directive(name: str, handler: Callable, help: Optional[str],
                     args: Args = Args.TAKE1) -> Directive:
    # Every MPM directive is RSRC_CONF and checks GLOBAL_ONLY first thing in its handler.
    return Directive(name, handler, args, RSRC_CONF, help, forbidden=GLOBAL_ONLY)


def _positive(module: str, field: str, name: str) -> Callable[..., Optional[str]]:
    """ListenBacklog, ListenCoresBucketsRatio, ListenTCPDeferAccept: atoi, then > 0."""
    def handler(cmd, _mconfig, arg):
        b = atoi(arg)
        if b < 1:
            return f"{name} must be > 0"
        setattr(mpm_config(cmd, module), field, b)
        return None
    return handler


def _buffer_size(module: str, field: str, name: str) -> Callable[..., Optional[str]]:
    def handler(cmd, _mconfig, arg):
        s = atoi(arg)
        if s < 512 and s != 0:
            return f"{name} must be >= 512 bytes, or 0 for system default."
        setattr(mpm_config(cmd, module), field, s)
        return None
    return handler


def listen_commands(module: str) -> tuple[Directive, ...]:
    """Apache's LISTEN_COMMANDS, in its order, storing into ``module``'s config."""
    h = LISTEN_HELP

    def listen(cmd, _mconfig, argv):
        return set_listener(cmd.process, mpm_config(cmd, module).listeners, argv)

    g = global_directive
    return (
        g("ListenBacklog", _positive(module, "listen_backlog", "ListenBacklog"),
          h["ListenBacklog"]),
        g("ListenCoresBucketsRatio",
          _positive(module, "listen_cores_buckets_ratio", "ListenCoresBucketsRatio"),
          h["ListenCoresBucketsRatio"]),
        g("Listen", listen, h["Listen"], Args.TAKE_ARGV),
        g("SendBufferSize", _buffer_size(module, "send_buffer_size", "SendBufferSize"),
          h["SendBufferSize"]),
        g("ReceiveBufferSize", _buffer_size(module, "receive_buffer_size", "ReceiveBufferSize"),
          h["ReceiveBufferSize"]),
        g("ListenTCPDeferAccept",
          _positive(module, "listen_tcp_defer_accept", "ListenTCPDeferAccept"),
          h["ListenTCPDeferAccept"]),
    )


def int_directive(module: str, name: str, field: str, help: str) -> Directive:
    """A directive whose value is atoi(arg), unchecked until check_config (StartServers,
    ServerLimit, MinSpareServers, ThreadsPerChild, ...)."""
    def handler(cmd, _mconfig, arg):
        setattr(mpm_config(cmd, module), field, atoi(arg))
        return None
    handler.__name__ = f"set_{field}"
    return global_directive(name, handler, help)


START_SERVERS_HELP = "Number of child processes launched at server startup"


def start_servers_directive(module: str, help: str = START_SERVERS_HELP) -> Directive:
    return int_directive(module, "StartServers", "start_servers", help)


def server_limit_directive(module: str, help: str) -> Directive:
    return int_directive(module, "ServerLimit", "server_limit", help)


def _set_max_workers(module: str, tag: str, ah: str) -> Callable[..., Optional[str]]:
    def handler(cmd, _mconfig, arg):
        # Both names share this handler; only the old one is noted, at info level.
        if cmd.cmd.name.lower() == "maxclients":
            cmd.process.log.error(tag, "info",
                                  f"AH{ah}: MaxClients is deprecated, use MaxRequestWorkers "
                                  "instead.")
        mpm_config(cmd, module).max_request_workers = atoi(arg)
        return None
    return handler


def max_request_workers(module: str, tag: str, ah: str, help: str) -> Directive:
    return global_directive("MaxRequestWorkers", _set_max_workers(module, tag, ah), help)


def max_clients(module: str, tag: str, ah: str) -> Directive:
    return global_directive("MaxClients", _set_max_workers(module, tag, ah),
                            "Deprecated name of MaxRequestWorkers")


def graceful_shutdown_timeout(module: str) -> Directive:
    """AP_GRACEFUL_SHUTDOWN_TIMEOUT_COMMAND: seconds, atoi, any value accepted."""
    return int_directive(module, "GracefulShutdownTimeout", "graceful_shutdown_timeout",
                         GRACEFUL_SHUTDOWN_HELP)


def _ignore(cmd, _mconfig, _arg):
    return None


def no_op(name: str, help: str) -> Directive:
    """A directive an MPM takes and ignores because its platform has no use for it
    (ignore_cmd in mpmt_os2.c, the "NO-OP" User/Group of beos.c): RSRC_CONF, TAKE1,
    without the GLOBAL_ONLY check, as Apache declares them."""
    return Directive(name, _ignore, Args.TAKE1, RSRC_CONF, help)
