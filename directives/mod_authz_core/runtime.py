"""mod_authz_core at request time: evaluating the Require tree (apply_authz_sections,
authorize_user_core) and the core providers' checks (all, env, method, expr).

The tree was built and checked at config time (mod_authz_core.py); here each node
answers one of Apache's authz_status values and the root's answer becomes OK, 401, 403
or "authenticate first".  The access_checker_ex hook runs before authentication
(authorize_userless), the auth_checker hook after it (authorize_user).
"""
from __future__ import annotations

from httpd.config.grammar import getword_conf
from httpd.module.hooks import DECLINED, OK
from httpd.http.request import (auth_type, evaluate, generation, log_enabled, log_rerror,
                                note_auth_failure)

_AND = None        # Logic.AND, bound on first use (mod_authz_core imports this module)


def _logic_and():
    global _AND
    from directives.mod_authz_core import Logic
    _AND = Logic.AND
    return _AND


AUTHZ_DENIED, AUTHZ_GRANTED, AUTHZ_NEUTRAL, AUTHZ_GENERAL_ERROR, AUTHZ_DENIED_NO_USER = \
    0, 1, 2, 3, 4
_RESULT_NAMES = {AUTHZ_DENIED: "denied", AUTHZ_GRANTED: "granted", AUTHZ_NEUTRAL: "neutral",
                 AUTHZ_GENERAL_ERROR: "error", AUTHZ_DENIED_NO_USER: "denied (no authenticated "
                                                                     "user yet)"}
AUTHZ_PROVIDER_NAME_NOTE = "authz_provider_name"
HTTP_UNAUTHORIZED, HTTP_FORBIDDEN, HTTP_INTERNAL_SERVER_ERROR = 401, 403, 500
MODULE_NAME = "authz_core_module"


def _log(r, level: str, msg: str) -> None:
    log_rerror(r, "authz_core", level, msg)


def apply_authz_sections(r, section, parent_and: bool, debug: bool = False) -> int:
    """apply_authz_sections: one node of the Require tree."""
    if not section.limited & (1 << r.method_number):
        # the directive is limited to other methods
        return AUTHZ_GRANTED if parent_and else AUTHZ_NEUTRAL
    if section.provider is not None:
        r.notes[AUTHZ_PROVIDER_NAME_NOTE] = section.provider_name
        try:
            result = check_provider(r, section.provider, section.provider_args,
                                    section.parsed_args)
        finally:
            r.notes.pop(AUTHZ_PROVIDER_NAME_NOTE, None)
    else:
        result = AUTHZ_NEUTRAL
        is_and = section.op is (_AND or _logic_and())   # identity: Enum.value is slow
        for child in section.children:
            child_result = apply_authz_sections(r, child, is_and, debug)
            if child_result == AUTHZ_GENERAL_ERROR:
                return AUTHZ_GENERAL_ERROR
            if child_result == AUTHZ_NEUTRAL:
                continue
            if is_and:
                if child_result == AUTHZ_DENIED:
                    result = child_result
                    break
                if (child_result == AUTHZ_DENIED_NO_USER and result != AUTHZ_DENIED) \
                        or result == AUTHZ_NEUTRAL:
                    result = child_result
            else:
                if child_result == AUTHZ_GRANTED:
                    result = child_result
                    break
                if (child_result == AUTHZ_DENIED_NO_USER and result == AUTHZ_DENIED) \
                        or result == AUTHZ_NEUTRAL:
                    result = child_result
    if section.negate:
        if result == AUTHZ_GRANTED:
            result = AUTHZ_DENIED
        elif result in (AUTHZ_DENIED, AUTHZ_DENIED_NO_USER):
            # not being refused is no reason to grant
            result = AUTHZ_NEUTRAL
    if debug:
        _log(r, "debug", f"AH01626: authorization result of {section.describe()}: "
             f"{_RESULT_NAMES[result]}")
    return result


def _debug(r) -> bool:
    return log_enabled(r, MODULE_NAME, "debug")


def check_provider(r, provider, args: str, parsed) -> int:
    """A provider's check; an <AuthzProviderAlias> name runs the real provider with its
    own arguments and its body's settings merged in for the duration."""
    alias = provider.alias
    if alias is not None:
        saved = r.per_dir_config
        if alias.sec_auth:
            r.per_dir_config = generation(r.process).walker.merger.merge(saved, alias.sec_auth)
        try:
            return check_provider(r, alias.provider, alias.provider_args, alias.parsed_args)
        finally:
            r.per_dir_config = saved
    check = provider.check_authorization
    if check is None:
        return AUTHZ_GENERAL_ERROR
    return check(r, args, parsed)


