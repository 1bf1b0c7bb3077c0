"""End to end: the output filter chain, mod_deflate, mod_filter and mod_negotiation
against real Apache (mod_deflate.so, mod_filter.so, mod_negotiation.so) on one config
and one DocumentRoot.

Each request goes to both servers on a fresh connection; the answers must agree in
status, Content-Encoding, Vary, Content-Type, ETag, Content-Language,
Content-Location, TCN, Alternates, whether a Content-Length is sent, and the body
after decompression (a 206 of compressed output compares the raw bytes).
"""
from __future__ import annotations

import gzip
import os
import random
from pathlib import Path

import pytest

from tests.e2e import servers as S

MODULES = ("authz_core", "mime", "dir", "alias", "filter", "deflate", "negotiation",
           "setenvif", "headers")
OLD = 1700000000
FIELDS = ("content-encoding", "vary", "content-type", "etag", "content-language",
          "content-location", "tcn", "alternates", "content-range", "expires")


def make_docs(root: Path) -> Path:
    docs = root / "docs"
    rnd = random.Random(7)
    files = {
        "page.html": "<html>" + "hello world " * 400 + "</html>\n",
        "tiny.html": "<p>hi</p>",
        "big.html": "".join(rnd.choice("abcdefghij \n") for _ in range(120000)),
        "a.txt": "plain text " * 200,
        "img.png": "P" * 3000,
        "ext/style.css": "body { color: red } " * 100,
        "set/data.bin": "binary-ish " * 300,
        "nogz/page.html": "<p>" + "no gzip " * 200 + "</p>",
        "htmlonly/a.txt": "text only " * 200,
        "htmlonly/p.html": "<p>" + "html only " * 200 + "</p>",
        "hdr/page.html": "<p>" + "headers after deflate " * 100 + "</p>",
        "prov/page.html": "<p>" + "provider " * 200 + "</p>",
        "neg/index.html.en": "English page\n" * 20,
        "neg/index.html.fr": "Page fran\xe7aise\n" * 20,
        "neg/index.html.de": "Deutsche Seite\n" * 20,
        "neg/doc.txt": "plain text doc\n",
        "fb/index.html.en": "English page\n" * 20,
        "fb/index.html.fr": "Page fran\xe7aise\n" * 20,
        "neg/doc.html": "<p>html doc</p>\n",
        "neg/gzdoc.html": "<p>identity</p>\n",
        "neg/map.en.html": "map english\n",
        "neg/map.fr.html": "map french\n",
        "neg/map.txt": "map text\n",
        "neg/map.var": "URI: map.en.html\nContent-Type: text/html\nContent-Language: en\n\n"
                       "URI: map.fr.html\nContent-Type: text/html; qs=0.5\n"
                       "Content-Language: fr\nDescription: \"French (comment)\"\n\n"
                       "URI: map.txt\nContent-Type: text/plain; qs=0.4\n",
        "neg/inline.var": "Content-Type: text/plain\nContent-Language: en\n"
                          "Body:----en--\nHello inline\n----en--\n\n"
                          "Content-Type: text/plain\nContent-Language: fr\n"
                          "Body:----fr--\nBonjour en ligne\n----fr--\n",
    }
    for name, text in files.items():
        p = docs / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode("latin-1"))
    (docs / "inf").mkdir()
    (docs / "inf" / "page.html.gz").write_bytes(gzip.compress(b"<p>" + b"inflate " * 300))
    (docs / "inf" / "notgz.txt.gz").write_bytes(b"not gzip at all, plain text " * 5)
    (docs / "neg" / "gzdoc.html.gz").write_bytes(gzip.compress(b"<p>gzipped</p>\n", mtime=0))
    for p in sorted(docs.rglob("*"), reverse=True):
        os.utime(p, (OLD, OLD))
    os.utime(docs, (OLD, OLD))
    return docs


