"""mod_speling against real Apache: the same status, Location and page for the same
misspelt requests (httpd-tests' speling.t cases and more), with CheckCaseOnly off and
on, CheckBasenameMatch off, and the query, path info and Referer kept as Apache keeps
them."""
from __future__ import annotations

import os

import pytest

from tests.e2e import servers as S

NAMES = ["good.wrong_ext", "GOOD.wrong_ext", "good.html", "god.html", "goood.html",
         "godo.html", "go_d.html", "Bad.html", "dogo.html", "XooX.html", "several0.html",
         "GOOD.html", "good", "Good", "gOOd.HTML", "x", "sub/good.html", "good.html/more",
         "god.html/more/x", "god.html?a=1&b", "several0.html?q", "goodd.html",
         "ood.html", "several.html", "SEVERAL1.HTML", "good.htm", "data.tar.gz",
         "data.tar", "DATA", "spaced%20namee.txt", "%C3%A9t%C3%A9.txt",
         "%E9t%E9.txt", "%C3%89t%C3%A9.txt", "%C3%A9t%C3%A9e.txt"]
DIRS = ["nocase", "caseonly", "nobase"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None or not os.path.exists(f"{S.MODDIR}/mod_speling.so"):
        pytest.skip("apache2 with mod_speling is needed")
    root = tmp_path_factory.mktemp("speling")
    docs = root / "docs"
    for d in DIRS:
        for name in ("good.html", "several1.html", "several2.html", "data.tar.gz",
                     "spaced name.txt", "\u00e9t\u00e9.txt", b"\xe9t\xe9.txt"):
            (docs / d).mkdir(parents=True, exist_ok=True)
            # a UTF-8 name and one in latin-1 bytes (not UTF-8)
            path = os.path.join(os.fsencode(docs / d), name if isinstance(name, bytes)
                                else name.encode())
            with open(path, "w") as f:
                f.write("x\n")
        (docs / d / "sub").mkdir()
        (docs / d / "sub" / "Good.html").write_text("sub\n")
    body = (f"LoadModule speling_module {S.MODDIR}/mod_speling.so\nDocumentRoot {docs}\n"
            "<Directory />\nRequire all granted\n</Directory>\n"
            f"<Directory {docs}/nocase>\nCheckSpelling on\n</Directory>\n"
            f"<Directory {docs}/caseonly>\nCheckSpelling on\nCheckCaseOnly on\n</Directory>\n"
            f"<Directory {docs}/nobase>\nCheckSpelling on\nCheckBasenameMatch off\n"
            "</Directory>\n")
    servers = S.start_pair(root, body, modules=("authz_core", "mime"))
    yield servers
    S.stop_pair(servers)


def _ask(server, path, extra=""):
    status, fields, body = S.answer(server, f"GET {path} HTTP/1.1\r\nHost: localhost\r\n"
                                            f"{extra}Connection: close\r\n\r\n")
    page = body if status == 300 else b""
    return status, fields.get("location"), page


@pytest.mark.parametrize("d", DIRS)
def test_same_answers(pair, d):
    ours, theirs = pair
    for name in NAMES:
        path = f"/{d}/{name}"
        assert _ask(ours, path) == _ask(theirs, path), path
    ref = "Referer: http://example.com/<page>\r\n"
    for name in ("several0.html", "god.html", "good.wrong_ext"):
        path = f"/{d}/{name}"
        assert _ask(ours, path, ref) == _ask(theirs, path, ref), path


def test_only_get(pair):
    ours, theirs = pair
    for method in ("HEAD", "POST"):
        raw = (f"{method} /nocase/god.html HTTP/1.1\r\nHost: localhost\r\n"
               "Content-Length: 0\r\nConnection: close\r\n\r\n")
        assert S.answer(ours, raw)[0] == S.answer(theirs, raw)[0]
