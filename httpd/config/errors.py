"""Config errors in Apache's two formats, and the error-log escaper.

Read-pass errors print as one line, ``httpd: Syntax error on line N of FILE: msg``;
walk-pass errors as two, ``AH00526: Syntax error on line N of FILE:`` then ``msg``.
"""
from __future__ import annotations

from typing import Optional

from httpd.config.tree import Node

_ESC = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\v": "\\v"}
_TABLE = {}
for _i in range(256):
    _c = chr(_i)
    if _c in _ESC:
        _TABLE[_i] = _ESC[_c]
    elif 0x20 <= _i < 0x7F:
        continue
    else:
        _TABLE[_i] = "\\x%02x" % _i


def escape_logitem(msg: str) -> str:
    """Escape a message as Apache's error log does: ``\\`` doubled, controls and bytes
    >= 0x80 as ``\\xhh`` (config text is held as latin-1, one char per byte)."""
    if msg.isascii() and msg.isprintable() and "\\" not in msg:
        return msg
    out = msg.translate(_TABLE)
    if any(ord(c) > 255 for c in out):  # text that did not come from bytes
        out = "".join(c if ord(c) < 256 else "".join("\\x%02x" % b for b in c.encode()) for c in out)
    return out


class ConfigError(Exception):
    """Base: ``msg`` is Apache's message, ``node`` where it happened (if known)."""

    def __init__(self, msg: str, node: Optional[Node] = None):
        super().__init__(msg)
        self.msg = msg
        self.node = node


class ReadError(ConfigError):
    """An error of the read pass (one-line format)."""


class WalkError(ConfigError):
    """An error of the walk pass (two-line AH00526 format)."""


class StartupExit(Exception):
    """Stop start-up now: ``lines`` are printed as start-up messages at ``level``."""

    def __init__(self, lines: list[str], code: int = 1, level: str = "crit"):
        super().__init__("\n".join(lines))
        self.lines = lines
        self.code = code
        self.level = level
