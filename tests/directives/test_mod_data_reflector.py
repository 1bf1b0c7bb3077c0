"""mod_data and mod_reflector against real Apache (httpd-tests' data.t and
reflector.t configs, and more): the same data: URL for the same files, the same
reflected body and fields, through DEFLATE too."""
from __future__ import annotations

import gzip
import os
import random

import pytest

from tests.e2e import servers as S


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None or not all(os.path.exists(f"{S.MODDIR}/mod_{m}.so")
                                   for m in ("data", "reflector", "deflate")):
        pytest.skip("apache2 with mod_data, mod_reflector and mod_deflate is needed")
    root = tmp_path_factory.mktemp("datarefl")
    docs = root / "docs"
    (docs / "data").mkdir(parents=True)
    rnd = random.Random(5)
    (docs / "data" / "img.png").write_bytes(bytes(rnd.randrange(256) for _ in range(1000)))
    (docs / "data" / "one.png").write_bytes(b"x")
    (docs / "data" / "two.png").write_bytes(b"xy")
    (docs / "data" / "empty.png").write_bytes(b"")
    (docs / "data" / "page.html").write_text("<p>caf\u00e9</p>\n")
    (docs / "data" / "big.bin").write_bytes(bytes(rnd.randrange(256) for _ in range(200_000)))
    body = f"""
LoadModule data_module {S.MODDIR}/mod_data.so
LoadModule reflector_module {S.MODDIR}/mod_reflector.so
LoadModule deflate_module {S.MODDIR}/mod_deflate.so
TraceEnable off
DocumentRoot {docs}
<Directory />
    Require all granted
</Directory>
<Directory {docs}/data>
    SetOutputFilter DATA
</Directory>
<Files page.html>
    ForceType "text/html; charset=utf-8"
</Files>
<Location /apache/reflector_nodeflate/>
    SetHandler reflector
    ReflectorHeader header2reflect
    ReflectorHeader header2update header2updateUpdated
</Location>
<Location /apache/reflector_deflate/>
    SetHandler reflector
    SetOutputFilter DEFLATE
    ReflectorHeader header2reflect
    ReflectorHeader header2update header2updateUpdated
</Location>
"""
    servers = S.start_pair(root, body, modules=("authz_core", "mime"))
    yield servers
    S.stop_pair(servers)


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        n = int(size.split(b";")[0], 16)
        if n == 0:
            break
        out += rest[:n]
        body = rest[n + 2:]
    return out


def _ask(server, raw: bytes):
    data, _ = S.raw_request(server.port, raw, wait=2.0)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields.setdefault(k.strip().lower(), v.strip())
    if "chunked" in fields.get("transfer-encoding", ""):
        body = _dechunk(body)
    if fields.get("content-encoding") == "gzip" and body:
        body = gzip.decompress(body)
    return int(lines[0].split(" ")[1]), fields, body


@pytest.mark.parametrize("name", ["img.png", "one.png", "two.png", "empty.png", "page.html",
                                  "big.bin", "missing.png"])
def test_data_urls(pair, name):
    ours, theirs = pair
    raw = f"GET /data/{name} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    a, b = _ask(ours, raw), _ask(theirs, raw)
    assert a[0] == b[0]
    assert a[1].get("content-type") == b[1].get("content-type")
    if a[0] == 200:
        assert a[2] == b[2]
        if name != "big.bin":
            assert a[1].get("content-length") == b[1].get("content-length")


REFLECT = [("POST", "/apache/reflector_nodeflate/", "Text that will not reach the DEFLATE "
            "filter"), ("POST", "/apache/reflector_deflate/", "Text that should be gzipped"),
           ("GET", "/apache/reflector_nodeflate/", ""), ("OPTIONS", "/apache/reflector_deflate/", ""),
           ("PUT", "/apache/reflector_nodeflate/", "x"), ("POST", "/apache/reflector_nodeflate/", ""),
           ("POST", "/apache/reflector_nodeflate/", "y" * 70000)]


@pytest.mark.parametrize("method, path, text", REFLECT,
                         ids=[f"{m} {p} {len(t)}" for m, p, t in REFLECT])
def test_reflector(pair, method, path, text):
    ours, theirs = pair
    raw = (f"{method} {path} HTTP/1.1\r\nHost: x\r\nheader2reflect: 1\r\nheader2update: 1\r\n"
           "header2delete: 1\r\nAccept-Encoding: gzip\r\nContent-Type: text/x-mine\r\n"
           f"Content-Length: {len(text)}\r\nConnection: close\r\n\r\n{text}").encode()
    a, b = _ask(ours, raw), _ask(theirs, raw)
    keep = ("content-type", "content-encoding", "header2reflect", "header2update",
            "header2updateupdated", "header2delete", "accept-ranges", "vary")
    assert (a[0], {k: a[1].get(k) for k in keep}, a[2]) == \
        (b[0], {k: b[1].get(k) for k in keep}, b[2])
    allow_a, allow_b = a[1].get("allow"), b[1].get("allow")
    assert sorted((allow_a or "").split(",")) == sorted((allow_b or "").split(","))
