"""mod_wsgi's configuration: the records, the directive table and its option parsing
(wsgi_config.c, wsgi_daemon.c's wsgi_add_daemon_process), with mod_wsgi 4.9's texts.

Daemon groups are one list for the whole configuration (mod_wsgi's wsgi_daemon_list),
kept per config generation on the process; a group defined in a virtual host may only be
used by that host, as mod_wsgi checks for WSGIScriptAlias and WSGIImportScript options.
"""
from __future__ import annotations

import re
import weakref
from typing import Any, Optional

import attrs

from httpd.util.cparse import atoi
from httpd.util.regex import pregcomp
from httpd.config.grammar import getword_conf
from httpd.mpm.identity import gname2id, uname2id
from httpd.module import (ACCESS_CONF, CORE_MODULE, OR_AUTHCFG, OR_FILEINFO, RSRC_CONF,
                          Args, Directive)

MODULE_NAME = "wsgi_module"
UNSET = None


@attrs.frozen
class AliasEntry:
    """One WSGIScriptAlias(Match) line (WSGIAliasEntry)."""

    location: str
    application: str
    regexp: Optional[re.Pattern] = None
    process_group: Optional[str] = None
    application_group: Optional[str] = None
    callable_object: Optional[str] = None
    pass_authorization: Optional[bool] = None
    # a location without "//" and not ending in "/": matching it is a prefix test
    simple: bool = False


@attrs.define
class DaemonGroup:
    """One WSGIDaemonProcess (WSGIProcessGroup of wsgi_daemon.h)."""

    name: str
    server: Any = None
    user: str = ""
    uid: int = -1
    group: str = ""
    gid: int = -1
    processes: int = 1
    multiprocess: bool = False
    threads: int = 15
    home: Optional[str] = None
    python_home: Optional[str] = None
    python_path: list = attrs.field(factory=list)
    display_name: Optional[str] = None
    maximum_requests: int = 0
    request_timeout: int = 0
    inactivity_timeout: int = 0
    graceful_timeout: int = 15
    shutdown_timeout: int = 5
    listen_backlog: int = 100
    queue_timeout: int = 0
    socket_timeout: int = 0          # 0: the server's Timeout
    connect_timeout: int = 15
    umask: int = -1
    lang: Optional[str] = None
    locale: Optional[str] = None


@attrs.define
class ImportScript:
    path: str
    process_group: str
    application_group: str


@attrs.define
class WSGIServerConfig:
    aliases: list = attrs.field(factory=list)
    restrict_embedded: Optional[bool] = None
    imports: list = attrs.field(factory=list)
    python_path: list = attrs.field(factory=list)        # WSGIPythonPath (main server)


@attrs.define
class WSGIDirConfig:
    process_group: Optional[str] = None
    application_group: Optional[str] = None
    callable_object: Optional[str] = None
    pass_authorization: Optional[bool] = None
    script_reloading: Optional[bool] = None
    chunked_request: Optional[bool] = None


def create_server_config(server) -> WSGIServerConfig:
    return WSGIServerConfig()


def merge_server_config(base: WSGIServerConfig, add: WSGIServerConfig) -> WSGIServerConfig:
    # mod_wsgi: a virtual host's aliases are its own, or the main server's when it has none
    return WSGIServerConfig(
        aliases=add.aliases if add.aliases else base.aliases,
        restrict_embedded=(base.restrict_embedded if add.restrict_embedded is None
                           else add.restrict_embedded),
        imports=add.imports, python_path=base.python_path)


def create_dir_config(path: Optional[str]) -> WSGIDirConfig:
    return WSGIDirConfig()


def merge_dir_config(base: WSGIDirConfig, add: WSGIDirConfig) -> WSGIDirConfig:
    def pick(name):
        v = getattr(add, name)
        return getattr(base, name) if v is None else v
    return WSGIDirConfig(pick("process_group"), pick("application_group"),
                         pick("callable_object"), pick("pass_authorization"),
                         pick("script_reloading"), pick("chunked_request"))


# -- the generation's daemon list ------------------------------------------------------

@attrs.define
class _State:
    daemons: dict = attrs.field(factory=dict)       # name -> DaemonGroup, in config order


_STATE: "weakref.WeakKeyDictionary[Any, _State]" = weakref.WeakKeyDictionary()


def state(process) -> _State:
    st = _STATE.get(process)
    if st is None:
        st = _STATE[process] = _State()
    return st


def pre_config(process) -> None:
    _STATE.pop(process, None)


