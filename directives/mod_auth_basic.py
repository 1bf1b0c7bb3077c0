"""mod_auth_basic (mod_auth_basic.c): HTTP Basic authentication over the authn
providers (AuthBasicProvider), AuthBasicAuthoritative, AuthBasicFake and
AuthBasicUseDigestAlgorithm.

The check_user_id hook reads ``Authorization: Basic base64(user:password)`` (decoded
as APR does, leniently), sets ``r.user`` even before the password is checked (so the
access log's ``%u`` shows who tried), asks each provider in turn and answers 401 with
``WWW-Authenticate: Basic realm="AuthName"`` on failure, with Apache's log lines
(AH01614 wrong scheme, AH01617 password mismatch, AH01618 user not found).
AuthBasicFake is a fixups hook: it writes the Authorization header a backend would see.
"""
from __future__ import annotations

import hashlib
from typing import Any, Optional

import attrs

from directives.mod_authn_core import (AUTH_DENIED, AUTH_GENERAL_ERROR, AUTH_GRANTED,
                                       AUTH_HANDLED, AUTH_USER_FOUND, AUTH_USER_NOT_FOUND,
                                       AUTHN_DEFAULT_PROVIDER, AUTHN_PROVIDER_NAME_NOTE,
                                       lookup_provider)
from httpd.core.sections import parse_expr
from httpd.http.request import auth_name, auth_type, evaluate_str, generation, log_rerror
from httpd.module import OR_AUTHCFG, Args, Module, directive
from httpd.module.hooks import DECLINED, LAST, OK
from httpd.util.b64 import pbase64decode, pbase64encode
from httpd.util.tokens import getword

MODULE_NAME = "auth_basic_module"
HTTP_UNAUTHORIZED, HTTP_INTERNAL_SERVER_ERROR = 401, 500


@attrs.frozen
class ProviderEntry:
    """authn_provider_list: a name and the provider it named at config time."""

    provider_name: str
    provider: Any


@attrs.define
class AuthBasicConfig:
    providers: Optional[tuple] = None
    authoritative: bool = True
    fakeuser: Any = None
    fakepass: Any = None
    use_digest_algorithm: Optional[str] = None
    fake_set: bool = False
    use_digest_algorithm_set: bool = False
    authoritative_set: bool = False


def create_dir_config(path: Optional[str]) -> AuthBasicConfig:
    return AuthBasicConfig()


def merge_dir_config(base: AuthBasicConfig, new: AuthBasicConfig) -> AuthBasicConfig:
    """merge_auth_basic_dir_config."""
    return AuthBasicConfig(
        providers=new.providers if new.providers else base.providers,
        authoritative=new.authoritative if new.authoritative_set else base.authoritative,
        fakeuser=new.fakeuser if new.fake_set else base.fakeuser,
        fakepass=new.fakepass if new.fake_set else base.fakepass,
        use_digest_algorithm=(new.use_digest_algorithm if new.use_digest_algorithm_set
                              else base.use_digest_algorithm),
        fake_set=new.fake_set or base.fake_set,
        use_digest_algorithm_set=new.use_digest_algorithm_set or base.use_digest_algorithm_set,
        authoritative_set=new.authoritative_set or base.authoritative_set)


@directive("AuthBasicProvider", Args.ITERATE, OR_AUTHCFG,
           "specify the auth providers for a directory or location")
def add_authn_provider(cmd, conf: AuthBasicConfig, arg):
    provider = lookup_provider(cmd.process, arg)
    if provider is None:
        return f"Unknown Authn provider: {arg}"
    if provider.check_password is None:
        return f"The '{arg}' Authn provider doesn't support Basic Authentication"
    conf.providers = (conf.providers or ()) + (ProviderEntry(arg, provider),)
    return None


@directive("AuthBasicAuthoritative", Args.FLAG, OR_AUTHCFG,
           "Set to 'Off' to allow access control to be passed along to lower modules if "
           "the UserID is not known to this module")
def set_authoritative(cmd, conf: AuthBasicConfig, flag):
    conf.authoritative = flag
    conf.authoritative_set = True
    return None


@directive("AuthBasicFake", Args.TAKE12, OR_AUTHCFG,
           "Fake basic authentication using the given expressions for username and "
           "password, 'off' to disable. Password defaults to 'password' if missing.")
def add_basic_fake(cmd, conf: AuthBasicConfig, user, password):
    if user.lower() == "off":
        conf.fakeuser = conf.fakepass = None
        conf.fake_set = True
        return None
    if password is None:
        password = "password"           # mod_ssl's FakeBasicAuth password
    conf.fakeuser, err = parse_expr(cmd, user, string=True)
    if err:
        return f"Could not parse fake username expression '{user}': {err}"
    conf.fakepass, err = parse_expr(cmd, password, string=True)
    if err:
        return (f"Could not parse fake password expression associated to user "
                f"'{user}': {err}")
    conf.fake_set = True
    return None


@directive("AuthBasicUseDigestAlgorithm", Args.TAKE1, OR_AUTHCFG,
           "Set to 'MD5' to use the auth provider's authentication check for digest auth, "
           "using a hash of 'user:realm:pass'")
def set_use_digest_algorithm(cmd, conf: AuthBasicConfig, alg):
    if alg.lower() not in ("off", "md5"):
        return f"Invalid algorithm in AuthBasicUseDigestAlgorithm: {alg}"
    conf.use_digest_algorithm = alg
    conf.use_digest_algorithm_set = True
    return None


# -- request time --------------------------------------------------------------------------

def _log(r, level: str, msg: str) -> None:
    log_rerror(r, "auth_basic", level, msg)


