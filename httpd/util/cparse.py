"""C's number parsing as Apache's directive handlers see it (glibc, LP64).

Most MPM numbers go through atoi(), so junk is 0 rather than an error; the event MPM's
AsyncRequestWorkerFactor goes through strtod() and rejects what follows the number.
"""
from __future__ import annotations

import re
from typing import Optional

C_SPACE = " \t\n\v\f\r"          # isspace() in the C locale
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1


def is_digits(s: str) -> bool:
    """Only ASCII 0-9 (str.isdigit() would also take '²' and other Unicode digits)."""
    return bool(s) and all("0" <= c <= "9" for c in s)


def strtol(s: str) -> tuple[int, int, bool]:
    """strtol(s, &end, 10): ``(value, end, erange)``.  Leading C white space and a sign
    are taken; ``end`` is the index after the digits, 0 when none were read; a value
    beyond LONG_MIN..LONG_MAX is clamped and ``erange`` is True (errno ERANGE)."""
    i, n = 0, len(s)
    while i < n and s[i] in C_SPACE:
        i += 1
    neg = False
    if i < n and s[i] in "+-":
        neg = s[i] == "-"
        i += 1
    start = i
    while i < n and "0" <= s[i] <= "9":
        i += 1
    if i == start:
        return 0, 0, False
    v = int(s[start:i])
    v = -v if neg else v
    if v > _LONG_MAX:
        return _LONG_MAX, i, True
    if v < _LONG_MIN:
        return _LONG_MIN, i, True
    return v, i, False


def atoi(s: str) -> int:
    """atoi(): (int) strtol(s, NULL, 10).  The cast keeps the low 32 bits, so ``abc`` is
    0, ``1.5`` is 1, ``4294967376`` is 80 and ``99999999999999999999`` (LONG_MAX) is -1."""
    v = strtol(s)[0] & 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


_FLOAT = re.compile(r"""
    [+-]?(?:
        (?P<hex>0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)
      | (?P<dec>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
      | (?P<inf>[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)
      | (?P<nan>[nN][aA][nN](?:\([0-9A-Za-z_]*\))?)
    )""", re.X)


def strtod(s: str) -> tuple[Optional[float], int]:
    """strtod(s, &end): ``(value, end)``; ``(None, 0)`` when no number starts ``s``.

    Takes what glibc takes: leading white space, a sign, decimal or hexadecimal
    (``0x1.8p1``) numbers, ``inf``/``infinity`` and ``nan`` in any case.
    """
    i = 0
    while i < len(s) and s[i] in C_SPACE:
        i += 1
    m = _FLOAT.match(s, i)
    if m is None:
        return None, 0
    text = m.group(0)
    neg = text.startswith("-")
    if m.group("hex"):
        # The pattern needs a hex digit after "0x"; "0x" alone matches as the decimal 0.
        try:
            v = float.fromhex(m.group("hex"))
        except OverflowError:
            v = float("inf")
    elif m.group("inf"):
        v = float("inf")
    elif m.group("nan"):
        v = float("nan")
    else:
        v = float(m.group("dec"))
    return (-v if neg else v), m.end()


# the <type> words of mod_expires' and mod_usertrack's "{<num> <type>}*" codes, each
# compared with strncasecmp over its first n characters ("m" alone is neither)
_TIME_UNITS = (("years", 1, 60 * 60 * 24 * 365), ("months", 2, 60 * 60 * 24 * 30),
               ("weeks", 1, 60 * 60 * 24 * 7), ("days", 1, 60 * 60 * 24),
               ("hours", 1, 60 * 60), ("minutes", 2, 60), ("seconds", 1, 1))


def time_unit_seconds(word: str) -> Optional[int]:
    """The seconds of one <type> word of an expiry code, None when it is none."""
    for name, n, seconds in _TIME_UNITS:
        if strncasecmp_eq(word, name, n):
            return seconds
    return None


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def ascii_lower(s: str) -> str:
    """apr_tolower over a string: ASCII letters only (a latin-1 string's other
    characters stay as they are, as C's tolower in the "C" locale leaves them)."""
    return s.translate(_ASCII_LOWER)


def strncasecmp_eq(word: str, name: str, n: int) -> bool:
    """strncasecmp(word, name, n) == 0 for a lower-case ``name`` (``word`` ends at its
    end, as a C string)."""
    return ascii_lower(word[:n]) == name[:n]
