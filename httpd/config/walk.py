"""The walk pass: each stored directive finds its module, is checked and executed.

``invoke_cmd`` is the one generic path every directive goes through (arity, context,
then the module's handler), exactly as Apache's config.c does, so that errors read
the same for every module.
"""
from __future__ import annotations

from typing import Any, Optional

from httpd.module import (ACCESS_CONF, NOT_IN_DIR_LOC_FILE, NOT_IN_DIRECTORY, NOT_IN_FILES,
                      NOT_IN_HTACCESS, NOT_IN_LIMIT, NOT_IN_LOCATION, NOT_IN_PROXY,
                      NONFATAL_OVERRIDE, NONFATAL_UNKNOWN, NOT_IN_VIRTUALHOST, OR_ALL,
                      OR_AUTHCFG, OR_LIMIT, RSRC_CONF, Args, Directive)
from httpd.config.errors import ConfigError, WalkError
from httpd.config.grammar import getword_conf, single_word
from httpd.config.tree import Node
from httpd.log import errorlog

# The override mask at server level (ap_process_config_tree) and in sections.
SERVER_OVERRIDE = (RSRC_CONF | OR_ALL) & ~(OR_AUTHCFG | OR_LIMIT)
SECTION_OVERRIDE = OR_ALL | ACCESS_CONF

_ONE = {Args.TAKE1: "takes one argument", Args.TAKE2: "takes two arguments",
        Args.TAKE12: "takes 1-2 arguments", Args.TAKE3: "takes three arguments",
        Args.TAKE23: "takes two or three arguments",
        Args.TAKE123: "takes one, two or three arguments",
        Args.TAKE13: "takes one or three arguments",
        Args.ITERATE2: "requires at least two arguments",
        Args.ITERATE: "requires at least one argument"}


def arity_message(cmd: Directive) -> str:
    """The message Apache gives when ``cmd`` gets the wrong number of arguments."""
    if cmd.args is Args.NO_ARGS:
        return f"{cmd.name} takes no arguments"
    if cmd.args is Args.FLAG:
        return f"{cmd.name} must be On or Off"
    text = f"{cmd.name} {_ONE[cmd.args]}"
    return f"{text}, {cmd.help}" if cmd.help else text


_DIRECTORY = ("<directory", "<directorymatch")
_LOCATION = ("<location", "<locationmatch")
_FILES = ("<files", "<filesmatch", "<if", "<elseif", "<else")
_PROXY = ("<proxy", "<proxymatch")


_FORBIDDEN_KINDS: dict[int, tuple[str, ...]] = {}


def _kinds(forbidden: int) -> tuple[str, ...]:
    kinds: tuple[str, ...] = ()
    for bit, names in ((NOT_IN_DIRECTORY, _DIRECTORY), (NOT_IN_LOCATION, _LOCATION),
                       (NOT_IN_FILES, _FILES), (NOT_IN_PROXY, _PROXY)):
        if forbidden & bit:
            kinds += names
    return kinds


