""".htaccess files against real Apache on one DocumentRoot (httpd/config/htaccess.py,
httpd/request/directory_walk.py): every override class allowed and refused, Options=,
AllowOverrideList, Nonfatal=, nested files on three levels with <Files> inside and
<Location> after, AllowOverride None then All deeper, broken files (500 and Apache's
error-log line), an unreadable file (403, AH00529).  Each request gets the same status
and key headers from both servers, and each failing file the same error-log message.

Both servers run as ``nobody`` when the test runs as root (CI), so that a file of mode
000 is unreadable to them; the DocumentRoot is then a world-readable temp directory
(pytest's own is 0700 to root).
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from .servers import APACHE, answer, start_pair, stop_pair

MODULES = ("authz_core", "authz_host", "mime", "dir", "alias", "headers", "setenvif",
           "autoindex")

HTACCESS = {
    # FileInfo
    "fileinfo/redir": "Redirect /fileinfo/redir/old.txt /fileinfo/a.txt\n",
    "fileinfo/hdr": "Header set X-Hta yes\n",
    "fileinfo/env": "SetEnvIf Request_URI a\\.txt HTA_ENV=one\nHeader set X-Env %{HTA_ENV}e\n",
    "fileinfo/type": "AddType text/x-hta .txt\n",
    "fileinfo/force": "ForceType text/x-forced\n",
    "fileinfo/errdoc": "ErrorDocument 404 /fileinfo/a.txt\n",
    "fileinfo/refused": "DirectoryIndex x.html\n",
    "fileinfo/opts": "Options +Indexes\n",
    # Indexes
    "indexes": "DirectoryIndex home.txt\n",
    "indexes/io": "IndexOptions FancyIndexing\nDirectoryIndex none.html\n",
    "indexes/refused": "Header set X-No no\n",
    # Options=Indexes,MultiViews
    "options/on": "Options +Indexes\n",
    "options/off": "Options -Indexes\n",
    "options/bad": "Options +ExecCGI\n",
    # Limit
    "limit/ok": "<Limit POST>\n</Limit>\n",
    "limit/req": "Require all denied\n",
    # AuthConfig
    "auth/deny": "Require all denied\n",
    "auth/grant": "Require all granted\n",
    "auth/ip": "Require ip 127.0.0.1\n",
    "auth/ip2": "Require ip 10.9.9.9\n",
    "auth/refused": "AddType text/x-auth .txt\n",
    # All, three levels
    "all": "Header set X-L1 one\nAddType text/x-l1 .txt\n",
    "all/l2": "Header set X-L2 two\nAddType text/x-l2 .txt\nHeader set X-Order hta\n",
    "all/l2/l3": "Header set X-L3 three\n<Files b.txt>\nForceType text/x-files\n</Files>\n",
    "all/bad": "# a comment\nBogusDirective on\n",
    "all/unclosed": "<Files x>\nHeader set A b\n",
    "all/allowov": "AllowOverride All\n",
    "all/args": "ForceType\n",
    # execute-on-read directives in an .htaccess file
    "all/include": "Include /etc/hostname\n",
    "all/define": "Define HTA_X y\n",
    "all/ifmod": "<IfModule mod_headers.c>\nHeader set X-IfMod yes\n</IfModule>\n",
    "all/loadmod": "LoadModule foo_module modules/mod_foo.so\n",
    "all/dirsec": "<Directory /tmp>\n</Directory>\n",
    # expressions read from .htaccess: no function that reads a file (2.4.71: "file not
    # available in restricted context"), the -e/-f tests still allowed
    "all/exprfile": "<If \"file('/etc/hostname') != ''\">\nHeader set X-Hta file\n</If>\n",
    "all/exprsize": "Require expr \"filesize('/etc/hostname') -gt 0\"\n",
    "all/exprtest": "<If \"-f '/etc/hostname'\">\nHeader set X-Hta test\n</If>\n",
    # None, then All deeper
    "none": "BogusDirective on\n",
    "none/all": "Header set X-Deep deep\n",
    # AllowOverrideList
    "list": "Header set X-List yes\n",
    "list/no": "AddType text/x-list .txt\n",
    # Nonfatal
    "nonfatal": "BogusDirective on\nDirectoryIndex x\nHeader set X-NF yes\n",
    "unread": "Header set X-Unread yes\n",
}

CONFIG = """\
DocumentRoot {docs}
AccessFileName .htaccess .hta2
{user}
<Directory />
AllowOverride None
Require all granted
</Directory>
<Directory {docs}/fileinfo>
AllowOverride FileInfo
</Directory>
<Directory {docs}/indexes>
AllowOverride Indexes
Options Indexes
</Directory>
<Directory {docs}/options>
AllowOverride Options=Indexes,MultiViews
</Directory>
<Directory {docs}/limit>
AllowOverride Limit
</Directory>
<Directory {docs}/auth>
AllowOverride AuthConfig
</Directory>
<Directory {docs}/all>
AllowOverride All
</Directory>
<Directory {docs}/none/all>
AllowOverride All
</Directory>
<Directory {docs}/list>
AllowOverride None
AllowOverrideList Redirect Header
</Directory>
<Directory {docs}/nonfatal>
AllowOverride FileInfo Nonfatal=All
</Directory>
<Directory {docs}/unread>
AllowOverride All
</Directory>
<Directory {docs}/second>
AllowOverride All
</Directory>
<Directory {docs}/dirht>
AllowOverride All
</Directory>
<Location /all/l2/l3/>
Header set X-Order loc
</Location>
"""

REQUESTS = [
    "/fileinfo/redir/old.txt", "/fileinfo/hdr/a.txt", "/fileinfo/env/a.txt",
    "/fileinfo/type/a.txt", "/fileinfo/force/a.txt", "/fileinfo/errdoc/missing.txt",
    "/fileinfo/refused/a.txt", "/fileinfo/opts/a.txt", "/fileinfo/a.txt",
    "/indexes/", "/indexes/io/", "/indexes/refused/a.txt",
    "/options/on/", "/options/off/", "/options/bad/a.txt",
    "/limit/ok/a.txt", "/limit/req/a.txt",
    "/auth/deny/a.txt", "/auth/grant/a.txt", "/auth/ip/a.txt", "/auth/ip2/a.txt",
    "/auth/refused/a.txt",
    "/all/a.txt", "/all/l2/a.txt", "/all/l2/l3/a.txt", "/all/l2/l3/b.txt", "/all/l2/l3/",
    "/all/bad/a.txt", "/all/unclosed/a.txt", "/all/allowov/a.txt", "/all/args/a.txt",
    "/all/include/a.txt", "/all/define/a.txt", "/all/ifmod/a.txt", "/all/loadmod/a.txt",
    "/all/dirsec/a.txt", "/all/exprfile/a.txt", "/all/exprsize/a.txt", "/all/exprtest/a.txt",
    "/none/a.txt", "/none/all/a.txt",
    "/list/a.txt", "/list/no/a.txt",
    "/nonfatal/a.txt", "/unread/a.txt", "/second/a.txt", "/dirht/a.txt", "/all/l2/l3/missing.txt",
]
KEYS = ("content-type", "location", "x-hta", "x-env", "x-l1", "x-l2", "x-l3", "x-order",
        "x-deep", "x-list", "x-nf", "x-unread", "x-no", "x-ifmod", "x-second")


def make_docs(docs: Path) -> None:
    for d, text in HTACCESS.items():
        p = docs / d
        p.mkdir(parents=True, exist_ok=True)
        (p / "a.txt").write_text("a\n")
        (p / ".htaccess").write_text(text)
    (docs / "fileinfo" / "a.txt").write_text("the error document\n")
    (docs / "indexes" / "home.txt").write_text("home\n")
    (docs / "all" / "l2" / "l3" / "b.txt").write_text("b\n")
    (docs / "unread" / ".htaccess").chmod(0)
    # the second AccessFileName, where the first is absent
    (docs / "second").mkdir()
    (docs / "second" / "a.txt").write_text("a\n")
    (docs / "second" / ".hta2").write_text("Header set X-Second yes\n")
    # an .htaccess that is a directory: AH00554, then AH00529 with EBADF (403)
    (docs / "dirht" / ".htaccess").mkdir(parents=True)
    (docs / "dirht" / "a.txt").write_text("a\n")
    for dirpath, dirs, files in os.walk(docs):
        os.chmod(dirpath, 0o755)


def _message(line: str) -> str:
    """An error-log line without its time, pid and client."""
    line = re.sub(r"^\[[^\]]*\] ", "", line)
    line = re.sub(r"\[pid [^\]]*\] ", "", line)
    return re.sub(r"\[client [^\]]*\] ", "", line)


def _messages(log: str, docs: Path) -> dict:
    out = {}
    for line in log.splitlines():
        if "AH02295" in line or "AH02296" in line:     # Nonfatal's warnings
            out.setdefault(line.split("AH0229")[1][:1], _message(line))
        if "AH00554" in line:
            out.setdefault("AH00554", _message(line))
        m = re.search(re.escape(str(docs)) + r"/([\w/]+)/\.htaccess", line)
        if m and ("[core:alert]" in line or "[core:crit]" in line):
            out.setdefault(m.group(1), _message(line))
    return out


@pytest.fixture(scope="module")
def servers():
    if APACHE is None:
        pytest.skip("apache2 is not installed")
    base = Path(tempfile.mkdtemp(prefix="htaccess-e2e-"))
    os.chmod(base, 0o755)
    try:
        docs = base / "docs"
        make_docs(docs)
        user = "User nobody\nGroup nogroup" if os.geteuid() == 0 else ""
        pair = start_pair(base, CONFIG.format(docs=docs, user=user), modules=MODULES)
        try:
            answers = {}
            for path in REQUESTS:
                raw = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                answers[path] = (answer(pair[0], raw), answer(pair[1], raw))
            yield docs, pair, answers
        finally:
            stop_pair(pair)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_enough_requests():
    assert len(REQUESTS) >= 25


@pytest.mark.parametrize("path", REQUESTS)
def test_same_answer(servers, path):
    _, _, answers = servers
    (s1, f1, b1), (s2, f2, b2) = answers[path]
    assert s1 == s2, (path, s1, s2)
    assert {k: f1.get(k) for k in KEYS} == {k: f2.get(k) for k in KEYS}, path
    if s1 == 200 and f1.get("content-type", "").startswith("text/x-") or path.endswith(
            "a.txt") and s1 == 200:
        assert b1 == b2


def test_statuses_pinned(servers):
    """What Apache 2.4 answers, written down (so the test reads as a spec)."""
    _, _, answers = servers
    want = {"/fileinfo/redir/old.txt": 302, "/fileinfo/refused/a.txt": 500,
            "/fileinfo/opts/a.txt": 500, "/fileinfo/errdoc/missing.txt": 404,
            "/options/off/": 403, "/options/bad/a.txt": 500, "/limit/req/a.txt": 500,
            "/auth/deny/a.txt": 403, "/auth/ip2/a.txt": 403, "/auth/refused/a.txt": 500,
            "/all/bad/a.txt": 500, "/all/unclosed/a.txt": 500, "/none/a.txt": 200,
            "/list/no/a.txt": 500, "/nonfatal/a.txt": 200, "/unread/a.txt": 403,
            "/dirht/a.txt": 403, "/second/a.txt": 200}
    assert {p: answers[p][1][0] for p in want} == want


def test_same_error_log_lines(servers):
    docs, pair, _ = servers
    ours, theirs = (_messages(s.error_log, docs) for s in pair)
    assert set(theirs) >= {"all/bad", "all/unclosed", "unread", "fileinfo/refused", "dirht",
                           "AH00554", "5", "6"}
    assert ours == theirs





# -- AuthConfig and Limit with the authentication modules (branch auth) -------------------

AUTH_MODULES = ("authn_core", "auth_basic", "authn_file", "authz_user", "access_compat")
AUTH_HTACCESS = {
    "basic": 'AuthType Basic\nAuthName "hta realm"\nAuthUserFile {pw}\nRequire valid-user\n',
    "basic/bob": "Require user bob\n",
    "refused": "AuthType Basic\n",
    "limit/deny": "Order deny,allow\nDeny from all\n",
    "limit/allow": "Order deny,allow\nDeny from all\nAllow from 127.0.0.1\n",
    "limit/auth": "AuthName x\n",
}
AUTH_CONFIG = """\
DocumentRoot {docs}
<Directory />
AllowOverride None
Require all granted
</Directory>
<Directory {docs}/basic>
AllowOverride AuthConfig
</Directory>
<Directory {docs}/refused>
AllowOverride FileInfo
</Directory>
<Directory {docs}/limit>
AllowOverride Limit
</Directory>
"""
ALICE = "Authorization: Basic " + __import__("base64").b64encode(b"alice:secret").decode()
WRONG = "Authorization: Basic " + __import__("base64").b64encode(b"alice:nope").decode()
AUTH_REQUESTS = [("/basic/a.txt", ""), ("/basic/a.txt", ALICE), ("/basic/a.txt", WRONG),
                 ("/basic/bob/a.txt", ALICE), ("/refused/a.txt", ""),
                 ("/limit/deny/a.txt", ""), ("/limit/allow/a.txt", ""),
                 ("/limit/auth/a.txt", "")]


def _have_auth_modules() -> bool:
    from directives import CATALOGUE
    return all(f"{m}_module" in CATALOGUE for m in AUTH_MODULES)


@pytest.fixture(scope="module")
def auth_servers():
    if APACHE is None:
        pytest.skip("apache2 is not installed")
    if not _have_auth_modules():
        pytest.skip("needs " + ", ".join(f"mod_{m}" for m in AUTH_MODULES))
    import base64
    import hashlib
    base = Path(tempfile.mkdtemp(prefix="htaccess-auth-"))
    os.chmod(base, 0o755)
    try:
        docs = base / "docs"
        pw = base / "htpasswd"
        pw.write_text("alice:{SHA}" + base64.b64encode(hashlib.sha1(b"secret").digest())
                      .decode() + "\n")
        for d, text in AUTH_HTACCESS.items():
            (docs / d).mkdir(parents=True, exist_ok=True)
            (docs / d / "a.txt").write_text("a\n")
            (docs / d / ".htaccess").write_text(text.format(pw=pw))
        for dirpath, _, files in os.walk(base):
            os.chmod(dirpath, 0o755)
            for f in files:
                os.chmod(os.path.join(dirpath, f), 0o644)
        pair = start_pair(base, AUTH_CONFIG.format(docs=docs), modules=MODULES + AUTH_MODULES)
        try:
            answers = {}
            for path, field in AUTH_REQUESTS:
                raw = (f"GET {path} HTTP/1.1\r\nHost: localhost\r\n"
                       + (field + "\r\n" if field else "") + "Connection: close\r\n\r\n")
                answers[path, field] = (answer(pair[0], raw), answer(pair[1], raw))
            yield docs, pair, answers
        finally:
            stop_pair(pair)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("path,field", AUTH_REQUESTS)
def test_auth_same_answer(auth_servers, path, field):
    _, _, answers = auth_servers
    (s1, f1, _), (s2, f2, _) = answers[path, field]
    assert (s1, f1.get("www-authenticate")) == (s2, f2.get("www-authenticate")), path


def test_auth_pinned_and_logged(auth_servers):
    docs, pair, answers = auth_servers
    want = {("/basic/a.txt", ""): 401, ("/basic/a.txt", ALICE): 200,
            ("/basic/a.txt", WRONG): 401, ("/basic/bob/a.txt", ALICE): 401,
            ("/refused/a.txt", ""): 500, ("/limit/deny/a.txt", ""): 403,
            ("/limit/allow/a.txt", ""): 200, ("/limit/auth/a.txt", ""): 500}
    assert {k: answers[k][1][0] for k in want} == want
    ours, theirs = (_messages(s.error_log, docs) for s in pair)
    assert {"refused", "limit/auth"} <= set(theirs) and ours == theirs