def note_basic_auth_failure(r) -> None:
    realm = auth_name(r)
    # apr_pstrcat stops at a NULL AuthName: no closing quote then
    r.err_headers_out.set("WWW-Authenticate", 'Basic realm="' + (
        '' if realm is None else realm + '"'))


def hook_note_basic_auth_failure(r, kind: str) -> int:
    if kind.lower() != "basic":
        return DECLINED
    note_basic_auth_failure(r)
    return OK


def get_basic_auth(r):
    """(status, user, password): the Authorization field's Basic credentials."""
    line = r.headers_in.get("Authorization")
    if line is None:
        note_basic_auth_failure(r)
        return HTTP_UNAUTHORIZED, None, None
    scheme, rest = getword(line, " ")
    if scheme.lower() != "basic":
        _log(r, "error", f"AH01614: client used wrong authentication scheme: {r.uri}")
        note_basic_auth_failure(r)
        return HTTP_UNAUTHORIZED, None, None
    decoded = pbase64decode(rest.lstrip(" \t"))
    user, _, password = decoded.partition(":")
    r.user = user          # set before it is checked, as Apache does
    return OK, user, password


def _default_provider(r):
    """AUTHN_DEFAULT_PROVIDER, looked up once per generation."""
    cache = generation(r.process).caches.setdefault(MODULE_NAME, {})
    if "default" not in cache:
        cache["default"] = lookup_provider(r.process, AUTHN_DEFAULT_PROVIDER)
    return cache["default"]


def authenticate_basic_user(r) -> int:
    current = auth_type(r)
    if not current or current.lower() != "basic":
        return DECLINED
    realm = auth_name(r)
    if realm is None:
        _log(r, "error", f"AH01615: need AuthName: {r.uri}")
        return HTTP_INTERNAL_SERVER_ERROR
    r.ap_auth_type = current
    status, user, password = get_basic_auth(r)
    if status:
        return status
    conf = r.module_config(MODULE_NAME)
    digest = None
    if conf.use_digest_algorithm and conf.use_digest_algorithm.lower() == "md5":
        digest = hashlib.md5(f"{user}:{realm}:{password}".encode("latin-1")).hexdigest()
    entries = conf.providers or (None,)
    result = AUTH_USER_NOT_FOUND
    for entry in entries:
        if entry is None:       # no AuthBasicProvider: the file provider, if loaded
            provider = _default_provider(r)
            if provider is None or provider.check_password is None:
                _log(r, "error", "AH01616: No Authn provider configured")
                result = AUTH_GENERAL_ERROR
                break
            r.notes[AUTHN_PROVIDER_NAME_NOTE] = AUTHN_DEFAULT_PROVIDER
        else:
            provider = entry.provider
            r.notes[AUTHN_PROVIDER_NAME_NOTE] = entry.provider_name
        try:
            if digest is not None:
                if provider.get_realm_hash is None:
                    _log(r, "error", "AH02493: Authn provider does not support "
                         "AuthBasicUseDigestAlgorithm")
                    result = AUTH_GENERAL_ERROR
                    break
                result, stored = provider.get_realm_hash(r, user, realm)
                if result == AUTH_USER_FOUND:
                    result = AUTH_GRANTED if stored == digest else AUTH_DENIED
            else:
                result = provider.check_password(r, user, password)
        finally:
            r.notes.pop(AUTHN_PROVIDER_NAME_NOTE, None)
        if result != AUTH_USER_NOT_FOUND:
            break
    if result == AUTH_GRANTED:
        return OK
    if not conf.authoritative and result != AUTH_DENIED:
        return DECLINED
    if result == AUTH_DENIED:
        _log(r, "error", f'AH01617: user {user}: authentication failure for "{r.uri}": '
             "Password Mismatch")
        code = HTTP_UNAUTHORIZED
    elif result == AUTH_USER_NOT_FOUND:
        _log(r, "error", f"AH01618: user {user} not found: {r.uri}")
        code = HTTP_UNAUTHORIZED
    elif result == AUTH_HANDLED:
        code = r.status
    else:
        code = HTTP_INTERNAL_SERVER_ERROR
    if code == HTTP_UNAUTHORIZED:
        note_basic_auth_failure(r)
    return code


_FAKE_PARTS = (("fakeuser", "AH02455", "AH02458", "user", "username"),
               ("fakepass", "AH02456", "AH02459", "password", "password"))


def authenticate_basic_fake(r) -> int:
    """AuthBasicFake: the Authorization field a backend will see."""
    conf = r.module_config(MODULE_NAME)
    if conf is None or conf.fakeuser is None:
        return DECLINED
    values = []
    for attr, failed, empty, what, label in _FAKE_PARTS:
        try:
            value = evaluate_str(r, getattr(conf, attr))
        except Exception as err:
            _log(r, "error", f"{failed}: AuthBasicFake: could not evaluate {what} expression "
                 f"for URI '{r.uri}': {err}")
            return HTTP_INTERNAL_SERVER_ERROR
        if not value:
            _log(r, "info", f"{empty}: AuthBasicFake: empty {label} expression for URI "
                 f"'{r.uri}', ignoring")
            r.headers_in.unset("Authorization")
            return DECLINED
        values.append(value)
    line = "Basic " + pbase64encode(":".join(values))
    r.headers_in.set("Authorization", line)
    _log(r, "info", f'AH02457: AuthBasicFake: "Authorization: {line}"')
    return OK


MODULE = Module(
    MODULE_NAME, "mod_auth_basic.c",
    (add_authn_provider, set_authoritative, add_basic_fake, set_use_digest_algorithm),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    hooks={"check_user_id": authenticate_basic_user,
           "fixups": (authenticate_basic_fake, LAST),
           "note_auth_failure": hook_note_basic_auth_failure},
    providers={},
    doc="Basic HTTP authentication",
)
