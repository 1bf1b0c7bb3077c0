"""The hooks an MPM runs over a child's life (mpm_common.c / each MPM's child_main):
drop_privileges and child_init when a process is about to serve, child_stopping when it
begins to stop, child_stopped when it leaves.  The MPMs call these and name no module:
mod_unixd joins drop_privileges (User, Group, ChrootDir), the core joins child_init
(the piped logs), mod_log_config joins child_stopped (BufferedLogs).  Before them a
serving process takes its MaxMemFree (allocator.py).
"""
from __future__ import annotations

from typing import Any, Optional

from httpd.module.hooks import failed
from httpd.mpm.allocator import limit_free_memory


def child_startup(process: Any) -> Optional[str]:
    """ap_run_drop_privileges then ap_run_child_init, on the main server.  Returns an
    error line when dropping privileges failed (the caller logs it at alert and the child
    exits with APEXIT_CHILDFATAL), else None.  No module joined: nothing is dropped."""
    hooks, server = process.registry.hooks, process.main_server
    limit_free_memory(process)            # MaxMemFree, as child_main's pchild allocator
    rv = hooks.run("drop_privileges", process, server)
    if failed(rv):
        return rv if isinstance(rv, str) else f"AH00000: drop_privileges failed ({rv!r})"
    hooks.run("child_init", process, server)
    return None


def child_stopping(process: Any, graceful: bool) -> None:
    """ap_run_child_stopping: the child takes no new connection."""
    process.registry.hooks.run("child_stopping", process, graceful)


def child_stopped(process: Any, graceful: bool) -> None:
    """ap_run_child_stopped: the child has served its last request and leaves (through
    os._exit, so nothing else would flush what modules buffered)."""
    process.registry.hooks.run("child_stopped", process, graceful)


def child_exit(process: Any, graceful: bool = True) -> None:
    """A child that stops and leaves in one step (prefork's clean_child_exit):
    child_stopping, then child_stopped."""
    child_stopping(process, graceful)
    child_stopped(process, graceful)


def child_init(process: Any) -> None:
    """ap_run_child_init alone: what the MPMs of platforms without user ids (mpm_winnt,
    mpm_netware, mpmt_os2, beos) run when a process is about to serve; they never run
    drop_privileges, as only Apache's Unix MPMs call it."""
    limit_free_memory(process)
    process.registry.hooks.run("child_init", process, process.main_server)


def max_connections_per_child(process: Any) -> int:
    """MaxConnectionsPerChild (core's ap_max_requests_per_child; 0: no limit)."""
    from httpd.module import CORE_MODULE
    core = process.main_server.module_config[CORE_MODULE]
    return getattr(core, "max_requests_per_child", 0) or 0
