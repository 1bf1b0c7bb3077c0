"""SetEnvIfExpr's $0..$9, against real Apache (mod_setenvif.c match_headers).

ap_expr_exec_re points the source at the subject of the last capturing regex it
evaluates, or at NULL when that regex did not match; mod_setenvif then substitutes
$0..$9 only while a source is left.  So an expression that is true through ``!~`` (the
regex did not match) sets its values as written, ``$1`` and all; one true through a
matching ``=~`` substitutes its groups.

Not compared: a SetEnvIfExpr whose expression evaluates no capturing regex (``true``,
or an ``||`` that never reaches its regex) substitutes from Apache's regmatch array as
the previous lines left it, or uninitialised on the first line -- Apache then answers
500 (AH01505) or copies bytes beyond the subject; this server substitutes from the last
capturing match instead.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .servers import APACHE, answer, start_pair, stop_pair

MODULES = ("authz_core", "mime", "headers", "setenvif", "env")

LINES = {
    "A": r'"%{REQUEST_URI} !~ m|^/nomatch(.*)|" X_A=$0/$1/\$2',
    "B": r'"%{REQUEST_URI} =~ m|^/(f)\.txt|" X_B=$0-$1',
    "C": r'"%{REQUEST_URI} !~ m|^/(f)\.txt|" X_C=$0-$1',
    "D": r'"%{REQUEST_URI} !~ /zz(z)/ && %{REQUEST_URI} =~ /(t)xt/" X_D=$0-$1',
    "E": r'"%{REQUEST_URI} =~ /(t)xt/ && %{REQUEST_URI} !~ /zz(z)/" X_E=$0-$1',
    "F": r'"!(%{REQUEST_URI} =~ /q(q)q/)" X_F=$0-$1',
    "G": "\"%{QUERY_STRING} == 'never' || %{REQUEST_URI} !~ /y(y)y/\" X_G=$1",
    "I": r'"%{HTTP:X-In} !~ /^(a)(b)?$/" X_I=[$1$2]',
    "J": r'"%{HTTP:X-In} =~ /^(a)(b)?$/" X_J=[$1$2]',
}


def config(root: Path) -> str:
    docs = root / "docs"
    docs.mkdir()
    (docs / "f.txt").write_text("f\n")
    body = "".join(f"SetEnvIfExpr {line}\n" for line in LINES.values())
    body += "".join(f"Header always set X-{k} %{{X_{k}}}e\n" for k in LINES)
    return textwrap.dedent(f"""\
        DocumentRoot {docs}
        <Directory {docs}>
        Require all granted
        </Directory>
        """) + body


# (path, X-In) -> Apache 2.4.71's X-A .. X-J ("(null)": the variable was not set)
PINNED = {
    ("/f.txt", "a"): ("$0/$1/\\$2", "/f.txt-f", "(null)", "txt-t", "$0-$1", "$0-$1", "$1",
                      "(null)", "[a]"),
    ("/nomatchzz", "zz"): ("(null)", "(null)", "$0-$1", "(null)", "(null)", "$0-$1", "$1",
                           "[$1$2]", "(null)"),
}


def request(path: str, x_in: str) -> str:
    return (f"GET {path} HTTP/1.1\r\nHost: localhost\r\nX-In: {x_in}\r\n"
            "Connection: close\r\n\r\n")


def values(server, path: str, x_in: str) -> tuple:
    _, fields, _ = answer(server, request(path, x_in))
    return tuple(fields.get(f"x-{k.lower()}") for k in LINES)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("setenvif-expr")
    servers = start_pair(root, config(root), modules=MODULES)
    yield servers
    stop_pair(servers)


@pytest.mark.parametrize("case", list(PINNED))
def test_pinned(pair, case):
    assert values(pair[0], *case) == PINNED[case]


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")
@pytest.mark.parametrize("case", list(PINNED) + [("/f.txt", "ab"), ("/q", "b"),
                                                 ("/yyy", "")])
def test_same_as_apache(pair, case):
    ours, theirs = pair
    assert values(ours, *case) == values(theirs, *case)
