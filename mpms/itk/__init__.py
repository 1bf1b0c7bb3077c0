"""mpm-itk (mpm_itk_module, mpm_itk.c 2.4.7-04): a user id per virtual host, on prefork.

mpm-itk is not an MPM of its own in 2.4 but a module loaded beside prefork
(``LoadModule mpm_itk_module modules/mod_mpm_itk.so`` after mpm_prefork_module, as
Debian's libapache2-mpm-itk): it declares no ``mpm``, so the one-MPM check does not count
it.  Its hooks (mpms/itk/runtime.py):

* post_config refuses a threaded MPM (``mpm-itk cannot use threaded MPMs; please use
  prefork.``, then AH00016 and exit status 1, as Apache);
* drop_privileges and child_init: with EnableCapabilities On (the default) the prefork
  child becomes User keeping CAP_SETUID, CAP_SETGID, CAP_DAC_READ_SEARCH and CAP_SYS_NICE
  (mpms/itk/caps.py); Off, it stays root (mod_unixd's User switch is turned into a
  switch to root, as mpm_itk.c fiddles ap_unixd_config); either way the
  LimitUIDRange/LimitGIDRange seccomp filter is installed (mpms/itk/seccomp.py);
* process_connection (REALLY_FIRST) forks: the grandchild serves the connection and
  exits, the prefork child waits for it;
* post_perdir_config (REALLY_FIRST), in the grandchild: MaxClientsVHost, NiceValue, and
  the switch to AssignUserID / AssignUserIDExpr / AssignGroupIDExpr or User/Group;
* dirwalk_stat: a path the switched process may not read ends the connection
  (``Couldn't read %s, closing connection.``);
* status_hook: a table of each slot's uid and gid on /server-status;
* test_config: each virtual host's AssignUserID under ``-t -D DUMP_VHOSTS`` (``-S``).
"""
from __future__ import annotations

from typing import Any, Optional

from httpd.core.sections import parse_expr
from httpd.module import (ACCESS_CONF, GLOBAL_ONLY, NOT_IN_HTACCESS, RSRC_CONF, Args,
                          Directive, Module)
from httpd.module.hooks import FIRST, LAST, MIDDLE, REALLY_FIRST
from httpd.mpm.identity import gname2id, uid_t, uname2id
from httpd.util.cparse import atoi

from mpms.itk import runtime
from mpms.itk.config import (MPMITK_VERSION, NAME, STATUS_HOOK, TAG, ItkDirConfig,  # noqa: F401
                             ItkServerConfig, UNSET_NICE_VALUE, create_dir_config,
                             create_server_config, merge_dir_config)


def _main(cmd: Any) -> ItkServerConfig:
    return cmd.process.main_server.module_config[NAME]


# -- the directives (itk_cmds) ------------------------------------------------------------

def assign_user_id(cmd: Any, dconf: ItkDirConfig, user_name: str,
                   group_name: str) -> Optional[str]:
    dconf.username = user_name
    dconf.uid = uname2id(cmd.process, user_name)
    dconf.gid = gname2id(cmd.process, group_name)
    return None


def _expr(which: str):
    def handler(cmd: Any, dconf: ItkDirConfig, text: str) -> Optional[str]:
        expr, err = parse_expr(cmd, text, string=True)
        if err:
            return err
        setattr(dconf, which, expr)
        return None
    return handler


def _range(lo_attr: str, hi_attr: str):
    def handler(cmd: Any, _dconf: Any, min_arg: str, max_arg: str) -> Optional[str]:
        cfg = _main(cmd)
        setattr(cfg, lo_attr, uid_t(atoi(min_arg)))
        setattr(cfg, hi_attr, uid_t(atoi(max_arg)))
        return None
    return handler


def enable_caps(cmd: Any, _dconf: Any, on: bool) -> Optional[str]:
    _main(cmd).enable_caps = on
    return None


def set_max_clients_vhost(cmd: Any, _dconf: Any, arg: str) -> Optional[str]:
    cmd.server.module_config[NAME].max_clients_vhost = atoi(arg)
    return None


def set_nice_value(cmd: Any, dconf: ItkDirConfig, arg: str) -> Optional[str]:
    nice = atoi(arg)
    if nice < -20:
        cmd.process.log.always(f"WARNING: NiceValue of {nice} is below -20, increasing "
                               "NiceValue to -20.")
        nice = -20
    elif nice > 19:
        cmd.process.log.always(f"WARNING: NiceValue of {nice} is above 19, lowering "
                               "NiceValue to 19.")
        nice = 19
    dconf.nice_value = nice
    return None


DIRECTIVES = (
    Directive("AssignUserID", assign_user_id, Args.TAKE2, RSRC_CONF | ACCESS_CONF,
              "Tie a virtual host to a specific child process.", forbidden=NOT_IN_HTACCESS),
    Directive("AssignUserIDExpr", _expr("uid_expr"), Args.RAW_ARGS, RSRC_CONF | ACCESS_CONF,
              "Choose user ID given an expression. Will override AssignUserID.",
              forbidden=NOT_IN_HTACCESS),
    Directive("AssignGroupIDExpr", _expr("gid_expr"), Args.RAW_ARGS,
              RSRC_CONF | ACCESS_CONF,
              "Choose group ID given an expression. Will override AssignUserID.",
              forbidden=NOT_IN_HTACCESS),
    Directive("LimitUIDRange", _range("min_uid", "max_uid"), Args.TAKE2, RSRC_CONF,
              "If seccomp v2 is available (Linux 3.5.0+), limit the process's possible "
              "uid to the given range (inclusive endpoints)", forbidden=GLOBAL_ONLY),
    Directive("LimitGIDRange", _range("min_gid", "max_gid"), Args.TAKE2, RSRC_CONF,
              "If seccomp v2 is available (Linux 3.5.0+), limit the process's possible "
              "primary gid to the given range (inclusive endpoints). "
              "Note that this does not restrict supplemental gids!", forbidden=GLOBAL_ONLY),
    Directive("EnableCapabilities", enable_caps, Args.FLAG, RSRC_CONF,
              "Drop most root capabilities in the parent process, and instead run as "
              "the user given by the User/Group directives with some extra capabilities "
              "(in particular setuid). Somewhat more secure, but can cause problems "
              "when serving from NFS.", forbidden=GLOBAL_ONLY),
    Directive("MaxClientsVHost", set_max_clients_vhost, Args.TAKE1, RSRC_CONF,
              "Maximum number of children alive at the same time for this virtual host."),
    Directive("NiceValue", set_nice_value, Args.TAKE1, RSRC_CONF | ACCESS_CONF,
              "Set nice value for the given vhost, from -20 (highest priority) to 19 "
              "(lowest priority)."),
)


MODULE = Module(
    NAME, "mpm_itk.c", DIRECTIVES,
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    hooks={
        "post_config": (runtime.itk_init_handler, MIDDLE),
        "drop_privileges": (runtime.itk_pre_drop_privileges, FIRST),
        "child_init": (runtime.itk_child_init, MIDDLE),
        "process_connection": (runtime.itk_fork_process, REALLY_FIRST),
        "post_perdir_config": (runtime.itk_post_perdir_config, REALLY_FIRST),
        "dirwalk_stat": (runtime.itk_dirwalk_stat, MIDDLE),
        "status_hook": (runtime.itk_status, MIDDLE),
        "test_config": (runtime.itk_dump_config, LAST),
    },
    doc="Running each virtual host under its own user id (mpm-itk, on prefork)",
)
