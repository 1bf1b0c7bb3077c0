"""mod_unique_id: UNIQUE_ID as Apache 2.4 makes it (27 characters of base64's URL
alphabet over the request's second, a per-process root, a counter and the connection
id), different for every request across processes and threads, kept over an internal
redirect, and the error log's %L for the request -- checked beside Debian's apache2."""
from __future__ import annotations

import base64
import os
import re
import time

import pytest

from tests.e2e import servers as S

SCRIPT = b"#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n%s %s\\n' \"$UNIQUE_ID\" " \
         b"\"$REDIRECT_UNIQUE_ID\"\n"


def _config(docs) -> str:
    return (f"LoadModule unique_id_module {S.MODDIR}/mod_unique_id.so\n"
            f"LoadModule cgi_module {S.MODDIR}/mod_cgi.so\n"
            f"DocumentRoot {docs}\n<Directory />\nRequire all granted\n</Directory>\n"
            f"<Directory {docs}/cgi>\nOptions +ExecCGI\nAddHandler cgi-script .cgi\n"
            "</Directory>\nErrorDocument 404 /cgi/id.cgi\n"
            'ErrorLogFormat "[%l] [%L] %M"\nLogLevel info\n'
            'LogFormat "%{UNIQUE_ID}e %U" uid\nCustomLog logs/uid_log uid\n')


def _servers(tmp_path, mpm, args):
    docs = tmp_path / "docs"
    (docs / "cgi").mkdir(parents=True)
    (docs / "cgi" / "id.cgi").write_bytes(SCRIPT)
    (docs / "cgi" / "id.cgi").chmod(0o755)
    ours = start_ours(tmp_path / "ours", docs, mpm, args)
    theirs = None
    if S.APACHE is not None and os.path.exists(f"{S.MODDIR}/mod_unique_id.so"):
        (tmp_path / "theirs").mkdir()
        # apache2's prefork parent signals its whole process group as it stops
        theirs = S.start_apache(tmp_path / "theirs", _config(docs), mpm=mpm, args=args,
                                modules=("authz_core", "mime"),
                                popen={"start_new_session": True})
    return ours, theirs


def start_ours(root, docs, mpm, args):
    root.mkdir()
    return S.start_httpd(root, _config(docs), mpm=mpm, args=args, seconds=20,
                         modules=("authz_core", "mime"), popen={"start_new_session": True})


def _ids(server, path="/cgi/id.cgi", n=60) -> list:
    out = []
    for _ in range(n):
        status, _, body = S.answer(server, f"GET {path} HTTP/1.0\r\nHost: x\r\n"
                                           "Connection: close\r\n\r\n")
        out.append((status, body.decode().split()))
    return out


def _check(uid: str, now: float) -> None:
    assert re.fullmatch(r"[A-Za-z0-9_-]{27}", uid), uid
    raw = base64.urlsafe_b64decode(uid + "=")
    assert abs(int.from_bytes(raw[:4], "big") - now) < 30


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_unique_ids(tmp_path, mpm):
    ours, theirs = _servers(tmp_path, mpm, ("-DFOREGROUND",))
    try:
        for server in filter(None, (ours, theirs)):
            now = time.time()
            got = _ids(server)
            assert all(status == 200 for status, _ in got)
            ids = [words[0] for _, words in got]
            assert len(set(ids)) == len(ids)
            for uid in ids:
                _check(uid, now)
            # an internal redirect (the ErrorDocument) keeps the request's id
            status, words = _ids(server, "/missing", 1)[0]
            assert status == 404 and words[0] == words[1]
            _check(words[0], now)
    finally:
        ours.stop()
        if theirs is not None:
            theirs.stop()


def test_error_log_id_is_the_unique_id(tmp_path):
    ours, theirs = _servers(tmp_path, "prefork", ("-X",))
    try:
        for server in filter(None, (ours, theirs)):
            S.answer(server, "GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and "uid_log" not in str(
                    list((server.root / "logs").iterdir())):
                time.sleep(0.05)
            time.sleep(0.3)
            logged = (server.root / "logs" / "uid_log").read_text().split()
            assert logged and re.search(rf"\[{re.escape(logged[0])}\]", server.error_log), \
                (logged, server.error_log)
    finally:
        ours.stop()
        if theirs is not None:
            theirs.stop()
