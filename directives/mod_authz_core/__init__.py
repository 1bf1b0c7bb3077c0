"""mod_authz_core (mod_authz_core.c): Require, the <Require*> containers, AuthMerging.

Every ``Require`` line becomes a node of a tree of sections: a section is a provider
check (``Require ip ...``) or a container (AND for <RequireAll>, OR for <RequireAny>,
negated OR for <RequireNone>).  The tree is built and checked while the config is
walked, with Apache's messages, so the access checker (mod_authz_core_runtime.py) only
evaluates it.

Providers are found by name among the loaded modules: each module offers its own
through ``providers["authz"]`` (Apache's ap_register_auth_provider), so
``Require ip`` is known only with mod_authz_host loaded.  ``<AuthzProviderAlias>``
adds names while the config is walked.
"""
from __future__ import annotations

import enum
import re
import weakref
from typing import Any, Callable, Optional

import attrs

from httpd.core.sections import container_arg, method_number, parse_expr
from httpd.protocol import M_INVALID
from directives.mod_authz_core import runtime
from httpd.config.grammar import getword_conf
from httpd.module.hooks import LAST, determined
from httpd.module import (ACCESS_CONF, GLOBAL_ONLY, OR_AUTHCFG, RSRC_CONF, Args, Module,
                          directive)

MODULE_NAME = "authz_core_module"
AUTHZ_PROVIDER_GROUP = "authz"
METHODS = 64     # bit METHODS-1 of cmd.limited marks "inside a <Require*> section"


@attrs.frozen
class AuthzProvider:
    """An authorization provider (Apache's authz_provider).

    ``parse_require_line(cmd, require_line) -> (parsed, error)`` runs at config time;
    ``check_authorization(r, require_line, parsed) -> authz_status`` is the
    request-time check (mod_authz_core_runtime.py).  ``alias`` is
    set for names made by <AuthzProviderAlias>.
    """

    name: str
    parse_require_line: Optional[Callable[[Any, str], tuple[Any, Optional[str]]]] = None
    check_authorization: Optional[Callable[..., Any]] = None
    alias: Optional["ProviderAlias"] = None


class Logic(enum.Enum):
    AND = "and"
    OR = "or"
    OFF = "off"
    UNSET = "unset"


@attrs.define(eq=False)
class AuthzSection:
    """A provider check (``provider`` set) or a container of ``children``.

    ``limited`` is the method mask the section applies to (-1: every method);
    ``is_merged`` marks the container AuthMerging makes at merge time.
    """

    provider_name: Optional[str] = None
    provider_args: Optional[str] = None
    parsed_args: Any = None
    provider: Optional[AuthzProvider] = None
    limited: int = 0
    op: Logic = Logic.OR
    negate: bool = False
    is_merged: bool = False
    children: list["AuthzSection"] = attrs.field(factory=list)
    # the results by method number when the tree's answer depends on the method alone
    # (only `Require all` / `Require method`), False when it does not; None: not known yet
    fixed: Any = attrs.field(default=None, repr=False)

    def describe(self) -> str:
        """format_authz_command: how Apache names the section in messages."""
        if self.provider is not None:
            return (f"Require {'not ' if self.negate else ''}{self.provider_name} "
                    f"{self.provider_args}")
        kind = ("NotAll" if self.negate else "All") if self.op is Logic.AND \
            else ("None" if self.negate else "Any")
        return f"AuthMerging {kind}" if self.is_merged else f"<Require{kind}>"


@attrs.define(eq=False)
class AuthzCoreDirConfig:
    """``section`` is the root (an implicit <RequireAny>); ``op`` is AuthMerging."""

    section: Optional[AuthzSection] = None
    op: Logic = Logic.UNSET
    forbidden_on_fail: Optional[bool] = None


@attrs.frozen
class ProviderAlias:
    """One <AuthzProviderAlias real alias args>: the real provider, its parsed
    arguments and the per-dir configs of its body, merged in before the check."""

    provider_name: str
    provider_alias: str
    provider_args: str
    parsed_args: Any
    provider: AuthzProvider
    sec_auth: dict


