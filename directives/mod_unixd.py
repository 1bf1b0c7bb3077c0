"""mod_unixd (mod_unixd.c): who the children run as (User, Group), where they chroot
(ChrootDir), and whether CGI may go through suEXEC (Suexec).

Apache resolves User and Group while reading the config and exits at once on an
unknown name, so ``httpd -t`` already fails on ``User nosuchuser``.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Optional

import attrs

from httpd.module import GLOBAL_ONLY, RSRC_CONF, Args, Directive, Module
from httpd.module.hooks import FIRST, MIDDLE, OK
from httpd.mpm.identity import become, gname2id, setuid_error, uid_t, uname2id

NAME = "unixd_module"
DEFAULT_USER = "#-1"
DEFAULT_GROUP = "#-1"
# The suEXEC helper Apache's message names.  This server ships no suEXEC wrapper, so the
# helper is never available and ``Suexec On`` fails as Apache does without its binary.
SUEXEC_BIN = "/usr/lib/apache2/suexec"
SUEXEC_SUPPORTED = False

ROOT_USER_ERROR = (
    "Error:\tApache has not been designed to serve pages while\n"
    "\trunning as root.  There are known race conditions that\n"
    "\twill allow any local user to read any file on the system.\n"
    "\tIf you still desire to serve pages as root then\n"
    "\tadd -DBIG_SECURITY_HOLE to the CFLAGS env variable\n"
    "\tand then rebuild the server.\n"
    "\tIt is strongly suggested that you instead modify the User\n"
    "\tdirective in your httpd.conf file to list a non-root\n"
    "\tuser.\n")


def suexec_state() -> tuple[bool, str]:
    """unixd_pre_config's check: ``(enabled, reason it is disabled)``.  Apache wants a
    setuid-root helper it may read and run; this server has none to offer."""
    if not SUEXEC_SUPPORTED:
        return False, f"Missing suexec binary {SUEXEC_BIN}"
    try:
        st = os.stat(SUEXEC_BIN)
    except OSError:
        return False, f"Missing suexec binary {SUEXEC_BIN}"
    if st.st_mode & 0o4000 and st.st_uid == 0 and os.access(SUEXEC_BIN, os.R_OK | os.X_OK):
        return True, ""
    return False, f"Invalid owner or file mode for {SUEXEC_BIN}"


@attrs.define
class UnixdConfig:
    """ap_unixd_config for one config generation (set on the main server only)."""

    user_name: str = DEFAULT_USER
    user_id: int = uid_t(-1)
    group_name: str = DEFAULT_GROUP
    group_id: int = uid_t(-1)
    chroot_dir: Optional[str] = None
    suexec_enabled: bool = False
    suexec_disabled_reason: str = ""


def create_server_config(server: Any) -> UnixdConfig:
    enabled, reason = suexec_state()
    return UnixdConfig(suexec_enabled=enabled, suexec_disabled_reason=reason)


def _cfg(cmd: Any) -> UnixdConfig:
    return cmd.server.module_config[NAME]


def set_user(cmd: Any, _mconfig: Any, arg: str) -> Optional[str]:
    cfg = _cfg(cmd)
    cfg.user_name = arg
    cfg.user_id = uname2id(cmd.process, arg)
    if cfg.user_id == 0:
        # Apache refuses root unless built with -DBIG_SECURITY_HOLE; so does this server.
        return ROOT_USER_ERROR
    return None


def set_group(cmd: Any, _mconfig: Any, arg: str) -> Optional[str]:
    cfg = _cfg(cmd)
    cfg.group_name = arg
    cfg.group_id = gname2id(cmd.process, arg)
    return None


def set_chroot_dir(cmd: Any, _mconfig: Any, arg: str) -> Optional[str]:
    # Checked as written: a relative path is relative to the working directory, not
    # ServerRoot (ap_is_directory on the raw argument).
    if not os.path.isdir(arg):
        return "ChrootDir must be a valid directory"
    _cfg(cmd).chroot_dir = arg
    return None


def set_suexec(cmd: Any, _mconfig: Any, on: bool) -> Optional[str]:
    cfg = _cfg(cmd)
    if on and not cfg.suexec_enabled:
        return f"suEXEC isn't supported: {cfg.suexec_disabled_reason}"
    if not on:
        cfg.suexec_disabled_reason = "Suexec directive is Off"
    cfg.suexec_enabled = on
    return None


def _cmd(name: str, handler, args: Args, help: str) -> Directive:
    return Directive(name, handler, args, RSRC_CONF, help, forbidden=GLOBAL_ONLY)


def unixd_drop_privileges(process: Any, server: Any) -> Any:
    """drop_privileges (mod_unixd.c unixd_drop_privileges, APR_HOOK_MIDDLE): become User
    and Group; an error line when that fails (the MPM logs it and the child exits)."""
    err = setup_child(process)
    if err is None:
        err = _coredumps(process)
    return OK if err is None else err


def _coredumps(process: Any) -> Optional[str]:
    """With CoreDumpDirectory set: Linux's dumpable flag back on after setuid
    (prctl(PR_SET_DUMPABLE, 1), as unixd_drop_privileges does; its failure is fatal,
    AH02163), and the process's working directory there.  Apache changes to it in the
    handler of a fatal signal; a Python process cannot run code on a fault, so the
    child works in that directory from its start (every path it uses is absolute)."""
    from httpd.module import CORE_MODULE
    where = process.main_server.module_config[CORE_MODULE].coredump_dir
    if not where:
        return None
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 1, 0, 0, 0) != 0:          # PR_SET_DUMPABLE
        e = ctypes.get_errno()
        return (f"({e}){os.strerror(e)}: AH02163: set dumpable failed - this child will "
                "not coredump after software errors")
    try:
        os.chdir(where)
    except OSError:
        pass
    return None


def unixd_dump_config(process: Any, server: Any) -> None:
    """test_config (unixd_dump_config, APR_HOOK_FIRST): the User and Group lines of
    ``-t -D DUMP_RUN_CFG``."""
    if not process.is_defined("DUMP_RUN_CFG"):
        return
    cfg: UnixdConfig = process.main_server.module_config[NAME]
    sys.stdout.write(f'User: name="{cfg.user_name}" id={cfg.user_id}\n'
                     f'Group: name="{cfg.group_name}" id={cfg.group_id}\n')


MODULE = Module(
    NAME, "mod_unixd.c",
    (
        _cmd("User", set_user, Args.TAKE1, "Effective user id for this server"),
        _cmd("Group", set_group, Args.TAKE1, "Effective group id for this server"),
        _cmd("ChrootDir", set_chroot_dir, Args.TAKE1, "The directory to chroot(2) into"),
        _cmd("Suexec", set_suexec, Args.FLAG, "Enable or disable suEXEC support"),
    ),
    create_server_config=create_server_config,
    hooks={"drop_privileges": (unixd_drop_privileges, MIDDLE),
           "test_config": (unixd_dump_config, FIRST)},
    doc="Basic (required) security for Unix-family platforms.",
)


def setup_child(process: Any) -> Optional[str]:
    """ap_unixd_setup_child: a process about to serve, started as root, becomes User and
    Group (ChrootDir first): group, then the user's supplementary groups, then the user.
    Returns an error line (the caller exits) or None.  Nothing to do when not root, or
    when User was never set (#-1)."""
    if os.geteuid() != 0:
        return None
    cfg: UnixdConfig = process.main_server.module_config[NAME]
    if cfg.user_id == uid_t(-1):
        return None
    try:
        if cfg.chroot_dir:
            os.chroot(cfg.chroot_dir)
            os.chdir("/")
        become(cfg.user_id, cfg.group_id, cfg.user_name)
    except OSError as e:
        return setuid_error(e, cfg.user_id)
    return None
