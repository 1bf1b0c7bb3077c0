"""mod_expires against real Apache: ``httpd -t`` says what ``apache2 -t`` says about each
directive (messages pinned from Debian's apache2 2.4), and on one config and one
DocumentRoot both servers give the same Expires and Cache-Control (times compared as
offsets: Expires - Date and max-age, within a second of each other, since the two
servers answer at different instants)."""
from __future__ import annotations

import os
import re
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from directives.mod_expires import check_code
from tests.e2e import servers as S

LOAD = "LoadModule expires_module /usr/lib/apache2/modules/mod_expires.so\n"

BODIES = [
    'ExpiresDefault "bogus plus 1 day"\n', 'ExpiresDefault "access plus 1"\n',
    'ExpiresDefault "access plus x days"\n', 'ExpiresDefault "access plus 1 fortnights"\n',
    "ExpiresByType texthtml A300\n", 'ExpiresByType text/html "now plus 1 m"\n',
    "ExpiresDefault Z300\n", 'ExpiresDefault "a p 2 mo 3 mi"\n', "ExpiresActive maybe\n",
    'ExpiresDefault ""\n', "ExpiresDefault\n", "ExpiresByType text/html\n",
    'ExpiresDefault "modification"\n', 'ExpiresDefault "access plus 1 day 2 hours"\n',
    "ExpiresDefault A\n", 'ExpiresByType image/* "access 1 week"\n',
    "<VirtualHost *:80>\nExpiresActive On\n</VirtualHost>\n",
]


@pytest.mark.parametrize("body", BODIES)
def test_config_against_apache(differential, body):
    differential(LOAD + body)


@pytest.mark.parametrize("code, short", [
    ("access plus 1 month", "A2592000"), ("now plus 1 year 2 weeks", "A32745600"),
    ("modification plus 5 MINUTES 3 s", "M303"), ("M60", "M60"), ("A", "A"),
    ("Access plus 1 day", "Access plus 1 day"),      # 'A' first: taken as it is (atoi: 0)
    ("a 2 mo 3 mi", "A5184180"), ("n", "A0"), ("access plus 3 d 4 h", "A273600"),
])
def test_check_code(code, short):
    assert check_code(code) == (short, None)


def test_a_number_is_read_as_atoi_reads_it():
    # "3d" is the number 3; "4h" is then the unit, which is none
    assert check_code("access plus 3d 4h") == (None, "bad expires code, unrecognised "
                                                      "<type>'4h'")


OLD = 1_700_000_000


def make_docs(root: Path) -> Path:
    docs = root / "docs"
    files = {
        "page.html": "<p>page</p>\n", "a.txt": "text\n", "img.png": "PNG",
        "data.bin": "bin", "off/page.html": "<p>off</p>\n", "sub/img.png": "PNG",
        "sub/a.txt": "text\n", "hdr/page.html": "<p>h</p>\n", "merge/page.html": "<p>m</p>\n",
        "ht/a.txt": "text\n", "ht/page.html": "<p>ht</p>\n", "dir/index.html": "<p>i</p>\n",
        "recent.txt": "recent\n",
    }
    for name, text in files.items():
        p = docs / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        os.utime(p, (OLD, OLD))
    soon = int(time.time()) - 30
    os.utime(docs / "recent.txt", (soon, soon))
    (docs / "ht" / ".htaccess").write_text("ExpiresDefault A30\nExpiresByType text/html M90\n")
    return docs