@attrs.define
class AuthzCoreServerConfig:
    alias_rec: dict[str, ProviderAlias] = attrs.field(factory=dict)


def create_dir_config(path: Optional[str]) -> AuthzCoreDirConfig:
    return AuthzCoreDirConfig()


def merge_dir_config(base: AuthzCoreDirConfig, new: AuthzCoreDirConfig) -> AuthzCoreDirConfig:
    """merge_authz_core_dir_config: AuthMerging decides whether the outer rules stay."""
    if new.op is Logic.UNSET and new.section is None and base.section is not None:
        # only AuthzSendForbiddenOnFailure set here: not a new auth config
        conf = AuthzCoreDirConfig(base.section, base.op)
    elif new.op in (Logic.OFF, Logic.UNSET) or not (base.section or new.section):
        conf = AuthzCoreDirConfig(new.section, new.op)
    else:
        if base.section is not None and new.section is not None:
            section = AuthzSection(limited=base.section.limited | new.section.limited,
                                   op=new.op, is_merged=True,
                                   children=[base.section, new.section])
        else:
            section = base.section if base.section is not None else new.section
        conf = AuthzCoreDirConfig(section, new.op)
    conf.forbidden_on_fail = (base.forbidden_on_fail if new.forbidden_on_fail is None
                              else new.forbidden_on_fail)
    return conf


def create_server_config(server) -> AuthzCoreServerConfig:
    return AuthzCoreServerConfig()


def merge_server_config(base, add):
    return base       # <AuthzProviderAlias> is global only


# -- per-process state: aliases registered during the walk, configs to check ----------

@attrs.define
class _State:
    aliases: dict[str, AuthzProvider] = attrs.field(factory=dict)
    confs: list[AuthzCoreDirConfig] = attrs.field(factory=list)


_STATE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _state(process) -> _State:
    st = _STATE.get(process)
    if st is None:
        st = _STATE[process] = _State()
    return st


def pre_config(process) -> None:
    _STATE.pop(process, None)


def lookup_provider(process, name: str) -> Optional[AuthzProvider]:
    """ap_lookup_provider(AUTHZ_PROVIDER_GROUP, name): exact (case-sensitive) name."""
    found = _state(process).aliases.get(name)
    if found is not None:
        return found
    return process.registry.provider("authz", name)


def _root_section(cmd, conf: AuthzCoreDirConfig) -> AuthzSection:
    """create_default_section, remembered for the check_config pass."""
    if conf.section is None:
        conf.section = AuthzSection(op=Logic.OR)
        _state(cmd.process).confs.append(conf)
    return conf.section


# -- directives -------------------------------------------------------------------------

@directive("<AuthzProviderAlias", Args.RAW_ARGS, RSRC_CONF,
           "container for grouping an authorization provider's directives under a "
           "provider alias")
def authz_require_alias_section(cmd, mconfig, args):
    err = cmd.check_context(GLOBAL_ONLY)
    if err:
        return err
    name = cmd.cmd.name
    args, err = container_arg(cmd, args)
    if err:
        return err
    provider_name, pos = getword_conf(args)
    provider_alias, pos = getword_conf(args, pos)
    provider_args, pos = getword_conf(args, pos)
    extra_args, pos = getword_conf(args, pos)
    if not provider_name or not provider_alias:
        return f"{name}> directive requires additional arguments"
    if extra_args:
        cmd.log.error("authz_core", "warn",
                      f"AH10142: When several arguments ({provider_args} {extra_args}...) are "
                      f"passed to a {name} directive, they must be enclosed in quotation "
                      "marks.  Otherwise, only the first one is taken into account")
    sec_auth: dict = {}
    cmd.walk(cmd.directive.children or [], sec_auth, override=OR_AUTHCFG | ACCESS_CONF)
    provider = lookup_provider(cmd.process, provider_name)
    if provider is None:
        return f"Unknown Authz provider: {provider_name}"
    parsed = None
    if provider.parse_require_line is not None:
        parsed, err = provider.parse_require_line(cmd, provider_args)
        if err:
            return f"Can't parse 'Require {provider_name} {provider_args}': {err}"
    rec = ProviderAlias(provider_name, provider_alias, provider_args, parsed, provider,
                        sec_auth)
    cmd.server.module_config[MODULE_NAME].alias_rec[provider_alias] = rec
    # Apache registers the alias as a provider for every later Require line
    _state(cmd.process).aliases[provider_alias] = AuthzProvider(provider_alias, alias=rec)
    return None


