"""mod_access_compat (mod_access_compat.c): Apache 2.2's host-based access control,
``Order``, ``Allow``, ``Deny`` and ``Satisfy``, in 2.4.

Order and Satisfy are kept per method (inside <Limit> they set only its methods);
each Allow/Deny line remembers the methods of the <Limit> it is in.  The access_checker
hook (check_dir_access) answers OK or 403 with AH01797.  ``Satisfy`` reaches the core
as ap_satisfies (the optional function ``access_compat_ap_satisfies``): with ``Satisfy
Any`` a request that passes Allow/Deny skips authentication altogether, with ``All``
(or unspecified) it must pass both, as ap_process_request_internal decides.

The module has no merger, as in Apache: a section that uses one of these directives
replaces the outer section's settings whole (Order back to its default Deny,Allow,
Allow and Deny lists empty), it does not add to them.
"""
from __future__ import annotations

from typing import Optional

import attrs

from directives.mod_authz_core import METHODS
from directives.mod_authz_host import double_reverse, in_domain
from httpd.util.ipsubnet import InvalidSubnet, ipsubnet_create
from httpd.http.request import OPTIONAL_FN, SATISFY_ALL, SATISFY_ANY, SATISFY_NOSPEC, \
    log_rerror
from httpd.module import OR_AUTHCFG, OR_LIMIT, Args, Module, directive
from httpd.module.hooks import OK, determined

MODULE_NAME = "access_compat_module"
DENY_THEN_ALLOW, ALLOW_THEN_DENY, MUTUAL_FAILURE = 0, 1, 2
T_ENV, T_NENV, T_ALL, T_IP, T_HOST = range(5)
HTTP_FORBIDDEN = 403


@attrs.frozen
class AllowDeny:
    """One word of an Allow/Deny line: its kind, what it names, its methods."""

    limited: int
    kind: int
    what: object          # a variable or host name (str) or an IPSubnet


@attrs.define
class AccessCompatDirConfig:
    order: list = attrs.field(factory=lambda: [DENY_THEN_ALLOW] * METHODS)
    allows: list = attrs.field(factory=list)
    denys: list = attrs.field(factory=list)
    satisfy: list = attrs.field(factory=lambda: [SATISFY_NOSPEC] * METHODS)


def create_dir_config(path: Optional[str]) -> AccessCompatDirConfig:
    return AccessCompatDirConfig()


def _methods(cmd):
    limited = cmd.limited
    return [i for i in range(METHODS) if limited & (1 << i)]


_ORDERS = {"allow,deny": ALLOW_THEN_DENY, "deny,allow": DENY_THEN_ALLOW,
           "mutual-failure": MUTUAL_FAILURE}


@directive("order", Args.TAKE1, OR_LIMIT, "'allow,deny', 'deny,allow', or 'mutual-failure'")
def order(cmd, conf: AccessCompatDirConfig, arg):
    o = _ORDERS.get(arg.lower())
    if o is None:
        return "unknown order"
    for i in _methods(cmd):
        conf.order[i] = o
    return None


def _allow_cmd(cmd, conf: AccessCompatDirConfig, from_, where, is_allow: bool):
    if from_.lower() != "from":
        return "allow and deny must be followed by 'from'"
    low = where.lower()
    if low.startswith("env=!"):
        entry = AllowDeny(cmd.limited, T_NENV, where[5:])
    elif low.startswith("env="):
        entry = AllowDeny(cmd.limited, T_ENV, where[4:])
    elif low == "all":
        entry = AllowDeny(cmd.limited, T_ALL, None)
    elif "/" in where:
        addr, _, mask = where.partition("/")
        try:
            entry = AllowDeny(cmd.limited, T_IP, ipsubnet_create(addr, mask))
        except InvalidSubnet as e:
            return "An IP address was expected" if e.reason is None else e.reason
    else:
        try:
            entry = AllowDeny(cmd.limited, T_IP, ipsubnet_create(where, None))
        except InvalidSubnet as e:
            if e.reason is not None:
                return e.reason
            if "#" in where:
                return "No comments are allowed here"
            entry = AllowDeny(cmd.limited, T_HOST, where)
    (conf.allows if is_allow else conf.denys).append(entry)
    return None


