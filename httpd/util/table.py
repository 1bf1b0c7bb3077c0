"""apr_table_get for the request's dicts (notes, subprocess_env), whose names Apache's
tables compare case-insensitively."""
from __future__ import annotations

from typing import Optional


def table_get(table: dict, key: str) -> Optional[str]:
    """apr_table_get on a dict: the exact key first, then case-insensitively."""
    value = table.get(key)
    if value is not None:
        return value
    if table:
        low, n = key.lower(), len(key)
        # one pass in C over every name first (most lookups find nothing), then the
        # Python scan only when some name is equal case-insensitively
        if f"\0{low}\0" not in f"\0{chr(0).join(table).lower()}\0":
            return None
        for k in table:         # (keys alone: no pair to unpack for every entry)
            if len(k) == n and k.lower() == low:    # (the length first: no lower())
                return table[k]
    return None