def authorize_user_core(r, after_authn: bool) -> int:
    conf = r.per_dir_config.get(MODULE_NAME)        # r.module_config, inline
    if conf is None:
        conf = r.server.lookup_defaults.get(MODULE_NAME)
    section = conf.section if conf is not None else None
    if section is None:
        if auth_type(r):
            _log(r, "error", "AH01627: AuthType configured with no corresponding "
                 "authorization directives")
            return HTTP_INTERNAL_SERVER_ERROR
        if _debug(r):
            _log(r, "debug", "AH01628: authorization result: granted (no directives)")
        return OK
    if log_enabled(r, MODULE_NAME, "debug"):
        result = apply_authz_sections(r, section, True, True)
    else:
        fixed = section.fixed
        if fixed is None:
            fixed = section.fixed = {} if _method_only(section) else False
        if fixed is False:
            result = apply_authz_sections(r, section, True)
        else:
            result = fixed.get(r.method_number)
            if result is None:
                result = fixed[r.method_number] = apply_authz_sections(r, section, True)
    if result == AUTHZ_GRANTED:
        return OK
    if result == AUTHZ_DENIED_NO_USER:
        if after_authn:
            _log(r, "error", f"AH01629: authorization failure (no authenticated user): "
                 f"{r.uri}")
            if r.user is not None:
                note_auth_failure(r)
            return HTTP_UNAUTHORIZED
        return DECLINED            # a user is needed first: on to authentication
    if result in (AUTHZ_DENIED, AUTHZ_NEUTRAL):
        if not after_authn or auth_type(r) is None:
            what = r.filename if r.filename is not None else "uri " + r.uri
            _log(r, "error", f"AH01630: client denied by server configuration: {what}")
            return HTTP_FORBIDDEN
        _log(r, "error", f'AH01631: user {r.user}: authorization failure for "{r.uri}": ')
        if conf.forbidden_on_fail:
            return HTTP_FORBIDDEN
        if r.user is not None:
            note_auth_failure(r)
        return HTTP_UNAUTHORIZED
    return HTTP_INTERNAL_SERVER_ERROR


def _method_only(section) -> bool:
    """Does the tree's answer depend on the request's method alone?  True when every
    check is `Require [not] all` or `Require [not] method` (no alias): its results are
    then kept per method number (a debug LogLevel still walks the tree, for AH01626)."""
    if section.provider is not None:
        return (section.provider.alias is None
                and section.provider.check_authorization in (all_check, method_check))
    return all(_method_only(child) for child in section.children)


def determined_by_method(r) -> bool:
    """Is the Require tree in force answered by the method alone (or absent)?  Then the
    access hooks are determined by the URI (hooks.determined)."""
    conf = r.per_dir_config.get(MODULE_NAME) or r.server.lookup_defaults.get(MODULE_NAME)
    section = conf.section if conf is not None else None
    if section is None:
        return True
    fixed = section.fixed           # _method_only's answer, kept on the tree (as above)
    if fixed is None:
        fixed = section.fixed = {} if _method_only(section) else False
    return fixed is not False


def authorize_user(r) -> int:
    """The auth_checker hook: after authentication."""
    return authorize_user_core(r, True)


def authorize_userless(r) -> int:
    """The access_checker_ex hook: before authentication."""
    return authorize_user_core(r, False)


# -- the core providers ------------------------------------------------------------------

def all_check(r, line: str, parsed) -> int:
    return AUTHZ_GRANTED if parsed else AUTHZ_DENIED


def env_check(r, line: str, parsed) -> int:
    """Any of the listed variables set (looked up case-insensitively, as apr_table)."""
    env = r.subprocess_env
    low = {k.lower() for k in env}
    pos = 0
    while True:
        w, pos = getword_conf(line, pos)
        if not w:
            break
        if w in env or w.lower() in low:
            return AUTHZ_GRANTED
    if _debug(r):
        _log(r, "debug", f"AH01634: access to {r.uri} failed, reason: env variable list does "
             f"not meet 'require'ments for user '{r.user}' to be allowed access")
    return AUTHZ_DENIED


def method_check(r, line: str, parsed) -> int:
    return AUTHZ_GRANTED if parsed & (1 << r.method_number) else AUTHZ_DENIED


def expr_check(r, line: str, parsed) -> int:
    try:
        ok = evaluate(r, parsed.expr)
    except Exception as e:   # ap_expr_exec < 0
        _log(r, "error", f"AH02320: Error evaluating expression in 'Require expr': {e}")
        return AUTHZ_GENERAL_ERROR
    if ok:
        return AUTHZ_GRANTED
    return AUTHZ_DENIED_NO_USER if parsed.want_user else AUTHZ_DENIED
