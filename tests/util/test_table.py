"""apr_table_get on the request's dicts (httpd/util/table.py)."""
from __future__ import annotations

from httpd.util.table import table_get


def test_names_are_case_insensitive():
    env = {"NoKeepAlive": "", "a": "1"}
    assert table_get(env, "nokeepalive") == "" and table_get(env, "A") == "1"
    assert table_get(env, "a") == "1" and table_get(env, "b") is None and table_get({}, "x") is None