@directive("allow", Args.ITERATE2, OR_LIMIT,
           "'from' followed by hostnames or IP-address wildcards")
def allow_cmd(cmd, conf, from_, where):
    return _allow_cmd(cmd, conf, from_, where, True)


@directive("deny", Args.ITERATE2, OR_LIMIT,
           "'from' followed by hostnames or IP-address wildcards")
def deny_cmd(cmd, conf, from_, where):
    return _allow_cmd(cmd, conf, from_, where, False)


@directive("Satisfy", Args.TAKE1, OR_AUTHCFG,
           "access policy if both allow and require used ('all' or 'any')")
def satisfy(cmd, conf: AccessCompatDirConfig, arg):
    low = arg.lower()
    if low == "all":
        value = SATISFY_ALL
    elif low == "any":
        value = SATISFY_ANY
    else:
        return "Satisfy either 'any' or 'all'."
    for i in _methods(cmd):
        conf.satisfy[i] = value
    return None


# -- request time --------------------------------------------------------------------------

def _env_get(env: dict, name: str):
    """apr_table_get: a case-insensitive name."""
    if name in env:
        return env[name]
    low = name.lower()
    for k, v in env.items():
        if k.lower() == low:
            return v
    return None


def find_allowdeny(r, entries: list, method: int) -> bool:
    mmask = 1 << method
    gothost = 0
    remote = None
    for e in entries:
        if not mmask & e.limited:
            continue
        kind = e.kind
        if kind == T_ALL:
            return True
        if kind == T_IP:
            if e.what.matches(r.useragent_ip):
                return True
        elif kind == T_ENV:
            if _env_get(r.subprocess_env, e.what) is not None:
                return True
        elif kind == T_NENV:
            if _env_get(r.subprocess_env, e.what) is None:
                return True
        elif kind == T_HOST:
            if not gothost:
                remote = double_reverse(r)
                gothost = 2 if remote else 1
            if gothost == 2 and in_domain(e.what, remote):
                return True
    return False


def access_compat_ap_satisfies(r) -> int:
    conf = r.module_config(MODULE_NAME)
    return conf.satisfy[r.method_number] if conf is not None else SATISFY_NOSPEC


def check_dir_access(r) -> int:
    a = r.module_config(MODULE_NAME)
    if a is None:
        return OK
    method = r.method_number
    o = a.order[method]
    if o == ALLOW_THEN_DENY:
        ret = HTTP_FORBIDDEN
        if find_allowdeny(r, a.allows, method):
            ret = OK
        if find_allowdeny(r, a.denys, method):
            ret = HTTP_FORBIDDEN
    elif o == DENY_THEN_ALLOW:
        ret = OK
        if find_allowdeny(r, a.denys, method):
            ret = HTTP_FORBIDDEN
        if find_allowdeny(r, a.allows, method):
            ret = OK
    else:
        ret = OK if (find_allowdeny(r, a.allows, method)
                     and not find_allowdeny(r, a.denys, method)) else HTTP_FORBIDDEN
    if ret == HTTP_FORBIDDEN:
        what = r.filename if r.filename is not None else "uri " + r.uri
        log_rerror(r, "access_compat", "error",
                   f"AH01797: client denied by server configuration: {what}")
    return ret


def no_host_rules(r) -> bool:
    """Without Allow or Deny lines the answer is the Order's alone (hooks.determined)."""
    a = r.module_config(MODULE_NAME)
    return a is None or not (a.allows or a.denys)


MODULE = Module(
    MODULE_NAME, "mod_access_compat.c", (order, allow_cmd, deny_cmd, satisfy),
    create_dir_config=create_dir_config,
    hooks={"access_checker": determined(check_dir_access, no_host_rules)},
    providers={OPTIONAL_FN: {"access_compat_ap_satisfies": access_compat_ap_satisfies}},
    doc="Group authorizations based on host (name or IP address)",
)
