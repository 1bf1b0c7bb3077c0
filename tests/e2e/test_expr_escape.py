"""ap_expr's escape() and unescape(), against real Apache.

escape_func is ap_escape_uri (ap_os_escape_path, partial): every character outside
alnum and ``$-_.+!*'(),:;@&=/~`` becomes ``%`` and two lower-case hex digits (c2x), so
``?`` is ``%3f``.  unescape_func is ap_unescape_url_keep2f(s, 0): an encoded slash stays
as written; a bad escape or an encoded NUL makes the result empty.  The same
ap_escape_uri writes mod_alias's and mod_dir's redirect targets
(tests/e2e/test_redirect_forms.py pins a ``;`` there).
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .servers import APACHE, answer, start_pair, stop_pair

MODULES = ("authz_core", "mime", "headers")


def config(root: Path) -> str:
    docs = root / "docs"
    docs.mkdir()
    (docs / "f.txt").write_text("f\n")
    return textwrap.dedent(f"""\
        DocumentRoot {docs}
        <Directory {docs}>
        Require all granted
        </Directory>
        Header always set X-Escape-Query "expr=%{{escape:%{{QUERY_STRING}}}}"
        Header always set X-Unescape-Query "expr=%{{unescape:%{{QUERY_STRING}}}}"
        Header always set X-Escape-Ref "expr=%{{escape:%{{HTTP_REFERER}}}}"
        Header always set X-Unescape-Ref "expr=%{{unescape:%{{HTTP_REFERER}}}}"
        """)


# (query, Referer) -> Apache 2.4.71's four fields, in the order above
PINNED = {
    ("%C3%A9%3F%3f%2f%2F", None): ("%25C3%25A9%253F%253f%252f%252F", "\xc3\xa9??%2f%2F",
                                   "", ""),
    ("%zz", None): ("%25zz", "", "", ""),
    ("%00x", None): ("%2500x", "", "", ""),
    ("abc%", None): ("abc%25", "", "", ""),
    ("%41%4a%4A", None): ("%2541%254a%254A", "AJJ", "", ""),
    ("x%25y", None): ("x%2525y", "x%y", "", ""),
    ("~$-_.+!*'(),:;@&=/", None): ("~$-_.+!*'(),:;@&=/", "~$-_.+!*'(),:;@&=/", "", ""),
    ("", 'a b?c#d%e/f~g"h<>[]{}|^`;'): (
        "", "", "a%20b%3fc%23d%25e/f~g%22h%3c%3e%5b%5d%7b%7d%7c%5e%60;", ""),
    ("", "\xe9?"): ("", "", "%e9%3f", "\xe9?"),
    ("", "%2f%2F%41"): ("", "", "%252f%252F%2541", "%2f%2FA"),
    ("", "A-Z"): ("", "", "A-Z", "A-Z"),
}
NAMES = ("x-escape-query", "x-unescape-query", "x-escape-ref", "x-unescape-ref")


def request(query: str, referer) -> str:
    target = f"/f.txt?{query}" if query else "/f.txt"
    ref = f"Referer: {referer}\r\n" if referer is not None else ""
    return f"GET {target} HTTP/1.1\r\nHost: localhost\r\n{ref}Connection: close\r\n\r\n"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("expr-escape")
    servers = start_pair(root, config(root), modules=MODULES)
    yield servers
    stop_pair(servers)


def fields(server, case) -> tuple:
    status, got, _ = answer(server, request(*case))
    assert status == 200
    return tuple(got.get(n, "") for n in NAMES)


@pytest.mark.parametrize("case", list(PINNED), ids=[repr(c) for c in PINNED])
def test_pinned(pair, case):
    assert fields(pair[0], case) == PINNED[case]


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")
@pytest.mark.parametrize("case", list(PINNED) + [("%7e%7E%2e", None), ("", "%zz%41"),
                                                 ("", "x%00"), ("", "\t")],
                         ids=lambda c: repr(c))
def test_same_as_apache(pair, case):
    ours, theirs = pair
    assert fields(ours, case) == fields(theirs, case)


def test_escape_unit():
    from httpd.expr.eval import unescape_url_keep2f
    from httpd.util.uri import escape_uri
    assert escape_uri("a?b c\x7f\xff;") == "a%3fb%20c%7f%ff;"
    assert unescape_url_keep2f("%2F%2f%3F%3f") == "%2F%2f??"
    assert unescape_url_keep2f("%G1") == unescape_url_keep2f("a%00") == ""
