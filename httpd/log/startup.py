"""Start-up messages, as Apache prints them before its error log is open.

Two shapes: plain start-up lines (``Syntax OK``, ``AH00526: ...``, MPM warnings) and
error-log lines with the ``[time] [module:level] [pid N:tid N]`` prefix (AH00111,
AH01574, ...).  ``-e LEVEL`` filters both; ``-E FILE`` redirects them.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Optional, TextIO

from httpd.util.escape import escape_errorlog_item

LEVELS = ["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"] + [
    f"trace{i}" for i in range(1, 9)
]
LEVEL_NUM = {name: i for i, name in enumerate(LEVELS)}
ALWAYS = -1  # shown whatever -e says (Syntax OK, AH00526, usage)


def log_time(now: Optional[float] = None) -> str:
    """Apache's error-log time: ``Thu Nov 26 09:34:01.177865 2026``."""
    now = time.time() if now is None else now
    t = time.localtime(now)
    usec = int((now - int(now)) * 1_000_000)
    return time.strftime("%a %b %d %H:%M:%S", t) + ".%06d " % usec + time.strftime("%Y", t)


class StartupLog:
    def __init__(self, stream: TextIO | None = None, level: str = "warn"):
        self.stream = stream if stream is not None else sys.stderr
        self.level = LEVEL_NUM[level]
        self.records: list[tuple[str, str]] = []  # (level, text) as printed, for tests

    def enabled(self, level: str | int) -> bool:
        n = level if isinstance(level, int) else LEVEL_NUM[level]
        return n <= self.level

    def _write(self, level: str, text: str) -> None:
        self.records.append((level, text))
        self.stream.write(text + "\n")
        self.stream.flush()

    def startup(self, msg: str, level: str | int = "warn") -> None:
        """A plain start-up line (no prefix)."""
        if level == ALWAYS or self.enabled(level):
            self._write(level if isinstance(level, str) else "always", escape_errorlog_item(msg))

    def always(self, msg: str) -> None:
        self.startup(msg, ALWAYS)

    def error(self, module: str, level: str, msg: str) -> None:
        """An error-log-format line: ``[time] [module:level] [pid N:tid N] msg``."""
        if not self.enabled(level):
            return
        pid = os.getpid()
        prefix = f"[{log_time()}] [{module}:{level}] [pid {pid}:tid {threading.get_native_id()}] "
        self._write(level, prefix + escape_errorlog_item(msg))
