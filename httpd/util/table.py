"""apr_table_get for the request's dicts (notes, subprocess_env), whose names Apache's
tables compare case-insensitively."""
from __future__ import annotations

from typing import Optional


# the names of a table, in order -> {(name lowered, its length): the first such name}:
# the tables looked up (a request's environment: a WSGI request's ~45 variables) have
# the same names request after request (bounded: cleared past _LOWERED_MAX)
_LOWERED: dict = {}
_LOWERED_MAX = 256


def table_get(table: dict, key: str) -> Optional[str]:
    """apr_table_get on a dict: the exact key first, then case-insensitively (the
    first name, in order, of the key's length that lowers to the key's lowering)."""
    value = table.get(key)
    if value is not None:
        return value
    if table:
        names = tuple(table)
        lowered = _LOWERED.get(names)
        if lowered is None:
            lowered = {}
            for k in names:
                lowered.setdefault((k.lower(), len(k)), k)
            if len(_LOWERED) >= _LOWERED_MAX:
                _LOWERED.clear()
            _LOWERED[names] = lowered
        k = lowered.get((key.lower(), len(key)))
        if k is not None:
            return table[k]
    return None
