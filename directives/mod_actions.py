"""mod_actions (modules/mappers/mod_actions.c): a CGI script run for a handler, a media
type or a method.

``Action type-or-handler /script [virtual]`` (OR_FILEINFO): a request whose handler (the
content type without parameters when it has none) is that name is served by an internal
redirect to ``/script`` followed by the escaped URI and the query, keeping the
content type (ap_internal_redirect_handler); the script sees the original file as
PATH_INFO / PATH_TRANSLATED, and the handler name as REDIRECT_HANDLER.  Without
``virtual`` the requested file must exist (404, AH00652, otherwise).  ``Script method
/script`` (directory sections and server config) does the same for a method (a new one
is registered); a GET only when it has a query string; never TRACE.  Actions win over
methods; a script reached through two redirects already is not run again (a loop).
The handler runs LAST, after every other, as Apache's.
"""
from __future__ import annotations

from typing import Optional

import attrs

from httpd.core.sections import method_register
from httpd.http.request import internal_redirect_handler, log_rerror
from httpd.module import ACCESS_CONF, OR_FILEINFO, RSRC_CONF, Args, Module, directive
from httpd.module.hooks import DECLINED, LAST, OK
from httpd.protocol import M_GET, M_INVALID, M_TRACE
from httpd.util.uri import escape_uri

MODULE_NAME = "actions_module"
HTTP_NOT_FOUND = 404


@attrs.define
class ActionsConfig:
    action_types: dict = attrs.field(factory=dict)   # lowercased name -> (virtual, script)
    scripted: dict = attrs.field(factory=dict)       # method number -> script
    configured: bool = False


def create_dir_config(path) -> ActionsConfig:
    return ActionsConfig()


def merge_dir_config(base: ActionsConfig, add: ActionsConfig) -> ActionsConfig:
    """merge_action_dir_configs: the added section's actions before the base's
    (apr_table_overlay, keys case-insensitive), each method's script from the added
    section when it has one."""
    return ActionsConfig({**base.action_types, **add.action_types},
                         {**base.scripted, **add.scripted},
                         base.configured or add.configured)


@directive("Action", Args.TAKE23, OR_FILEINFO, "a media type followed by a script name")
def add_action(cmd, conf: ActionsConfig, kind, script, option=None):
    if option is not None and option.lower() != "virtual":
        return f"unrecognized option '{option}'"
    conf.action_types[kind.lower()] = (option is not None, script)
    conf.configured = True
    return None


@directive("Script", Args.TAKE2, ACCESS_CONF | RSRC_CONF,
           "a method followed by a script name")
def set_script(cmd, conf: ActionsConfig, method, script):
    number = method_register(cmd, method)
    if number == M_TRACE:
        return "TRACE not allowed for Script"
    if number == M_INVALID:
        return f"Could not register method '{method}' for Script"
    conf.scripted[number] = script
    conf.configured = True
    return None


def action_handler(r) -> int:
    """action_handler (handler, LAST): every handler name is looked at."""
    conf: Optional[ActionsConfig] = r.module_config(MODULE_NAME)
    if conf is None or not conf.configured:
        return DECLINED
    # action_handler also sets each scripted method's bit in r->allowed, the legacy mask
    # no Allow field reads in 2.4 (make_allow reads r->allowed_methods): nothing to do
    if r.method_number == M_GET:
        script = conf.scripted.get(M_GET) if r.args is not None else None
    else:
        script = conf.scripted.get(r.method_number)
    if script and r.prev is not None and r.prev.prev is not None:
        return DECLINED                    # the script itself would be run again
    action = r.handler
    found = conf.action_types.get(action.lower()) if action else None
    if found is not None:
        virtual, script = found
        if not virtual and r.finfo is None:
            log_rerror(r, "actions", "info", f"AH00652: File does not exist: {r.filename}")
            return HTTP_NOT_FOUND
        r.subprocess_env["HANDLER"] = action
        if virtual:
            r.notes["virtual_script"] = "1"
    if not script:
        return DECLINED
    target = script + escape_uri(r.uri)
    if r.args is not None:
        target = f"{target}?{r.args}"
    internal_redirect_handler(target, r)
    return OK


MODULE = Module(
    MODULE_NAME, "mod_actions.c", (add_action, set_script),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    hooks={"handler": (action_handler, LAST)},
    doc="Provides for executing CGI scripts based on media type or request method",
)
