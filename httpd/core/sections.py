"""core's containers: <Directory>, <Location>, <Files> and their Match forms, <If>,
<ElseIf>, <Else>, <Limit>, <LimitExcept> and <VirtualHost> (core.c dirsection,
urlsection, filesection, ifsection, ap_limit_section, virtualhost_section).

A section walks its children with its own per-module configs and then records itself
(a :class:`~.config.Section`) where Apache does: sec_dir and sec_url in the server's
core config, sec_file and sec_if in the enclosing per-directory config.  The checks
come in Apache's order, so a bad child is reported before "Multiple ... arguments".
"""
from __future__ import annotations

import os
import socket
from typing import Optional

import attrs

from httpd.config.grammar import getword_conf
from httpd.config.walk import SECTION_OVERRIDE
from httpd.module import (GLOBAL_ONLY, NOT_IN_DIR_LOC_FILE, NOT_IN_LIMIT, NOT_IN_LOCATION,
                          OR_ALL, OR_AUTHCFG, OR_LIMIT, RSRC_CONF, Args, Directive)
from httpd.config.server import create_server

from httpd import expr
from httpd.util.addr import AddrError, parse_addr_port
from httpd.util.fnmatch import fnmatch_test
from httpd.protocol import (M_INVALID, M_TRACE, METHOD_NUMBER_FIRST, METHOD_NUMBER_LAST,
                            method_number_of)
from .config import (CONDITION_ELSE, CONDITION_ELSEIF, CONDITION_IF, Section,
                     create_dir_config)
from httpd.module import CORE_MODULE as CORE


def core_server(cmd):
    return cmd.server.module_config[CORE]


def main_core(cmd):
    """The main server's core config, where Apache's process-wide settings live."""
    return cmd.process.main_server.module_config[CORE]


def regex_cflags(cmd) -> int:
    flags = main_core(cmd).regex_default_cflags
    return expr.AP_REG_DEFAULT if flags is None else flags


def expr_parse_cmd(cmd, text: str, string: bool = False):
    """ap_expr_parse_cmd: the expression of a directive, with RegexDefaultOptions, the
    directive's file and line for its error messages, and, read from an .htaccess file,
    no function that reads a file (file(), filesize()); raises expr.ExprError."""
    node = cmd.directive
    return expr.parse(text, string=string, cflags=regex_cflags(cmd),
                      filename=getattr(node, "filename", None),
                      line=getattr(node, "line", 0),
                      htaccess=bool(getattr(cmd, "htaccess", False)))


def parse_expr(cmd, text: str, string: bool):
    """expr_parse_cmd as (expression, None) or (None, message)."""
    try:
        return expr_parse_cmd(cmd, text, string), None
    except expr.ExprError as e:
        return None, str(e)


def method_number(cmd, name: str) -> int:
    """ap_method_number_of at config time: the registry is the main server's."""
    return method_number_of(name, main_core(cmd).methods)


def method_register(cmd, name: str) -> int:
    """ap_method_register (http_protocol.c): a new extension method gets the next free
    number, METHOD_NUMBER_FIRST (27) to METHOD_NUMBER_LAST (62); past that, AH01610 and
    M_INVALID, as apache2 does for a 37th RegisterHttpMethod name."""
    number = method_number(cmd, name)
    if number != M_INVALID:
        return number
    methods = main_core(cmd).methods
    number = METHOD_NUMBER_FIRST + len(methods)
    if number > METHOD_NUMBER_LAST:
        cmd.log.error("http", "error", f"AH01610: Maximum new request methods "
                      f"{METHOD_NUMBER_LAST} reached while registering method {name}.")
        return M_INVALID
    methods[name] = number
    return number


def container_arg(cmd, arg: str) -> tuple[Optional[str], Optional[str]]:
    """(text before the last '>', error)."""
    endp = arg.rfind(">")
    if endp < 0:
        return None, f"{cmd.cmd.name}> directive missing closing '>'"
    arg = arg[:endp]
    if not arg:
        return None, f"{cmd.cmd.name}> directive requires additional arguments"
    return arg, None


