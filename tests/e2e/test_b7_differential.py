"""Issue B7's acceptance: authentication, access control, .htaccess, the output filter
chain (mod_deflate, mod_filter) and mod_negotiation together, against real Apache on
ONE config and ONE DocumentRoot (httpd -X and apache2 -X loading the same Debian .so
modules, started by tests/e2e/servers.py's start_pair).

Nearly all the auth, access and negotiation/deflate configuration is in .htaccess
files: AllowOverride AuthConfig, Limit, FileInfo, Indexes and Options=... in different
directories, files nested three deep (each level adding to or overriding the one
above), one refused override per class, broken files.  The password files are made by
``htpasswd`` in each format it writes (-B bcrypt, -m apr1, -s SHA, -d crypt) and one
group file.  The requests mix the features: an authenticated request to a MultiViews
document compressed by DEFLATE, a range on compressed output behind Satisfy Any, a
negotiated language set by an .htaccess LanguagePriority behind Require group...

Each answer must agree in status, WWW-Authenticate, Content-Encoding, Vary,
Content-Type, whether Content-Length is sent and the body after gzip decompression
(test_filter_negotiation's ``_ask``: a 206 of compressed output compares the raw
bytes); each broken or refused .htaccess file must log the same error-log line
(test_htaccess's ``_messages``).  Run as root, both servers switch to ``nobody``.
"""
from __future__ import annotations

import os
import random
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.e2e import servers as S
from tests.e2e.test_auth_differential import HTPASSWD, b64, htpasswd
from tests.e2e.test_filter_negotiation import _ask
from tests.e2e.test_htaccess import _messages

MODULES = ("authz_core", "authz_host", "mime", "dir", "alias", "headers", "env",
           "setenvif", "authn_core", "auth_basic", "authn_file", "authz_user",
           "authz_groupfile", "access_compat", "filter", "deflate", "negotiation")
FIELDS = ("www-authenticate", "content-encoding", "vary", "content-type", "content-range",
          "content-language", "location")
FORMATS = {"bcrypt": "-B", "apr1": "-m", "sha": "-s", "des": "-d"}

CONFIG = """\
DocumentRoot {docs}
{user}
AddLanguage en .en
AddLanguage fr .fr
AddType text/html .html
AddOutputFilterByType DEFLATE text/html
DirectoryIndex index.html
<Directory />
AllowOverride None
Require all granted
</Directory>
<Directory {docs}>
Options MultiViews
</Directory>
<Directory {docs}/fmt>
AllowOverride AuthConfig
</Directory>
<Directory {docs}/grp>
AllowOverride AuthConfig FileInfo
</Directory>
<Directory {docs}/acc>
AllowOverride Limit AuthConfig
</Directory>
<Directory {docs}/info>
AllowOverride FileInfo Options=MultiViews
Options None
</Directory>
<Directory {docs}/idx>
AllowOverride Indexes
</Directory>
<Directory {docs}/all>
AllowOverride All
</Directory>
"""

