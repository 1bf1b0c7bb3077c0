"""MaxMemFree: how much free memory a serving process may hold without giving it back.

Apache gives each child (and each worker thread's transaction pool) its own APR
allocator and bounds, with apr_allocator_max_free_set(allocator, ap_max_mem_free), the
free blocks it keeps for reuse instead of free()ing them; 2.4's default is 2048 KB
(ALLOCATOR_MAX_FREE_DEFAULT, mpm_common_pre_config), 0 means unlimited.

A Python process has no APR pools: the memory it holds free is glibc malloc's (pymalloc
hands its arenas back as soon as they are empty, and its larger objects come from
malloc).  glibc keeps freed memory at the top of each arena's heap -- the main one and
the per-thread ones, Apache's per-thread allocators' counterpart -- until it passes
M_TRIM_THRESHOLD, then returns it to the system.  So the MPMs set that threshold to
MaxMemFree when a process is about to serve (lifecycle.child_startup / child_init, where
Apache's child_main creates pchild's allocator); unlimited is glibc's -1, "never trim".
"""
from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any, Optional

M_TRIM_THRESHOLD = -1          # glibc malloc.h
NEVER_TRIM = -1
INT_MAX = 2**31 - 1

_libc: Optional[Any] = None


def _mallopt():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
    return getattr(_libc, "mallopt", None)


def trim_threshold(max_free: int) -> int:
    """The M_TRIM_THRESHOLD for a MaxMemFree in bytes (0: never trim)."""
    return NEVER_TRIM if max_free == 0 else min(max_free, INT_MAX)


def limit_free_memory(process: Any) -> bool:
    """apr_allocator_max_free_set(allocator, ap_max_mem_free) for this process: glibc's
    trim threshold set to MaxMemFree.  False where the C library has no mallopt (the
    limit then cannot be applied; nothing else changes)."""
    from httpd.module import CORE_MODULE
    core = process.main_server.module_config[CORE_MODULE]
    mallopt = _mallopt()
    if mallopt is None:
        return False
    return bool(mallopt(M_TRIM_THRESHOLD, trim_threshold(core.max_mem_free)))