def config(docs: Path) -> str:
    return f"""DocumentRoot {docs}
<Directory {docs}>
Require all granted
Options MultiViews
</Directory>
AddLanguage en .en
AddLanguage fr .fr
AddLanguage de .de
AddHandler type-map .var
AddEncoding x-gzip .gz
LanguagePriority en fr de
DirectoryIndex index.html
<Directory {docs}/hdr>
Header append Vary User-Agent
Header edit ETag "-gzip" "-gz"
</Directory>
<Directory {docs}/inf>
SetOutputFilter INFLATE
</Directory>
<Directory {docs}/fb>
ForceLanguagePriority Prefer Fallback
</Directory>
AddOutputFilterByType DEFLATE text/html text/plain
<Directory {docs}/set>
SetOutputFilter DEFLATE
</Directory>
<Directory {docs}/ext>
AddOutputFilter DEFLATE .css
</Directory>
SetEnvIf Request_URI ^/nogz/ no-gzip
SetEnvIf Request_URI ^/htmlonly/ gzip-only-text/html=1
<Location /prov>
FilterDeclare P
FilterProvider P DEFLATE "%{{QUERY_STRING}} == 'z'"
FilterChain =P
FilterProtocol P "change=yes"
</Location>
"""


GZ = "Accept-Encoding: gzip\r\n"
CASES = [
    ("GET", "/page.html", GZ),
    ("GET", "/page.html", ""),
    ("GET", "/page.html", "Accept-Encoding: gzip;q=0\r\n"),
    ("GET", "/page.html", "Accept-Encoding: identity\r\n"),
    ("GET", "/page.html", "Accept-Encoding: *\r\n"),
    ("GET", "/page.html", "Accept-Encoding: deflate, gzip\r\n"),
    ("GET", "/page.html", "Accept-Encoding: gzip;q=0.5\r\n"),
    ("HEAD", "/page.html", GZ),
    ("GET", "/page.html", GZ + "Range: bytes=0-9\r\n"),
    ("GET", "/page.html", GZ + "Range: bytes=5-9,20-29\r\n"),
    ("GET", "/big.html", GZ + "Range: bytes=0-9\r\n"),
    ("GET", "/big.html", GZ),
    ("HEAD", "/big.html", GZ),
    ("GET", "/page.html", "Range: bytes=0-9\r\n"),
    ("GET", "/page.html", GZ + "If-None-Match: ETAG-gzip\r\n"),
    ("GET", "/page.html", GZ + "If-None-Match: ETAG\r\n"),
    ("GET", "/page.html", "If-None-Match: ETAG\r\n"),
    ("GET", "/tiny.html", GZ),
    ("GET", "/img.png", GZ),
    ("GET", "/a.txt", GZ),
    ("GET", "/ext/style.css", GZ),
    ("GET", "/set/data.bin", GZ),
    ("GET", "/nogz/page.html", GZ),
    ("GET", "/htmlonly/a.txt", GZ),
    ("GET", "/htmlonly/p.html", GZ),
    ("GET", "/prov/page.html?z", GZ),
    ("GET", "/prov/page.html?y", GZ),
    ("GET", "/prov/page.html?z", GZ + "Range: bytes=0-5\r\n"),
    ("GET", "/prov/page.html?y", GZ + "Range: bytes=0-5\r\n"),
    ("GET", "/missing.html", GZ),
    ("GET", "/neg/index", "Accept-Language: fr\r\n"),
    ("GET", "/neg/index", "Accept-Language: de;q=0.5, en;q=0.9\r\n"),
    ("GET", "/neg/index", "Accept-Language: it\r\n"),
    ("GET", "/neg/index", ""),
    ("GET", "/neg/index", "Accept-Language: fr\r\n" + GZ),
    ("GET", "/neg/index.html", "Accept-Language: en-US\r\n"),
    ("GET", "/neg/doc", "Accept: text/plain\r\n"),
    ("GET", "/neg/doc", "Accept: image/png\r\n"),
    ("GET", "/neg/doc", "Accept: image/png\r\nNegotiate: trans\r\n"),
    ("GET", "/neg/doc", "Accept: text/*;q=0.5, text/plain\r\n"),
    ("HEAD", "/neg/doc", "Accept: text/html\r\n"),
    ("GET", "/neg/map.var", "Accept-Language: fr\r\n"),
    ("GET", "/neg/map.var", "Accept: text/plain\r\n"),
    ("GET", "/neg/map.var", "Accept: image/png\r\n"),
    ("GET", "/neg/inline.var", "Accept-Language: fr\r\n"),
    ("GET", "/neg/gzdoc", GZ),
    ("GET", "/neg/gzdoc", ""),
    ("GET", "/neg/gzdoc", "Accept-Encoding: x-gzip\r\n"),
    ("GET", "/neg/index", "Accept-Charset: utf-8\r\nAccept-Language: de\r\n"),
    ("GET", "/neg/index/extra", "Accept-Language: fr\r\n"),
    ("GET", "/neg/index?a=b", "Accept-Language: de\r\n"),
    ("GET", "/neg/map.var/x", "Accept-Language: fr\r\n"),
    ("GET", "/neg/index", "Negotiate: 1.0\r\nAccept-Language: fr;q=0.5, en;q=0.5\r\n"),
    ("GET", "/neg/", "Accept-Language: fr\r\n" + GZ),
    ("GET", "/fb/index", "Accept-Language: it\r\n"),
    ("GET", "/inf/page.html.gz", ""),
    ("GET", "/inf/page.html.gz", GZ),
    ("HEAD", "/inf/page.html.gz", ""),
    ("GET", "/inf/notgz.txt.gz", ""),
    ("GET", "/hdr/page.html", GZ),
    ("GET", "/hdr/page.html", ""),
    # parameter names are case-insensitive ("Q=0.4"), spaces around "=" allowed
    ("GET", "/neg/map.var", "Accept: text/html;q=0.5, text/*;Q=0.4\r\n"
                            "Accept-Language: fr;q=0.001\r\nAccept-Charset: utf-8, *\r\n"),
    ("GET", "/fb/index", "Accept: text/plain;q=0.3; q = 0.2, text/html;q=0;Q=0.4\r\n"
                         "Accept-Language: en;q=0, en-US, de-DE;q=0.5\r\n"),
]


