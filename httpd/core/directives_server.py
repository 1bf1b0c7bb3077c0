"""core's server-level directives (core.c, mpm_common.c, scoreboard.c, util_mutex.c,
vhost.c and http_core.c): names and addresses, logging, limits, protocol options, and
the process-wide settings Apache keeps in globals (kept on the main server here).

Numbers are read as Apache reads them (httpd.util.cparse: atoi, strtol), so ``Timeout abc``
is 0 and ``LimitRequestLine 1.5`` is 1, without a word.
"""
from __future__ import annotations

import os
import re
import threading
from typing import Optional

import attrs

from httpd.config.grammar import getword_conf
from httpd.util.cparse import atoi
from httpd.log.startup import ALWAYS, LEVEL_NUM, LEVELS, log_time

from .config import LogConfig, MutexConfig
from httpd.util.fnmatch import fnmatch_test
from httpd.util.fspath import fs_path

from .sections import CORE, core_server, main_core


def log_server(cmd, level: str, msg: str) -> None:
    """ap_log_error with cmd->server: filtered by that server's LogLevel for core (not
    by -e); a virtual host with no LogLevel yet logs nothing; notice always shows."""
    if level != "notice":
        configured = core_server(cmd).log.level_for(CORE)
        if configured is None or LEVEL_NUM[level] > configured:
            return
    prefix = (f"[{log_time()}] [core:{level}] [pid {os.getpid()}:tid "
              f"{threading.get_native_id()}] ")
    cmd.log.startup(prefix + msg, ALWAYS)


def _server_slot(attr: str, transform=None):
    def handler(cmd, mconfig, arg):
        setattr(core_server(cmd), attr, transform(arg) if transform else arg)
    return handler


# -- names and documents ------------------------------------------------------------------

def set_document_root(cmd, mconfig, arg):
    conf = core_server(cmd)
    if cmd.process.skip_docroot_check:          # -T: stored as given
        conf.ap_document_root = arg
        return None
    path = cmd.server_root_relative(arg)
    if arg.endswith(("/.", "/..")) and not path.endswith("/"):
        path += "/"                     # apr_filepath_merge keeps a final separator
    if os.path.isdir(fs_path(path)):
        conf.ap_document_root = path
        return None
    if cmd.server.is_virtual:
        cmd.log.startup(f"AH00112: Warning: DocumentRoot [{path}] does not exist", "emerg")
        conf.ap_document_root = path
        return None
    return f"DocumentRoot '{path}' is not a directory, or is not readable"


def set_access_name(cmd, mconfig, arg):
    names, pos = [], 0
    while pos < len(arg):
        word, pos = getword_conf(arg, pos)
        names.append(word)
    core_server(cmd).access_name = names


def server_hostname_port(cmd, mconfig, arg):
    if fnmatch_test(arg):
        return f'Invalid ServerName "{arg}" use ServerAlias to set multiple server names.'
    conf = core_server(cmd)
    scheme, sep, part = arg.partition("://")
    if sep:
        conf.server_scheme = scheme.lower()
    else:
        part = arg
    host, colon, portstr = part.partition(":")
    port = 0
    if colon:
        port = atoi(portstr)
        if port <= 0 or port >= 65536:
            return (f'The port number "{arg}" is outside the appropriate range '
                    "(i.e., 1..65535).")
    conf.server_hostname, conf.port = host, port
    return None


def set_server_alias(cmd, mconfig, arg):
    conf = core_server(cmd)
    if conf.names is None:
        return "ServerAlias only used in <VirtualHost>"
    pos = 0
    while pos < len(arg):
        name, pos = getword_conf(arg, pos)
        (conf.wild_names if "*" in name or "?" in name else conf.names).append(name)
    return None


def set_timeout(cmd, mconfig, arg):
    core_server(cmd).timeout = atoi(arg)


def set_limit_req(attr: str, name: str, suffix: str = ""):
    def handler(cmd, mconfig, arg):
        lim = atoi(arg)
        if lim < 0:
            return f'{name} "{arg}" must be a non-negative integer{suffix}'
        setattr(core_server(cmd), attr, lim)
        return None
    return handler


def set_recursion_limit(cmd, mconfig, arg1, arg2):
    conf = core_server(cmd)
    limit = atoi(arg1)
    if limit <= 0:
        return "The recursion limit must be greater than zero."
    if limit < 4:
        log_server(cmd, "warn", "AH00119: Limiting internal redirects to very low numbers "
                   "may cause normal requests to fail.")
    conf.redirect_limit = limit
    if arg2:
        limit = atoi(arg2)
        if limit <= 0:
            return "The recursion limit must be greater than zero."
        if limit < 4:
            log_server(cmd, "warn", "AH00120: Limiting the subrequest depth to a very low "
                       "level may cause normal requests to fail.")
    conf.subreq_limit = limit
    return None


