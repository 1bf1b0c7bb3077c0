"""beos (server/mpm/beos/beos.c, Apache 2.0): one process of up to MaxClients threads
(HARD_THREAD_LIMIT 50), each accepting and serving; an accept mutex; a UDP control
socket on 127.0.0.1 through which threads are told to exit ("die!").

This file holds the 2.0 directive table (BEOS_DAEMON_COMMANDS: User and Group as
NO-OPs; 2.0's LISTEN_COMMANDS; StartThreads, MinSpareThreads, MaxSpareThreads,
MaxClients, MaxRequestsPerThread), its defaults and the clamps, which beos.c applies
while the directives are read, with their 2.0 texts (no AH numbers); the runtime is
mpms/beos/runtime.py.
"""
from __future__ import annotations

from typing import Any, Optional

import attrs

from httpd.module import Module, Args

from httpd.mpm.common import (DYNAMIC, MPM, MPMQ, NOT_SUPPORTED, ListenSettings, MPMConfig,
                              atoi, global_directive, listen_commands, mpm_config, no_op)
from httpd.mpm.listen import set_listener

NAME = "mpm_beos_module"
TAG = "mpm_beos"

HARD_SERVER_LIMIT = 1
HARD_THREAD_LIMIT = 50
DEFAULT_START_THREADS = 10
DEFAULT_MIN_FREE_THREADS = 1
DEFAULT_MAX_FREE_THREADS = HARD_THREAD_LIMIT
DEFAULT_MAX_REQUESTS_PER_THREAD = 0


@attrs.define
class BeOSConfig(MPMConfig):
    start_threads: int = DEFAULT_START_THREADS
    min_spare_threads: int = DEFAULT_MIN_FREE_THREADS
    max_spare_threads: int = DEFAULT_MAX_FREE_THREADS
    thread_limit: int = HARD_THREAD_LIMIT
    max_requests_per_thread: int = DEFAULT_MAX_REQUESTS_PER_THREAD


@attrs.frozen
class BeOSSettings:
    mpm: str
    start_servers: int              # StartThreads (the parent's name for the start count)
    min_spare_threads: int
    max_spare_threads: int
    thread_limit: int               # MaxClients
    max_requests_per_thread: int
    listen: ListenSettings
    server_limit: int = HARD_SERVER_LIMIT
    graceful_shutdown_timeout: int = 0

    def for_run(self, num_buckets: int = 1) -> "BeOSSettings":
        return self


class BeOS(MPM):
    name = "beos"
    module = NAME
    is_threaded = DYNAMIC
    is_forked = NOT_SUPPORTED

    def run(self, process: Any, serving: Any, listeners: list, reload=None,
            on_exit=None) -> int:
        from mpms.beos.runtime import run
        return run(process, serving, listeners, reload=reload, on_exit=on_exit)

    def _query_settings(self, code: MPMQ, s: Any) -> Optional[int]:
        # ap_mpm_query of beos.c, the two spare answers crossed as there
        return {
            MPMQ.HARD_LIMIT_DAEMONS: HARD_SERVER_LIMIT,
            MPMQ.HARD_LIMIT_THREADS: HARD_THREAD_LIMIT,
            MPMQ.MAX_THREADS: HARD_THREAD_LIMIT,
            MPMQ.MIN_SPARE_DAEMONS: 0,
            MPMQ.MIN_SPARE_THREADS: s.max_spare_threads,
            MPMQ.MAX_SPARE_DAEMONS: 0,
            MPMQ.MAX_SPARE_THREADS: s.min_spare_threads,
            MPMQ.MAX_REQUESTS_DAEMON: s.max_requests_per_thread,
            MPMQ.MAX_DAEMONS: HARD_SERVER_LIMIT,
        }.get(code)


BEOS = BeOS()


def _say(cmd: Any, *lines: str) -> None:
    """ap_log_error(APLOG_STARTUP) while reading the config: bare lines on the console."""
    for line in lines:
        cmd.process.log.startup(line, "emerg")


def set_threads_to_start(cmd, _mconfig, arg):
    n = atoi(arg)
    if n < 0:
        _say(cmd, "StartThreads set to a value less than 0, reset to 1")
        n = 1
    mpm_config(cmd, NAME).start_threads = n