def daemon_groups(process) -> dict:
    return state(process).daemons


# -- option parsing ---------------------------------------------------------------------

def parse_option(line: str, pos: int) -> tuple[Optional[str], str, int]:
    """wsgi_parse_option: ``name=value`` (the value may be quoted).  (None, "", pos) when
    the next word is not of that form."""
    n = len(line)
    while pos < n and line[pos] in " \t\n\r\f\v":
        pos += 1
    if pos >= n or line[pos] == "=":
        return None, "", pos
    end = pos
    while end < n and line[end] != "=" and line[end] not in " \t\n\r\f\v":
        end += 1
    if end >= n or line[end] != "=":
        return None, "", pos
    name = line[pos:end]
    value, pos = getword_conf(line, end + 1)
    return name, value, pos


def _more(line: str, pos: int) -> bool:
    return bool(line[pos:].strip())


def _check_group_access(cmd, name: str) -> Optional[str]:
    """The checks of a process-group option that names a daemon group."""
    if not name or name in ("%{RESOURCE}", "%{SERVER}", "%{HOST}"):
        return None
    group = daemon_groups(cmd.process).get(name)
    if group is None:
        return "WSGI process group not yet configured."
    mine = _hostname(cmd.server)
    theirs = _hostname(group.server)
    if group.server.is_virtual:
        if mine and theirs and mine != theirs:
            return "WSGI process group not accessible."
        if (not mine and theirs) or (mine and not theirs):
            return "WSGI process group not matchable."
    return None


def _hostname(server) -> Optional[str]:
    core = server.module_config.get(CORE_MODULE)
    return getattr(core, "server_hostname", None)


def _server_conf(cmd) -> WSGIServerConfig:
    return cmd.server.module_config[MODULE_NAME]


def _alias_help(name: str) -> str:
    return ("Map location pattern to target WSGI script file." if name.endswith("Match")
            else "Map location to target WSGI script file.")


def add_script_alias(cmd, dirconf, args: str, use_regex: bool) -> Optional[str]:
    name = cmd.cmd.name
    location, pos = getword_conf(args)
    if not location or not _more(args, pos):
        return f"{name} requires at least two arguments, {_alias_help(name)}"
    application, pos = getword_conf(args, pos)
    if not application:
        return f"{name} requires at least two arguments, {_alias_help(name)}"
    found = _options(args, pos, "script alias", True)
    if isinstance(found, str):
        return found
    process_group, application_group = found["process-group"], found["application-group"]
    callable_object, pass_authorization = found["callable-object"], found["pass-authorization"]
    regexp = None
    if use_regex:
        regexp = pregcomp(location, 0)
        if regexp is None:
            return "Regular expression could not be compiled."
    entry = AliasEntry(location, application, regexp, process_group, application_group,
                       callable_object, pass_authorization,
                       simple="//" not in location and not location.endswith("/")
                       and location.startswith("/"))
    if process_group is not None and application_group is not None \
            and "%{" not in process_group and "%{" not in application_group \
            and (not use_regex or "$" not in application):
        err = _check_group_access(cmd, process_group)
        if err:
            return err
        # both groups known: the script is preloaded, as mod_wsgi's wsgi_import_list
        _server_conf(cmd).imports.append(ImportScript(application, process_group,
                                                      application_group))
    _server_conf(cmd).aliases.append(entry)
    return None


def _options(args: str, pos: int, what: str, alias: bool):
    """The ``name=value`` options of WSGIScriptAlias (``alias``) or WSGIImportScript:
    a dict of them (None when not given), or mod_wsgi's error text."""
    out = {"process-group": None, "application-group": None, "callable-object": None,
           "pass-authorization": None}
    while _more(args, pos):
        option, value, pos = parse_option(args, pos)
        if option is None:
            return f"Invalid option to WSGI {what} definition."
        if option in ("application-group", "process-group"):
            if not value:
                return f"Invalid name for WSGI {option.split('-')[0]} group."
            out[option] = "" if value == "%{GLOBAL}" else value
        elif alias and option == "callable-object":
            if not value:
                return "Invalid name for WSGI callable object."
            out[option] = value
        elif alias and option == "pass-authorization":
            low = value.lower()
            if low not in ("on", "off"):
                return "Invalid value for authorization flag."
            out[option] = low == "on"
        else:
            return f"Invalid option to WSGI {what} definition."
    return out


def _script_alias(cmd, dirconf, args):
    return add_script_alias(cmd, dirconf, args, False)


