"""apr_table_get on the request's dicts (httpd/util/table.py)."""
from __future__ import annotations

import pytest

from httpd.util.table import table_get


def test_names_are_case_insensitive():
    env = {"NoKeepAlive": "", "a": "1"}
    assert table_get(env, "nokeepalive") == "" and table_get(env, "A") == "1"
    assert table_get(env, "a") == "1" and table_get(env, "b") is None and table_get({}, "x") is None


@pytest.mark.parametrize("table,key,expected", [
    ({"NoKeepAlive": "1", "HTTPS": "on"}, "nokeepalive", "1"),
    ({"nokeepalive": "1"}, "NOKEEPALIVE", "1"),
    ({"nokeepalivex": "1", "xnokeepalive": "2"}, "nokeepalive", None),   # no substring match
    ({"a": "1", "b": "2"}, "nokeepalive", None),
    ({"İx": "1"}, "i̇x", None),                 # lower() that changes the length
    ({"A": "", "a": "2"}, "a", "2"),
    ({}, "a", None),
])
def test_table_get_case_insensitive(table, key, expected):
    assert table_get(table, key) == expected


def _scan(table: dict, key: str):
    """table_get as it was written: the case-blind scan over the names, in order."""
    value = table.get(key)
    if value is not None:
        return value
    low, n = key.lower(), len(key)
    for k in table:
        if len(k) == n and k.lower() == low:
            return table[k]
    return None


def test_table_get_is_the_scan_over_the_names(monkeypatch):
    """The kept lowering of a table's names answers what the scan does, for tables
    that change between look-ups, and stays bounded."""
    from httpd.util import table as T
    monkeypatch.setattr(T, "_LOWERED", {})
    monkeypatch.setattr(T, "_LOWERED_MAX", 3)
    names = ["NoKeepAlive", "nokeepalive", "NOKEEPALIVE", "HTTP_X", "İx", "i̇x", "a", "A"]
    keys = ["nokeepalive", "NoKeepAlive", "http_x", "i̇x", "İX", "a", "A", "b"]
    import itertools
    for n in range(4):
        for combo in itertools.permutations(names, n):
            table = {k: str(i) for i, k in enumerate(combo)}
            for _ in range(2):
                for key in keys:
                    assert table_get(table, key) == _scan(table, key), (table, key)
    assert len(T._LOWERED) <= 3