def _dechunk(body: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            return bytes(out)
        size = int(body[pos:eol].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[eol + 2:eol + 2 + size]
        pos = eol + 2 + size + 2


def _ask(server, method: str, path: str, extra: str, proto: str = "HTTP/1.1"):
    raw = f"{method} {path} {proto}\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n"
    data, _ = S.raw_request(server.port, raw.encode("latin-1"), wait=2.0)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields: dict = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields.setdefault(k.strip().lower(), v.strip())
    if "chunked" in fields.get("transfer-encoding", ""):
        body = _dechunk(body)
    status = int(lines[0].split(" ")[1])
    if fields.get("content-encoding") == "gzip" and status == 200 and body:
        body = gzip.decompress(body)
    body = body.replace(f":{server.port}".encode(), b":PORT")
    ctype = fields.get("content-type") or ""
    if "boundary=" in ctype:               # drawn at random per server
        boundary = ctype.partition("boundary=")[2]
        fields["content-type"] = ctype.replace(boundary, "B")
        body = body.replace(boundary.encode(), b"B")
    return status, fields, body


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None or not all(os.path.exists(f"{S.MODDIR}/mod_{m}.so")
                                   for m in ("deflate", "filter", "negotiation")):
        pytest.skip("apache2 with mod_deflate, mod_filter and mod_negotiation is needed")
    root = tmp_path_factory.mktemp("filters")
    docs = make_docs(root)
    servers = S.start_pair(root, config(docs), modules=MODULES)
    yield servers
    S.stop_pair(servers)


def _etag(server) -> str:
    return _ask(server, "GET", "/page.html", "")[1]["etag"]


@pytest.mark.parametrize("method,path,extra", CASES,
                         ids=[f"{m} {p} {e.strip()!r}" for m, p, e in CASES])
def test_same_answer(pair, method, path, extra):
    ours, theirs = pair
    answers = []
    for server in (ours, theirs):
        text = extra.replace("ETAG", _etag(server))
        status, fields, body = _ask(server, method, path, text)
        answers.append((status, {k: fields.get(k) for k in FIELDS},
                        "content-length" in fields, body))
    assert answers[0] == answers[1]


def test_http10_negotiated(pair):
    ours, theirs = pair
    a = _ask(ours, "GET", "/neg/map.var", "Accept-Language: fr\r\n", "HTTP/1.0")
    b = _ask(theirs, "GET", "/neg/map.var", "Accept-Language: fr\r\n", "HTTP/1.0")
    assert (a[0], "expires" in a[1], a[2]) == (b[0], "expires" in b[1], b[2])


def test_modules_listed(pair):
    ours, _ = pair
    import subprocess
    import sys
    conf = ours.root / "httpd.conf"
    out = subprocess.run([sys.executable, "-m", "httpd", "-d", str(ours.root), "-f", str(conf),
                          "-M"], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=str(S.ROOT))).stdout
    for name in ("deflate_module (shared)", "filter_module (shared)",
                 "negotiation_module (shared)"):
        assert name in out


def test_random_negotiations(pair):
    """Seeded random Accept* fields (types, levels, q values in odd spellings, languages
    with ranges, charsets, codings, Negotiate) on every negotiated resource."""
    ours, theirs = pair
    rnd = random.Random(11)
    types = ["text/html", "text/plain", "text/*", "*/*", "image/png", "*", "TEXT/HTML",
             "text/html;level=3", "text/plain;q=0.3", "text/html;q=0"]
    langs = ["en", "fr", "de", "it", "en-US", "fr-CA", "*", "EN", "de-DE", "", "x"]
    encs = ["gzip", "x-gzip", "identity", "*", "gzip;q=0", "identity;q=0", "deflate"]

    def q():
        return rnd.choice(["", ";q=0.5", ";q=0", ";q=1", ";q=0.001", ";Q=0.4", "; q = 0.2"])

    for _ in range(40):
        hdr = ""
        if rnd.random() < 0.7:
            hdr += "Accept: " + ", ".join(rnd.choice(types) + q()
                                          for _ in range(rnd.randint(0, 3))) + "\r\n"
        if rnd.random() < 0.7:
            hdr += "Accept-Language: " + ", ".join(rnd.choice(langs) + q()
                                                   for _ in range(rnd.randint(0, 3))) + "\r\n"
        if rnd.random() < 0.3:
            hdr += "Accept-Charset: " + rnd.choice(["utf-8", "*", "iso-8859-1;q=0"]) + "\r\n"
        if rnd.random() < 0.5:
            hdr += "Accept-Encoding: " + ", ".join(rnd.choice(encs)
                                                   for _ in range(rnd.randint(1, 2))) + "\r\n"
        if rnd.random() < 0.15:
            hdr += "Negotiate: " + rnd.choice(["trans", "1.0", "*", "vlist"]) + "\r\n"
        path = rnd.choice(["/neg/index", "/neg/doc", "/neg/map.var", "/neg/gzdoc",
                           "/neg/inline.var", "/fb/index", "/neg/"])
        a, b = (_ask(s, "GET", path, hdr) for s in (ours, theirs))
        assert (a[0], {k: a[1].get(k) for k in FIELDS}, a[2]) == \
            (b[0], {k: b[1].get(k) for k in FIELDS}, b[2]), (path, hdr)