class CmdParms:
    """What a directive handler sees (Apache's cmd_parms).

    ``server`` is the server being configured (main or a virtual host), ``path`` the
    section path (None at server level), ``directive`` the node being run, ``process``
    the global start-up state (ServerRoot, defines, registry, log).
    """

    __slots__ = ("process", "server", "path", "override", "limited", "directive", "cmd",
                 "cfg", "section", "context", "htaccess", "override_opts", "override_list")

    def __init__(self, process: Any, server: Any = None, override: int = SERVER_OVERRIDE,
                 path: Optional[str] = None, cfg: Any = None, context: Optional[dict] = None):
        self.process = process
        self.server = server
        self.path = path
        self.override = override
        self.limited = -1
        self.directive: Optional[Node] = None
        self.cmd: Optional[Directive] = None
        self.cfg = cfg            # the config file being read (read pass only)
        self.section = None       # the section record being filled (Directory, ...)
        self.context = context    # per-module configs of the current section
        self.htaccess = False
        # an .htaccess file's AllowOverride Options=... and AllowOverrideList (lower-cased
        # names); None: the main config files' (ap_parse_htaccess sets them)
        self.override_opts: Optional[int] = None
        self.override_list: Optional[frozenset] = None

    def copy(self, **changes: Any) -> "CmdParms":
        new = CmdParms.__new__(CmdParms)
        for name in _SLOTS:
            setattr(new, name, getattr(self, name))
        for name, value in changes.items():
            setattr(new, name, value)
        return new

    # -- helpers for handlers ------------------------------------------------------------
    @property
    def registry(self):
        return self.process.registry

    @property
    def log(self):
        return self.process.log

    def server_root_relative(self, path: str) -> str:
        return self.process.server_root_relative(path)

    def server_config(self, module: str) -> Any:
        return self.server.module_config[module]

    def check_context(self, forbidden: int) -> Optional[str]:
        """Apache's ap_check_cmd_context."""
        where = None
        if forbidden & NOT_IN_VIRTUALHOST and self.server is not None and self.server.is_virtual:
            where = "<VirtualHost> section"
        elif forbidden & NOT_IN_LIMIT and self.limited != -1:
            where = "<Limit> or <LimitExcept> section"
        elif forbidden & NOT_IN_HTACCESS and self.htaccess:
            where = "htaccess files"
        elif (forbidden & NOT_IN_DIR_LOC_FILE) == NOT_IN_DIR_LOC_FILE and (
                self.path is not None or self.cmd.exec_on_read):
            if self.path is None:
                return None
            where = "directory context"
        else:
            # The enclosing sections, computed once per section; kinds in Apache's order.
            parent = self.directive.parent
            if parent is None:
                return None
            kinds = _FORBIDDEN_KINDS.get(forbidden)
            if kinds is None:
                kinds = _FORBIDDEN_KINDS[forbidden] = _kinds(forbidden)
            parents = parent.chain()
            for kind in kinds:
                found = parents.get(kind)
                if found:
                    where = f"{found.name}> section"
                    break
            else:
                return None
        name = self.cmd.name
        gt = ">" if name.startswith("<") and not name.endswith(">") else ""
        return f"{name}{gt} cannot occur within {where}"

    def walk(self, nodes: list[Node], context: dict, **changes: Any) -> None:
        """Run ``nodes`` (a section's children) with ``context`` as section configs."""
        # Like Apache, change this cmd_parms for the section and restore it afterwards
        # (no copy per section: a large config has tens of thousands of them).
        changes["context"] = context
        saved = {name: getattr(self, name) for name in changes}
        saved["directive"] = self.directive
        saved["cmd"] = self.cmd
        for name, value in changes.items():
            setattr(self, name, value)
        try:
            walk_config(nodes, self)
        finally:
            for name, value in saved.items():
                setattr(self, name, value)


_SLOTS = CmdParms.__slots__


def _perror(parms: CmdParms, msg: str) -> None:
    """ap_log_perror(WARNING): in an .htaccess file (request time) the main server's
    error log, otherwise the start-up log."""
    if parms.htaccess:
        errorlog.error_log(parms.process.main_server, "core", "warn", msg)
    else:
        parms.log.error("core", "warn", msg)


