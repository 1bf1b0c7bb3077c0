"""ap_is_url, ap_os_escape_path and ap_escape_uri (httpd/util/uri.py), as server/util.c."""
from __future__ import annotations

import pytest

from httpd.util.uri import is_url


@pytest.mark.parametrize("u,url", [
    ("http://x", True), ("mailto:a@b", True), ("x+y.z-1:", True), ("A1:", True),
    ("a@b", False), (":x", False), ("/x", False), ("a b:c", False), ("", False),
    # apr_isalnum in the C locale: letters and digits are ASCII only
    ("\xe9:x", False), ("\xb2:x", False), ("\u0663:x", False),
])
def test_is_url(u, url):
    assert is_url(u) is url
