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

from httpd.http.cgi_common import ScriptLogConf
from httpd.http.core import parse_timeout
from httpd.module import (ACCESS_CONF, GLOBAL_ONLY, RSRC_CONF, Args, Module,
                          directive)
from httpd.module.hooks import MIDDLE, REALLY_FIRST, REALLY_LAST

from directives.mod_cgid import daemon, runtime

MODULE_NAME = "cgid_module"
DEFAULT_SOCKET = "cgisock"


class CGIDDirConfig:
    """cgid_dirconf: CGIDScriptTimeout in seconds (None: the server's Timeout)."""

    __slots__ = ("timeout",)

    def __init__(self, timeout: Optional[float] = None):
        self.timeout = timeout


class CGIDServerConfig(ScriptLogConf):
    """cgid_server_conf: the ScriptLog settings, and ScriptSock (set on the main
    server only; the daemon's actual path, with the parent's pid, once started)."""

    __slots__ = ("sockname",)

    def __init__(self) -> None:
        super().__init__()
        self.sockname: Optional[str] = None


def create_dir_config(path: Optional[str]) -> CGIDDirConfig:
    return CGIDDirConfig()


def merge_dir_config(base: CGIDDirConfig, add: CGIDDirConfig) -> CGIDDirConfig:
    return add


def create_server_config(server) -> CGIDServerConfig:
    return CGIDServerConfig()


def _sconf(cmd) -> CGIDServerConfig:
    return cmd.server.module_config[MODULE_NAME]


def _atol(arg: str) -> int:
    s = arg.lstrip(" \t\n\r\v\f")
    j = 1 if s[:1] in "+-" else 0
    while j < len(s) and s[j].isdigit():
        j += 1
    try:
        return int(s[:j])
    except ValueError:
        return 0


@directive("ScriptLog", Args.TAKE1, RSRC_CONF, "the name of a log for script debugging info")
def set_scriptlog(cmd, _d, arg: str):
    _sconf(cmd).logname = cmd.process.server_root_relative(arg)
    return None


@directive("ScriptLogLength", Args.TAKE1, RSRC_CONF,
           "the maximum length (in bytes) of the script debug log")
def set_scriptlog_length(cmd, _d, arg: str):
    _sconf(cmd).logbytes = _atol(arg)
    return None


@directive("ScriptLogBuffer", Args.TAKE1, RSRC_CONF,
           "the maximum size (in bytes) to record of a POST request")
def set_scriptlog_buffer(cmd, _d, arg: str):
    _sconf(cmd).bufbytes = max(0, _atol(arg))
    return None


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


@directive("CGIDScriptTimeout", Args.TAKE1, RSRC_CONF | ACCESS_CONF,
           "The amount of time to wait between successful reads from the CGI script, in "
           "seconds.")
def set_script_timeout(cmd, d: CGIDDirConfig, arg: str):
    t = parse_timeout(arg, "s")
    if t is None:
        return "CGIDScriptTimeout has wrong format"
    d.timeout = t
    return None


def cgid_init(process, server) -> bool:
    """post_config: start this generation's daemon (the previous one leaves once the
    workers that still use it are gone)."""
    conf: CGIDServerConfig = server.module_config[MODULE_NAME]
    base = conf.sockname or runtime_dir_relative(process, DEFAULT_SOCKET)
    return daemon.start(process, server, f"{base}", MODULE_NAME)


MODULE = Module(
    MODULE_NAME, "mod_cgid.c",
    (set_scriptlog, set_scriptlog_length, set_scriptlog_buffer, set_script_socket,
     set_script_timeout),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    merge_server_config=ScriptLogConf.merge,
    hooks={"post_config": (cgid_init, REALLY_FIRST),
           "handler": (runtime.cgid_handler, MIDDLE),
           "log_transaction": (runtime.cleanup, REALLY_LAST)},
    doc="Execution of CGI scripts using an external CGI daemon",
)
