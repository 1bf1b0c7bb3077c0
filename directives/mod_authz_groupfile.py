"""mod_authz_groupfile (mod_authz_groupfile.c): AuthGroupFile and the ``group``
authorization provider.

A group file's lines are ``group: user user ...`` (the name trimmed of trailing space,
members split as config words); a group named on several lines has all their members.
The file is read again only when its stat changes (as mod_authn_file's).  ``Require
file-group`` needs mod_authz_owner's file group, which this server does not offer: the
provider is not registered, so the line is refused ("Unknown Authz provider").
"""
from __future__ import annotations

from typing import Optional

import attrs

from directives.mod_authz_core import AuthzProvider
from directives.mod_authz_core.runtime import (AUTHZ_DENIED, AUTHZ_DENIED_NO_USER,
                                               AUTHZ_GRANTED)
from directives.mod_authz_user import conf_words, parse_require_words, require_words
from httpd.config.lines import pcfg_lines
from httpd.http.request import log_enabled, log_rerror, stat_cached
from httpd.module import OR_AUTHCFG, Args, Module, directive
from httpd.util.tokens import getword

MODULE_NAME = "authz_groupfile_module"


@attrs.define
class AuthzGroupfileConfig:
    groupfile: Optional[str] = None


def create_dir_config(path: Optional[str]) -> AuthzGroupfileConfig:
    return AuthzGroupfileConfig()


def merge_dir_config(base, new):
    # no merger in Apache: a section that names a file replaces the outer one
    return new if new.groupfile is not None else base


@directive("AuthGroupFile", Args.TAKE1, OR_AUTHCFG,
           "text file containing group names and member user IDs")
def set_groupfile(cmd, conf: AuthzGroupfileConfig, arg):
    conf.groupfile = cmd.server_root_relative(arg)      # ap_set_file_slot
    return None


def _parse(path: str) -> dict:
    """user -> the set of groups naming it (groups_for_user for every user at once)."""
    groups: dict = {}
    for line in pcfg_lines(path):
        name, rest = getword(line, ":")
        name = name.rstrip(" \t\n\r\v\f")
        for user in conf_words(rest):
            groups.setdefault(user, set()).add(name)
    return groups


def _log(r, level: str, msg: str) -> None:
    log_rerror(r, "authz_groupfile", level, msg)


def group_check(r, require_line: str, parsed) -> int:
    user = r.user
    if user is None:
        return AUTHZ_DENIED_NO_USER
    conf = r.module_config(MODULE_NAME)
    if conf is None or conf.groupfile is None:
        _log(r, "error", "AH01664: No group file was specified in the configuration")
        return AUTHZ_DENIED
    try:
        groups = stat_cached(r, MODULE_NAME, conf.groupfile, _parse).get(user)
    except OSError as e:
        log_rerror(r, "authz_groupfile", "error",
                   f"AH01665: Could not open group file: {conf.groupfile}", status=e.errno)
        return AUTHZ_DENIED
    if not groups:
        _log(r, "info", f"AH01666: Authorization of user {user} to access {r.uri} failed, "
             f"reason: user doesn't appear in group file ({conf.groupfile}).")
        return AUTHZ_DENIED
    words = require_words(r, parsed, "AH02592", "authz_groupfile")
    if words is None:
        return AUTHZ_DENIED
    if any(w in groups for w in words):
        return AUTHZ_GRANTED
    if log_enabled(r, MODULE_NAME, "debug"):
        _log(r, "debug", f"AH01667: Authorization of user {user} to access {r.uri} failed, "
             "reason: user is not part of the 'require'ed group(s).")
    return AUTHZ_DENIED


MODULE = Module(
    MODULE_NAME, "mod_authz_groupfile.c", (set_groupfile,),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    providers={"authz": {"group": AuthzProvider("group", parse_require_words, group_check)}},
    doc="Group authorization using plaintext files",
)