def _script_alias_match(cmd, dirconf, args):
    return add_script_alias(cmd, dirconf, args, True)


_INT_OPTIONS = {
    # option: (attribute, the word of its error text, the lowest valid value)
    "processes": ("processes", "process count", 1),
    "maximum-requests": ("maximum_requests", "request count", 0),
    "inactivity-timeout": ("inactivity_timeout", "inactivity timeout", 0),
    "request-timeout": ("request_timeout", "request timeout", 0),
    "graceful-timeout": ("graceful_timeout", "graceful timeout", 0),
    "shutdown-timeout": ("shutdown_timeout", "shutdown timeout", 0),
    "listen-backlog": ("listen_backlog", "listen backlog", 0),
    "queue-timeout": ("queue_timeout", "queue timeout", 0),
    "socket-timeout": ("socket_timeout", "socket timeout", 0),
    "connect-timeout": ("connect_timeout", "connect timeout", 0),
}
# what mod_wsgi 4.9 accepts and this server refuses rather than ignores
_NOT_OFFERED = frozenset((
    "chroot", "supplementary-groups", "python-eggs", "switch-interval", "stack-size",
    "startup-timeout", "deadlock-timeout", "interrupt-timeout", "eviction-timeout",
    "restart-interval", "send-buffer-size", "receive-buffer-size", "header-buffer-size",
    "response-buffer-size", "response-socket-timeout", "socket-user", "script-user",
    "script-group", "cpu-time-limit", "cpu-priority", "memory-limit",
    "virtual-memory-limit", "server-metrics", "mount-point", "response-flush-delay"))


def _unixd_default(process) -> tuple[str, int, int]:
    """User and Group of the main server (mod_wsgi's ap_unixd_config defaults), read by
    the module's name so as not to import it."""
    import os
    u = process.main_server.module_config.get("unixd_module") if process.main_server else None
    if u is None:
        return "", os.getuid(), os.getgid()
    return u.user_name, u.user_id, getattr(u, "group_id", -1)


def add_daemon_process(cmd, dirconf, args: str) -> Optional[str]:
    name, pos = getword_conf(args)
    if not name:
        return "Name of WSGI daemon process not supplied."
    user, uid, gid = _unixd_default(cmd.process)
    g = DaemonGroup(name=name, server=cmd.server, user=user, uid=uid, gid=gid)
    while _more(args, pos):
        option, value, pos = parse_option(args, pos)
        if option is None:
            return "Invalid option to WSGI daemon process definition."
        if option == "user":
            if not value:
                return "Invalid user for WSGI daemon process."
            g.uid = uname2id(cmd.process, value)
            if g.uid == 0:
                return "WSGI process blocked from running as root."
            g.user = value
            if value.startswith("#"):
                import pwd
                try:
                    g.user = pwd.getpwuid(g.uid).pw_name
                except KeyError:
                    return "Couldn't determine user name from uid."
        elif option == "group":
            if not value:
                return "Invalid group for WSGI daemon process."
            g.group = value
            g.gid = gname2id(cmd.process, value)
        elif option in _INT_OPTIONS:
            attr, words, low = _INT_OPTIONS[option]
            if not value:
                return f"Invalid {words} for WSGI daemon process."
            n = atoi(value)
            if n < low:
                return f"Invalid {words} for WSGI daemon process."
            setattr(g, attr, n)
            if option == "processes":
                g.multiprocess = True
        elif option == "threads":
            if not value:
                return "Invalid thread count for WSGI daemon process."
            n = atoi(value)
            if n < 0 or n >= 0xffff - 1:
                return "Invalid thread count for WSGI daemon process."
            g.threads = n
        elif option == "umask":
            try:
                g.umask = int(value, 8)
            except ValueError:
                return "Invalid umask for WSGI daemon process."
            if g.umask < 0:
                return "Invalid umask for WSGI daemon process."
        elif option == "home":
            if not value.startswith("/"):
                return "Invalid home directory for WSGI daemon process."
            g.home = value
        elif option == "python-home":
            g.python_home = value
        elif option == "python-path":
            g.python_path = [p for p in value.split(":") if p]
        elif option == "display-name":
            g.display_name = value
        elif option == "lang":
            g.lang = value
        elif option == "locale":
            g.locale = value
        elif option in _NOT_OFFERED:
            return (f"WSGIDaemonProcess option '{option}' is not available in this "
                    "server.")
        else:
            return "Invalid option to WSGI daemon process definition."
    daemons = daemon_groups(cmd.process)
    if name in daemons:
        return "Name duplicates previous WSGI daemon definition."
    daemons[name] = g
    return None


