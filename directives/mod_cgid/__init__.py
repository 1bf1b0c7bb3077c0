"""mod_cgid (modules/generators/mod_cgid.c): the ``cgi-script`` handler for servers
whose workers are threads.  A daemon the parent starts (post_config) forks every
script, so no worker thread ever forks: a worker sends the script's argv, environment
and directory over a Unix socket (``ScriptSock``, ``logs/cgisock.<parent pid>`` by
default), with the three pipe ends the script gets as stdin, stdout and stderr
(SCM_RIGHTS); the daemon execs it in its own process group and answers its pid, then
its exit status once it has reaped it.  The worker reads and writes the other ends of
the pipes exactly as mod_cgi does (``httpd.http.cgi_common``).

Directives: mod_cgi's ScriptLog, ScriptLogLength, ScriptLogBuffer, and ScriptSock
(main server only) and CGIDScriptTimeout (per directory; Timeout when unset).
"""
from __future__ import annotations

from typing import Optional

from httpd.http.cgi_common import (ScriptDirConfig, ScriptLogConf, script_timeout_directive,
                                   scriptlog_directives)
from httpd.module import GLOBAL_ONLY, RSRC_CONF, Args, Module, directive
from httpd.log import errorlog
from httpd.module.hooks import MIDDLE, REALLY_FIRST, REALLY_LAST

from directives.mod_cgid import daemon, runtime

MODULE_NAME = "cgid_module"
DEFAULT_SOCKET = "cgisock"


class CGIDServerConfig(ScriptLogConf):
    """cgid_server_conf: the ScriptLog settings, and ScriptSock (set on the main
    server only; the daemon's actual path, with the parent's pid, once started)."""

    __slots__ = ("sockname",)

    def __init__(self) -> None:
        super().__init__()
        self.sockname: Optional[str] = None


def create_server_config(server) -> CGIDServerConfig:
    return CGIDServerConfig()


def _sconf(cmd) -> CGIDServerConfig:
    return cmd.server.module_config[MODULE_NAME]


def runtime_dir_relative(process, name: str) -> str:
    """ap_runtime_dir_relative: under DefaultRuntimeDir (logs/ of ServerRoot)."""
    if name.startswith("/"):
        return name
    base = process.runtime_dir or process.server_root_relative("logs")
    return f"{base.rstrip('/')}/{name}"


@directive("ScriptSock", Args.TAKE1, RSRC_CONF,
           "the name of the socket to use for communication with the cgi daemon.",
           forbidden=GLOBAL_ONLY)
def set_script_socket(cmd, _d, arg: str):
    _sconf(cmd).sockname = runtime_dir_relative(cmd.process, arg)
    return None


def cgid_init(process, server) -> bool:
    """post_config: start this generation's daemon (the previous one leaves once the
    workers that still use it are gone)."""
    conf: CGIDServerConfig = server.module_config[MODULE_NAME]
    base = conf.sockname or runtime_dir_relative(process, DEFAULT_SOCKET)
    return daemon.start(process, server, f"{base}", MODULE_NAME)


def cgid_maint(process, server) -> None:
    """The parent's monitor hook (cgid_maint): a daemon that died is started again,
    on the same socket (AH01239)."""
    if daemon.socket_path() is not None and not daemon.alive():
        errorlog.error_log(server, "cgid", "error",
                           "AH01239: cgid daemon process died, restarting")
        daemon.start(process, server, None, MODULE_NAME)


MODULE = Module(
    MODULE_NAME, "mod_cgid.c",
    scriptlog_directives(MODULE_NAME)
    + (set_script_socket, script_timeout_directive("CGIDScriptTimeout")),
    create_dir_config=ScriptDirConfig.create,
    merge_dir_config=ScriptDirConfig.merge,
    create_server_config=create_server_config,
    merge_server_config=ScriptLogConf.merge,
    hooks={"post_config": (cgid_init, REALLY_FIRST),
           "monitor": cgid_maint,
           "handler": (runtime.cgid_handler, MIDDLE),
           "log_transaction": (runtime.cleanup, REALLY_LAST)},
    doc="Execution of CGI scripts using an external CGI daemon",
)
