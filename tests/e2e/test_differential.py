"""The same config and DocumentRoot served by real Apache and by httpd, side by side.

For each request the two answers must agree on status, Content-Type, Content-Length,
ETag, Last-Modified, Accept-Ranges, Location (ports normalised) and body.  Date and
Server differ by design; so does anything that names the server (signatures are off).
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from tests.e2e.servers import APACHE, raw_request, start_apache, start_httpd

pytestmark = pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary "
                                                      "(apt-get install apache2)")

MODULES = ("authz_core", "authz_host", "mime", "dir", "alias", "autoindex")
COMPARED = ("content-type", "content-length", "etag", "last-modified", "accept-ranges",
            "location", "content-range", "allow", "vary", "content-encoding",
            "content-language")


def make_tree(root: Path) -> Path:
    docs = root / "htdocs"
    for d in ("sub", "noindex", "denied", "etag-none", "etag-mtime", "etag-all", "alias-target",
              "with space", "plain"):
        (docs / d).mkdir(parents=True, exist_ok=True)
    files = {
        "index.html": "<html><body>index</body></html>\n",
        "hello.txt": "hello\n",
        "page.html": "<p>page</p>\n",
        "data.json": '{"a": 1}\n',
        "style.css": "body{}\n",
        "script.js": "var x;\n",
        "image.png": "\x89PNG\r\n\x1a\nfake",
        "archive.tar.gz": "gz",
        "doc.html.en": "<p>english</p>\n",
        "noext": "no extension\n",
        "sub/index.html": "<p>sub index</p>\n",
        "sub/file.txt": "sub file\n",
        "noindex/a.txt": "a\n",
        "noindex/b.html": "<b>b</b>\n",
        "denied/secret.txt": "secret\n",
        "etag-none/f.txt": "f\n",
        "etag-mtime/f.txt": "f\n",
        "etag-all/f.txt": "f\n",
        "alias-target/t.txt": "target\n",
        "with space/x y.txt": "space\n",
        "plain/p.txt": "p\n",
        "errors/404.html": "<h1>custom 404</h1>\n",
        "sub/nested/one.txt": "1\n",
        "sub/nested/three.txt": "333\n",
        "fancy/a.txt": "a\n",
        "fancy/b.html": "<b>bb</b>\n",
    }
    for name, text in files.items():
        p = docs / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode("latin-1"))
    (docs / "big.bin").write_bytes(bytes(range(256)) * 400)      # 102400 bytes
    old = time.time() - 86400
    for p in docs.rglob("*"):
        os.utime(p, (old, old))     # no weak ETags: nothing was changed in the last second
    return docs


def config(root: Path, docs: Path) -> str:
    return f"""DocumentRoot {docs}
<Directory />
    Options None
    AllowOverride None
    Require all denied
</Directory>
<Directory {docs}>
    Options Indexes FollowSymLinks
    Require all granted
</Directory>
<Directory {docs}/denied>
    Require all denied
</Directory>
<Directory {docs}/noindex>
    Options -Indexes
</Directory>
<Directory {docs}/etag-none>
    FileETag None
</Directory>
<Directory {docs}/etag-mtime>
    FileETag MTime
</Directory>
<Directory {docs}/etag-all>
    FileETag All
</Directory>
<Directory {docs}/fancy>
    IndexOptions FancyIndexing HTMLTable
</Directory>
<Directory {docs}/plain>
    DirectorySlash Off
</Directory>
<Directory {root}/aliased>
    Require all granted
</Directory>
DirectoryIndex index.html
TraceEnable off
LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{{Referer}}i\\" \\"%{{User-Agent}}i\\"" combined
CustomLog ${{ACCESS_LOG}} combined
AddType application/x-custom .custom
AddCharset UTF-8 .json
AddLanguage en .en
Alias /aliased/ {docs}/alias-target/
AliasMatch ^/am/(.*)$ {docs}/alias-target/$1
Redirect /old /new-place
Redirect permanent /perm https://example.test/elsewhere
Redirect 410 /gone
RedirectMatch 307 ^/rm/(.*)$ /target/$1
ErrorDocument 404 /errors/404.html
<Location /loc-denied>
    Require all denied
</Location>
<VirtualHost 127.0.0.1:*>
    ServerName localhost
    DocumentRoot {docs}
</VirtualHost>
<VirtualHost 127.0.0.1:*>
    ServerName other.test
    DocumentRoot {docs}/sub
