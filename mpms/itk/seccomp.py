"""LimitUIDRange and LimitGIDRange (mpm-itk's seccomp.c): a seccomp filter that makes
the kernel refuse, with EPERM, every setuid- and setgid-like call whose target is
outside the range, so that a process serving a virtual host cannot become root (the
default range is 1..UINT_MAX) or any user outside the range.

The filter is built with libseccomp through the ``pyseccomp`` binding, as mpm_itk.c's
hand-written BPF does: the calls of capabilities(7)'s CAP_SETUID and CAP_SETGID
(setuid, setreuid, setresuid, setfsuid and their gid twins); each uid or gid argument
is compared on its lower 32 bits (uid_t); ``-1`` ("leave unchanged") stays allowed for
the calls that take it, but not for setuid/setgid (where mpm_itk.c allows it only when
the range reaches UINT_MAX, which this filter does too, since -1 is then in range).
A system call made under another architecture's numbers kills the process (libseccomp's
default for a foreign architecture, mpm_itk.c's arch check).
"""
from __future__ import annotations

import errno
from typing import Iterator, Optional

UINT_MAX = 0xFFFFFFFF

# (system call, number of uid/gid arguments, whether -1 means "unchanged")
UID_CALLS = (("setfsuid", 1, True), ("setuid", 1, False), ("setreuid", 2, True),
             ("setresuid", 3, True))
GID_CALLS = (("setfsgid", 1, True), ("setgid", 1, False), ("setregid", 2, True),
             ("setresgid", 3, True))


def prefix_blocks(lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """The inclusive 32-bit range lo..hi as (mask, value) blocks: x is in the range
    exactly when ``x & mask == value`` for one block (at most 62 blocks)."""
    while lo <= hi:
        size = lo & -lo if lo else 1 << 32
        while size > hi - lo + 1:
            size >>= 1
        yield (UINT_MAX & ~(size - 1), lo)
        lo += size


def refused_ranges(low: int, high: int, minus_one_ok: bool) -> list[tuple[int, int]]:
    """The argument values the filter refuses for a range low..high."""
    out = []
    if low > 0:
        out.append((0, min(low, UINT_MAX + 1) - 1))
    top = UINT_MAX - 1 if minus_one_ok else UINT_MAX
    if high < top:
        out.append((max(high, -1) + 1, top))
    return out


def build_filter(min_uid: int, max_uid: int, min_gid: int, max_gid: int):
    """The pyseccomp filter (not loaded)."""
    import pyseccomp as sc
    f = sc.SyscallFilter(defaction=sc.ALLOW)
    # Apache installs its filter with prctl(PR_SET_SECCOMP) as root (CAP_SYS_ADMIN),
    # without no_new_privs; libseccomp would set it by default
    f.set_attr(sc.Attr.CTL_NNP, 0)
    for calls, low, high in ((UID_CALLS, min_uid, max_uid), (GID_CALLS, min_gid, max_gid)):
        for name, nargs, minus_one_ok in calls:
            for arg in range(nargs):
                for lo, hi in refused_ranges(low, high, minus_one_ok):
                    for mask, value in prefix_blocks(lo, hi):
                        f.add_rule(sc.ERRNO(errno.EPERM), name,
                                   sc.Arg(arg, sc.MASKED_EQ, mask, value))
    return f


def restrict_setuid_range(min_uid: int, max_uid: int, min_gid: int,
                          max_gid: int) -> Optional[str]:
    """Install the filter on this process (inherited by every process it forks).
    None, or the info-level line mpm_itk.c logs when the kernel refuses."""
    try:
        build_filter(min_uid, max_uid, min_gid, max_gid).load()
    except (ImportError, OSError, RuntimeError, ValueError) as e:
        why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        return ("Installing seccomp filter failed (probably due to too old kernel); "
                f"unable to restrict setuid privileges. Error was: {why}")
    return None
