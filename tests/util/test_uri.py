"""ap_is_url, ap_os_escape_path and ap_escape_uri (httpd/util/uri.py), as server/util.c."""
from __future__ import annotations

import pytest

from httpd.util.uri import escape_uri, is_url, os_escape_path


@pytest.mark.parametrize("u,url", [
    ("http://x", True), ("mailto:a@b", True), ("x+y.z-1:", True), ("A1:", True),
    ("a@b", False), (":x", False), ("/x", False), ("a b:c", False), ("", False),
    # apr_isalnum in the C locale: letters and digits are ASCII only
    ("\xe9:x", False), ("\xb2:x", False), ("\u0663:x", False),
])
def test_is_url(u, url):
    assert is_url(u) is url


@pytest.mark.parametrize("path,escaped", [
    ("a b", "a%20b"), ("x:y", "./x:y"), ("d/x:y", "d/x:y"), ("<&>", "%3c&%3e"),
    ("caf\xe9", "caf%e9"), ("$-_.+!*'(),:;@&=/~", "./$-_.+!*'(),:;@&=/~"),
    ("/a;b", "/a;b"),                    # ';' is no T_OS_ESCAPE_PATH character
    ("?#%\"", "%3f%23%25%22"),           # c2x writes lower-case hex
    ("\u20ac", "%e2%82%ac"),             # no byte: its UTF-8 bytes
])
def test_os_escape_path(path, escaped):
    assert os_escape_path(path) == escaped


def test_escape_uri_is_the_partial_form():
    """ap_escape_uri(p, path) is ap_os_escape_path(p, path, 1): no ./ prefix."""
    assert escape_uri("/a b/%/~x/\xe9") == "/a%20b/%25/~x/%e9"
    assert escape_uri("x:y;z") == "x:y;z"


def test_the_expression_function_escape_is_escape_uri():
    """util_expr_eval.c escape_func calls ap_escape_uri: apache2 2.4 gives ``x;y`` for
    %{escape:%{QUERY_STRING}} on ?x;y."""
    from httpd import expr
    from httpd.expr.eval import EvalContext

    class Request(EvalContext):
        def request_var(self, name):
            return {"QUERY_STRING": "x;y \xe9"}.get(name, "")

    assert expr.parse("%{escape:%{QUERY_STRING}}", string=True).str_exec(Request()) == \
        "x;y%20%e9"
