"""mod_env, mod_setenvif and mod_headers on the cases of cases.py, compared with
what Apache 2.4.71 answered (headers_golden.json, from record.py).

The hooks run in Apache's order on a hand-built Request: post_read_request (server
config: SetEnvIf at server level, ``early`` headers), header_parser (the per-directory
SetEnvIf), fixups (SetEnv, then RequestHeader), the handler (a listing, or none for a
404), then what the response writer calls before sending: apply_response_headers.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from directives.mod_autoindex import listing
from directives import mod_env, mod_headers, mod_setenvif
from httpd.module.hooks import HookTable
from tests.directives import harness
from tests.conformance import apache
from tests.conformance.headers import cases as H

GOLDEN = apache.load("headers", "headers_golden.json")
HOOKS = HookTable([mod_env.MODULE, mod_setenvif.MODULE, mod_headers.MODULE])
NOT_COMPARED = {"date", "server", "connection", "content-length", "transfer-encoding",
                "content-type", "keep-alive"}


def run_case(case: str, tmp_path: Path):
    c = H.CASES[case]
    cgi, lst = tmp_path / "cgi", tmp_path / "list"
    cgi.mkdir()
    lst.mkdir()
    (cgi / "env.cgi").write_text(H.CGI_SCRIPT)
    process = harness.load(tmp_path, H.config(case, str(cgi), str(lst)))
    uri = H.TARGET_PATH[c["target"]]
    r = harness.request(process, uri, headers=c.get("headers", ()))
    assert HOOKS.run_all("post_read_request", r) == 0
    filename = {"cgi": str(cgi / "env.cgi"), "list": str(lst) + "/",
                "missing": str(lst / "nope")}[c["target"]]
    secs = [s for s in harness.sections(process)
            if (s.kind == "Directory" and filename.startswith(s.path))
            or (s.kind == "Location" and uri.startswith(s.path))]
    secs.sort(key=lambda s: s.kind != "Directory")
    r.per_dir_config = harness.merged(process, process.main_server, secs)
    r.filename = filename
    assert HOOKS.run_all("header_parser", r) == 0
    assert HOOKS.run_all("fixups", r) == 0
    if c["target"] == "list":
        r.handler = listing.DIR_MAGIC_TYPE
        r.finfo = os.stat(filename)
        assert listing.handle_autoindex(r) == 0
        mod_headers.apply_response_headers(r)
    elif c["target"] == "missing":
        r.status = 404
        mod_headers.apply_response_headers(r, error=True)
    return r


def response_fields(r) -> list:
    """err_headers_out then headers_out (Apache's overlay), Vary de-duplicated."""
    out = []
    for k, v in r.err_headers_out.items() + r.headers_out.items():
        if k.lower() in NOT_COMPARED:
            continue                  # the response writer puts Content-Type last
        if k.lower() == "vary":
            seen: list = []
            for token in (t.strip() for t in v.split(",")):
                if token and token.lower() not in [s.lower() for s in seen]:
                    seen.append(token)
            v = ", ".join(seen)
        out.append([k, v])
    return out


def cgi_env(r, watch) -> dict:
    """What the CGI would see: subprocess_env, and the request headers as HTTP_*
    (Apache sets those last-wins)."""
    env = {}
    for name in watch:
        if name.startswith("HTTP_"):
            values = [v for k, v in r.headers_in.items()
                      if "HTTP_" + k.upper().replace("-", "_") == name]
            if values:
                env[name] = [values[-1]]
        else:
            value = mod_env._find(r.subprocess_env, name)
            if value is not None:
                env[value] = [r.subprocess_env[value]]
    return env


@pytest.mark.parametrize("case", list(H.CASES))
def test_same_as_apache(case, tmp_path):
    want = GOLDEN[case]
    r = run_case(case, tmp_path)
    c = H.CASES[case]
    if c["target"] == "cgi":
        assert cgi_env(r, c["watch"]) == want["env"]
        assert [f for f in response_fields(r) if f[0] == "Vary"] == \
            [f for f in want["fields"] if f[0] == "Vary"]
        return
    expected = [f for f in want["fields"] if f[0].lower() not in NOT_COMPARED]
    assert response_fields(r) == expected
    if c["target"] == "list":
        assert r.content_type == dict(want["fields"])["Content-Type"]
