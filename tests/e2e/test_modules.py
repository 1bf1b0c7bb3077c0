"""End to end: httpd -X and apache2 on one config, real HTTP on 127.0.0.1.

Directory listings must be the same bytes (the signature names each server); the
Header/RequestHeader/SetEnvIf results must be the same fields once the response writer
applies mod_headers (``mod_headers.apply_response_headers``).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e import servers as S

MODULES = ("authz_core", "mime", "dir", "alias", "autoindex", "headers", "env", "setenvif")
OLD = 1700000000


def make_docs(root: Path) -> Path:
    docs = root / "docs"
    for d in ("sub", "fancy/inner", "table"):
        (docs / d).mkdir(parents=True, exist_ok=True)
    files = {"a.txt": "hi", "b.html": "<title>B</title>", "fancy/x.gz": "z" * 3000,
             "fancy/README.txt": "read <me>", "table/v-1.10": "", "table/v-1.9": "",
             "sub/deep.c": "int x;"}
    for name, text in files.items():
        (docs / name).write_text(text)
    for p in sorted(docs.rglob("*"), reverse=True):
        os.utime(p, (OLD, OLD))
    os.utime(docs, (OLD, OLD))
    return docs


def config(docs: Path) -> str:
    return f"""DocumentRoot {docs}
<Directory {docs}>
Options Indexes
Require all granted
</Directory>
<Directory {docs}/fancy>
IndexOptions FancyIndexing ScanHTMLTitles
ReadmeName README.txt
AddDescription "gzipped" .gz
</Directory>
<Directory {docs}/table>
IndexOptions FancyIndexing HTMLTable VersionSort
</Directory>
AddIconByType (TXT,/icons/text.gif) text/*
AddIcon /icons/folder.gif ^^DIRECTORY^^
AddEncoding x-gzip .gz
AddIconByEncoding (CMP,/icons/compressed.gif) x-gzip
SetEnvIf Request_URI ^/(\\w+) FIRST_SEG=$1
Header set X-Seg %{{FIRST_SEG}}e
Header always set X-Always yes
RequestHeader set X-Req 1
Header echo ^X-Req
"""


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None:
        pytest.skip("apache2 is not installed")
    root = tmp_path_factory.mktemp("e2e-modules")
    docs = make_docs(root)
    env = {"TZ": "UTC"}
    for name in ("ours", "theirs"):
        (root / name).mkdir()
    ours = S.start_httpd(root / "ours", config(docs), env=env, modules=MODULES)
    try:
        theirs = S.start_apache(root / "theirs", config(docs), env=env, modules=MODULES)
    except Exception:
        ours.stop()
        raise
    yield ours, theirs
    ours.stop()
    theirs.stop()


def fetch(server, path: str, method: str = "GET"):
    data, _ = S.raw_request(server.port, f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
                                         "Connection: close\r\n\r\n".encode())
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = [tuple(line.split(": ", 1)) for line in lines[1:]]
    return lines[0], fields, body


def banner(fields) -> str:
    return dict(fields)["Server"]


@pytest.mark.parametrize("path", ["/", "/?C=M;O=D", "/sub/", "/fancy/", "/fancy/?C=D;O=A",
                                  "/table/", "/table/?F=1;V=0", "/fancy/?P=*.gz&F=0"])
def test_listing_same_bytes(pair, path):
    ours, theirs = pair
    s1, f1, b1 = fetch(ours, path)
    s2, f2, b2 = fetch(theirs, path)
    assert s1 == s2
    assert dict(f1).get("Content-Type") == dict(f2).get("Content-Type")
    assert b1 == b2.replace(banner(f2).encode(), banner(f1).encode())


def test_head_listing(pair):
    ours, theirs = pair
    s1, f1, b1 = fetch(ours, "/fancy/", "HEAD")
    s2, f2, b2 = fetch(theirs, "/fancy/", "HEAD")
    assert (s1, b1, dict(f1).get("Content-Type")) == (s2, b2, dict(f2).get("Content-Type"))


@pytest.mark.parametrize("path", ["/sub/", "/nope"])
def test_header_directives_same_fields(pair, path):
    ours, theirs = pair
    s1, f1, _ = fetch(ours, path)
    s2, f2, _ = fetch(theirs, path)
    assert "X-Always" in dict(f1)
    assert s1 == s2
    assert [f for f in f1 if f[0].startswith("X-")] == [f for f in f2 if f[0].startswith("X-")]
