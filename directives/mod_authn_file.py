"""mod_authn_file (mod_authn_file.c): the ``file`` authentication provider over an
htpasswd file (AuthUserFile), and an htdigest file's realm hashes.

Each line is ``user:hash`` (``user:realm:hash`` for get_realm_hash), read as Apache's
ap_cfg_getline reads it (continuation, whitespace trimmed; ``#`` lines and blank ones
skipped), the first line of a user winning.  The hash is checked by
apr_password_validate (httpd/util/password.py: bcrypt, APR1-MD5, {SHA}, crypt).

Apache reads the file on every request; this reads it when its stat (inode, size,
modification time) differs from the last read, so an edited file is seen at the next
request and an unchanged one costs a stat.
"""
from __future__ import annotations

from typing import Optional

import attrs

from directives.mod_authn_core import (AUTH_DENIED, AUTH_GENERAL_ERROR, AUTH_GRANTED,
                                       AUTH_USER_FOUND, AUTH_USER_NOT_FOUND, AuthnProvider)
from httpd.config.lines import pcfg_lines
from httpd.http.request import log_rerror, stat_cached
from httpd.module import OR_AUTHCFG, Args, Module, directive
from httpd.util.password import password_validate
from httpd.util.tokens import getword

MODULE_NAME = "authn_file_module"


@attrs.define
class AuthnFileConfig:
    pwfile: Optional[str] = None


def create_dir_config(path: Optional[str]) -> AuthnFileConfig:
    return AuthnFileConfig()


def merge_dir_config(base: AuthnFileConfig, new: AuthnFileConfig) -> AuthnFileConfig:
    # no merger in Apache: a section that names a file replaces the outer one
    return new if new.pwfile is not None else base


@directive("AuthUserFile", Args.TAKE1, OR_AUTHCFG,
           "text file containing user IDs and passwords")
def set_authn_file_slot(cmd, conf: AuthnFileConfig, arg):
    conf.pwfile = cmd.server_root_relative(arg)       # ap_set_file_slot
    return None


@attrs.frozen
class _Entries:
    passwords: dict      # user -> hash (the first line of each user)
    realms: dict         # (user, realm) -> hash


def _parse(path: str) -> _Entries:
    passwords: dict = {}
    realms: dict = {}
    for line in pcfg_lines(path):
        user, rest = getword(line, ":")
        password, _ = getword(rest, ":")
        passwords.setdefault(user, password)
        realm, rest = getword(rest, ":")
        realms.setdefault((user, realm), getword(rest, ":")[0])
    return _Entries(passwords, realms)


def _entries(r, conf, code_missing: str, code_open: str) -> Optional[_Entries]:
    if conf is None or conf.pwfile is None:
        log_rerror(r, "authn_file", "error",
                   f"{code_missing}: AuthUserFile not specified in the configuration")
        return None
    try:
        return stat_cached(r, MODULE_NAME, conf.pwfile, _parse)
    except OSError as e:
        log_rerror(r, "authn_file", "error",
                   f"{code_open}: Could not open password file: {conf.pwfile}",
                   status=e.errno)
        return None


def check_password(r, user: str, password: str) -> int:
    entries = _entries(r, r.module_config(MODULE_NAME), "AH01619", "AH01620")
    if entries is None:
        return AUTH_GENERAL_ERROR
    stored = entries.passwords.get(user)
    if stored is None:
        return AUTH_USER_NOT_FOUND
    return AUTH_GRANTED if password_validate(password, stored) else AUTH_DENIED


def get_realm_hash(r, user: str, realm: str):
    entries = _entries(r, r.module_config(MODULE_NAME), "AH01621", "AH01622")
    if entries is None:
        return AUTH_GENERAL_ERROR, None
    stored = entries.realms.get((user, realm))
    if stored is None:
        return AUTH_USER_NOT_FOUND, None
    return AUTH_USER_FOUND, stored


MODULE = Module(
    MODULE_NAME, "mod_authn_file.c", (set_authn_file_slot,),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    providers={"authn": {"file": AuthnProvider(check_password, get_realm_hash)}},
    doc="User authentication using text files",
)