def invoke_cmd(cmd: Directive, parms: CmdParms, mconfig: Any, args: str) -> Optional[str]:
    """Check arity and context, then run the handler; return an error message or None."""
    if not (parms.override & cmd.req_override) and not (
            parms.override_list and cmd.name.lower() in parms.override_list):
        if parms.override & NONFATAL_OVERRIDE:
            _perror(parms, f"AH02295: {cmd.name} in .htaccess forbidden by AllowOverride")
            return None
        node = parms.directive
        if node is not None and node.parent is not None:
            return f"{cmd.name} not allowed in {node.parent.name}> context"
        return f"{cmd.name} not allowed here"
    parms.cmd = cmd
    how = cmd.args
    h = cmd.handler
    if how is Args.RAW_ARGS:
        words: tuple = (args,)
    elif how is Args.TAKE1:
        w = single_word(args)
        if w is None:
            w, p = getword_conf(args)
            if not w or p < len(args):
                return arity_message(cmd)
        words = (w,)
    elif how is Args.FLAG:
        w, p = getword_conf(args)
        lw = w.lower()
        if lw != "on" and lw != "off":
            return arity_message(cmd)
        words = (lw == "on",)
    elif how is Args.TAKE2:
        w, p = getword_conf(args)
        w2, p = getword_conf(args, p)
        if not w or not w2 or p < len(args):
            return arity_message(cmd)
        words = (w, w2)
    elif how is Args.TAKE12:
        w, p = getword_conf(args)
        w2, p = getword_conf(args, p)
        if not w or p < len(args):
            return arity_message(cmd)
        words = (w, w2 or None)
    elif how is Args.TAKE3:
        w, p = getword_conf(args)
        w2, p = getword_conf(args, p)
        w3, p = getword_conf(args, p)
        if not w or not w2 or not w3 or p < len(args):
            return arity_message(cmd)
        words = (w, w2, w3)
    elif how is Args.TAKE23:
        w, p = getword_conf(args)
        w2, p = getword_conf(args, p)
        w3 = None
        if p < len(args):
            w3, p = getword_conf(args, p)
        if not w or not w2 or p < len(args):
            return arity_message(cmd)
        words = (w, w2, w3)
    elif how is Args.TAKE123 or how is Args.TAKE13:
        w, p = getword_conf(args)
        w2 = w3 = None
        if p < len(args):
            w2, p = getword_conf(args, p)
        if p < len(args):
            w3, p = getword_conf(args, p)
        bad = not w or p < len(args)
        if how is Args.TAKE13 and w2 and w3 is None:
            bad = True
        if bad:
            return arity_message(cmd)
        words = (w, w2, w3)
    elif how is Args.NO_ARGS:
        if args:
            return arity_message(cmd)
        words = ()
    elif how is Args.TAKE_ARGV:
        argv = []
        p = 0
        while True:
            w, p = getword_conf(args, p)
            if not w and p >= len(args):
                break
            argv.append(w)
            if p >= len(args) or len(argv) >= 64:
                break
        words = (argv,)
    elif how is Args.ITERATE:
        p = 0
        err = None
        first = True
        while True:
            w, p = getword_conf(args, p)
            if not w:
                if first:
                    return arity_message(cmd)
                return err
            first = False
            if cmd.forbidden:
                err = parms.check_context(cmd.forbidden)
                if err:
                    return err
            err = h(parms, mconfig, w)
            if err:
                return err
    elif how is Args.ITERATE2:
        w, p = getword_conf(args)
        if not w or p >= len(args):
            return arity_message(cmd)
        if cmd.forbidden:
            err = parms.check_context(cmd.forbidden)
            if err:
                return err
        while True:
            w2, p = getword_conf(args, p)
            if not w2:
                return None
            err = h(parms, mconfig, w, w2)
            if err:
                return err
    else:  # pragma: no cover
        return f"{cmd.name} is improperly configured internally (server bug)"
    if cmd.forbidden:
        err = parms.check_context(cmd.forbidden)
        if err:
            return err
    return h(parms, mconfig, *words)


def walk_config(nodes: list[Node], parms: CmdParms) -> None:
    """Run every node in order; raise WalkError at the first failure."""
    commands = parms.process.registry.commands
    ctx = parms.context
    for node in nodes:
        parms.directive = node
        found = commands.get(node.name.lower())
        if found is None:
            if parms.override & NONFATAL_UNKNOWN:
                _perror(parms, f"AH02296: Unknown directive {node.name.lower()} perhaps "
                        "misspelled or defined by a module not included in the server "
                        "configuration")
                continue
            raise WalkError(f"Invalid command '{node.name}', perhaps misspelled or defined "
                            "by a module not included in the server configuration", node)
        module, cmd = found
        if cmd.exec_on_read:
            continue
        mconfig = ctx.get(module.name)
        if mconfig is None and module.create_dir_config is not None:
            mconfig = ctx[module.name] = module.create_dir_config(parms.path)
        try:
            err = invoke_cmd(cmd, parms, mconfig, node.args)
        except WalkError as e:
            if e.node is None:
                e.node = node
            raise
        except ConfigError as e:
            raise WalkError(e.msg, e.node or node) from None
        if err is not None:
            raise WalkError(err, node)
