"""Wildcard patterns: apr_fnmatch_test (apr strings/apr_fnmatch.c)."""
from __future__ import annotations


def fnmatch_test(pattern: str) -> bool:
    """apr_fnmatch_test: does ``pattern`` hold a wildcard?  ``?`` and ``*`` are ones,
    ``[`` is one only when a ``]`` closes it, and a backslash takes the next character
    away (so ``a[\\]`` is none: the ``]`` is escaped)."""
    if "*" not in pattern and "?" not in pattern and "]" not in pattern:
        return False
    i, n, nesting = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "?" or c == "*":
            return True
        if c == "\\":
            i += 2
            continue
        if c == "[":
            nesting = True
        elif c == "]" and nesting:
            return True
        i += 1
    return False
