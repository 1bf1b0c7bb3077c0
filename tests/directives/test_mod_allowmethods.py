"""mod_allowmethods against real Apache: ``httpd -t`` says what ``apache2 -t`` says, and
on one config both servers give the same status and Allow field to the same requests,
and log the same AH01623 lines.  (TraceEnable is off: this server's default, where
Apache's is on.)"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e import servers as S

LOAD = "LoadModule allowmethods_module /usr/lib/apache2/modules/mod_allowmethods.so\n"


def _in_dir(line: str) -> str:
    return f"{LOAD}<Directory />\n{line}\n</Directory>\n"


BODIES = [
    LOAD + "AllowMethods GET\n",
    _in_dir("AllowMethods"), _in_dir("AllowMethods reset"), _in_dir("AllowMethods RESET"),
    _in_dir("AllowMethods reset GET"), _in_dir("AllowMethods FOO"),
    _in_dir("AllowMethods get"), _in_dir("AllowMethods +GET"),
    _in_dir("AllowMethods GET PROPFIND BREW"), _in_dir("AllowMethods GET HEAD POST"),
    "RegisterHttpMethod BREW\n" + _in_dir("AllowMethods GET BREW"),
    LOAD + "<Location /x>\nAllowMethods GET\n</Location>\n",
    LOAD + "<Files x>\nAllowMethods GET\n</Files>\n",
]


@pytest.mark.parametrize("body", BODIES)
def test_config_against_apache(differential, body):
    differential(body)


def config(docs: Path) -> str:
    return f"""
LoadModule allowmethods_module {S.MODDIR}/mod_allowmethods.so
RegisterHttpMethod BREW
TraceEnable off
DocumentRoot {docs}
<Directory />
    AllowOverride None
    Require all granted
</Directory>
<Directory {docs}>
    AllowMethods GET OPTIONS
</Directory>
<Directory {docs}/post>
    AllowMethods POST
    AllowMethods GET
</Directory>
<Directory {docs}/open>
    AllowMethods reset
</Directory>
<Directory {docs}/brew>
    AllowMethods BREW GET
</Directory>
<Location /loc>
    AllowMethods PUT
</Location>
"""


CASES = [("GET", "/a.txt"), ("HEAD", "/a.txt"), ("POST", "/a.txt"), ("OPTIONS", "/a.txt"),
         ("DELETE", "/a.txt"), ("BREW", "/a.txt"), ("FOO", "/a.txt"), ("GET", "/post/a.txt"),
         ("POST", "/post/a.txt"), ("PUT", "/post/a.txt"), ("PUT", "/open/a.txt"),
         ("GET", "/open/a.txt"), ("BREW", "/brew/a.txt"), ("POST", "/brew/a.txt"),
         ("GET", "/missing"), ("POST", "/missing"), ("GET", "/loc"), ("PUT", "/loc"),
         ("TRACE", "/a.txt")]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None or not os.path.exists(f"{S.MODDIR}/mod_allowmethods.so"):
        pytest.skip("apache2 with mod_allowmethods is needed")
    root = tmp_path_factory.mktemp("allowmethods")
    docs = root / "docs"
    for d in ("", "post", "open", "brew"):
        (docs / d).mkdir(parents=True, exist_ok=True)
        (docs / d / "a.txt").write_text("text\n")
    servers = S.start_pair(root, config(docs), modules=("authz_core", "mime"))
    yield servers
    S.stop_pair(servers)


def _ask(server, method, path):
    body = "Content-Length: 0\r\n" if method in ("POST", "PUT") else ""
    status, fields, _ = S.answer(server, f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
                                         f"{body}Connection: close\r\n\r\n")
    allow = fields.get("allow")
    # Apache lists the methods in its registry's hash order, which APR seeds per process
    return status, None if allow is None else sorted(allow.split(","))


@pytest.mark.parametrize("method, path", CASES, ids=[f"{m} {p}" for m, p in CASES])
def test_same_answer(pair, method, path):
    ours, theirs = pair
    assert _ask(ours, method, path) == _ask(theirs, method, path)


def _denials(server) -> list:
    return sorted(re.sub(r"/\S*?/(ours|theirs)/", "/ROOT/", m)
                  for m in re.findall(r"AH01623: .*", server.error_log))


def test_same_log_lines(pair):
    ours, theirs = pair
    for m, p in CASES:
        _ask(ours, m, p), _ask(theirs, m, p)
    assert _denials(ours) == _denials(theirs) and _denials(ours)
