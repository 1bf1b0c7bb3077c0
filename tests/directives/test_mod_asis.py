"""mod_asis against real Apache: the same status line, Content-Type, Location, extra
fields and body for the same .asis files (httpd-tests' three and more)."""
from __future__ import annotations

import os

import pytest

from tests.e2e import servers as S

FILES = {
    "foo.asis": "Status: 200 OK\nContent-Type: text/html\n\nThis is asis content.\n",
    "forbid.asis": "Status: 403 No Such Luck, Mate\nContent-Type: text/html\n\n"
                   "This is a 403 response, lah di dah.\n",
    "notfound.asis": "Status: 404 No Such File, Mate\nContent-Type: text/html\n\n"
                     "This is a 404 response, lah di dah.\n",
    "crlf.asis": "Status: 201 Made\r\nContent-Type: text/plain\r\nX-Extra: yes\r\n\r\nbody\r\n",
    "local.asis": "Location: /foo.asis\n\nignored\n",
    "away.asis": "Status: 302 Found\nLocation: http://example.com/x\n\nsee there\n",
    "localredir.asis": "Status: 301 Moved\nLocation: /crlf.asis\n\n",
    "plain.asis": "Content-Type: text/plain\n\nno status line\n",
    "bad.asis": "Status: 200 OK\nthis is no header\n\nbody\n",
    "nohead.asis": "Content-Type: text/plain\nX-A: b\n",
    "empty.asis": "",
    "lastmod.asis": "Last-Modified: Tue, 01 Jan 2030 00:00:00 GMT\n\nlm\n",
}

CASES = [("GET", n) for n in sorted(FILES)] + [
    ("HEAD", "foo.asis"), ("POST", "foo.asis"), ("GET", "missing.asis"),
    ("GET", "typed.txt")]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None or not os.path.exists(f"{S.MODDIR}/mod_asis.so"):
        pytest.skip("apache2 with mod_asis is needed")
    root = tmp_path_factory.mktemp("asis")
    docs = root / "docs"
    docs.mkdir()
    for name, text in FILES.items():
        (docs / name).write_bytes(text.encode())
    (docs / "typed.txt").write_text("Status: 202 Typed\nContent-Type: text/plain\n\nt\n")
    body = (f"LoadModule asis_module {S.MODDIR}/mod_asis.so\nDocumentRoot {docs}\n"
            "<Directory />\nRequire all granted\n</Directory>\n"
            f"<Directory {docs}>\nAddHandler send-as-is asis\n</Directory>\n"
            "<Files typed.txt>\nForceType httpd/send-as-is\n</Files>\n")
    servers = S.start_pair(root, body, modules=("authz_core", "mime"))
    yield servers
    S.stop_pair(servers)


def _ask(server, method, name):
    extra = "Content-Length: 0\r\n" if method == "POST" else ""
    data, _ = S.raw_request(server.port, (f"{method} /{name} HTTP/1.1\r\nHost: localhost\r\n"
                                          f"{extra}Connection: close\r\n\r\n").encode())
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields.setdefault(k.strip().lower(), v.strip())
    keep = {k: fields.get(k) for k in ("content-type", "location", "x-extra",
                                       "content-length", "last-modified")}
    return lines[0], keep, body if not lines[0].split(" ")[1].startswith(("4", "5")) \
        or name.endswith(".asis") else b""


@pytest.mark.parametrize("method, name", CASES, ids=[f"{m} {n}" for m, n in CASES])
def test_same_answer(pair, method, name):
    ours, theirs = pair
    assert _ask(ours, method, name) == _ask(theirs, method, name)
