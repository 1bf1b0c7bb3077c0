"""The small text routines a directory listing needs, as APR and httpd spell them:
apr_strfsize, apr_strnatcmp (as a sort key), terminate_description (ap_os_escape_path and
ap_escape_html are httpd.util's).

Strings are latin-1 (one character per byte), so byte-wise rules carry over.
"""
from __future__ import annotations

import functools
import re


def strfsize(size: int) -> str:
    """apr_strfsize: a size in at most four characters ("  - " when unknown)."""
    if size < 0:
        return "  - "
    if size < 973:
        return ("%3d " % size)[:4]
    units = "KMGTPE"
    o = 0
    while True:
        remain = size & 1023
        size >>= 10
        if size >= 973:
            o += 1
            continue
        if size < 9 or (size == 9 and remain < 973):
            remain = ((remain * 5) + 256) // 512
            if remain >= 10:
                size, remain = size + 1, 0
            return ("%d.%d%c" % (size, remain, units[o]))[:4]
        if remain >= 512:
            size += 1
        return ("%3d%c" % (size, units[o]))[:4]


def _signed(c: str) -> int:
    """A char compared as C's (signed) char on the platforms Apache ships for."""
    v = ord(c)
    return v - 256 if v >= 128 else v


_SPACE = frozenset(" \t\n\v\f\r")


_RUNS = re.compile(r"[0-9]+|[^0-9]")
_FOLD = {i: i - 32 for i in range(97, 123)}


@functools.lru_cache(maxsize=8192)
def natkey(s: str, fold_case: bool = False) -> tuple:
    """A sort key that orders as apr_strnatcmp (apr_strnatcasecmp with ``fold_case``).

    strnatcmp skips blanks, compares a run of digits with another run (by magnitude,
    or digit by digit when either starts with 0, which makes such runs sort first) and
    anything else byte by byte as signed chars.  Each element is (class, ...): bytes
    below '0' are class 0, digit runs 1, bytes above '9' class 2, so a digit against a
    non-digit orders as their bytes do; the trailing (0, 0) is the end of the string,
    which sorts after the high (negative) bytes as C's NUL does."""
    if fold_case:
        s = s.translate(_FOLD)
    out = []
    for tok in _RUNS.findall(s):
        c = tok[0]
        if "0" <= c <= "9":
            out.append((1, 0, tok) if c == "0" else (1, 1, len(tok), tok))
        elif c not in _SPACE:
            v = _signed(c)
            out.append((0, v) if v < 48 else (2, v))
    out.append((0, 0))
    return tuple(out)


_LOWER = {i: i + 32 for i in range(65, 91)}


def _ascii_lower(s: str) -> str:
    return s.translate(_LOWER)


def terminate_description(desc: str, maxsize: int) -> str:
    """Cut a description to ``maxsize`` visible characters: tags count for nothing, an
    entity for one; a cut description ends in ">" (Apache's "Grump")."""
    x, n = 0, len(desc)
    while x < n and (maxsize > 0 or desc[x] == "<"):
        c = desc[x]
        if c == "<":
            while x < n and desc[x] != ">":
                x += 1
            if x >= n:
                maxsize = 0
                break
        elif c == "&":
            maxsize -= 1
            while x < n and desc[x] != ";":
                x += 1
            if x >= n:
                maxsize = 0
                break
        else:
            maxsize -= 1
        x += 1
    if not maxsize and x < n:
        return desc[:x - 1] + ">" if x else ""
    return desc


# -- wildcard matching, compiled once ---------------------------------------------------------

def strcmp_match_rx(pattern: str, icase: bool = False) -> re.Pattern:
    """ap_strcmp_match (or ap_strcasecmp_match) as a regex: ``*`` any run, ``?`` one
    character, everything else literal, over the whole string."""
    out = []
    for c in pattern:
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
    return re.compile("".join(out) + r"\Z", re.S | (re.I if icase else 0))


def fnmatch_rx(pattern: str, noescape: bool = False) -> re.Pattern:
    """apr_fnmatch without FNM_PATHNAME: ``*``, ``?``, ``[...]`` (``!``/``^`` negate,
    ranges) and, unless ``noescape``, ``\\`` quoting the next character."""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "\\" and not noescape and i < n:
            out.append(re.escape(pattern[i]))
            i += 1
        elif c == "[":
            j = i
            negate = j < n and pattern[j] in "!^"
            if negate:
                j += 1
            k = j + 1 if j < n and pattern[j] == "]" else j
            while k < n and pattern[k] != "]":
                k += 1
            if k >= n:                      # no closing bracket: a literal [
                out.append(re.escape(c))
                continue
            body = pattern[j:k]
            chars = []
            p = 0
            while p < len(body):
                ch = body[p]
                if ch == "\\" and not noescape and p + 1 < len(body):
                    ch = body[p + 1]
                    p += 1
                if p + 2 < len(body) and body[p + 1] == "-":
                    chars.append(f"{re.escape(ch)}-{re.escape(body[p + 2])}")
                    p += 3
                    continue
                chars.append(re.escape(ch))
                p += 1
            out.append(("[^" if negate else "[") + "".join(chars) + "]")
            i = k + 1
        else:
            out.append(re.escape(c))
    return re.compile("".join(out) + r"\Z", re.S)


def is_matchexp(s: str) -> bool:
    return "*" in s or "?" in s
