"""mpm-itk's config records and names (itk_per_dir_conf, itk_server_conf), shared by
its declaration (mpms/itk/__init__.py) and its hooks (mpms/itk/runtime.py)."""
from __future__ import annotations

from typing import Any, Optional

import attrs

from httpd.module.hooks import HookSpec, Kind, declare
from httpd.mpm.identity import NO_ID

NAME = "mpm_itk_module"
TAG = "mpm_itk"                 # the module tag in error-log lines
MPMITK_VERSION = "2.4.7-04"
UNSET_NICE_VALUE = 100

# mod_status.h, as mpm_itk.c would include it to join ap_hook_status_hook: the same
# declaration as mod_status's (a repeated declaration is a no-op; the doc is no part of it)
STATUS_HOOK = declare(HookSpec("status_hook", Kind.RUN_ALL, ("r", "flags"),
                               declared_by="status_module"))
AP_STATUS_SHORT = 0x1


@attrs.define
class ItkDirConfig:
    """itk_per_dir_conf."""

    uid: int = NO_ID
    gid: int = NO_ID
    username: Optional[str] = None
    nice_value: int = UNSET_NICE_VALUE
    uid_expr: Any = None
    gid_expr: Any = None


@attrs.define
class ItkServerConfig:
    """itk_server_conf, plus mpm_itk.c's globals (the ranges: the main server's count)."""

    max_clients_vhost: int = -1
    min_uid: int = 1
    max_uid: int = 0xFFFFFFFF
    min_gid: int = 1
    max_gid: int = 0xFFFFFFFF
    enable_caps: bool = True        # EnableCapabilities (ap_itk_enable_caps)


def create_dir_config(_path: Optional[str]) -> ItkDirConfig:
    return ItkDirConfig()


def merge_dir_config(parent: ItkDirConfig, child: ItkDirConfig) -> ItkDirConfig:
    """itk_merge_dir_config: the child's user (with its ids) or the parent's; each
    expression and the nice value likewise."""
    src = child if child.username is not None else parent
    return ItkDirConfig(
        uid=src.uid, gid=src.gid, username=src.username,
        nice_value=(child.nice_value if child.nice_value != UNSET_NICE_VALUE
                    else parent.nice_value),
        uid_expr=child.uid_expr if child.uid_expr is not None else parent.uid_expr,
        gid_expr=child.gid_expr if child.gid_expr is not None else parent.gid_expr)


def create_server_config(_server: Any) -> ItkServerConfig:
    return ItkServerConfig()