AUTH = 'AuthType Basic\nAuthName "{realm}"\nAuthUserFile {pw}/{file}\n'
HTACCESS = {
    # AuthConfig: one directory per htpasswd format
    **{f"fmt/{name}": AUTH.format(realm=f"fmt {name}", pw="{pw}", file=name)
       + "Require valid-user\n" for name in FORMATS},
    # AuthConfig + FileInfo, three deep: group, then a narrower group, then one user
    "grp": AUTH.format(realm="staff area", pw="{pw}", file="users")
    + "AuthGroupFile {pw}/groups\nRequire group staff\nLanguagePriority fr en\n",
    "grp/admins": 'AuthName "admins only"\nRequire group admins\n',
    "grp/admins/carol": "Require user carol\nAddOutputFilterByType DEFLATE text/plain\n",
    "grp/refused": "Options +Indexes\n",                 # Options not allowed here
    # Limit + AuthConfig: Order/Allow/Deny and Satisfy
    "acc": "Order deny,allow\nDeny from all\nAllow from 127.0.0.1\n",
    "acc/deny": "Order allow,deny\nAllow from all\nDeny from 127.0.0.0/8\n",
    "acc/any": AUTH.format(realm="any", pw="{pw}", file="users")
    + "Require user alice\nOrder deny,allow\nDeny from all\nSatisfy Any\n",
    "acc/anyhost": AUTH.format(realm="anyhost", pw="{pw}", file="users")
    + "Require user alice\nOrder allow,deny\nAllow from 127.0.0.1\nSatisfy Any\n",
    "acc/all": AUTH.format(realm="all", pw="{pw}", file="users")
    + "Require user alice\nOrder allow,deny\nAllow from 127.0.0.1\nSatisfy All\n",
    "acc/env": "Order allow,deny\nAllow from env=LETIN\nDeny from env=!LETIN\n",
    "acc/refused": "AddType text/plain .html\n",          # FileInfo not allowed here
    # FileInfo + Options=MultiViews: negotiation and deflate set in the files
    "info": "LanguagePriority de\nErrorDocument 404 /info/page.html\n",
    "info/mv": "Options +MultiViews\nLanguagePriority fr en\n",
    "info/mv/nogz": "SetEnvIf Request_URI . no-gzip\n",
    "info/mv/nogz/txt": "Options -MultiViews\nAddOutputFilter DEFLATE .txt\n",
    "info/set": "SetOutputFilter DEFLATE\nAddType text/x-mine .mine\n"
    "ErrorDocument 416 /info/page.html\n",
    "info/refused": "Options +Indexes\n",                # only Options=MultiViews
    "info/auth": "Require all denied\n",                 # AuthConfig not allowed here
    # Indexes
    "idx": "DirectoryIndex home.html\n",
    "idx/refused": "AuthType Basic\n",
    # All, three deep, auth loosened at the bottom; broken files
    "all": AUTH.format(realm="all levels", pw="{pw}", file="users")
    + "Require valid-user\nAddLanguage de .de\n",
    "all/l2": 'AuthName "level two"\nRequire user bob carol\nLanguagePriority de en\n',
    "all/l2/l3": "Order allow,deny\nAllow from 127.0.0.1\nSatisfy Any\n"
    "SetEnvIf Request_URI \\.txt$ no-gzip\n",
    "all/l2/l3/open": "AuthType None\nRequire all granted\nErrorDocument 403 /all/l2/l3/page.html\n"
    "<Files secret.html>\nRequire all denied\n</Files>\n",
    "all/l2/l3/open/idx": "DirectoryIndex doc\nOptions MultiViews\n",
    "all/err": "ErrorDocument 401 /all/l2/l3/page.html\n"
    "<Limit POST>\nRequire user alice\n</Limit>\n<LimitExcept POST>\nRequire valid-user\n"
    "</LimitExcept>\n",
    "all/broken": "Options +MultiViews\nBogusDirective on\n",
    "all/unclosed": "<Files page.html>\nSetOutputFilter DEFLATE\n",
    "all/args": "AuthName\n",
}

PAGE = "<html><body>" + "the same words again and again " * 60 + "</body></html>\n"


def make_tree(base: Path) -> tuple[Path, Path]:
    docs, pw = base / "docs", base / "pw"
    pw.mkdir(parents=True)
    for name, flag in FORMATS.items():
        htpasswd(pw / name, flag, f"u-{name}", f"pw-{name}")
    for user in ("alice", "bob", "carol", "dave"):
        htpasswd(pw / "users", "-m", user, f"pw-{user}")
    (pw / "groups").write_text("staff: alice bob carol\nadmins: carol dave\n")
    rnd = random.Random(5)
    for d, text in HTACCESS.items():
        p = docs / d
        p.mkdir(parents=True, exist_ok=True)
        (p / ".htaccess").write_text(text.replace("{pw}", str(pw)))
        (p / "page.html").write_text(PAGE.replace("same", d))
        (p / "doc.html.en").write_text(f"<p>English {d}</p>\n" * 30)
        (p / "doc.html.fr").write_text(f"<p>Fran\xe7ais {d}</p>\n" * 30, "latin-1")
        (p / "doc.html.de").write_text(f"<p>Deutsch {d}</p>\n" * 30)
        (p / "a.txt").write_text("".join(rnd.choice("abc \n") for _ in range(4000)))
        (p / "x.mine").write_text("mine " * 300)
    (docs / "idx" / "home.html").write_text("<p>home</p>\n" * 50)
    (docs / "all/l2/l3/open/secret.html").write_text("<p>secret</p>\n")
    for name in ("page.html", "doc.html.en", "doc.html.fr"):
        (docs / name).write_text((docs / "acc" / name).read_text("latin-1"), "latin-1")
    for dirpath, _, files in os.walk(base):
        os.chmod(dirpath, 0o755)
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o644)
    return docs, pw


