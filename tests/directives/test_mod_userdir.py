"""mod_userdir against real Apache: ``httpd -t`` says what ``apache2 -t`` says, and on
the same configs both servers answer the same requests for ``/~user`` with the same
status, Location and body: places in a home directory (a user this test makes, as
root, and removes), absolute, with ``*``, and URLs; disabled and enabled users."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e import servers as S

LOAD = "LoadModule userdir_module /usr/lib/apache2/modules/mod_userdir.so\n"
USER = "httpdudtest"

BODIES = [LOAD + "UserDir\n", LOAD + 'UserDir ""\n', LOAD + "UserDir public_html\n",
          LOAD + "UserDir disabled\n", LOAD + "UserDir Enabled a b\n",
          LOAD + "<Directory />\nUserDir public_html\n</Directory>\n",
          LOAD + "UserDir disabled root\nUserDir public_html /srv http://x/~*\n"]


@pytest.mark.parametrize("body", BODIES)
def test_config_against_apache(differential, body):
    differential(body)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("making a user with a home directory needs root")
    home = tmp_path_factory.mktemp("home") / USER
    subprocess.run(["userdel", USER], capture_output=True)
    subprocess.run(["useradd", "--system", "--home-dir", str(home), "--no-create-home",
                    "--shell", "/usr/sbin/nologin", USER], check=True, capture_output=True)
    try:
        _write(home / "public_html" / "a.txt", "home a\n")
        _write(home / "public_html" / "index.html", "<p>home index</p>\n")
        _write(home / "public_html" / "sub" / "b.txt", "home b\n")
        for p in [home, *home.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        p = home
        while p != p.parent:               # every folder above readable by the servers
            p.chmod(p.stat().st_mode | 0o755)
            p = p.parent
        yield home
    finally:
        deadline = time.monotonic() + 15
        while subprocess.run(["userdel", USER], capture_output=True).returncode not in (0, 6):
            assert time.monotonic() < deadline, f"user {USER} left behind"
            time.sleep(0.1)
        shutil.rmtree(home, ignore_errors=True)
    assert USER not in {p.pw_name for p in pwd.getpwall()}


def _docs(root: Path) -> Path:
    docs = root / "docs"
    _write(docs / "index.html", "<p>root</p>\n")
    _write(docs / "users" / "alice" / "x.txt", "alice x\n")
    _write(docs / "users" / "alice" / "index.html", "<p>alice</p>\n")
    _write(docs / "star" / "bob" / "www" / "x.txt", "bob x\n")
    _write(docs / "~root" / "index.html", "<p>not root's</p>\n")
    for p in [root, *root.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return docs


def _config(docs: Path, userdir: str) -> str:
    return f"""
LoadModule userdir_module {S.MODDIR}/mod_userdir.so
DocumentRoot {docs}
DirectoryIndex index.html
<Directory />
    AllowOverride None
    Require all granted
</Directory>
{userdir}
"""


MANY = ("UserDir public_html {docs}/users {docs}/star/*/www http://example.com/~*/\n"
        "UserDir disabled root\n")
ONLY_HOME = "UserDir public_html\nUserDir disabled\nUserDir enabled ALICE " + USER + "\n"

CASES = {
    "many": [f"/~{USER}/a.txt", f"/~{USER}/sub/b.txt", f"/~{USER}/", f"/~{USER}",
             f"/~{USER}/missing.txt", f"/~{USER}//a.txt", "/~alice/x.txt", "/~alice/",
             "/~alice", "/~bob/x.txt", "/~bob/nothing", "/~root/", "/~ROOT/", "/~nosuch",
             "/~nosuch/page?q=1", "/~", "/~/", "/~..", "/~a./x", "/~./", "/index.html",
             "/~alice/x.txt/more", f"/%7E{USER}/a.txt"],
    "only_home": [f"/~{USER}/a.txt", f"/~{USER}/", "/~alice/x.txt", "/~nosuch/x",
                  "/~root/", "/~bob/x.txt"],
}


@pytest.fixture(scope="module", params=["many", "only_home"])
def pair(request, tmp_path_factory, user):
    if S.APACHE is None or not os.path.exists(f"{S.MODDIR}/mod_userdir.so"):
        pytest.skip("apache2 with mod_userdir is needed")
    root = tmp_path_factory.mktemp("userdir")
    docs = _docs(root)
    text = {"many": MANY, "only_home": ONLY_HOME}[request.param].replace("{docs}", str(docs))
    servers = S.start_pair(root, _config(docs, text), modules=("authz_core", "mime", "dir"))
    yield request.param, servers
    S.stop_pair(servers)


def _ask(server, path):
    status, fields, body = S.answer(server, f"GET {path} HTTP/1.1\r\nHost: localhost\r\n"
                                            "Connection: close\r\n\r\n")
    return status, fields.get("location"), body if status == 200 else b""


def test_same_answers(pair):
    name, (ours, theirs) = pair
    for path in CASES[name]:
        assert _ask(ours, path) == _ask(theirs, path), path