def set_name_virtual_host(cmd, mconfig, arg):
    conf = main_core(cmd)
    if not conf.name_virtual_host_warned:
        conf.name_virtual_host_warned = True
        node = cmd.directive
        cmd.log.startup("AH00548: NameVirtualHost has no effect and will be removed in the "
                        f"next release {node.filename}:{node.line}", ALWAYS)


_TOKENS = {"os": "OS", "min": "Minimal", "minimal": "Minimal", "major": "Major",
           "minor": "Minor", "prod": "Prod", "productonly": "Prod", "full": "Full"}


def set_serv_tokens(cmd, mconfig, arg):
    tokens = _TOKENS.get(arg.lower())
    if tokens is None:
        return ("ServerTokens takes 1 argument: 'Prod(uctOnly)', 'Major', 'Minor', "
                "'Min(imal)', 'OS', or 'Full'")
    main_core(cmd).server_tokens = tokens
    return None


# -- logging -------------------------------------------------------------------------------

_LEVEL_ERR = ("Log level keyword must be one of emerg/alert/crit/error/warn/notice/info/"
              "debug/trace1/.../trace8")


def find_module(cmd, name: str):
    """core.c find_module: by source file name or identifier, as LoadModule loaded it."""
    for m in cmd.registry.loaded:
        if name in (m.source, m.name):
            return m
    return None


def set_loglevel(cmd, mconfig, arg):
    if cmd.path is not None:
        if mconfig.log is None:
            mconfig.log = LogConfig()
        log = mconfig.log
    else:
        log = core_server(cmd).log
    name, colon, level_str = arg.rpartition(":")
    if not colon:
        level = LEVEL_NUM.get(arg.lower())
        if level is None:
            return _LEVEL_ERR
        log.level, log.module_levels = level, None
        # the real binary prints its source location for trace messages
        log_server(cmd, "trace3", f"core.c(3490): Setting LogLevel for all modules to {arg}")
        return None
    if not level_str:
        return f"Module specifier '{name}' must be followed by a log level keyword"
    level = LEVEL_NUM.get(level_str.lower())
    if level is None:
        return f"{name}:{level_str}: {_LEVEL_ERR}"
    module = find_module(cmd, name) or find_module(cmd, f"{name}_module")
    if module is None:
        return f"Cannot find module {name}"
    log.module_levels = {**(log.module_levels or {}), module.name: level}
    log_server(cmd, "trace3", f"core.c(3517): Setting LogLevel for module {module.source} "
               f"to {level_str}")
    return None


@attrs.frozen
class ErrorLogItem:
    """ap_errorlog_format_item: ``func`` is the format letter ('' for constant text)."""

    func: str
    arg: Optional[str] = None
    flags: int = 0
    min_loglevel: int = 0


FLAG_FIELD_SEP, FLAG_MESSAGE, FLAG_REQUIRED, FLAG_NULL_AS_HYPHEN = 1, 2, 4, 8
ERRORLOG_HANDLERS = "aeiklmntvAEFLPTV"
_MISC_ESC = {"r": "\r", "n": "\n", "t": "\t"}


def _errorlog_item(s: str, pos: int, flags: int = 0):
    """parse_errorlog_item: (item, new position) or (error, None)."""
    if pos < len(s) and s[pos] != "%":
        if s[pos] == " ":
            flags |= FLAG_FIELD_SEP
        out, at_start = [], True
        while pos < len(s) and s[pos] != "%" and (s[pos] != " " or at_start) and \
                len(out) < 8192:
            c = s[pos]
            if c != "\\":
                at_start = at_start and c == " "
                out.append(c)
                pos += 1
            elif pos + 1 >= len(s):
                out.append("\\")
                pos += 1
            else:
                out.append(_MISC_ESC.get(s[pos + 1], s[pos + 1]))
                pos += 2
        return ErrorLogItem("", "".join(out), flags), pos
    pos += 1
    if s[pos:pos + 1] == " ":
        return _errorlog_item(s, pos + 1, flags | FLAG_FIELD_SEP)
    if s[pos:pos + 1] == "%":
        return ErrorLogItem("", "%", flags), pos + 1
    arg, level = None, 0
    while pos < len(s):
        c = s[pos]
        if c == "{":
            end = s.find("}", pos + 1)
            arg, pos = (s[pos + 1:], len(s)) if end < 0 else (s[pos + 1:end], end + 1)
        elif c == "+":
            flags |= FLAG_REQUIRED
            pos += 1
        elif c == "-":
            flags |= FLAG_NULL_AS_HYPHEN
            pos += 1
        elif c.isdigit():
            m = re.match(r"[0-9]+", s[pos:])
            level, pos = int(m.group(0)), pos + m.end()
        elif c == "M":
            return ErrorLogItem("M", arg, flags | FLAG_MESSAGE, level), pos + 1
        elif c in ERRORLOG_HANDLERS:
            return ErrorLogItem(c, arg, flags, level), pos + 1
        else:
            return f"Unrecognized error log format directive %{c}", None
    return "Ran off end of error log format parsing args to some directive", None


