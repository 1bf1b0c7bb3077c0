"""The pipe of death (mpm_common.c ap_mpm_pod_*): the parent asks one idle child to go.

The parent writes one byte ('!') per child it wants gone; any child that reads a byte
exits after its current connection.  The read end is non-blocking, so several idle
children woken by the same byte race for it and only one wins.  Our children watch the
pod in the same select() as the listeners, so prefork needs no dummy connection to wake
a child blocked in accept (Apache's children block in accept and must be poked).
"""
from __future__ import annotations

import os
from typing import Optional

GRACEFUL_CHAR = b"!"      # AP_MPM_PODX_GRACEFUL_CHAR
RESTART_CHAR = b"$"       # AP_MPM_PODX_RESTART_CHAR (worker/event)


class Pod:
    def __init__(self) -> None:
        self.r, self.w = os.pipe()
        os.set_blocking(self.r, False)
        os.set_blocking(self.w, False)
        os.set_inheritable(self.r, False)
        os.set_inheritable(self.w, False)

    def signal(self, char: bytes = GRACEFUL_CHAR) -> bool:
        """ap_mpm_pod_signal: one byte, one child.  False when the pipe is full."""
        try:
            return os.write(self.w, char) == 1
        except (BlockingIOError, OSError):
            return False

    def check(self) -> Optional[bytes]:
        """ap_mpm_pod_check, in a child: the byte read, or None when nothing was there
        (another child took it)."""
        try:
            data = os.read(self.r, 1)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            return None
        return data or None

    def drain(self) -> int:
        """The parent empties stale requests (before a new generation starts)."""
        n = 0
        while self.check() is not None:
            n += 1
        return n

    def child_side(self) -> None:
        """A child never writes: close its copy of the write end."""
        try:
            os.close(self.w)
        except OSError:
            pass
        self.w = -1

    def close(self) -> None:
        for fd in (self.r, self.w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.r = self.w = -1
