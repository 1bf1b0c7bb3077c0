"""The order of a listing: the query arguments a client may send (C=, O=, F=, V=, P=)
and the sort (Apache's dsortf, computed with keys)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from directives.mod_autoindex import (
    D_ASCENDING, D_DESCENDING, FANCY_INDEXING, IGNORE_CLIENT, K_DESC, K_LAST_MOD, K_SIZE,
    SUPPRESS_COLSORT, TABLE_INDEXING, VERSION_SORT)
from directives.mod_autoindex.text import _ascii_lower, natkey
from httpd.util.uri import os_escape_path

if TYPE_CHECKING:  # the entry record lives with the listing
    from directives.mod_autoindex.listing import Ent


# -- sorting (Apache's dsortf as sort keys) ------------------------------------------------

def name_key(e: "Ent") -> tuple:
    """dsortf's name comparison as a key: natural (case-blind, then exact) order
    under VersionSort, then strcasecmp under IgnoreCase, then strcmp."""
    name = e.name
    return (natkey(name, True) if e.version_sort and e.ignore_case else (),
            natkey(name) if e.version_sort else (),
            _ascii_lower(name) if e.ignore_case else "", name)


def sort_key(e: "Ent") -> tuple:
    key = e.key
    if key == K_LAST_MOD:
        return (e.lm,) + name_key(e)
    if key == K_SIZE:
        return (e.size,) + name_key(e)
    if key == K_DESC:
        desc = e.desc or ""
        return (natkey(desc) if e.version_sort else desc,) + name_key(e)
    return name_key(e)


def sort_entries(ents: list) -> list:
    """The order dsortf gives, computed with keys: the parent first, directories next
    under FoldersFirst, each group in the column's order (names being unique, the
    descending order is the exact reverse)."""
    parent = [e for e in ents if e.name.startswith("/")]
    rest = sorted((e for e in ents if not e.name.startswith("/")), key=sort_key,
                  reverse=bool(ents) and not ents[-1].ascending)
    return parent + [e for e in rest if e.isdir] + [e for e in rest if not e.isdir]


# -- the query string ----------------------------------------------------------------------

def _sep_ok(q: str, i: int) -> bool:
    return i >= len(q) or q[i] in "&;"


def parse_query(args: Optional[str], opts: int, keyid: str, direction: str):
    """C=, O=, F=, V= and P= as index_directory reads them; a malformed part ends it.
    Returns (opts, keyid, direction, pattern, colargs)."""
    if opts & IGNORE_CLIENT:
        return opts | SUPPRESS_COLSORT, keyid, direction, None, ""
    fval = vval = ppre = epattern = ""
    pstring = None
    q = args or ""
    while q:
        head = q[:2]
        c2 = q[2:3]
        if head == "C=" and c2 and c2 in "NMSD" and _sep_ok(q, 3):
            keyid = c2
        elif head == "O=" and c2 in (D_ASCENDING, D_DESCENDING) and c2 and _sep_ok(q, 3):
            direction = c2
        elif head == "F=" and c2 and c2 in "012" and _sep_ok(q, 3):
            if c2 == "0":
                opts &= ~(FANCY_INDEXING | TABLE_INDEXING)
            elif c2 == "1":
                opts = (opts | FANCY_INDEXING) & ~TABLE_INDEXING
            else:
                opts |= FANCY_INDEXING | TABLE_INDEXING
            fval = ";F=" + c2
        elif head == "V=" and c2 and c2 in "01" and _sep_ok(q, 3):
            opts = opts & ~VERSION_SORT if c2 == "0" else opts | VERSION_SORT
            vval = ";V=" + c2
        elif head == "P=":
            rest = q[2:]
            eos = 0
            while eos < len(rest) and rest[eos] not in "&;":
                eos += 1
            if eos == 0:
                pstring = None
            else:
                pstring = _unescape_url(rest[:eos])
                if pstring is not None:
                    ppre, epattern = ";P=", os_escape_path(pstring, True)
            q = rest[eos + 1:] if eos < len(rest) else ""
            continue
        else:
            break
        q = q[4:] if len(q) > 3 else ""
    return opts, keyid, direction, pstring, fval + vval + ppre + epattern


def _unescape_url(s: str) -> Optional[str]:
    """ap_unescape_url: None for a bad %-escape, an encoded NUL or an encoded slash."""
    out = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "%":
            h = s[i + 1:i + 3]
            if len(h) < 2 or not all(x in "0123456789abcdefABCDEF" for x in h):
                return None
            v = int(h, 16)
            if v == 0 or v == 0x2F:
                return None
            out.append(chr(v))
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)