def _on_off(name: str, value: str) -> tuple[Optional[bool], Optional[str]]:
    low = value.lower()
    if low == "on":
        return True, None
    if low == "off":
        return False, None
    return None, f"{name} must be one of: Off | On"


def set_process_group(cmd, dirconf, value):
    dirconf.process_group = "" if value == "%{GLOBAL}" else value
    return None


def set_application_group(cmd, dirconf, value):
    dirconf.application_group = "" if value == "%{GLOBAL}" else value
    return None


def set_callable_object(cmd, dirconf, value):
    dirconf.callable_object = value
    return None


def _flag_setter(name: str, attr: str, server: bool = False):
    """A TAKE1 On|Off directive with mod_wsgi's "must be one of: Off | On" text, into
    the section's config (or the server's)."""
    def handler(cmd, dirconf, value):
        flag, err = _on_off(name, value)
        if err:
            return err
        setattr(_server_conf(cmd) if server else dirconf, attr, flag)
        return None
    return handler


set_pass_authorization = _flag_setter("WSGIPassAuthorization", "pass_authorization")
set_script_reloading = _flag_setter("WSGIScriptReloading", "script_reloading")
set_chunked_request = _flag_setter("WSGIChunkedRequest", "chunked_request")
set_restrict_embedded = _flag_setter("WSGIRestrictEmbedded", "restrict_embedded", server=True)


def set_python_path(cmd, dirconf, value):
    _server_conf(cmd).python_path = [p for p in value.split(":") if p]
    return None


def _not_offered(cmd, dirconf, args):
    return (f"{cmd.cmd.name} is not available in this server: the Python interpreter and "
            "the processes are httpd's own (see docs/wsgi.md)")


def add_import_script(cmd, dirconf, args: str) -> Optional[str]:
    path, pos = getword_conf(args)
    if not path:
        return "Location of import script not supplied."
    found = _options(args, pos, "import script", False)
    if isinstance(found, str):
        return found
    process_group, application_group = found["process-group"], found["application-group"]
    if application_group is None:
        return "Name of WSGI application group required."
    if "%{" in application_group:
        return "Invalid name for WSGI application group."
    if process_group is None:
        return "Name of WSGI process group required."
    if "%{" in process_group:
        return "Invalid name for WSGI process group."
    err = _check_group_access(cmd, process_group)
    if err:
        return err
    _server_conf(cmd).imports.append(ImportScript(path, process_group, application_group))
    return None


