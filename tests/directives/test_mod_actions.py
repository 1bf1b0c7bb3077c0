"""mod_actions against real Apache, on httpd-tests' actions config and more: the same
status and the same CGI environment (method, query, PATH_INFO, PATH_TRANSLATED,
REDIRECT_HANDLER, REDIRECT_URL, SCRIPT_NAME) for Action by handler and by type,
virtual or not, and Script by method."""
from __future__ import annotations

import os

import pytest

from tests.e2e import servers as S

ECHO = (b"#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\n"
        b"for v in REQUEST_METHOD QUERY_STRING PATH_INFO PATH_TRANSLATED REDIRECT_HANDLER "
        b"REDIRECT_URL REDIRECT_STATUS SCRIPT_NAME CONTENT_LENGTH; do\n"
        b"  eval \"printf '%s=%s\\n' $v \\\"\\$$v\\\"\"\ndone\n"
        b"[ -n \"$CONTENT_LENGTH\" ] && head -c \"$CONTENT_LENGTH\"\nexit 0\n")


def config(docs) -> str:
    return f"""
LoadModule actions_module {S.MODDIR}/mod_actions.so
LoadModule cgi_module {S.MODDIR}/mod_cgi.so
TraceEnable off
DocumentRoot {docs}
<Directory />
    Require all granted
</Directory>
ScriptAlias /cgi_mod_actions {docs}/cgi
<Location /mod_actions>
    SetHandler my-handler
    Action my-handler "/cgi_mod_actions/echo.cgi" virtual
</Location>
<Directory {docs}/action>
    AddHandler my-file-type1 .xyz1
    Action my-file-type1 "/cgi_mod_actions/echo.cgi"
    AddHandler my-file-type2 .xyz2
    Action my-file-type2 "/cgi_mod_actions/echo.cgi" virtual
    Action text/x-actioned "/cgi_mod_actions/echo.cgi"
    AddType text/x-actioned .act
    Action My-Mixed-Case /cgi_mod_actions/echo.cgi virtual
    AddHandler my-mixed-case .mix
</Directory>
<Directory {docs}/script>
    Script GET  "/cgi_mod_actions/echo.cgi"
    Script POST "/cgi_mod_actions/echo.cgi"
    Script BREW "/cgi_mod_actions/echo.cgi"
</Directory>
"""


CASES = [("GET", "/mod_actions/"), ("GET", "/mod_actions/x/y?a=b"),
         ("GET", "/action/test.xyz"), ("GET", "/action/test.xyz1"),
         ("GET", "/action/there.xyz1"), ("GET", "/action/test.xyz22"),
         ("GET", "/action/test.xyz2"), ("GET", "/action/there.xyz2?q"),
         ("GET", "/action/page.act"), ("GET", "/action/none.act"),
         ("GET", "/action/m.mix"), ("GET", "/script/test.x"),
         ("GET", "/script/test.x?foo=bar"), ("GET", "/script/test.x?"),
         ("POST", "/script/test.x"), ("PUT", "/script/test.x"), ("BREW", "/script/test.x"),
         ("DELETE", "/script/test.x"), ("HEAD", "/script/test.x?foo"),
         ("POST", "/action/test.xyz2"), ("GET", "/action/sp%20ace.xyz2")]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None or not os.path.exists(f"{S.MODDIR}/mod_actions.so"):
        pytest.skip("apache2 with mod_actions is needed")
    root = tmp_path_factory.mktemp("actions")
    docs = root / "docs"
    for d in ("cgi", "action", "script"):
        (docs / d).mkdir(parents=True)
    (docs / "cgi" / "echo.cgi").write_bytes(ECHO)
    (docs / "cgi" / "echo.cgi").chmod(0o755)
    (docs / "action" / "there.xyz1").write_text("file\n")
    (docs / "action" / "page.act").write_text("act\n")
    (docs / "script" / "test.x").write_text("static\n")
    servers = S.start_pair(root, config(docs), modules=("authz_core", "mime", "alias"))
    yield servers
    S.stop_pair(servers)


def _ask(server, method, path):
    body = "Content-Length: 9\r\n\r\nfoo2=bar2" if method in ("POST", "PUT", "BREW") \
        else "\r\n"
    status, fields, data = S.answer(server, f"{method} {path} HTTP/1.0\r\nHost: x\r\n{body}")
    text = data.decode("latin-1").replace(str(server.root), "ROOT")
    return status, fields.get("allow"), text if status == 200 else ""


@pytest.mark.parametrize("method, path", CASES, ids=[f"{m} {p}" for m, p in CASES])
def test_same_answer(pair, method, path):
    ours, theirs = pair
    a, b = _ask(ours, method, path), _ask(theirs, method, path)
    a = (a[0], sorted((a[1] or "").split(",")), a[2].replace("/ours/", "/X/"))
    b = (b[0], sorted((b[1] or "").split(",")), b[2].replace("/theirs/", "/X/"))
    assert a == b
