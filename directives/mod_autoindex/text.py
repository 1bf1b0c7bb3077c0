"""The small text routines a directory listing needs, as APR and httpd spell them:
apr_strfsize, apr_strnatcmp, terminate_description (ap_os_escape_path and ap_escape_html
are httpd.util's).

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


def _isdigit(s: str, i: int) -> bool:
    return i < len(s) and "0" <= s[i] <= "9"


def _compare_right(a: str, ai: int, b: str, bi: int) -> int:
    """Right-aligned numbers: the longest run wins, else the first difference."""
    bias = 0
    while True:
        da, db = _isdigit(a, ai), _isdigit(b, bi)
        if not da and not db:
            return bias
        if not da:
            return -1
        if not db:
            return 1
        if a[ai] < b[bi]:
            bias = bias or -1
        elif a[ai] > b[bi]:
            bias = bias or 1
        ai += 1
        bi += 1


def _compare_left(a: str, ai: int, b: str, bi: int) -> int:
    """Left-aligned (fractional) numbers: the first difference wins."""
    while True:
        da, db = _isdigit(a, ai), _isdigit(b, bi)
        if not da and not db:
            return 0
        if not da:
            return -1
        if not db:
            return 1
        if a[ai] < b[bi]:
            return -1
        if a[ai] > b[bi]:
            return 1
        ai += 1
        bi += 1


def strnatcmp(a: str, b: str, fold_case: bool = False) -> int:
    """apr_strnatcmp / apr_strnatcasecmp (Martin Pool's natural order)."""
    ai = bi = 0
    la, lb = len(a), len(b)
    while True:
        while ai < la and a[ai] in _SPACE:
            ai += 1
        while bi < lb and b[bi] in _SPACE:
            bi += 1
        ca = a[ai] if ai < la else ""
        cb = b[bi] if bi < lb else ""
        if _isdigit(a, ai) and _isdigit(b, bi):
            if ca == "0" or cb == "0":
                result = _compare_left(a, ai, b, bi)
            else:
                result = _compare_right(a, ai, b, bi)
            if result:
                return result
        if not ca and not cb:
            return 0
        va = _signed(ca) if ca else 0
        vb = _signed(cb) if cb else 0
        if fold_case:
            if 97 <= va <= 122:
                va -= 32
            if 97 <= vb <= 122:
                vb -= 32
        if va != vb:
            return -1 if va < vb else 1
        ai += 1
        bi += 1


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


def strcmp(a: str, b: str) -> int:
    """strcmp on latin-1 strings (unsigned bytes, as glibc compares)."""
    return (a > b) - (a < b)


def strcasecmp(a: str, b: str) -> int:
    """strcasecmp: ASCII letters folded to lower case."""
    la, lb = _ascii_lower(a), _ascii_lower(b)
    return (la > lb) - (la < lb)


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
