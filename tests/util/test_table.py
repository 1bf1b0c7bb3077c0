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