@directive("Require", Args.RAW_ARGS, OR_AUTHCFG,
           "specifies authorization directives which one must pass (or not) for a request "
           "to suceeed")
def add_authz_provider(cmd, conf: AuthzCoreDirConfig, args):
    name, pos = getword_conf(args)
    negate = False
    if name.lower() == "not":
        name, pos = getword_conf(args, pos)
        negate = True
    provider_args = args[pos:]
    provider = lookup_provider(cmd.process, name)
    if provider is None:
        return f"Unknown Authz provider: {name}"
    section = AuthzSection(name, provider_args, None, provider, cmd.limited, negate=negate)
    if provider.parse_require_line is not None:
        section.parsed_args, err = provider.parse_require_line(cmd, provider_args)
        if err:
            return err
    root = _root_section(cmd, conf)
    if negate and root.op is Logic.OR:
        return f"negative {cmd.cmd.name} directive has no effect in {root.describe()} directive"
    root.limited |= section.limited
    root.children.append(section)
    return None


_SECTION_KINDS = {"<requireall": (Logic.AND, False), "<requireany": (Logic.OR, False),
                  "<requirenotall": (Logic.AND, True), "<requirenone": (Logic.OR, True)}


def add_authz_section(cmd, conf: AuthzCoreDirConfig, args):
    name = cmd.cmd.name
    endp = args.rfind(">")
    if endp < 0:
        return f"{name}> directive missing closing '>'"
    if args[:endp]:
        return f"{name}> directive doesn't take additional arguments"
    op, negate = _SECTION_KINDS[name.lower()]
    section = AuthzSection(op=op, negate=negate)
    old_section = conf.section
    conf.section = section
    # Directives that refuse <Limit> refuse these sections too (NOT_IN_LIMIT).
    limited = cmd.limited & ~(1 << (METHODS - 1))
    try:
        cmd.walk(cmd.directive.children or [], cmd.context, override=OR_AUTHCFG,
                 limited=limited)
    finally:
        conf.section = old_section
    if not section.children:
        return f"{section.describe()} directive contains no authorization directives"
    root = _root_section(cmd, conf)
    if section.negate and root.op is Logic.OR:
        return f"{section.describe()} directive has no effect in {root.describe()} directive"
    root.limited |= section.limited
    if not section.negate and section.op is root.op:
        root.children.extend(section.children)      # be associative
    else:
        root.children.append(section)
    return None


_CONTAINER_HELP = {
    "<RequireAll": "container for grouping authorization directives of which none must fail "
                   "and at least one must pass for a request to succeed",
    "<RequireAny": "container for grouping authorization directives of which one must pass "
                   "for a request to succeed",
    "<RequireNone": "container for grouping authorization directives of which none must "
                    "pass for a request to succeed",
}
require_all, require_any, require_none = (
    directive(n, Args.RAW_ARGS, OR_AUTHCFG, h)(add_authz_section)
    for n, h in _CONTAINER_HELP.items())


@directive("AuthMerging", Args.TAKE1, OR_AUTHCFG,
           "controls how a <Directory>, <Location>, or similar directive's authorization "
           "directives are combined with those of its predecessor")
def authz_merge_sections(cmd, conf: AuthzCoreDirConfig, arg):
    ops = {"off": Logic.OFF, "and": Logic.AND, "or": Logic.OR}
    op = ops.get(arg.lower())
    if op is None:
        return f"{cmd.cmd.name} must be one of: Off | And | Or"
    conf.op = op
    return None