def _section(cmd, kind: str, path: str, regex, configs: dict) -> Section:
    node = cmd.directive
    return Section(kind, path, regex, node.filename, node.line, configs)


def _finish(section: Section, path: str, regex) -> None:
    conf = section.core
    conf.d, conf.r = path, regex
    conf.d_is_fnmatch = fnmatch_test(path)
    if regex is not None:
        conf.refs = [n for n, _ in sorted(regex.groupindex.items(), key=lambda kv: kv[1])]


def _canonical_dir(path: str) -> str:
    """apr_filepath_merge(TRUENAME) of a <Directory> path, with the trailing '/'."""
    merged = os.path.normpath(os.path.join(os.getcwd(), path))
    if merged.startswith("//"):
        merged = merged[1:]
    return merged if merged.endswith("/") else merged + "/"


def _target(cmd, arg: str, match_name: str, tilde_after_match: bool):
    """The path or regex of a path section: (path, pos, regex, error).  ``~`` before the
    pattern, or the *Match form, makes it a regex; <DirectoryMatch ~ re> also skips the
    ``~`` (dirsection), the Location and Files forms do not."""
    name = cmd.cmd.name
    path, pos = getword_conf(arg)
    regex = None
    if path == "~" or name == match_name:
        if path == "~" and (tilde_after_match or name != match_name):
            path, pos = getword_conf(arg, pos)
        regex = expr.pregcomp(path, regex_cflags(cmd))
        if regex is None:
            return path, pos, None, "Regex could not be compiled"
    return path, pos, regex, None


def _walk_section(cmd, arg: str, pos: int, path: str, regex, changes: dict):
    """Walk the section's children with its own configs; the recorded Section, or the
    error for trailing arguments."""
    configs = {CORE: create_dir_config(path)}
    cmd.walk(cmd.directive.children or [], configs, **changes)
    name = cmd.cmd.name
    section = _section(cmd, name[1:], path, regex, configs)
    _finish(section, path, regex)
    if pos < len(arg):
        return section, f"Multiple {name}> arguments not (yet) supported."
    return section, None


def dirsection(cmd, mconfig, arg):
    arg, err = container_arg(cmd, arg)
    if err:
        return err
    path, pos, regex, err = _target(cmd, arg, "<DirectoryMatch", tilde_after_match=True)
    if err:
        return err
    if regex is None and path != "/":
        path = _canonical_dir(path)
    section, err = _walk_section(cmd, arg, pos, path, regex,
                                 {"path": path, "override": SECTION_OVERRIDE})
    # "/" has no components so that it always sorts and merges first
    section.core.d_components = 0 if path == "/" else path.count("/")
    core_server(cmd).sec_dir.append(section)
    return err


def urlsection(cmd, mconfig, arg):
    arg, err = container_arg(cmd, arg)
    if err:
        return err
    path, pos, regex, err = _target(cmd, arg, "<LocationMatch", tilde_after_match=False)
    if err:
        return err
    section, err = _walk_section(cmd, arg, pos, path, regex,
                                 {"path": path, "override": SECTION_OVERRIDE})
    core_server(cmd).sec_url.append(section)
    return err


def filesection(cmd, mconfig, arg):
    arg, err = container_arg(cmd, arg)
    if err:
        return err
    path, pos, regex, err = _target(cmd, arg, "<FilesMatch", tilde_after_match=False)
    if err:
        return err
    if regex is None:
        # canonical, but with no fixed root the case and aliases cannot be tested
        trailing = path.endswith("/")
        path = os.path.normpath(path) if path else path
        path = path + "/" if trailing and not path.endswith("/") else path
    # inside a <Directory> or an .htaccess file the override is already what it must be
    changes = {"path": path}
    if cmd.path is None:
        changes["override"] = SECTION_OVERRIDE
    section, err = _walk_section(cmd, arg, pos, path, regex, changes)
    if mconfig.sec_file is None:
        mconfig.sec_file = []
    mconfig.sec_file.append(section)
    return err


_IF_KINDS = {"<If": CONDITION_IF, "<ElseIf": CONDITION_ELSEIF, "<Else": CONDITION_ELSE}