</VirtualHost>
"""


# Fields where httpd deliberately answers differently, with the reason.
DIFFERENCES = {
    "range-beyond": {"content-length": "Apache 2.4.71 sends its 416 page without a length "
                                       "and closes; httpd frames it with Content-Length (and "
                                       "adds Content-Range: bytes */len, RFC 9110 15.5.17)",
                     "content-range": "the same"},
}


def get(path, host="localhost", extra=""):
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n")


def head(path):
    return f"HEAD {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


LM_FUTURE = "If-Modified-Since: Thu, 01 Jan 2099 00:00:00 GMT\r\n"
LM_PAST = "If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT\r\n"

REQUESTS = {
    "index": get("/"),
    "index-file": get("/index.html"),
    "text": get("/hello.txt"),
    "html": get("/page.html"),
    "json-charset": get("/data.json"),
    "css": get("/style.css"),
    "js": get("/script.js"),
    "png": get("/image.png"),
    "tar-gz": get("/archive.tar.gz"),
    "language-ext": get("/doc.html.en"),
    "no-extension": get("/noext"),
    "big": get("/big.bin"),
    "head-text": head("/hello.txt"),
    "head-big": head("/big.bin"),
    "missing": get("/nope.txt"),
    "missing-dir": get("/nope/"),
    "denied-dir-file": get("/denied/secret.txt"),
    "denied-dir": get("/denied/"),
    "location-denied": get("/loc-denied"),
    "sub-no-slash": get("/sub"),
    "sub-slash": get("/sub/"),
    "sub-file": get("/sub/file.txt"),
    "noindex-dir": get("/noindex/"),
    "listing": get("/noindex/a.txt"),
    "plain-no-slash": get("/plain"),
    "space-encoded": get("/with%20space/x%20y.txt"),
    "etag-none": get("/etag-none/f.txt"),
    "etag-mtime": get("/etag-mtime/f.txt"),
    "etag-all": get("/etag-all/f.txt"),
    "alias": get("/aliased/t.txt"),
    "alias-missing": get("/aliased/zzz.txt"),
    "aliasmatch": get("/am/t.txt"),
    "redirect": get("/old"),
    "redirect-sub": get("/old/x/y?q=1"),
    "redirect-permanent": get("/perm"),
    "redirect-gone": get("/gone"),
    "redirectmatch": get("/rm/abc"),
    "range-first": get("/big.bin", extra="Range: bytes=0-99\r\n"),
    "range-suffix": get("/big.bin", extra="Range: bytes=-100\r\n"),
    "range-open": get("/big.bin", extra="Range: bytes=102300-\r\n"),
    "range-beyond": get("/big.bin", extra="Range: bytes=200000-\r\n"),
    "range-invalid": get("/big.bin", extra="Range: bytes=abc\r\n"),
    "range-other-unit": get("/big.bin", extra="Range: items=0-5\r\n"),
    "range-whole": get("/hello.txt", extra="Range: bytes=0-\r\n"),
    "ims-future": get("/hello.txt", extra=LM_FUTURE),
    "ims-past": get("/hello.txt", extra=LM_PAST),
    "inm-star": get("/hello.txt", extra="If-None-Match: *\r\n"),
    "im-wrong": get("/hello.txt", extra='If-Match: "nope"\r\n'),
    "im-star": get("/hello.txt", extra="If-Match: *\r\n"),
    "ius-past": get("/hello.txt", extra="If-Unmodified-Since: Thu, 01 Jan 1998 00:00:00 GMT\r\n"),
    "vhost-other": get("/file.txt", host="other.test"),
    "vhost-other-index": get("/", host="other.test"),
    "vhost-unknown": get("/hello.txt", host="unknown.test"),
    "host-with-port": get("/hello.txt", host="localhost:80"),
    "dot-segments": get("/sub/../hello.txt"),
    "encoded-dot": get("/sub/%2e%2e/hello.txt"),
    "double-slash": get("//hello.txt"),
    "query": get("/hello.txt?a=b"),
    "options": "OPTIONS /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    "post-static": ("POST /hello.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n"
                    "Connection: close\r\n\r\nabc"),
    "put-static": ("PUT /hello.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n"
                   "Connection: close\r\n\r\n"),
    "delete": "DELETE /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    "http10": "GET /hello.txt HTTP/1.0\r\n\r\n",
    "http10-missing": "GET /nope HTTP/1.0\r\n\r\n",
    "custom-type": get("/x.custom"),
    "autoindex": get("/errors/"),
    "autoindex-sorted": get("/sub/nested/?C=S;O=D"),
    "autoindex-fancy": get("/fancy/"),
}


def parse(data: bytes) -> tuple[int, dict, bytes]:
    headend = data.find(b"\r\n\r\n")
    head, body = data[:headend].decode("latin-1"), data[headend + 4:]
    lines = head.split("\r\n")
    status = int(lines[0].split(" ")[1])
    fields: dict = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields.setdefault(k.strip().lower(), v.strip())
    if fields.get("transfer-encoding") == "chunked":
        out, pos = b"", 0
        while True:
            nl = body.find(b"\r\n", pos)
            size = int(body[pos:nl], 16)
            if size == 0:
                break
            out += body[nl + 2:nl + 2 + size]
            pos = nl + 2 + size + 2
        body = out
    return status, fields, body


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    root = tmp_path_factory.mktemp("diff")
    docs = make_tree(root)
    # each server its own folder (config, PidFile, error log): a restart signal makes
    # apache2 read its own file again, never the other's (another port)
    theirs, mine = root / "theirs", root / "ours"
    theirs.mkdir()
    mine.mkdir()
    ap = start_apache(theirs, config(root, docs), modules=MODULES,
                      env={"ACCESS_LOG": str(theirs / "logs" / "apache_access_log")})
    try:
        ours = start_httpd(mine, config(root, docs), modules=MODULES,
                           env={"ACCESS_LOG": str(mine / "logs" / "httpd_access_log")})
    except Exception:          # Apache is already running: never leave it behind
        if ap is not None:
            ap.stop()
        raise
    yield ap, ours
    if ap is not None:
        ap.stop()
    ours.stop()


def normalise(value: str, port: int) -> str:
    return value.replace(f":{port}", ":PORT")


@pytest.mark.parametrize("name", list(REQUESTS))
def test_same_answer(servers, name):
    ap, ours = servers
    for server in servers:          # one that died says why, not "connection refused"
        if server.proc.poll() is not None:
            pytest.fail(f"{server.kind} exited ({server.proc.returncode}); its error log "
                        f"ends:\n{server.error_log[-3000:]}")
    raw = REQUESTS[name].encode("latin-1")
    theirs = parse(raw_request(ap.port, raw, wait=2.0)[0])
    mine = parse(raw_request(ours.port, raw, wait=2.0)[0])
    assert mine[0] == theirs[0], f"status: {mine[0]} vs Apache's {theirs[0]}"
    for field in COMPARED:
        if field in DIFFERENCES.get(name, {}):
            continue
        a = theirs[1].get(field)
        b = mine[1].get(field)
        if a is not None:
            a = normalise(a, ap.port)
        if b is not None:
            b = normalise(b, ours.port)
        if field == "allow" and a and b:
            a, b = set(a.split(",")), set(b.split(","))
        assert b == a, f"{field}: {b!r} vs Apache's {a!r}"
    body_a = theirs[2].replace(f":{ap.port}".encode(), b":PORT")
    body_b = mine[2].replace(f":{ours.port}".encode(), b":PORT")
    if theirs[1].get("content-type", "").startswith("multipart/byteranges"):
        return       # random boundaries
    assert body_b == body_a


def test_enough_cases():
    assert len(REQUESTS) >= 60


STAMP = re.compile(r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]")


def test_access_log_lines_are_apaches(servers):
    """The combined-format line of every request above, byte for byte (bar the time)."""
    ap, ours = servers
    for name, req in REQUESTS.items():
        raw = req.replace("Connection: close\r\n",
                          "User-Agent: Tester/1.0 (x\"y)\r\nReferer: http://r.test/?a=\\b\r\n"
                          "Connection: close\r\n").encode("latin-1")
        raw_request(ap.port, raw, wait=2.0)
        raw_request(ours.port, raw, wait=2.0)
    time.sleep(0.5)
    theirs = STAMP.sub("[T]", (ap.root / "logs" / "apache_access_log").read_text(
        "latin-1")).splitlines()
    mine = STAMP.sub("[T]", (ours.root / "logs" / "httpd_access_log").read_text(
        "latin-1")).splitlines()
    assert len(mine) == len(theirs)
    assert mine == theirs
