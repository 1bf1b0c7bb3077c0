"""Apache's ap_pregcomp for Python's re: the ap_regcomp flags, RegexDefaultOptions'
defaults, and PCRE syntax translated (named groups, POSIX classes, \\z)."""
from __future__ import annotations

import re
from typing import Optional

# ap_regcomp flags (ap_regex.h) and the 2.4 defaults that RegexDefaultOptions edits.
AP_REG_ICASE, AP_REG_DOTALL, AP_REG_DOLLAR_ENDONLY = 0x01, 0x40, 0x80
AP_REG_DEFAULT = AP_REG_DOTALL | AP_REG_DOLLAR_ENDONLY
MAX_STRING_LEN = 8192

_POSIX = {"alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z",
          "lower": "a-z", "space": r" \t\n\r\f\v", "xdigit": "0-9A-Fa-f", "word": r"\w",
          "punct": r"!-/:-@\[-`{-~", "blank": r" \t", "cntrl": r"\x00-\x1f\x7f",
          "print": r" -~", "graph": r"!-~"}


def pregcomp(pattern: str, cflags: int = AP_REG_DEFAULT) -> Optional[re.Pattern]:
    """ap_pregcomp: a PCRE pattern as a Python regex, or None when it does not compile.

    Translates what Python spells differently: ``(?<name>``, POSIX classes, ``\\z`` and
    ``\\Z``, and ``$`` under DOLLAR_ENDONLY (end of subject only)."""
    out, i, n, in_class = [], 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            out.append("\\Z" if nxt == "z" else "(?=\\n?\\Z)" if nxt == "Z" and not in_class
                       else c + nxt)
            i += 2
            continue
        if in_class:
            m = re.match(r"\[:(\w+):\]", pattern[i:])
            if m and m.group(1) in _POSIX:
                out.append(_POSIX[m.group(1)])
                i += m.end()
                continue
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            out.append(c)
            i += 1
            if pattern[i:i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i:i + 1] == "]":      # a leading ] is literal
                out.append("\\]")
                i += 1
            continue
        elif c == "(" and pattern.startswith("(?<", i) and pattern[i + 3:i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
            continue
        elif c == "$" and cflags & AP_REG_DOLLAR_ENDONLY:
            out.append("\\Z")
            i += 1
            continue
        out.append(c)
        i += 1
    flags = (re.I if cflags & AP_REG_ICASE else 0) | (re.S if cflags & AP_REG_DOTALL else 0)
    try:
        return re.compile("".join(out), flags)
    except (re.error, OverflowError, RecursionError):
        return None
