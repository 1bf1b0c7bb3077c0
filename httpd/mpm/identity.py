"""Users and groups of the processes that serve (os/unix/unixd.c and util.c):
ap_uname2id, ap_gname2id and the switch a serving process makes from root to a user
(ap_unixd_setup_child's setgid, initgroups, setuid).

mod_unixd (User, Group) and the MPMs that give processes their own identity (perchild's
ChildPerUserID, mpm-itk's AssignUserID) all go through here.
"""
from __future__ import annotations

import grp
import os
import pwd
from typing import Any

from httpd.config.errors import StartupExit
from httpd.util.cparse import atoi

NO_ID = 0xFFFFFFFF          # (uid_t)-1: "#-1", never set


def uid_t(n: int) -> int:
    """C's (uid_t)/(gid_t) of an int: ``#-1`` is 4294967295."""
    return n & 0xFFFFFFFF


def uname2id(process: Any, name: str) -> int:
    """ap_uname2id: ``#N`` is atoi(N); a name must exist, or start-up stops here."""
    if name.startswith("#"):
        return uid_t(atoi(name[1:]))
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        raise StartupExit([f"AH00543: {process.argv0}: bad user name {name}"],
                          level="emerg") from None


def gname2id(process: Any, name: str) -> int:
    """ap_gname2id: ``#N`` is atoi(N); a name must exist, or start-up stops here."""
    if name.startswith("#"):
        return uid_t(atoi(name[1:]))
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise StartupExit([f"AH00544: {process.argv0}: bad group name {name}"],
                          level="emerg") from None


def become(uid: int, gid: int, user_name: str) -> None:
    """Turn this (root) process into ``uid``/``gid`` for good: the group, the user's
    supplementary groups (only ``gid`` for a ``#N`` name or an unknown uid), then the
    user.  Raises OSError; its ``call`` names the step that failed ("setgid",
    "initgroups" or "setuid"), for a caller that says which (mpm-itk)."""
    call = "setgid"
    try:
        if gid != NO_ID:
            os.setgid(gid)
            call = "initgroups"
            if user_name.startswith("#"):
                os.setgroups([gid])
            else:
                os.initgroups(user_name, gid)
        call = "setuid"
        os.setuid(uid)
    except OSError as e:
        e.call = call
        raise


def user_name_of(uid: int) -> str:
    """The passwd name of ``uid``, or ``#uid``."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"#{uid}"


def setuid_error(e: OSError, uid: int) -> str:
    """The error line of a failed switch (AH02162)."""
    return (f"({e.errno}){os.strerror(e.errno)}: AH02162: setuid: unable to change to "
            f"uid: {uid}")