# mod_wsgi 4.9.4's table as apache2 -L shows it (order, help, context); the ones this
# server does not offer are refused with a clear message, never accepted and ignored
APACHE_TABLE = (
    ("WSGIScriptAlias", RSRC_CONF,
     "Map location to target WSGI script file."),
    ("WSGIScriptAliasMatch", RSRC_CONF,
     "Map location pattern to target WSGI script file."),
    ("WSGIDaemonProcess", RSRC_CONF,
     "Specify details of daemon processes to start."),
    ("WSGISocketPrefix", RSRC_CONF,
     "Path prefix for the daemon process sockets."),
    ("WSGISocketRotation", RSRC_CONF,
     "Enable/Disable rotation of daemon process sockets."),
    ("WSGIAcceptMutex", RSRC_CONF,
     "Set accept mutex type for daemon processes."),
    ("WSGILazyInitialization", RSRC_CONF,
     "Enable/Disable lazy Python initialization."),
    ("WSGIVerboseDebugging", RSRC_CONF,
     "Enable/Disable verbose debugging messages."),
    ("WSGIDontWriteBytecode", RSRC_CONF,
     "Enable/Disable writing of byte code."),
    ("WSGIPythonWarnings", RSRC_CONF,
     "Control Python warning messages."),
    ("WSGIPythonOptimize", RSRC_CONF,
     "Set level of Python compiler optimisations."),
    ("WSGIPythonHome", RSRC_CONF,
     "Python prefix/exec_prefix absolute path names."),
    ("WSGIPythonPath", RSRC_CONF,
     "Python module search path."),
    ("WSGIPythonEggs", RSRC_CONF,
     "Python eggs cache directory."),
    ("WSGIPythonHashSeed", RSRC_CONF,
     "Python hash seed."),
    ("WSGIDestroyInterpreter", RSRC_CONF,
     "Enable/Disable destruction of Python interpreter."),
    ("WSGIRestrictEmbedded", RSRC_CONF,
     "Enable/Disable use of embedded mode."),
    ("WSGIRestrictStdin", RSRC_CONF,
     "Enable/Disable restrictions on use of STDIN."),
    ("WSGIRestrictStdout", RSRC_CONF,
     "Enable/Disable restrictions on use of STDOUT."),
    ("WSGIRestrictSignal", RSRC_CONF,
     "Enable/Disable restrictions on use of signal()."),
    ("WSGICaseSensitivity", RSRC_CONF,
     "Define whether file system is case sensitive."),
    ("WSGIRestrictProcess", RSRC_CONF | ACCESS_CONF,
     "Limit selectable WSGI process groups."),
    ("WSGIProcessGroup", RSRC_CONF | ACCESS_CONF,
     "Name of the WSGI process group."),
    ("WSGIApplicationGroup", RSRC_CONF | ACCESS_CONF,
     "Application interpreter group."),
    ("WSGICallableObject", OR_FILEINFO,
     "Name of entry point in WSGI script file."),
    ("WSGIImportScript", RSRC_CONF,
     "Location of WSGI import script."),
    ("WSGIDispatchScript", RSRC_CONF | ACCESS_CONF,
     "Location of WSGI dispatch script."),
    ("WSGIPassApacheRequest", RSRC_CONF | ACCESS_CONF,
     "Enable/Disable Apache request object."),
    ("WSGIPassAuthorization", OR_FILEINFO,
     "Enable/Disable WSGI authorization."),
    ("WSGIScriptReloading", OR_FILEINFO,
     "Enable/Disable script reloading mechanism."),
    ("WSGIErrorOverride", OR_FILEINFO,
     "Enable/Disable overriding of error pages."),
    ("WSGIChunkedRequest", OR_FILEINFO,
     "Enable/Disable support for chunked requests."),
    ("WSGIMapHEADToGET", OR_FILEINFO,
     "Enable/Disable mapping of HEAD to GET."),
    ("WSGIIgnoreActivity", OR_FILEINFO,
     "Enable/Disable reset of inactvity timeout."),
    ("WSGITrustedProxyHeaders", OR_FILEINFO,
     "Specify a list of trusted proxy headers."),
    ("WSGITrustedProxies", OR_FILEINFO,
     "Specify a list of trusted proxies."),
    ("WSGIEnableSendfile", OR_FILEINFO,
     "Enable/Disable support for kernel sendfile."),
    ("WSGIAccessScript", OR_AUTHCFG,
     "Location of WSGI host access script file."),
    ("WSGIAuthUserScript", OR_AUTHCFG,
     "Location of WSGI user auth script file."),
    ("WSGIAuthGroupScript", OR_AUTHCFG,
     "Location of WSGI group auth script file."),
    ("WSGIGroupAuthoritative", OR_AUTHCFG,
     "Enable/Disable as being authoritative on groups."),
    ("WSGIHandlerScript", RSRC_CONF | ACCESS_CONF,
     "Location of WSGI handler script file."),
    ("WSGIServerMetrics", RSRC_CONF,
     "Enabled/Disable access to server metrics."),
    ("WSGINewRelicConfigFile", RSRC_CONF,
     "New Relic monitoring agent configuration file."),
    ("WSGINewRelicEnvironment", RSRC_CONF,
     "New Relic monitoring agent environment."),
)
_OFFERED = {
    "WSGIScriptAlias": (_script_alias, Args.RAW_ARGS),
    "WSGIScriptAliasMatch": (_script_alias_match, Args.RAW_ARGS),
    "WSGIDaemonProcess": (add_daemon_process, Args.RAW_ARGS),
    "WSGIPythonPath": (set_python_path, Args.TAKE1),
    "WSGIRestrictEmbedded": (set_restrict_embedded, Args.TAKE1),
    "WSGIProcessGroup": (set_process_group, Args.TAKE1),
    "WSGIApplicationGroup": (set_application_group, Args.TAKE1),
    "WSGICallableObject": (set_callable_object, Args.TAKE1),
    "WSGIImportScript": (add_import_script, Args.RAW_ARGS),
    "WSGIPassAuthorization": (set_pass_authorization, Args.TAKE1),
    "WSGIScriptReloading": (set_script_reloading, Args.TAKE1),
    "WSGIChunkedRequest": (set_chunked_request, Args.TAKE1),
}
DIRECTIVES = tuple(
    Directive(name, *_OFFERED.get(name, (_not_offered, Args.RAW_ARGS)), where, help)
    for name, where, help in APACHE_TABLE)
