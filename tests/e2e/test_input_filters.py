"""End to end: request body input filters (SetInputFilter, mod_mime's AddInputFilter)
and mod_deflate's DEFLATE input filter, against real Apache (mod_cgi, mod_deflate,
mod_mime) on one config.

A CGI script answers with what it read from stdin (its length and a digest) and the
CONTENT_LENGTH / HTTP_CONTENT_ENCODING it was given; each request must get the same
status and the same script output from both servers, and the same deflate error-log
line.  Covered: a gzip body inflated (x-gzip, ``gzip, identity``, ``deflate, gzip``),
no Content-Encoding or another one passed as it is, a chunked gzip body, an empty
one, a body that is not gzip (AH01387), reserved flags (AH01388), a stream cut short
(AH02481), data after its end (AH02485), a bad CRC (AH01394), the inflated size over
DeflateInflateLimitRequestBody (413, AH02648), over LimitRequestBody when that is
unset, an FNAME field skipped, AddInputFilter by extension, and no filter at all.
"""
from __future__ import annotations

import gzip
import os
import re
import struct
import textwrap
import time
import zlib
from pathlib import Path

import pytest

from tests.e2e import servers as S

MODULES = ("authz_core", "mime", "alias", "cgi", "deflate")

SCRIPT = """#!/usr/bin/env python3
import hashlib, os, sys
data = sys.stdin.buffer.read()
print("Content-Type: text/plain")
print()
print(len(data), hashlib.sha1(data).hexdigest()[:12])
print("CL", os.environ.get("CONTENT_LENGTH"))
print("CE", os.environ.get("HTTP_CONTENT_ENCODING"))
"""

TEXT = b"the quick brown fox jumps over the lazy dog\n" * 50


def _gz(data: bytes, **kw) -> bytes:
    return gzip.compress(data, mtime=0, **kw)


def _with_fname(data: bytes) -> bytes:
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = raw.compress(data) + raw.flush()
    head = bytes((0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3)) + b"name.txt\0"
    return head + body + struct.pack("<II", zlib.crc32(data), len(data))


GZ = _gz(TEXT)
BAD_CRC = GZ[:-8] + struct.pack("<II", zlib.crc32(TEXT) ^ 1, len(TEXT))
CASES = {
    "gzip": ("/in/echo.py", "gzip", GZ),
    "x-gzip": ("/in/echo.py", "x-gzip", GZ),
    "gzip-identity": ("/in/echo.py", "gzip, identity", GZ),
    "deflate-gzip": ("/in/echo.py", "deflate, gzip", GZ),
    "no-encoding": ("/in/echo.py", None, TEXT),
    "other-encoding": ("/in/echo.py", "br", GZ),
    "empty": ("/in/echo.py", "gzip", b""),
    "not-gzip": ("/in/echo.py", "gzip", TEXT),
    "reserved-flags": ("/in/echo.py", "gzip", GZ[:3] + b"\xe0" + GZ[4:]),
    "cut-short": ("/in/echo.py", "gzip", GZ[:len(GZ) // 2]),
    "short-header": ("/in/echo.py", "gzip", GZ[:5]),
    "trailing-data": ("/in/echo.py", "gzip", GZ + b"junk"),
    "bad-crc": ("/in/echo.py", "gzip", BAD_CRC),
    "fname-field": ("/in/echo.py", "gzip", _with_fname(TEXT)),
    "over-inflate-limit": ("/lim/echo.py", "gzip", GZ),
    "under-inflate-limit": ("/lim/echo.py", "gzip", _gz(b"small")),
    "over-limit-request-body": ("/lrb/echo.py", "gzip", GZ),
    "by-extension": ("/ext/echo.zcgi", "gzip", GZ),
    "no-filter": ("/plain/echo.py", "gzip", GZ),
}


def config(root: Path) -> str:
    return textwrap.dedent(f"""\
        DocumentRoot {root}/cgi
        <Directory {root}/cgi>
        Require all granted
        </Directory>
        ScriptAlias /in/ {root}/cgi/
        ScriptAlias /lim/ {root}/cgi/
        ScriptAlias /lrb/ {root}/cgi/
        ScriptAlias /plain/ {root}/cgi/
        Alias /ext/ {root}/cgi/
        <Location /in/>
        SetInputFilter DEFLATE
        </Location>
        <Location /lim/>
        SetInputFilter DEFLATE
        DeflateInflateLimitRequestBody 100
        </Location>
        <Location /lrb/>
        SetInputFilter DEFLATE
        LimitRequestBody 1000
        </Location>
        <Location /ext/>
        Options +ExecCGI
        AddHandler cgi-script .zcgi
        AddInputFilter DEFLATE zcgi
        </Location>
        """)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if S.APACHE is None or not all(os.path.exists(f"{S.MODDIR}/mod_{m}.so") for m in MODULES):
        pytest.skip("apache2 with mod_cgi and mod_deflate is needed")
    root = tmp_path_factory.mktemp("infilters")
    os.chmod(root, 0o755)
    for name in ("ours", "theirs"):
        cgi = root / name / "cgi"
        cgi.mkdir(parents=True)
        for f in ("echo.py", "echo.zcgi"):
            (cgi / f).write_text(SCRIPT)
            (cgi / f).chmod(0o755)
    ours = S.start_httpd(root / "ours", config(root / "ours"), modules=MODULES)
    try:
        theirs = S.start_apache(root / "theirs", config(root / "theirs"), modules=MODULES)
    except Exception:
        ours.stop()
        raise
    yield ours, theirs
    S.stop_pair((ours, theirs))


def _post(server, path: str, encoding, body: bytes, chunked: bool = False):
    head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    if encoding is not None:
        head += f"Content-Encoding: {encoding}\r\n"
    if chunked:
        head += "Transfer-Encoding: chunked\r\n\r\n"
        data = head.encode() + b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 100]),
                                                           body[i:i + 100])
                                        for i in range(0, len(body), 100)) + b"0\r\n\r\n"
    else:
        data = head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    raw, _ = S.raw_request(server.port, data, wait=3.0)
    head, _, out = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    if b"chunked" in head.lower():
        out = _dechunk(out)
    return status, out if status == 200 else b""


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size, _, rest = data.partition(b"\r\n")
        n = int(size.split(b";")[0] or b"0", 16)
        if not n:
            break
        out += rest[:n]
        data = rest[n + 2:]
    return bytes(out)


def _deflate_lines(server, since: int) -> list:
    log = Path(server.root) / "logs" / "error_log"
    for _ in range(20):
        text = log.read_text(errors="replace")[since:]
        if "deflate" in text or "AH01225" in text:
            break
        time.sleep(0.05)
    return [re.sub(r".*(AH0\d+: .*?)(?:, referer.*)?$", r"\1", line)
            for line in text.splitlines() if ":error]" in line or ":warn]" in line
            if "[deflate:" in line]


@pytest.mark.parametrize("name", list(CASES))
def test_same_answer(pair, name):
    path, encoding, body = CASES[name]
    got = []
    for server in pair:
        log = Path(server.root) / "logs" / "error_log"
        since = len(log.read_text(errors="replace")) if log.exists() else 0
        status, out = _post(server, path, encoding, body)
        got.append((status, out, _deflate_lines(server, since)))
    assert got[0] == got[1]


def test_chunked_gzip_body(pair):
    answers = [_post(server, "/in/echo.py", "gzip", GZ, chunked=True) for server in pair]
    assert answers[0] == answers[1]
    assert answers[0][0] == 200 and answers[0][1].startswith(b"%d " % len(TEXT))
