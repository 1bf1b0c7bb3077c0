"""apr_fnmatch_test (httpd/util/fnmatch.py)."""
from __future__ import annotations

import pytest

from httpd.util.fnmatch import fnmatch_test


@pytest.mark.parametrize("pattern,wild", [
    ("/srv/www", False), ("/srv/*", True), ("a?b", True), ("a[bc]", True),
    ("a[bc", False), ("a]b", False),              # '[' counts only when ']' closes it
    ("a\\*", False), ("a\\?b", False),            # a backslash takes the next character
    ("a[\\]", False), ("a[\\]]", True), ("a\\", False), ("", False),
])
def test_fnmatch_test(pattern, wild):
    assert fnmatch_test(pattern) is wild