@directive("AuthzSendForbiddenOnFailure", Args.FLAG, OR_AUTHCFG,
           "Controls if an authorization failure should result in a '403 FORBIDDEN' "
           "response instead of the HTTP-conforming '401 UNAUTHORIZED'")
def set_forbidden_on_fail(cmd, conf: AuthzCoreDirConfig, flag):
    conf.forbidden_on_fail = flag
    return None


# -- check_config: a container must have something positive in it (AH01624) ----------

def _check_section(section: AuthzSection, is_conf: bool) -> Optional[str]:
    """authz_core_check_section, without rewriting the tree.

    Apache first flattens a negated child whose logic differs from its parent's (De
    Morgan) and then asks for one non-negated child; flattening turns that child into
    children that are all negated, so the answer is the same without it.
    """
    for child in section.children:
        if child.children:
            err = _check_section(child, False)
            if err:
                return err
    if any(not child.negate for child in section.children):
        return None
    what = "<Directory>, <Location>, or similar" if is_conf else section.describe()
    return f"AH01624: {what} directive contains only negative authorization directives"


def check_config(process, server) -> Optional[str]:
    # Apache walks its list of configs newest first and stops at the first failure
    for conf in reversed(_state(process).confs):
        if conf.section is not None:
            err = _check_section(conf.section, True)
            if err:
                process.log.startup(err, "error")   # Apache logs AH01624 at error
                return ""
    return None


# -- core's providers: all, env, method, expr -------------------------------------------


def _all_parse(cmd, line: str):
    if line.lower() == "granted":
        return True, None
    if line.lower() == "denied":
        return False, None
    return None, "Argument for 'Require all' must be 'granted' or 'denied'"


def _method_parse(cmd, line: str):
    allowed = 0
    pos = 0
    while True:
        w, pos = getword_conf(line, pos)
        if not w:
            return allowed, None
        m = method_number(cmd, w)     # the core's numbers, RegisterHttpMethod included
        if m == M_INVALID:
            return None, f"Invalid Method '{w}'"
        allowed |= 1 << m


@attrs.frozen
class RequireExpr:
    """``Require expr``: the expression, and whether it reads REMOTE_USER (then a
    false result means "denied, no user yet", so authentication runs first)."""

    expr: Any
    want_user: bool


def _expr_parse(cmd, line: str):
    # expr_parse_config: surrounding double quotes are dropped
    if len(line) >= 2 and line[0] == '"' and line[-1] == '"':
        line = line[1:-1]
    if not line.strip():
        # the parser's own answer to an empty expression
        return None, "Cannot parse expression in require line: syntax error, unexpected $end"
    expr, err = parse_expr(cmd, line, string=False)
    if err:
        return None, f"Cannot parse expression in require line: {err}"
    want_user = re.search(r"%\{\s*REMOTE_USER\s*\}", line, re.I) is not None
    return RequireExpr(expr, want_user), None


PROVIDERS = {
    "env": AuthzProvider("env", None, runtime.env_check),
    "all": AuthzProvider("all", _all_parse, runtime.all_check),
    "method": AuthzProvider("method", _method_parse, runtime.method_check),
    "expr": AuthzProvider("expr", _expr_parse, runtime.expr_check),
}


MODULE = Module(
    MODULE_NAME, "mod_authz_core.c",
    (authz_require_alias_section, add_authz_provider, require_all, require_any,
     require_none, authz_merge_sections, set_forbidden_on_fail),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    check_config=check_config,
    hooks={"pre_config": pre_config,
           "access_checker_ex": (determined(runtime.authorize_userless,
                                            runtime.determined_by_method), LAST),
           "auth_checker": (determined(runtime.authorize_user,
                                       runtime.determined_by_method), LAST)},
    providers={"authz": PROVIDERS},
    doc="Core Authorization",
)
