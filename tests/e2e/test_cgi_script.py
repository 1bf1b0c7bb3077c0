"""A ``cgi-script`` request, with mod_cgi and without a CGI module.

ScriptAlias and ScriptAliasMatch (and ``SetHandler cgi-script``) hand the request to
the cgi-script handler.  With mod_cgi loaded its handler answers as Apache's:
ExecCGI off (unless ScriptAlias'd) 403 AH02809, no such file 404 AH02811, a directory
403 AH02812, else the script runs.  Without a CGI module the core's handler makes the
same checks and then answers 403 where Apache would run it; it never sends a script's
source, as Apache without mod_cgi does.  A missing script was once 403: Apache, with
mod_cgi or without, says 404.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .servers import APACHE, answer, start_apache, start_httpd

MODULES = ("authz_core", "mime", "dir", "alias")


def make_tree(root: Path) -> None:
    docs, cgi = root / "docs", root / "cgi"
    (cgi / "subdir").mkdir(parents=True)
    docs.mkdir()
    (cgi / "exec.sh").write_text("#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho ran\n")
    (cgi / "exec.sh").chmod(0o755)
    (cgi / "plain.txt").write_text("source\n")
    (cgi / "subdir" / "index.html").write_text("idx\n")


def config(root: Path) -> str:
    return textwrap.dedent(f"""\
        DocumentRoot {root}/docs
        <Directory {root}/cgi>
        Require all granted
        </Directory>
        ScriptAlias /cgi-bin/ {root}/cgi/
        ScriptAliasMatch ^/cgim/(.*) {root}/cgi/$1
        Alias /h/ {root}/cgi/
        <Location /h/>
        SetHandler cgi-script
        </Location>
        <Location /x/>
        Options +ExecCGI
        </Location>
        Alias /x/ {root}/cgi/
        <Location /x/>
        SetHandler cgi-script
        </Location>
        Alias /xoff/ {root}/cgi/
        <Location /xoff/>
        Options +ExecCGI
        SetHandler cgi-script
        AcceptPathInfo Off
        </Location>
        """)


# path -> (status here, Apache 2.4.71 with mod_cgi, without mod_cgi); None: Apache runs
# the script (200), tries to and fails (500), or sends its source (200)
CASES = {
    "/cgi-bin/missing": (404, 404, 404), "/cgim/missing": (404, 404, 404),
    "/cgi-bin/missing/extra": (404, 404, 404), "/cgim/missing/extra": (404, 404, 404),
    "/cgi-bin/": (403, 403, 404), "/cgim/subdir": (301, 301, 301),
    "/cgi-bin/subdir": (301, 301, 301),
    "/h/plain.txt": (403, 403, None), "/h/missing": (403, 403, 404),
    "/h/exec.sh": (403, 403, None), "/x/missing": (404, 404, 404),
    "/x/exec.sh": (403, None, None), "/xoff/exec.sh/extra": (404, 404, 404),
    "/xoff/": (403, 403, 404),
    "/cgi-bin/plain.txt": (403, None, None), "/cgim/plain.txt": (403, None, None),
    "/cgi-bin/exec.sh": (403, None, None), "/cgim/exec.sh": (403, None, None),
    "/cgi-bin/subdir/": (403, None, None), "/cgi-bin/exec.sh/extra": (403, None, None),
}


def get(path: str) -> str:
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    root = tmp_path_factory.mktemp("cgi-script")
    make_tree(root)
    root.chmod(0o755)                  # the children's user runs the scripts
    for name in ("ours", "apache-cgi", "apache-nocgi", "ours-cgi"):
        (root / name).mkdir()
    started = [start_httpd(root / "ours", config(root), modules=MODULES)]
    try:
        started.append(start_apache(root / "apache-cgi", config(root), modules=MODULES + ("cgi",)))
        started.append(start_apache(root / "apache-nocgi", config(root), modules=MODULES))
        started.append(start_httpd(root / "ours-cgi", config(root),
                                   modules=MODULES + ("cgi",)))
    except Exception:
        for s in started:
            if s is not None:
                s.stop()
        raise
    yield started
    for s in started:
        if s is not None:
            s.stop()


@pytest.mark.parametrize("path", list(CASES))
def test_status(servers, path):
    ours = servers[0]                  # no CGI module: the core refuses, never the source
    status, _, body = answer(ours, get(path))
    assert status == CASES[path][0]
    assert b"#!/bin/sh" not in body and not body.startswith((b"source", b"ran", b"idx"))


def test_logged_as_mod_cgi_does(servers):
    ours = servers[0]
    answer(ours, get("/cgim/missing"))
    answer(ours, get("/h/plain.txt"))
    log = ours.error_log
    assert "[cgi:error]" in log
    assert f"AH02811: stderr from {ours.root.parent}/cgi/missing: script not found or " \
           "unable to stat" in log
    assert "AH02809: stderr from" in log and ": Options ExecCGI is off in this directory" in log


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")
@pytest.mark.parametrize("path", list(CASES))
def test_same_as_apache_with_mod_cgi(servers, path):
    """With mod_cgi loaded: Apache's refusals, and the script run where it runs it."""
    ours, with_cgi, ours_cgi = servers[0], servers[1], servers[3]
    theirs = answer(with_cgi, get(path))
    mine = answer(ours_cgi, get(path))
    assert mine[0] == theirs[0]
    if CASES[path][1] is not None:
        assert mine[0] == CASES[path][1]
    if theirs[0] == 200:            # Content-Length or chunked: Apache's timing decides
        assert _dechunk(mine) == _dechunk(theirs)


def _dechunk(ans) -> bytes:
    _, fields, body = ans
    if fields.get("transfer-encoding") != "chunked":
        return body
    out = b""
    while body:
        size, _, body = body.partition(b"\r\n")
        n = int(size or b"0", 16)
        if not n:
            break
        out, body = out + body[:n], body[n + 2:]
    return out


def test_refusals_logged_by_mod_cgi(servers):
    ours_cgi = servers[3]
    answer(ours_cgi, get("/cgim/missing"))
    answer(ours_cgi, get("/h/plain.txt"))
    log = ours_cgi.error_log
    assert "[cgi:error]" in log
    assert "AH02811: stderr from " in log and "AH02809: stderr from " in log


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")
@pytest.mark.parametrize("path", [p for p, c in CASES.items() if c[2] is not None])
def test_apache_without_mod_cgi(servers, path):
    """Pins Apache's own answers without mod_cgi (where it serves no source)."""
    assert answer(servers[2], get(path))[0] == CASES[path][2]
