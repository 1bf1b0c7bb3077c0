"""Regex substitution templates: ap_pregsub (server/util.c regsub_core)."""
from __future__ import annotations

import re
from typing import Optional

AP_MAX_REG_MATCH = 10                 # $0 .. $9
AP_PREGSUB_MAXLEN = 8192 * 8          # HUGE_STRING_LEN * 8


def pregsub(template: str, m: Optional[re.Match],
            maxlen: int = AP_PREGSUB_MAXLEN) -> Optional[str]:
    """ap_pregsub: ``template`` with ``$0``..``$9`` replaced by the groups of the match
    ``m`` (taken from ``m.string``).

    As regsub_core: only an ASCII digit makes ``$`` a reference (apr_isdigit in the C
    locale, so ``$\\xb2`` stays as written); a group that did not take part, one the
    pattern does not have, or any group when there is no match (an ap_expr condition
    without a regex) gives ""; a backslash makes the next character literal (``\\$1``
    is ``$1``); ``&`` is an ordinary character.  None when the result is ``maxlen``
    characters or longer (AP_PREGSUB_MAXLEN, 64 KiB), whether or not the template
    holds a reference: callers then fail as Apache's do (AH00672, AH01505).
    """
    if "$" not in template and "\\" not in template:
        return template if not maxlen or len(template) < maxlen else None
    out = []
    i, n = 0, len(template)
    groups = m.re.groups if m is not None else -1
    while i < n:
        c = template[i]
        i += 1
        if c == "$" and i < n and "0" <= template[i] <= "9":
            no = ord(template[i]) - 48
            i += 1
            if no <= groups:
                s, e = m.span(no)
                if s < e:
                    out.append(m.string[s:e])
            continue
        if c == "\\" and i < n:
            c = template[i]
            i += 1
        out.append(c)
    result = "".join(out)
    return None if maxlen and len(result) >= maxlen else result
