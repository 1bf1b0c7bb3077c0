"""mod_vhost_alias against real Apache: ``httpd -t`` says what ``apache2 -t`` says, and
with httpd-tests' formats (VirtualDocumentRoot .../%2/%1.4/%-2/%2+, VirtualScriptAlias
.../%0) and more, both servers serve the same files and scripts for the same Host
fields (the tree is made from the formats' own rules, as vhost_alias.t makes it)."""
from __future__ import annotations

import os

import pytest

from tests.e2e import servers as S

LOAD = "LoadModule vhost_alias_module /usr/lib/apache2/modules/mod_vhost_alias.so\n"
BODIES = ["VirtualDocumentRoot relative/%0\n", "VirtualDocumentRoot none\n",
          "VirtualDocumentRoot /srv/%x\n", "VirtualDocumentRoot /srv/%1.\n",
          "VirtualDocumentRoot /srv/%-1+.-2+/%p/%%\n", "VirtualScriptAliasIP /srv/%3\n",
          "VirtualDocumentRoot /srv/%\n", "<Directory />\nVirtualDocumentRoot /x\n</Directory>\n"]


@pytest.mark.parametrize("body", BODIES)
def test_config_against_apache(differential, body):
    differential(LOAD + body)


HOSTS = ["www.vha-test.com", "big.server.name.from.heck.org", "ab.com", "w-t-f.net",
         "Mixed.Case.ORG", "single", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w",
         "ab.com:80", "127.0.0.1"]


def _doc_dir(host: str) -> str:
    """%2/%1.4/%-2/%2+ as vhost_alias.t computes it."""
    part = host.lower().split(".")
    d = [part[1] if len(part) > 1 else "_",
         part[0][3] if len(part[0]) >= 4 else "_",
         part[-2] if len(part) > 1 else "_",
         ".".join(part[1:]) if len(part) > 1 else "_"]
    return "/".join(d)


SCRIPT = b"#!/bin/sh\necho Content-type: text/html\necho\necho test cgi for \"$DOCUMENT_ROOT\"\n"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None or not os.path.exists(f"{S.MODDIR}/mod_vhost_alias.so"):
        pytest.skip("apache2 with mod_vhost_alias is needed")
    root = tmp_path_factory.mktemp("vhostalias")
    base = root / "va"
    for host in HOSTS[:5]:
        d = base / _doc_dir(host)
        d.mkdir(parents=True, exist_ok=True)
        (d / "index.html").write_text(host + "\n")
        c = base / host.lower() / "cgi-bin"
        c.mkdir(parents=True, exist_ok=True)
        (c / "test-cgi.sh").write_bytes(SCRIPT)
        (c / "test-cgi.sh").chmod(0o755)
    ip = base / "ip" / "127" / "1"
    ip.mkdir(parents=True)
    (ip / "index.html").write_text("by address\n")
    body = (f"LoadModule vhost_alias_module {S.MODDIR}/mod_vhost_alias.so\n"
            f"LoadModule cgi_module {S.MODDIR}/mod_cgi.so\n"
            "<Directory />\nRequire all granted\n</Directory>\n"
            f"<Directory {base}>\nOptions +ExecCGI\n</Directory>\n"
            f"VirtualDocumentRoot {base}/%2/%1.4/%-2/%2+\n"
            f"VirtualScriptAlias {base}/%0/cgi-bin\n"
            f'Alias /byip "{base}/ip"\n')
    servers = S.start_pair(root, body, modules=("authz_core", "mime", "alias"))
    yield servers
    S.stop_pair(servers)


@pytest.mark.parametrize("host", HOSTS)
def test_same_answers(pair, host):
    ours, theirs = pair
    for path in ("/index.html", "/", "/cgi-bin/test-cgi.sh", "//cgi-bin/test-cgi.sh",
                 "/x/cgi-bin/test-cgi.sh", "/missing"):
        raw = f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n"
        a, b = S.answer(ours, raw), S.answer(theirs, raw)
        body_a = a[2].replace(str(ours.root).encode(), b"ROOT").replace(b"/ours/", b"/X/")
        body_b = b[2].replace(str(theirs.root).encode(), b"ROOT").replace(b"/theirs/", b"/X/")
        assert (a[0], body_a if a[0] == 200 else b"") == (b[0], body_b if b[0] == 200
                                                          else b""), (host, path)
