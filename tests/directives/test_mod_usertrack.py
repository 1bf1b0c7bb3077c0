"""mod_usertrack against real Apache: ``httpd -t`` says what ``apache2 -t`` says, and on
one config both servers set the same kind of cookie (name, value shape, attributes,
expiry as an offset from Date) in the same cases, and log the same ``cookie`` note for
a cookie the client sent."""
from __future__ import annotations

import os
import re
import time
from email.utils import parsedate_to_datetime

import pytest

from tests.e2e import servers as S

LOAD = "LoadModule usertrack_module /usr/lib/apache2/modules/mod_usertrack.so\n"
BODIES = ["CookieExpires 60\n", 'CookieExpires "60 seconds"\n', 'CookieExpires "plus 2 w"\n',
          'CookieExpires "x days"\n', 'CookieExpires "3"\n', 'CookieExpires "3 fortnights"\n',
          'CookieExpires "2 days 3"\n', "CookieDomain example.com\n", 'CookieDomain ""\n',
          "CookieDomain .com\n", "CookieDomain .example.com\n", "CookieStyle rfc2965\n",
          "CookieStyle bogus\n", "CookieSameSite lax\n", "CookieSameSite maybe\n",
          "CookieName a(b)\n", "CookieTracking maybe\n", "CookieSecure on\n"]


@pytest.mark.parametrize("body", BODIES)
def test_config_against_apache(differential, body):
    differential(LOAD + body)


def config(docs) -> str:
    return f"""
LoadModule usertrack_module {S.MODDIR}/mod_usertrack.so
DocumentRoot {docs}
<Directory />
    Require all granted
</Directory>
LogFormat "%{{cookie}}n %U" ck
CustomLog logs/ck_log ck
CookieExpires "2 hours 30 minutes"
<Directory {docs}/on>
    CookieTracking on
</Directory>
<Directory {docs}/named>
    CookieTracking on
    CookieName my.track
    CookieDomain .example.com
    CookieSameSite Strict
    CookieSecure on
    CookieHttpOnly on
</Directory>
<Directory {docs}/rfc2109>
    CookieTracking on
    CookieStyle Cookie
</Directory>
<Directory {docs}/rfc2965>
    CookieTracking on
    CookieStyle Cookie2
    CookieDomain .example.org
</Directory>
"""


def _shape(server, path, cookie=None):
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    raw = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n"
    data, _ = S.raw_request(server.port, raw.encode())
    head = data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    status = int(head[0].split(" ")[1])
    date = next((ln[6:] for ln in head if ln.lower().startswith("date: ")), None)
    sets = [ln for ln in head if ln.lower().startswith(("set-cookie:", "set-cookie2:"))]
    out = []
    for ln in sets:
        value = re.sub(r"=[0-9a-f]+\.[0-9a-f]+;", "=V;", ln, count=1)
        m = re.search(r"expires=(\w+), (\d\d)-(\w+)-(\d\d) (\d\d:\d\d:\d\d) GMT", value)
        if m:
            when = parsedate_to_datetime(f"{m[1]}, {m[2]} {m[3]} 20{m[4]} {m[5]} GMT")
            offset = int(when.timestamp()) - int(parsedate_to_datetime(date).timestamp())
            value = value.replace(m[0], f"expires=+{offset // 5 * 5}")
        out.append(value)
    return status, out


CASES = [("/on/a.txt", None), ("/on/missing", None), ("/on/a.txt", "Apache=abc.123"),
         ("/on/a.txt", "x=1; Apache=zz"), ("/on/a.txt", "x=1;Apache=zz,y=2"),
         ("/on/a.txt", "NotApache=1"), ("/off/a.txt", None), ("/named/a.txt", None),
         ("/named/a.txt", "my.track=q"), ("/named/a.txt", "myXtrack=q"),
         ("/rfc2109/a.txt", None), ("/rfc2965/a.txt", None)]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None or not os.path.exists(f"{S.MODDIR}/mod_usertrack.so"):
        pytest.skip("apache2 with mod_usertrack is needed")
    root = tmp_path_factory.mktemp("usertrack")
    docs = root / "docs"
    for d in ("on", "off", "named", "rfc2109", "rfc2965"):
        (docs / d).mkdir(parents=True)
        (docs / d / "a.txt").write_text("a\n")
    servers = S.start_pair(root, config(docs), modules=("authz_core", "mime"))
    yield servers
    S.stop_pair(servers)


@pytest.mark.parametrize("path, cookie", CASES, ids=[f"{p} {c}" for p, c in CASES])
def test_same_cookie(pair, path, cookie):
    ours, theirs = pair
    assert _shape(ours, path, cookie) == _shape(theirs, path, cookie)


def test_same_notes(pair):
    ours, theirs = pair
    for server in (ours, theirs):
        _shape(server, "/on/a.txt", "x=1; Apache=zz")
    time.sleep(0.3)
    lines = [(s.root / "logs" / "ck_log").read_text().splitlines()[-1] for s in pair]
    assert lines[0] == lines[1] == "zz /on/a.txt"
