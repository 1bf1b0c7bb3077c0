"""EnableCapabilities (mpm_itk.c with libcap): the prefork child runs as User with only
the capabilities a connection's process needs to become a vhost's user (CAP_SETUID,
CAP_SETGID, CAP_DAC_READ_SEARCH, CAP_SYS_NICE) instead of full root.

Linux's prctl(2) and capset(2) through ctypes (glibc exports both): PR_SET_KEEPCAPS
keeps the permitted set across mod_unixd's setuid, then capset makes those four the
permitted and effective sets; a connection's process clears them all once it has
become its user (setuid from a uid other than 0 does not).
"""
from __future__ import annotations

import ctypes
import os
from typing import Optional

PR_SET_KEEPCAPS = 8
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
CAP_DAC_READ_SEARCH = 2
CAP_SETGID = 6
CAP_SETUID = 7
CAP_SYS_NICE = 23
SUID_CAPS = (CAP_SETUID, CAP_SETGID, CAP_DAC_READ_SEARCH, CAP_SYS_NICE)


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


_libc = ctypes.CDLL(None, use_errno=True)


def _check(rv: int, what: str) -> None:
    if rv != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def set_keepcaps(on: bool) -> Optional[str]:
    """prctl(PR_SET_KEEPCAPS, on): None, or mpm_itk.c's emerg line."""
    if _libc.prctl(PR_SET_KEEPCAPS, int(on), 0, 0, 0) != 0:
        e = ctypes.get_errno()
        return f"({e}){os.strerror(e)}: prctl(PR_SET_KEEPCAPS, {int(on)}) failed"
    return None


def set_caps(caps: tuple[int, ...]) -> None:
    """cap_set_proc: exactly ``caps`` permitted and effective, none inheritable (raises
    OSError; mpm_itk.c ignores the result, and so do its callers here)."""
    mask = 0
    for c in caps:
        mask |= 1 << c
    header = _Header(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_Data * 2)(_Data(mask, mask, 0), _Data(0, 0, 0))
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def effective_mask() -> int:
    """This process's effective set (CapEff of /proc/self/status)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0
