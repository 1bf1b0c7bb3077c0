"""File names that are not ASCII, as Apache serves them: a path is its bytes (the config
read as bytes, the URI's %-escapes decoded to bytes), whatever their encoding.  Both
servers on one config whose DocumentRoot, <Directory> and Alias name non-ASCII folders,
asked for UTF-8 names, a name in latin-1 bytes (not UTF-8), a .htaccess there, a
MultiViews variant and a CGI script: the same status and body."""
from __future__ import annotations

import os

import pytest

from tests.e2e import servers as S

UTF8 = "caf\u00e9".encode()             # b"caf\xc3\xa9"
LATIN1 = b"caf\xe9"


def _write(path: bytes, data: bytes, mode: int = 0o644) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None:
        pytest.skip("apache2 is needed")
    root = tmp_path_factory.mktemp("fsnames")
    base = os.fsencode(root)
    docs = base + b"/docs-" + UTF8                   # a DocumentRoot that is not ASCII
    _write(docs + b"/" + UTF8 + b".txt", b"utf-8 name\n")
    _write(docs + b"/" + LATIN1 + b".txt", b"latin-1 name\n")
    _write(docs + b"/dir-" + UTF8 + b"/index.html", b"<p>index</p>\n")
    _write(docs + b"/dir-" + UTF8 + b"/.htaccess", b"Header set X-Ht yes\n")
    _write(docs + b"/dir-" + UTF8 + b"/page.html", b"<p>page</p>\n")
    _write(docs + b"/neg/" + UTF8 + b".html", b"<p>negotiated</p>\n")
    _write(docs + b"/denied-" + UTF8 + b"/x.txt", b"no\n")
    _write(base + b"/alias-" + UTF8 + b"/a.txt", b"aliased\n")
    _write(docs + b"/cgi/" + UTF8 + b".cgi",
           b"#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nscript %s\\n' \"$SCRIPT_NAME\"\n",
           0o755)
    for dirpath, dirnames, _ in os.walk(base):
        os.chmod(dirpath, 0o755)
    # the config file holds the paths' UTF-8 bytes (write_config writes UTF-8)
    d, a = os.fsdecode(docs), os.fsdecode(base + b"/alias-" + UTF8)
    body = (f"LoadModule headers_module {S.MODDIR}/mod_headers.so\n"
            f"LoadModule negotiation_module {S.MODDIR}/mod_negotiation.so\n"
            f"LoadModule cgi_module {S.MODDIR}/mod_cgi.so\n"
            f"DocumentRoot \"{d}\"\nDirectoryIndex index.html\n"
            "<Directory />\nAllowOverride None\nRequire all granted\n</Directory>\n"
            f"<Directory \"{d}/dir-caf\u00e9\">\nAllowOverride FileInfo\n</Directory>\n"
            f"<Directory \"{d}/denied-caf\u00e9\">\nRequire all denied\n</Directory>\n"
            f"<Directory \"{d}/neg\">\nOptions +MultiViews\n</Directory>\n"
            f"<Directory \"{d}/cgi\">\nOptions +ExecCGI\nAddHandler cgi-script .cgi\n"
            "</Directory>\n"
            f"Alias /al \"{a}\"\n")
    servers = S.start_pair(root, body, modules=("authz_core", "mime", "dir", "alias"))
    yield servers
    S.stop_pair(servers)


PATHS = ["/caf%C3%A9.txt", "/caf%E9.txt", "/caf%c3%a9.txt", "/caf%C3%A9.TXT",
         "/dir-caf%C3%A9/", "/dir-caf%C3%A9", "/dir-caf%C3%A9/page.html",
         "/denied-caf%C3%A9/x.txt", "/neg/caf%C3%A9", "/al/a.txt", "/al-caf%C3%A9/a.txt",
         "/cgi/caf%C3%A9.cgi", "/missing-caf%C3%A9.txt"]


@pytest.mark.parametrize("path", PATHS)
def test_same_answer(pair, path):
    ours, theirs = pair
    raw = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    a, b = S.answer(ours, raw), S.answer(theirs, raw)
    keep = ("x-ht", "location", "content-type")
    assert (a[0], {k: a[1].get(k) for k in keep}) == (b[0], {k: b[1].get(k) for k in keep})
    if a[0] == 200:
        assert a[2] == b[2]
