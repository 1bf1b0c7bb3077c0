"""Config errors in Apache's two formats.

Read-pass errors print as one line, ``httpd: Syntax error on line N of FILE: msg``;
walk-pass errors as two, ``AH00526: Syntax error on line N of FILE:`` then ``msg``.
"""
from __future__ import annotations

from typing import Optional

from httpd.config.tree import Node


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
