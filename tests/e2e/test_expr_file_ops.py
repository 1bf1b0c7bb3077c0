"""ap_expr's file and URL tests (util_expr_eval.c's unary operators), against Apache.

-F is op_file_subr: ap_sub_req_lookup_file answered below 300 and the file exists; -U
and -A are op_url_subr: ap_sub_req_lookup_uri answered below 400 (a subrequest runs no
handler, so a missing file under an allowed URL is still "there").  -d -e -f -s follow
links; -L and -h look at the link itself, and so does -x (APR_FINFO_LINK: a link's own
mode is 0777).  Each operator is asked through mod_headers' ``expr=`` condition, and
-F/-U once more in an ``<If>``.
"""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from .servers import APACHE, answer, start_pair, stop_pair

MODULES = ("authz_core", "mime", "dir", "alias", "headers")


def make_docs(root: Path) -> Path:
    docs = root / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "open").mkdir()
    (docs / "f.txt").write_text("file\n")
    (docs / "empty").write_text("")
    (docs / "sub" / "a.txt").write_text("a\n")
    (docs / "exe").write_text("#!/bin/sh\n")
    (docs / "exe").chmod(0o755)
    os.symlink(docs / "f.txt", docs / "link")
    os.symlink(docs / "zz", docs / "dangling")
    return docs


# header name -> the condition; {d} is the DocumentRoot
TESTS = {
    "F-file": "-F '{d}/f.txt'", "F-dir": "-F '{d}/open'", "F-missing": "-F '{d}/nope'",
    "F-denied": "-F '{d}/sub/a.txt'", "F-relative": "-F 'f.txt'", "F-link": "-F '{d}/link'",
    "F-dangling": "-F '{d}/dangling'",
    "U-file": "-U '/f.txt'", "U-missing": "-U '/nope'", "U-denied": "-U '/sub/a.txt'",
    "U-denied-dir": "-U '/sub'", "U-redirect": "-U '/redir'", "U-gone": "-U '/gone'",
    "A-file": "-A '/f.txt'", "A-denied": "-A '/sub/a.txt'",
    "d-dir": "-d '{d}'", "d-file": "-d '{d}/f.txt'", "e-file": "-e '{d}/f.txt'",
    "e-missing": "-e '{d}/nope'", "e-dangling": "-e '{d}/dangling'",
    "f-dir": "-f '{d}'", "f-file": "-f '{d}/f.txt'", "f-link": "-f '{d}/link'",
    "s-empty": "-s '{d}/empty'", "s-file": "-s '{d}/f.txt'",
    "L-link": "-L '{d}/link'", "h-link": "-h '{d}/link'", "L-file": "-L '{d}/f.txt'",
    "L-dangling": "-L '{d}/dangling'", "x-link": "-x '{d}/link'",
    "x-file": "-x '{d}/f.txt'", "x-exe": "-x '{d}/exe'", "x-missing": "-x '{d}/nope'",
}
# Apache 2.4.71's answers (True: the condition held)
APACHE_SAYS = {
    "F-file": True, "F-dir": False, "F-missing": False, "F-denied": False,
    "F-relative": True, "F-link": True, "F-dangling": False,
    "U-file": True, "U-missing": True, "U-denied": False, "U-denied-dir": False,
    "U-redirect": True, "U-gone": False, "A-file": True, "A-denied": False,
    "d-dir": True, "d-file": False, "e-file": True, "e-missing": False,
    "e-dangling": False, "f-dir": False, "f-file": True, "f-link": True,
    "s-empty": False, "s-file": True, "L-link": True, "h-link": True, "L-file": False,
    "L-dangling": True, "x-link": True, "x-file": False, "x-exe": True, "x-missing": False,
}


def config(docs: Path) -> str:
    lines = [f'Header always set X-{name} y "expr={cond.format(d=docs)}"'
             for name, cond in TESTS.items()]
    return textwrap.dedent(f"""\
        DocumentRoot {docs}
        <Directory {docs}>
        Require all granted
        </Directory>
        <Directory {docs}/sub>
        Require all denied
        </Directory>
        Redirect /redir /f.txt
        Redirect gone /gone
        <Location /if-u>
        <If "-U '/f.txt'">
        Header always set X-If-U yes
        </If>
        <If "-U '/sub/a.txt'">
        Header always set X-If-U-denied yes
        </If>
        </Location>
        """) + "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("expr-file-ops")
    docs = make_docs(root)
    servers = start_pair(root, config(docs), modules=MODULES)
    yield docs, servers
    stop_pair(servers)


def held(server, path: str = "/f.txt") -> dict:
    _, fields, _ = answer(server, f"GET {path} HTTP/1.1\r\nHost: localhost\r\n"
                                  "Connection: close\r\n\r\n")
    return {name: fields.get(f"x-{name}".lower()) == "y" for name in TESTS}


@pytest.mark.parametrize("path", ["/f.txt", "/nope"])
def test_pinned(pair, path):
    docs, (ours, _) = pair
    assert held(ours, path) == APACHE_SAYS


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")
@pytest.mark.parametrize("path", ["/f.txt", "/nope", "/sub/a.txt"])
def test_same_as_apache(pair, path):
    docs, (ours, theirs) = pair
    assert held(ours, path) == held(theirs, path)


def test_url_test_in_if(pair):
    docs, (ours, theirs) = pair
    for server in (ours, theirs):
        if server is None:
            continue
        _, fields, _ = answer(server, "GET /if-u/x HTTP/1.1\r\nHost: localhost\r\n"
                                      "Connection: close\r\n\r\n")
        assert (fields.get("x-if-u"), fields.get("x-if-u-denied")) == ("yes", None), \
            server.kind


def test_file_test_in_if_has_a_recursion_guard(tmp_path):
    """``<If "-F file">`` at server level: every file subrequest walks the same <If>;
    Apache has no guard for -F, recurses to the subrequest limit and its child crashes
    (no answer).  Here -F is false inside a subrequest for the same file, as Apache's
    own guard makes -U: the request is answered, nothing hits the limit."""
    from .servers import start_httpd
    docs = make_docs(tmp_path)
    body = (f"DocumentRoot {docs}\n<Directory {docs}>\nRequire all granted\n</Directory>\n"
            f"<If \"-F '{docs}/f.txt'\">\nHeader always set X-If-F yes\n</If>\n")
    server = start_httpd(tmp_path, body, modules=MODULES)
    try:
        for path, status in (("/f.txt", 200), ("/nope", 404)):
            got, fields, _ = answer(server, f"GET {path} HTTP/1.1\r\nHost: localhost\r\n"
                                            "Connection: close\r\n\r\n")
            assert (got, fields.get("x-if-f")) == (status, "yes")
        assert "AH00125" not in server.error_log
    finally:
        server.stop()