def config(docs: Path) -> str:
    return f"""
LoadModule expires_module {S.MODDIR}/mod_expires.so
LoadModule headers_module {S.MODDIR}/mod_headers.so
DocumentRoot {docs}
DirectoryIndex index.html
<Directory />
    AllowOverride None
    Require all granted
</Directory>
<Directory {docs}>
    AllowOverride Indexes
</Directory>
ExpiresActive On
ExpiresByType text/HTML "access plus 1 hour"
ExpiresByType image/* A600
ExpiresDefault "modification plus 400 days"
Redirect /gone /page.html
Redirect 410 /dead
<Directory {docs}/off>
    ExpiresActive Off
</Directory>
<Directory {docs}/sub>
    ExpiresByType text/plain M60
</Directory>
<Directory {docs}/hdr>
    Header set Cache-Control "public"
</Directory>
<Directory {docs}/merge>
    Header merge Cache-Control "public"
</Directory>
<Location /old>
    Header always set Expires "Thu, 01 Jan 1970 00:00:00 GMT"
</Location>
<Location /recent.txt>
    ExpiresDefault "modification plus 1 hour"
</Location>
"""


CASES = [
    ("GET", "/page.html", ""), ("HEAD", "/page.html", ""), ("GET", "/a.txt", ""),
    ("GET", "/img.png", ""), ("GET", "/data.bin", ""), ("GET", "/off/page.html", ""),
    ("GET", "/sub/img.png", ""), ("GET", "/sub/a.txt", ""), ("GET", "/hdr/page.html", ""),
    ("GET", "/merge/page.html", ""), ("GET", "/ht/a.txt", ""), ("GET", "/ht/page.html", ""),
    ("GET", "/dir/", ""), ("GET", "/dir", ""), ("GET", "/gone", ""), ("GET", "/dead", ""),
    ("GET", "/missing.html", ""), ("GET", "/recent.txt", ""),
    ("GET", "/old/page.html", ""),
    ("GET", "/page.html", "If-Modified-Since: Tue, 01 Jan 2030 00:00:00 GMT\r\n"),
    ("GET", "/a.txt", "If-None-Match: *\r\n"),
    ("GET", "/page.html", "Range: bytes=0-1\r\n"),
    ("POST", "/page.html", "Content-Length: 0\r\n"),
]


def _seconds(http_date: str) -> int:
    return int(parsedate_to_datetime(http_date).timestamp())


def _ask(server, method: str, path: str, extra: str):
    status, fields, _ = S.answer(server, f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
                                         f"{extra}Connection: close\r\n\r\n")
    expires, date = fields.get("expires"), fields.get("date")
    cc = fields.get("cache-control")
    ages = [int(n) for n in re.findall(r"max-age=(\d+)", cc or "")]
    shape = re.sub(r"max-age=\d+", "max-age=N", cc) if cc else None
    offset = None
    if expires is not None:
        offset = _seconds(expires) - _seconds(date) if expires.endswith("GMT") else expires
    return status, shape, ages, offset


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None or not os.path.exists(f"{S.MODDIR}/mod_expires.so"):
        pytest.skip("apache2 with mod_expires is needed")
    root = tmp_path_factory.mktemp("expires")
    docs = make_docs(root)
    servers = S.start_pair(root, config(docs), modules=("authz_core", "mime", "dir", "alias"))
    yield servers
    S.stop_pair(servers)


def _close(a, b) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return abs(a - b) <= 1
    return a == b


@pytest.mark.parametrize("method, path, extra", CASES,
                         ids=[f"{m} {p} {e.strip()!r}" for m, p, e in CASES])
def test_same_answer(pair, method, path, extra):
    ours, theirs = pair
    a, b = _ask(ours, method, path, extra), _ask(theirs, method, path, extra)
    assert a[:2] == b[:2], (a, b)
    assert len(a[2]) == len(b[2]) and all(_close(x, y) for x, y in zip(a[2], b[2])), (a, b)
    assert _close(a[3], b[3]), (a, b)


def test_the_offsets_are_the_codes(pair):
    ours, _ = pair
    assert _ask(ours, "GET", "/page.html", "")[2:] == ([3600], 3600)
    assert _ask(ours, "GET", "/img.png", "")[2:] == ([600], 600)
    status, _, ages, offset = _ask(ours, "GET", "/a.txt", "")   # long past: now
    assert (status, ages, offset) == (200, [0], 0)
