"""mod_authn_core (mod_authn_core.c): AuthType, AuthName, <AuthnProviderAlias>, and the
authentication providers' contract (Apache's mod_auth.h).

``AuthType`` and ``AuthName`` are string expressions; the core asks for their values
through ap_auth_type and ap_auth_name, which this module offers as optional functions
(``providers["optional_fn"]``).  A word without ``%``, ``$`` or ``\\`` is its own value,
kept as it is, so the usual ``AuthType Basic`` costs nothing per request.

Authentication providers (``file`` of mod_authn_file, the aliases made here) are found
by name in the group ``authn`` (ap_lookup_provider(AUTHN_PROVIDER_GROUP, ...)): each is
an :class:`AuthnProvider` with ``check_password`` (Basic) and, optionally,
``get_realm_hash`` (Digest, and Basic with AuthBasicUseDigestAlgorithm).
"""
from __future__ import annotations

import weakref
from typing import Any, Callable, Optional

import attrs

from httpd.config.grammar import getword_conf
from httpd.core.sections import container_arg, parse_expr
from httpd.http.request import OPTIONAL_FN, evaluate_str, generation, log_rerror
from httpd.module import (ACCESS_CONF, GLOBAL_ONLY, OR_AUTHCFG, RSRC_CONF, Args, Module,
                          directive)
from httpd.module.hooks import LAST, OK
from httpd.util.escape import escape_quotes

MODULE_NAME = "authn_core_module"
AUTHN_PROVIDER_GROUP = "authn"
AUTHN_DEFAULT_PROVIDER = "file"
AUTHN_PROVIDER_NAME_NOTE = "authn_provider_name"
AUTHN_PREFIX = "AUTHENTICATE_"

# authn_status (mod_auth.h)
AUTH_DENIED, AUTH_GRANTED, AUTH_USER_FOUND, AUTH_USER_NOT_FOUND, AUTH_GENERAL_ERROR, \
    AUTH_HANDLED = 0, 1, 2, 3, 4, 5
HTTP_INTERNAL_SERVER_ERROR = 500


@attrs.frozen
class AuthnProvider:
    """authn_provider: ``check_password(r, user, password) -> authn_status`` and
    ``get_realm_hash(r, user, realm) -> (authn_status, hash)`` (None: not offered)."""

    check_password: Optional[Callable[[Any, str, str], int]] = None
    get_realm_hash: Optional[Callable[[Any, str, str], tuple]] = None


# -- per-directory config ---------------------------------------------------------------

@attrs.frozen
class StrExpr:
    """A string expression of AuthType/AuthName: ``value`` when it is constant."""

    text: str
    expr: Any = None
    value: Optional[str] = None


@attrs.define
class AuthnCoreDirConfig:
    auth_type: Optional[StrExpr] = None
    auth_type_set: bool = False
    auth_name: Optional[StrExpr] = None


def create_dir_config(path: Optional[str]) -> AuthnCoreDirConfig:
    return AuthnCoreDirConfig()


def merge_dir_config(base: AuthnCoreDirConfig, new: AuthnCoreDirConfig) -> AuthnCoreDirConfig:
    """merge_authn_core_dir_config."""
    if new.auth_type_set:
        auth_type, auth_type_set = new.auth_type, True
    else:
        auth_type, auth_type_set = base.auth_type, base.auth_type_set
    return AuthnCoreDirConfig(auth_type, auth_type_set,
                              new.auth_name if new.auth_name is not None else base.auth_name)


# -- the provider aliases ------------------------------------------------------------------

@attrs.frozen
class ProviderAlias:
    """provider_alias_rec: the real provider and the per-dir configs of the body."""

    provider_name: str
    provider_alias: str
    sec_auth: dict
    provider: AuthnProvider


@attrs.define
class AuthnAliasServerConfig:
    alias_rec: dict = attrs.field(factory=dict)


def create_server_config(server) -> AuthnAliasServerConfig:
    return AuthnAliasServerConfig()


def merge_server_config(base, add):
    return base         # merge_authn_alias_svr_config: <AuthnProviderAlias> is global


_ALIASES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _aliases(process) -> dict:
    found = _ALIASES.get(process)
    if found is None:
        found = _ALIASES[process] = {}
    return found


def pre_config(process) -> None:
    _ALIASES.pop(process, None)


def lookup_provider(process, name: str) -> Optional[AuthnProvider]:
    """ap_lookup_provider(AUTHN_PROVIDER_GROUP, name): the aliases registered so far,
    then the loaded modules' providers."""
    found = _aliases(process).get(name)
    if found is not None:
        return found
    return process.registry.provider(AUTHN_PROVIDER_GROUP, name)


def _with_alias(r, call):
    """Run the real provider of the alias named by the request's provider note, with
    the alias body's per-dir configs merged in (authn_alias_check_password)."""
    name = r.notes.get(AUTHN_PROVIDER_NAME_NOTE)
    rec = r.server.module_config[MODULE_NAME].alias_rec.get(name) if name else None
    if rec is None:
        return None
    saved = r.per_dir_config
    r.per_dir_config = generation(r.process).walker.merger.merge(saved, rec.sec_auth)
    try:
        return call(rec.provider)
    finally:
        r.per_dir_config = saved