def cred(user: str, password: str = "") -> str:
    return "Basic " + b64(f"{user}:{password or 'pw-' + user}")


GZ = "Accept-Encoding: gzip\r\n"
FR = "Accept-Language: fr\r\n"


def requests() -> list:
    """(method, path, Authorization or None, other fields)."""
    out = []
    for name in FORMATS:
        base, user = f"/fmt/{name}/", f"u-{name}"
        right, wrong = cred(user, f"pw-{name}"), cred(user, "wrong")
        out += [
            ("GET", base + "page.html", right, GZ),                   # right, gzip
            ("GET", base + "page.html", right, ""),                   # right, identity
            ("GET", base + "doc", right, GZ + FR),                    # MultiViews + gzip
            ("GET", base + "page.html", wrong, GZ),          # wrong
            ("GET", base + "page.html", None, GZ),                         # missing
            ("GET", base + "page.html", "Basic " + b64(user + "pw"), ""),  # no colon
            ("GET", base + "page.html", "Basic !!" + b64(f"{user}:pw-{name}"), GZ),  # base64
            ("GET", base + "page.html", right, GZ + "Range: bytes=0-19\r\n"),
        ]
    alice, bob, carol, dave = (cred(u) for u in ("alice", "bob", "carol", "dave"))
    out += [
        # Require group, nested three deep, LanguagePriority from the first level
        ("GET", "/grp/doc", alice, GZ),
        ("GET", "/grp/doc", alice, "Accept-Language: en\r\n"),
        ("GET", "/grp/doc", dave, GZ),
        ("GET", "/grp/doc", None, ""),
        ("GET", "/grp/admins/page.html", carol, GZ),
        ("GET", "/grp/admins/page.html", dave, GZ),
        ("GET", "/grp/admins/page.html", alice, GZ),
        ("GET", "/grp/admins/doc", None, GZ),
        ("GET", "/grp/admins/carol/a.txt", carol, GZ),
        ("GET", "/grp/admins/carol/a.txt", carol, ""),
        ("GET", "/grp/admins/carol/a.txt", dave, GZ),
        ("GET", "/grp/admins/carol/doc", carol, GZ + "Range: bytes=10-29\r\n"),
        ("HEAD", "/grp/admins/carol/page.html", carol, GZ),
        ("GET", "/grp/refused/page.html", alice, GZ),
        # Order/Allow/Deny, Satisfy Any/All
        ("GET", "/acc/page.html", None, GZ),
        ("GET", "/acc/doc", None, GZ + FR),
        ("GET", "/acc/deny/page.html", None, GZ),
        ("GET", "/acc/deny/page.html", alice, GZ),
        ("GET", "/acc/any/page.html", None, GZ),
        ("GET", "/acc/any/page.html", alice, GZ),
        ("GET", "/acc/any/page.html", bob, GZ),
        ("GET", "/acc/any/doc", alice, GZ + FR + "Range: bytes=0-9,20-29\r\n"),
        ("GET", "/acc/anyhost/page.html", None, GZ + "Range: bytes=0-15\r\n"),
        ("GET", "/acc/anyhost/page.html", None, GZ + "Range: bytes=-10\r\n"),
        ("GET", "/acc/anyhost/page.html", cred("alice", "bad"), GZ),
        ("GET", "/acc/anyhost/doc", None, "Accept-Language: fr, en;q=0.5\r\n" + GZ),
        ("GET", "/acc/all/page.html", None, GZ),
        ("GET", "/acc/all/page.html", alice, GZ + "Range: bytes=0-15\r\n"),
        ("GET", "/acc/all/page.html", bob, GZ),
        ("GET", "/acc/env/page.html", None, GZ),
        ("GET", "/acc/refused/page.html", None, GZ),
        # FileInfo and Options=MultiViews in the files
        ("GET", "/info/page.html", None, GZ),
        ("GET", "/info/doc", None, GZ),
        ("GET", "/info/mv/doc", None, GZ),
        ("GET", "/info/mv/doc", None, "Accept-Language: en\r\n"),
        ("GET", "/info/mv/doc", None, GZ + "Range: bytes=0-9\r\n"),
        ("GET", "/info/mv/nogz/doc", None, GZ),
        ("GET", "/info/mv/nogz/txt/doc", None, GZ),
        ("GET", "/info/mv/nogz/txt/a.txt", None, GZ),
        ("GET", "/info/set/x.mine", None, GZ),
        ("GET", "/info/set/x.mine", None, "Accept-Encoding: gzip;q=0\r\n"),
        ("GET", "/info/set/a.txt", None, GZ + "Range: bytes=100-199\r\n"),
        # 416 of compressed output: no field set before it (negotiation's Vary), and a
        # local ErrorDocument from an .htaccess file
        ("GET", "/info/set/x.mine", None, GZ + "Range: bytes=90000-\r\n"),
        ("GET", "/info/mv/doc", None, GZ + "Range: bytes=90000-\r\n"),
        ("GET", "/acc/anyhost/doc", None, GZ + FR + "Range: bytes=90000-\r\n"),
        ("GET", "/fmt/apr1/doc", cred("u-apr1", "pw-apr1"), GZ + "Range: bytes=90000-\r\n"),
        ("GET", "/info/refused/page.html", None, GZ),
        ("GET", "/info/auth/page.html", None, GZ),
        # Indexes
        ("GET", "/idx/", None, GZ),
        ("GET", "/idx/", None, ""),
        ("GET", "/idx/refused/", None, GZ),
        # All, three deep
        ("GET", "/all/page.html", None, GZ),
        ("GET", "/all/page.html", dave, GZ),
        ("GET", "/all/doc", dave, GZ + "Accept-Language: de, fr;q=0.9\r\n"),
        ("GET", "/all/l2/page.html", dave, GZ),
        ("GET", "/all/l2/page.html", None, GZ),
        ("GET", "/all/l2/doc", bob, GZ),
        ("GET", "/all/l2/doc", carol, "Accept-Language: fr\r\n"),
        ("GET", "/all/l2/l3/doc", None, GZ),
        ("GET", "/all/l2/l3/a.txt", None, GZ),
        ("GET", "/all/l2/l3/page.html", None, GZ + "Range: bytes=0-9\r\n"),
        ("GET", "/all/broken/page.html", None, GZ),
        ("GET", "/all/broken/page.html", alice, GZ),
        ("GET", "/all/unclosed/page.html", None, GZ),
        ("GET", "/all/args/page.html", None, GZ),
        ("GET", "/all/l2/l3/open/doc", None, GZ + FR),
        ("GET", "/all/l2/l3/open/secret.html", None, GZ),
        ("GET", "/all/l2/l3/open/secret.html", carol, ""),
        ("GET", "/all/l2/l3/open/idx/", None, GZ + "Accept-Language: en\r\n"),
        ("GET", "/all/l2/l3/open/idx/", None, GZ + "Range: bytes=0-9\r\n"),
        ("GET", "/all/err/page.html", None, GZ),
        ("GET", "/all/err/page.html", cred("bob", "x"), ""),
        ("GET", "/all/err/page.html", bob, GZ),
        ("POST", "/all/err/page.html", bob, GZ + "Content-Length: 0\r\n"),
        ("POST", "/all/err/page.html", alice, GZ + "Content-Length: 0\r\n"),
        ("GET", "/info/missing.html", None, GZ),
        ("HEAD", "/acc/anyhost/page.html", None, GZ),
        ("GET", "/acc/anyhost/page.html", None, GZ + "If-None-Match: \"x\"\r\n"),
        ("GET", "/fmt/sha/page.html", "Digest " + b64("u-sha:pw-sha"), GZ),
        ("GET", "/fmt/sha/page.html", "", GZ),
        ("GET", "/fmt/des/page.html", "Basic  " + b64("u-des:pw-des"), GZ),
        ("GET", "/page.html", None, GZ),
        ("GET", "/doc", None, GZ),
        ("GET", "/doc", None, "Accept-Encoding: gzip;q=0\r\nAccept-Language: fr\r\n"),
    ]
    return out


