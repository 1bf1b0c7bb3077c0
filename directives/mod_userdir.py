"""mod_userdir (modules/mappers/mod_userdir.c): ``/~user/...`` from users' directories.

``UserDir`` (server config) takes a list of places, tried in order; each is one of
- a relative name (``public_html``): that directory of the user's home (getpwnam);
- an absolute path (``/srv/www``): ``/srv/www/user``;
- a path with ``*`` (``/srv/*/www``): the user's name in place of the ``*``;
- a URL (``http://example.com/~*`` or ``http://example.com/users/``): a 302 there,
  the user's name in place of the ``*`` (after the URL when it has none and the
  place is absolute: Apache's rule, kept).
The first place that exists (one stat of the place, not of the file asked for) is
taken, the last one whether it exists or not (a handler may still answer for it); a
user without a home has no place of the first kind.  ``UserDir disabled`` turns it off but for the
users of ``UserDir enabled u1 u2``; ``UserDir disabled u1 u2`` turns it off for those
(names compared case-insensitively, as Apache's tables do); there is no default place
(2.4's DEFAULT_USER_DIR is NULL).  A virtual host with its own UserDir keeps its own
user lists, the main server's are not merged in.

The translate_name hook runs after mod_alias's, as Apache's (aszPre mod_alias.c); it
sets ``r.filename``, the context prefix (``/~user``) and document root (the place),
and the ``mod_userdir_user`` note; ``/~.`` and ``/~..`` are not users.  There is no
suexec here, so Apache's get_suexec_identity half has nothing to serve.
"""
from __future__ import annotations

import os
import pwd
from typing import Optional

import attrs

from httpd.config.grammar import getword_conf
from httpd.module import RSRC_CONF, Args, Module, directive
from httpd.module.hooks import DECLINED, MIDDLE, OK, determined
from httpd.request.context import set_context_info
from httpd.util.fspath import fs_path

MODULE_NAME = "userdir_module"
O_DEFAULT, O_ENABLE, O_DISABLE = 0, 1, 2
HTTP_MOVED_TEMPORARILY = 302


@attrs.define
class UserdirConfig:
    globally_disabled: int = O_DEFAULT
    userdirs: Optional[tuple] = None        # the places, split once; None: UserDir unset
    enabled_users: set = attrs.field(factory=set)      # lowercased names
    disabled_users: set = attrs.field(factory=set)


def create_server_config(server) -> UserdirConfig:
    return UserdirConfig()


def merge_server_config(base: UserdirConfig, add: UserdirConfig) -> UserdirConfig:
    return UserdirConfig(
        add.globally_disabled if add.globally_disabled != O_DEFAULT else base.globally_disabled,
        add.userdirs if add.userdirs is not None else base.userdirs,
        add.enabled_users, add.disabled_users)      # not merged


def _words(text: str) -> list:
    words, pos = [], 0
    while True:
        word, pos = getword_conf(text, pos)
        if not word:
            return words
        words.append(word)


@directive("UserDir", Args.RAW_ARGS, RSRC_CONF,
           "the public subdirectory in users' home directories, or 'disabled', or "
           "'disabled username username...', or 'enabled username username...'")
def set_user_dir(cmd, mconfig, arg):
    conf: UserdirConfig = cmd.server.module_config[MODULE_NAME]
    kw, pos = getword_conf(arg, 0)
    if not kw:
        return "UserDir requires an argument."
    names = _words(arg[pos:])
    low = kw.lower()
    if low in ("disable", "disabled"):
        if not names:
            conf.globally_disabled = O_DISABLE
            return None
        table = conf.disabled_users
    elif low in ("enable", "enabled"):
        if not names:
            conf.globally_disabled = O_ENABLE
            return None
        table = conf.enabled_users
    else:
        conf.userdirs = tuple(_words(arg))
        return None
    table.update(n.lower() for n in names)
    return None


def _home(user: str) -> Optional[str]:
    """apr_uid_homepath_get."""
    try:
        return pwd.getpwnam(user).pw_dir
    except (KeyError, UnicodeEncodeError, ValueError):
        return None


def _exists(path: str) -> bool:
    try:
        os.stat(fs_path(path))
        return True
    except (OSError, ValueError):
        return False


def translate_userdir(r) -> int:
    """translate_userdir (translate_name, after mod_alias's)."""
    uri = r.uri
    if not uri.startswith("/~"):
        return DECLINED
    conf: UserdirConfig = r.server.module_config[MODULE_NAME]
    userdirs = conf.userdirs
    if userdirs is None:
        return DECLINED
    user, slash, rest = uri[2:].partition("/")
    dname = "/" + rest.lstrip("/") if slash else ""     # ap_getword, then back one '/'
    if not user or user in (".", ".."):
        return DECLINED
    low = user.lower()
    if low in conf.disabled_users:
        return DECLINED
    if conf.globally_disabled == O_DISABLE and low not in conf.enabled_users:
        return DECLINED
    last = len(userdirs) - 1
    for i, userdir in enumerate(userdirs):
        is_absolute = userdir.startswith("/")
        prefix = None
        if "*" in userdir:
            prefix, _, userdir = userdir.partition("*")
        filename: Optional[str] = None
        if not userdir or is_absolute:
            if prefix is not None:
                if ":" in prefix and not is_absolute:
                    r.headers_out.set("Location", prefix + user + userdir + dname)
                    return HTTP_MOVED_TEMPORARILY
                filename = prefix + user + userdir
            else:
                filename = f"{userdir}/{user}"
        elif prefix is not None and ":" in prefix:
            r.headers_out.set("Location", prefix + user + dname)
            return HTTP_MOVED_TEMPORARILY
        else:
            home = _home(user)
            if home is not None:
                filename = f"{home}/{userdir}"
        # the place itself is what must exist (2.4; trunk stats the whole file name)
        if filename is not None and (i == last or _exists(filename)):
            r.filename = filename + dname
            set_context_info(r, uri[:len(uri) - len(dname)], filename)
            r.notes["mod_userdir_user"] = user
            return OK
    return DECLINED


def _not_for_a_user(r) -> bool:
    """Only /~ URIs stat and read the password database (hooks.determined)."""
    return not r.uri.startswith("/~")


MODULE = Module(
    MODULE_NAME, "mod_userdir.c", (set_user_dir,),
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    # after mod_alias's (MIDDLE), as its aszPre says
    hooks={"translate_name": (determined(translate_userdir, _not_for_a_user), MIDDLE + 1)},
    doc="Public HTML directory support",
)