def parse_errorlog_string(s: str, is_main: bool):
    """parse_errorlog_string: (items, None) or (None, error)."""
    items, pos, seen_msg = [], 0, False
    while pos < len(s):
        item, pos = _errorlog_item(s, pos)
        if pos is None:
            return None, item
        items.append(item)
        if item.flags & FLAG_MESSAGE:
            if not is_main:
                return None, ("%M cannot be used in once-per-request or once-per-connection "
                              "formats")
            seen_msg = True
        if is_main and item.flags & FLAG_REQUIRED:
            return None, "The '+' flag cannot be used in the main error log format"
        if not is_main and item.min_loglevel:
            return None, ("The loglevel cannot be used as a condition in once-per-request "
                          "or once-per-connection formats")
        if item.min_loglevel > len(LEVELS) - 1:
            return None, "The specified loglevel modifier is out of range"
    if is_main and not seen_msg:
        return None, "main ErrorLogFormat must contain message format string '%M'"
    return items, None


def set_errorlog_format(cmd, mconfig, arg1, arg2):
    conf = core_server(cmd)
    if not arg2:
        conf.error_log_format, err = parse_errorlog_string(arg1, True)
        return err
    kind = arg1.lower()
    if kind not in ("connection", "request"):
        return "ErrorLogFormat type must be one of request, connection"
    attr = "error_log_conn" if kind == "connection" else "error_log_req"
    formats = list(getattr(conf, attr) or [])
    items, err = parse_errorlog_string(arg2, False)
    formats.append(items)
    setattr(conf, attr, formats)
    return err


# -- mutexes (util_mutex.c) -----------------------------------------------------------------

MUTEX_MECHS = ("Mutex mechanisms are: 'none', 'default', 'flock:/path/to/file', "
               "'fcntl:/path/to/file', 'file:/path/to/file', 'pthread', 'sysvsem', "
               "'posixsem', 'sem'")
_MECHS = {"default": "default", "yes": "default", "fcntl": "fcntl", "file": "fcntl",
          "flock": "flock", "posixsem": "posixsem", "sem": "posixsem", "sysvsem": "sysvsem",
          "pthread": "pthread"}


def mutex_types(cmd) -> set:
    """The types the loaded modules register (ap_mutex_register: Module.mutex_types)."""
    types = {"default"}
    for m in cmd.registry.loaded:
        types.update(getattr(m, "mutex_types", None) or ())
    return types


def set_mutex(cmd, mconfig, arg):
    mechdir, pos = getword_conf(arg)
    if not mechdir:
        return f"Mutex requires at least a mechanism argument ({MUTEX_MECHS})"
    meth, colon, file = mechdir.partition(":")
    none = meth.lower() == "none"
    mech = _MECHS.get(meth.lower())
    if mech is None and not none:
        return f"Invalid Mutex argument {mechdir} ({MUTEX_MECHS})"
    mutexdir = None
    if file and not none:
        # semaphores are not files: their name is used literally
        mutexdir = file if mech == "posixsem" else cmd.server_root_relative(file)
        if not os.path.isdir(mutexdir):
            return f"Invalid Mutex directory in argument {mechdir}"
    types, omit_pid = [], False
    while pos < len(arg):
        word, pos = getword_conf(arg, pos)
        if word.lower() == "omitpid":
            omit_pid = True
        else:
            types.append(word)
    known, conf = mutex_types(cmd), main_core(cmd)
    for mtype in reversed(types or ["default"]):
        if mtype not in known:
            return f"Mutex type {mtype} is not valid"
        mx = conf.mutexes.setdefault(mtype, MutexConfig())
        mx.none, mx.omit_pid, mx.set = False, omit_pid, True
        if none:
            if not mx.allow_none:
                return f"None is not allowed for mutex type {mtype}"
            mx.none = True
        else:
            mx.mech = mech
            if mutexdir:
                mx.dir = mutexdir
    return None