def ifsection(cmd, mconfig, arg):
    endp = arg.rfind(">")
    if endp < 0:
        return f"{cmd.cmd.name}> directive missing closing '>'"
    arg = arg[:endp]
    name = cmd.cmd.name
    path = "*If"           # a dummy path, so that directives see a section
    configs = {CORE: create_dir_config(path)}
    conf = configs[CORE]
    conf.condition_ifelse = _IF_KINDS[name]
    pos = len(arg)
    if conf.condition_ifelse == CONDITION_ELSE:
        if arg:
            return "<Else> does not take an argument"
    else:
        if not arg:
            return f"{name}> directive requires additional arguments"
        condition, pos = getword_conf(arg)
        try:
            conf.condition = expr_parse_cmd(cmd, condition)
        except expr.ExprError as e:
            return f"Cannot parse condition clause: {e}"
    changes = {"path": path}
    if cmd.path is None:
        changes["override"] = SECTION_OVERRIDE
    cmd.walk(cmd.directive.children or [], configs, **changes)
    conf.d, conf.d_is_fnmatch, conf.r = path, False, None
    section = _section(cmd, name[1:], path, None, configs)
    # ap_add_if_conf: an <Else>/<ElseIf> follows an <If>/<ElseIf> of the same scope
    if conf.condition_ifelse & CONDITION_ELSE:
        last = mconfig.sec_if[-1].core if mconfig.sec_if else None
        if last is None or not last.condition_ifelse & CONDITION_IF:
            return ("<Else> or <ElseIf> section without previous <If> or <ElseIf> section "
                    "in same scope")
    if mconfig.sec_if is None:
        mconfig.sec_if = []
    mconfig.sec_if.append(section)
    if pos < len(arg):
        return f"Multiple {name}> arguments not supported."
    return None


def limit_section(cmd, mconfig, arg):
    methods, err = container_arg(cmd, arg)
    if err:
        return err
    name = cmd.cmd.name
    except_ = name == "<LimitExcept"
    limited, pos = 0, 0
    while pos < len(methods):
        method, pos = getword_conf(methods, pos)
        number = method_number(cmd, method)
        if number == M_TRACE and not except_:
            return "TRACE cannot be controlled by <Limit>, see TraceEnable"
        if number == M_INVALID:
            # not registered yet; access is checked before methods are, so register it
            number = method_register(cmd, method)
        limited |= 1 << number
    if except_:
        limited = ~limited
    old = cmd.limited
    if not old & limited:
        return f"{name}> directive excludes all methods"
    if old & limited == old:
        return f"{name}> directive specifies methods already excluded"
    cmd.walk(cmd.directive.children or [], cmd.context, limited=old & limited)
    return None


# -- <VirtualHost> -----------------------------------------------------------------------

@attrs.frozen
class ServerAddr:
    """server_addr_rec: one address of a <VirtualHost>.  ``host_addr`` is the resolved
    IP ("0.0.0.0" for ``*`` and ``_default_``); port 0 means any port."""

    host_addr: str
    host_port: int
    virthost: str
    family: int = socket.AF_INET
    scope_id: Optional[str] = None

    @property
    def is_wildcard(self) -> bool:
        return self.virthost == "*" or self.virthost.lower() == "_default_"


def get_addresses(cmd, word: str, default_port: int, out: list) -> Optional[str]:
    """vhost.c get_addresses: append the addresses ``word`` names to ``out``."""
    wild_port = False
    if word.endswith("*"):
        if len(word) < 2:
            wild_port = True
        elif word[-2] == ":":
            word, wild_port = word[:-2], True
    try:
        host, scope, port = parse_addr_port(word)
    except AddrError:
        return "The address or port is invalid"
    if host is None:
        return "Missing address for VirtualHost"
    if not port and not wild_port:
        port = default_port
    if host == "*" or host.lower() == "_default_":
        out.append(ServerAddr("0.0.0.0", port, host))
        return None
    cache = cmd.process.name_cache     # one lookup per name, not per <VirtualHost>
    try:
        infos = cache.get(host)
        if infos is None:
            try:
                infos = socket.getaddrinfo(host, None, socket.AF_UNSPEC, socket.SOCK_STREAM, 0,
                                           socket.AI_ADDRCONFIG)
            except UnicodeError:   # refused by Python's IDNA step: an unknown name to APR
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            cache[host] = infos
    except socket.gaierror as e:
        cmd.log.error("core", "error", f"(EAI {abs(e.errno)}){e.strerror}: AH00547: Could not "
                      f"resolve host name {host} -- ignoring!")
        return None
    seen = set()
    for family, _, _, _, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.add(sockaddr[0])
            out.append(ServerAddr(sockaddr[0], port, host, family, scope))
    return None