def set_min_spare_threads(cmd, _mconfig, arg):
    n = atoi(arg)
    if n <= 0:
        _say(cmd, "WARNING: detected MinSpareThreads set to non-positive.",
             "Resetting to 1 to avoid almost certain Apache failure.",
             "Please read the documentation.")
        n = 1
    mpm_config(cmd, NAME).min_spare_threads = n


def set_max_spare_threads(cmd, _mconfig, arg):
    mpm_config(cmd, NAME).max_spare_threads = atoi(arg)


def set_threads_limit(cmd, _mconfig, arg):
    n = atoi(arg)
    if n > HARD_THREAD_LIMIT:
        _say(cmd, f"WARNING: MaxClients of {n} exceeds compile time limit of "
                  f"{HARD_THREAD_LIMIT} servers,",
             f" lowering MaxClients to {HARD_THREAD_LIMIT}.  To increase, please see the",
             " HARD_THREAD_LIMIT define in server/mpm/beos/mpm_default.h.")
        n = HARD_THREAD_LIMIT
    elif n < 1:
        _say(cmd, f"WARNING: Require MaxClients > 0, setting to {HARD_THREAD_LIMIT}")
        n = HARD_THREAD_LIMIT
    mpm_config(cmd, NAME).thread_limit = n


def set_max_requests_per_thread(cmd, _mconfig, arg):
    n = atoi(arg)
    if n < 0:
        _say(cmd, "WARNING: MaxRequestsPerThread was set below 0reset to 0, but this may not "
                  "be what you want.")
        n = 0
    mpm_config(cmd, NAME).max_requests_per_thread = n


def _listen_20(cmd, _mconfig, arg):
    """2.0's Listen: one argument, an address and port (no protocol)."""
    return set_listener(cmd.process, mpm_config(cmd, NAME).listeners, [arg])


def listen_commands_20() -> tuple:
    """2.0's LISTEN_COMMANDS: ListenBacklog, Listen (TAKE1), SendBufferSize,
    ReceiveBufferSize."""
    keep = {"ListenBacklog", "SendBufferSize", "ReceiveBufferSize"}
    out = []
    for d in listen_commands(NAME):
        if d.name == "Listen":
            out.append(global_directive("Listen", _listen_20, d.help, Args.TAKE1))
        elif d.name in keep:
            out.append(d)
    return tuple(out)


def check_config(process: Any, server: Any) -> Optional[str]:
    """beos.c clamps while reading; what is left: MaxSpareThreads below MinSpareThreads is
    raised to it (the sanity check of beos_pre_config's successor)."""
    cfg = server.module_config.get(NAME) or BeOSConfig()
    max_spare = max(cfg.max_spare_threads, cfg.min_spare_threads)
    process.mpm_state = BeOSSettings(
        mpm=BEOS.name, start_servers=cfg.start_threads, min_spare_threads=cfg.min_spare_threads,
        max_spare_threads=max_spare, thread_limit=cfg.thread_limit,
        max_requests_per_thread=cfg.max_requests_per_thread,
        listen=ListenSettings.from_config(cfg))
    return None


def _set(handler):
    def wrapped(cmd, mconfig, arg):
        handler(cmd, mconfig, arg)
        return None
    wrapped.__name__ = handler.__name__
    return wrapped


MODULE = Module(
    NAME, "beos.c",
    (no_op("User", "Effective user id for this server (NO-OP)"),
     no_op("Group", "Effective group id for this server (NO-OP)"))
    + listen_commands_20() + (
        global_directive("StartThreads", _set(set_threads_to_start),
                         "Number of threads to launch at server startup"),
        global_directive("MinSpareThreads", _set(set_min_spare_threads),
                         "Minimum number of idle children, to handle request spikes"),
        global_directive("MaxSpareThreads", _set(set_max_spare_threads),
                         "Maximum number of idle children"),
        global_directive("MaxClients", _set(set_threads_limit),
                         "Maximum number of children alive at the same time (max threads)"),
        global_directive("MaxRequestsPerThread", _set(set_max_requests_per_thread),
                         "Maximum number of requests served by a thread"),
    ),
    create_server_config=lambda server: BeOSConfig(),
    check_config=check_config,
    mpm=BEOS,
    doc="This Multi-Processing Module is optimized for BeOS.",
)