REQUESTS = requests()


@pytest.fixture(scope="module")
def pair():
    if S.APACHE is None or HTPASSWD is None or not all(
            os.path.exists(f"{S.MODDIR}/mod_{m}.so") for m in MODULES):
        pytest.skip("apache2, htpasswd and the modules' .so files are needed")
    base = Path(tempfile.mkdtemp(prefix="b7-e2e-"))
    os.chmod(base, 0o755)
    try:
        docs, _ = make_tree(base)
        # as root (CI) both run as nobody, as test_htaccess's servers do: the password
        # libraries must be loaded before the switch (mod_authn_file's post_config)
        user = "User nobody\nGroup nogroup" if os.geteuid() == 0 else ""
        servers = S.start_pair(base, CONFIG.format(docs=docs, user=user), modules=MODULES)
        try:
            answers = []
            for method, path, auth, extra in REQUESTS:
                if auth is not None:
                    extra += f"Authorization: {auth}\r\n"
                answers.append(tuple(_ask(s, method, path, extra) for s in servers))
            yield docs, servers, answers
        finally:
            S.stop_pair(servers)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _pick(answer) -> tuple:
    status, fields, body = answer
    if status == 416:
        # httpd's deliberate difference (tests/e2e/test_differential.py's DIFFERENCES):
        # its 416 has a Content-Length and Content-Range: bytes */len
        fields = {k: v for k, v in fields.items() if k not in ("content-range",
                                                                "content-length")}
    return (status, {k: fields.get(k) for k in FIELDS}, "content-length" in fields, body)