def alias_check_password(r, user: str, password: str) -> int:
    ret = _with_alias(r, lambda p: p.check_password(r, user, password))
    return AUTH_USER_NOT_FOUND if ret is None else ret


def alias_get_realm_hash(r, user: str, realm: str):
    ret = _with_alias(r, lambda p: p.get_realm_hash(r, user, realm))
    return (AUTH_USER_NOT_FOUND, None) if ret is None else ret


ALIAS_PROVIDER = AuthnProvider(alias_check_password, alias_get_realm_hash)
ALIAS_PROVIDER_NODIGEST = AuthnProvider(alias_check_password, None)


@directive("<AuthnProviderAlias", Args.RAW_ARGS, RSRC_CONF,
           "container for grouping an authentication provider's directives under a "
           "provider alias")
def authaliassection(cmd, mconfig, arg):
    err = cmd.check_context(GLOBAL_ONLY)
    if err:
        return err
    args, err = container_arg(cmd, arg)
    if err:
        return err
    provider_name, pos = getword_conf(args)
    provider_alias, pos = getword_conf(args, pos)
    if not provider_name or not provider_alias:
        return f"{cmd.cmd.name}> directive requires additional arguments"
    if provider_name.lower() == provider_alias.lower():
        return "The alias provider name must be different from the base provider name."
    if lookup_provider(cmd.process, provider_alias) is not None:
        return (f"The alias provider {provider_alias} has already be registered previously "
                "as either a base provider or an alias provider.")
    sec_auth: dict = {}
    cmd.walk(cmd.directive.children or [], sec_auth, override=OR_AUTHCFG | ACCESS_CONF)
    provider = lookup_provider(cmd.process, provider_name)
    if provider is None:
        return f"Unknown Authn provider: {provider_name}"
    cmd.server.module_config[MODULE_NAME].alias_rec[provider_alias] = ProviderAlias(
        provider_name, provider_alias, sec_auth, provider)
    _aliases(cmd.process)[provider_alias] = (
        ALIAS_PROVIDER if provider.get_realm_hash is not None else ALIAS_PROVIDER_NODIGEST)
    return None


def _str_expr(cmd, word: str, what: str):
    expr, err = parse_expr(cmd, word, string=True)
    if err:
        return None, f"Cannot parse expression '{word}' in {what}: {err}"
    constant = not any(c in word for c in "%$\\")
    return StrExpr(word, expr, word if constant else None), None


@directive("AuthType", Args.TAKE1, OR_AUTHCFG,
           'an HTTP authorization type (e.g., "Basic")')
def set_authtype(cmd, conf: AuthnCoreDirConfig, word):
    conf.auth_type, err = _str_expr(cmd, word, "AuthType")
    if err:
        return err
    conf.auth_type_set = True
    return None


@directive("AuthName", Args.TAKE1, OR_AUTHCFG,
           'the authentication realm (e.g. "Members Only")')
def set_authname(cmd, conf: AuthnCoreDirConfig, word):
    conf.auth_name, err = _str_expr(cmd, word, "AuthName")
    return err


# -- request time --------------------------------------------------------------------------

def _value(r, e: StrExpr, code: str, what: str) -> Optional[str]:
    if e.value is not None:
        return e.value
    try:
        return evaluate_str(r, e.expr)
    except Exception as err:
        log_rerror(r, "authn_core", "error",
                   f"{code}: {what} expression could not be evaluated: {err}")
        return None


def authn_ap_auth_type(r) -> Optional[str]:
    """ap_auth_type: the AuthType's value, None for none or ``None``."""
    conf = r.module_config(MODULE_NAME)
    if conf is None or conf.auth_type is None:
        return None
    kind = _value(r, conf.auth_type, "AH02834", "AuthType")
    if kind is None or kind.lower() == "none":
        return None
    return kind


def authn_ap_auth_name(r) -> Optional[str]:
    """ap_auth_name: the AuthName's value, double quotes escaped."""
    conf = r.module_config(MODULE_NAME)
    if conf is None or conf.auth_name is None:
        return None
    name = _value(r, conf.auth_name, "AH02835", "AuthName")
    return None if name is None else escape_quotes(name)


def authenticate_no_user(r) -> int:
    """The last check_user_id: no AuthType, no authentication needed; an AuthType that
    no loaded module took is a configuration error (AH01796)."""
    kind = authn_ap_auth_type(r)
    if not kind:
        return OK
    log_rerror(r, "authn_core", "error",
               f"AH01796: AuthType {kind} configured without corresponding module")
    return HTTP_INTERNAL_SERVER_ERROR


MODULE = Module(
    MODULE_NAME, "mod_authn_core.c",
    (set_authtype, set_authname, authaliassection),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    hooks={"pre_config": pre_config,
           "check_user_id": (authenticate_no_user, LAST)},
    providers={OPTIONAL_FN: {"authn_ap_auth_type": authn_ap_auth_type,
                             "authn_ap_auth_name": authn_ap_auth_name}},
    doc="Core Authentication",
)