def virtualhost_section(cmd, mconfig, arg):
    arg, err = container_arg(cmd, arg)
    if err:
        return err
    if cmd.server.is_virtual:
        return "<VirtualHost> doesn't nest!"
    node, main = cmd.directive, core_server(cmd)
    vhost = create_server(cmd.process, is_virtual=True, defn_name=node.filename,
                          defn_line=node.line)
    vconf = vhost.module_config[CORE]
    # ap_init_virtual_host: the main server's values at this point in the file
    vconf.port = main.port
    vconf.limit_req_line = main.limit_req_line
    vconf.limit_req_fieldsize = main.limit_req_fieldsize
    vconf.limit_req_fields = main.limit_req_fields
    addrs: list = []
    pos = 0
    while pos < len(arg):
        word, pos = getword_conf(arg, pos)
        if word:
            err = get_addresses(cmd, word, vconf.port, addrs)
            if err:
                return err
    vhost.addrs = addrs
    if addrs and addrs[0].host_port:
        vconf.port = addrs[0].host_port    # overrides the port inherited from main
    cmd.process.vhosts.append(vhost)
    cmd.walk(node.children or [], vhost.lookup_defaults, server=vhost)
    return None


def _d(name, handler, override, help_, forbidden=0):
    return Directive(name, handler, Args.RAW_ARGS, override, help_, forbidden)


_DIR_HELP = "Container for directives affecting resources located in the specified directories"
_URL_HELP = ("Container for directives affecting resources accessed through the specified URL "
             "paths")
_FILES_HELP = "Container for directives affecting files matching specified patterns"
_IF_HELP = "Container for directives to be conditionally applied"

DIRECTIVES = [
    _d("<Directory", dirsection, RSRC_CONF, _DIR_HELP, NOT_IN_DIR_LOC_FILE),
    _d("<Location", urlsection, RSRC_CONF, _URL_HELP, NOT_IN_DIR_LOC_FILE),
    _d("<VirtualHost", virtualhost_section, RSRC_CONF,
       "Container to map directives to a particular virtual host, takes one or more host "
       "addresses", GLOBAL_ONLY),
    _d("<Files", filesection, OR_ALL, _FILES_HELP, NOT_IN_LOCATION | NOT_IN_LIMIT),
    _d("<Limit", limit_section, OR_LIMIT | OR_AUTHCFG,
       "Container for authentication directives when accessed using specified HTTP methods"),
    _d("<LimitExcept", limit_section, OR_LIMIT | OR_AUTHCFG,
       "Container for authentication directives to be applied when any HTTP method other "
       "than those specified is used to access the resource"),
    _d("<DirectoryMatch", dirsection, RSRC_CONF, _DIR_HELP, NOT_IN_DIR_LOC_FILE),
    _d("<LocationMatch", urlsection, RSRC_CONF, _URL_HELP, NOT_IN_DIR_LOC_FILE),
    _d("<FilesMatch", filesection, OR_ALL, _FILES_HELP, NOT_IN_LOCATION | NOT_IN_LIMIT),
    _d("<If", ifsection, OR_ALL, _IF_HELP, NOT_IN_LIMIT),
    _d("<ElseIf", ifsection, OR_ALL, _IF_HELP, NOT_IN_LIMIT),
    _d("<Else", ifsection, OR_ALL, _IF_HELP, NOT_IN_LIMIT),
]