def test_enough_requests():
    assert len(REQUESTS) >= 70


def test_same_answers(pair):
    _, _, answers = pair
    differ = [f"{m} {p} {a!r} {e!r}:\n  ours   {_pick(x)[:3]}\n  apache {_pick(y)[:3]}"
              + ("" if _pick(x)[3] == _pick(y)[3] else "\n  (bodies differ)")
              for (m, p, a, e), (x, y) in zip(REQUESTS, answers) if _pick(x) != _pick(y)]
    assert not differ, f"{len(differ)} of {len(REQUESTS)} differ:\n" + "\n".join(differ)


def test_features_are_exercised(pair):
    """The answers Apache gave cover what the acceptance names (so a config mistake
    that makes everything a 500 or a 200 cannot pass unnoticed)."""
    _, _, answers = pair
    theirs = [y for _, y in answers]
    statuses = {s for s, _, _ in theirs}
    assert {200, 206, 401, 403, 416, 500} <= statuses
    assert sum(1 for s, f, _ in theirs if f.get("content-encoding") == "gzip") >= 20
    assert any(s == 206 and f.get("content-encoding") == "gzip" for s, f, _ in theirs)
    assert any("negotiate" in (f.get("vary") or "") and f.get("content-encoding") == "gzip"
               for _, f, _ in theirs)
    assert len({f.get("www-authenticate") for _, f, _ in theirs} - {None}) >= 8


def test_same_error_log_lines(pair):
    docs, servers, _ = pair
    ours, theirs = (_messages(s.error_log, docs) for s in servers)
    assert {"grp/refused", "acc/refused", "info/refused", "info/auth", "idx/refused",
            "all/broken", "all/unclosed", "all/args"} <= set(theirs)
    assert ours == theirs
