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

from httpd.http.cgi_common import (ScriptDirConfig, ScriptLogConf, script_timeout_directive,
                                   scriptlog_directives)
from httpd.module import Module
from httpd.module.hooks import MIDDLE, REALLY_LAST

from directives.mod_cgi import runtime

MODULE_NAME = runtime.MODULE_NAME


def create_server_config(server) -> ScriptLogConf:
    return ScriptLogConf()


MODULE = Module(
    MODULE_NAME, "mod_cgi.c",
    scriptlog_directives(MODULE_NAME) + (script_timeout_directive("CGIScriptTimeout"),),
    create_dir_config=ScriptDirConfig.create,
    merge_dir_config=ScriptDirConfig.merge,
    create_server_config=create_server_config,
    merge_server_config=ScriptLogConf.merge,
    hooks={"handler": (runtime.cgi_handler, MIDDLE),
           "log_transaction": (runtime.cleanup, REALLY_LAST)},
    doc="Execution of CGI scripts",
)
