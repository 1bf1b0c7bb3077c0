"""mod_cgi (modules/generators/mod_cgi.c): the ``cgi-script`` handler, each script
forked by the worker that serves its request.

The directives are mod_cgi's: ScriptLog, ScriptLogLength, ScriptLogBuffer (server
config, a virtual host without ScriptLog keeps the main server's) and CGIScriptTimeout
(per directory; Timeout when unset).  The handler (``runtime.cgi_handler``) makes
cgi_handler's checks, builds the environment and argv through the core's
``httpd.http.util_script`` and runs the script through ``httpd.http.cgi_common``, the
part mod_cgid shares (Apache's cgi_common.h).  Scripts run with the worker's identity
(User, after the child dropped its privileges), in their own process group, in the
script's directory.
"""
from __future__ import annotations

from typing import Optional

from httpd.http.cgi_common import ScriptLogConf
from httpd.http.core import parse_timeout
from httpd.module import ACCESS_CONF, RSRC_CONF, Args, Module, directive
from httpd.module.hooks import MIDDLE, REALLY_LAST

from directives.mod_cgi import runtime

MODULE_NAME = "cgi_module"


class CGIDirConfig:
    """cgi_dirconf: CGIScriptTimeout in seconds (None: the server's Timeout)."""

    __slots__ = ("timeout",)

    def __init__(self, timeout: Optional[float] = None):
        self.timeout = timeout


def create_dir_config(path: Optional[str]) -> CGIDirConfig:
    return CGIDirConfig()


def merge_dir_config(base: CGIDirConfig, add: CGIDirConfig) -> CGIDirConfig:
    """No merger in mod_cgi: the nearer section's record wins whole."""
    return add


def create_server_config(server) -> ScriptLogConf:
    return ScriptLogConf()


def _sconf(cmd) -> ScriptLogConf:
    return cmd.server.module_config[MODULE_NAME]


@directive("ScriptLog", Args.TAKE1, RSRC_CONF, "the name of a log for script debugging info")
def set_scriptlog(cmd, _d, arg: str):
    _sconf(cmd).logname = cmd.process.server_root_relative(arg)
    return None


def _atol(arg: str) -> int:
    s = arg.lstrip(" \t\n\r\v\f")
    j = 1 if s[:1] in "+-" else 0
    while j < len(s) and s[j].isdigit():
        j += 1
    try:
        return int(s[:j])
    except ValueError:
        return 0


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


def script_timeout_directive(name: str, error: str):
    """CGIScriptTimeout / CGIDScriptTimeout: ap_timeout_parameter_parse, seconds."""

    def set_script_timeout(cmd, d: CGIDirConfig, arg: str):
        t = parse_timeout(arg, "s")
        if t is None:
            return error
        d.timeout = t
        return None

    return directive(name, Args.TAKE1, RSRC_CONF | ACCESS_CONF,
                     "The amount of time to wait between successful reads from the CGI "
                     "script, in seconds.")(set_script_timeout)


set_script_timeout = script_timeout_directive("CGIScriptTimeout",
                                              "CGIScriptTimeout has wrong format")

MODULE = Module(
    MODULE_NAME, "mod_cgi.c",
    (set_scriptlog, set_scriptlog_length, set_scriptlog_buffer, set_script_timeout),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    merge_server_config=ScriptLogConf.merge,
    hooks={"handler": (runtime.cgi_handler, MIDDLE),
           "log_transaction": (runtime.cleanup, REALLY_LAST)},
    doc="Execution of CGI scripts",
)
