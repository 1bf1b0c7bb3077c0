"""combined, common and vhost_combined byte for byte against a running Apache 2.4.

apache2 is started on a free port with the three formats (and a few more codes), raw
requests are sent with a socket, and for each one a Request is built by hand from what
was sent and what Apache answered (status, body size, bytes on the wire).  Our line for
it must be Apache's line, bar the time (the second may differ).  Skipped without
apache2.
"""
from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

from httpd.request.record import ConnInfo
from tests.conformance import apache as A
from tests.log.helpers import COMBINED, COMMON, VHOST_COMBINED, line, make_request, make_server

APACHE = A.APACHE
MODULES = A.MODDIR
EXTRA = "%a %A %{remote}p %{local}p %H %m %U %q %I %O %S %>s %B %{Host}i %V %v %X %k"
FORMATS = {"combined": COMBINED, "common": COMMON, "vhost_combined": VHOST_COMBINED,
           "extra": EXTRA}

REQUESTS = [
    b"GET /index.html?a=b HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla \"x\" \\ y\r\n"
    b"Referer: http://ref/\xc3\xa9\r\nConnection: close\r\n\r\n",
    b"HEAD /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    b"GET /nope HTTP/1.1\r\nHost: x\r\nUser-Agent: tab\there \xff\r\nConnection: close\r\n\r\n",
    b"GET /index.html HTTP/1.0\r\n\r\n",
    b"GET /index.html?q=%22a%22&b HTTP/1.1\r\nHost: x\r\nUser-Agent: a\r\nUser-Agent: b\r\n"
    b"Referer: \r\nConnection: close\r\n\r\n",
    # Apache answers 400 to a user:password in the target before it reads the header
    # fields, so it logs no Host and counts only the request line in %I
    b"GET http://user:pw@x/index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /index.html\r\n",
]
HEADERS_UNREAD = {5}


@pytest.fixture(scope="module")
def apache(tmp_path_factory):
    if APACHE is None:
        pytest.skip("apache2 is not installed")
    d = tmp_path_factory.mktemp("apache")
    (d / "logs").mkdir()
    (d / "htdocs").mkdir()
    (d / "htdocs" / "index.html").write_text("hello\n")
    port = A.free_port()
    logs = "".join(f'LogFormat "{fmt.replace(chr(34), chr(92) + chr(34))}" {name}\n'
                   f"CustomLog logs/{name} {name}\n" for name, fmt in FORMATS.items())
    conf = (
        f"LoadModule mpm_prefork_module {MODULES}/mod_mpm_prefork.so\n"
        f"LoadModule authz_core_module {MODULES}/mod_authz_core.so\n"
        f"ServerRoot {d}\nServerName localhost\nListen 127.0.0.1:{port}\n"
        f"PidFile {d}/logs/httpd.pid\nErrorLog logs/error_log\nDocumentRoot {d}/htdocs\n"
        f"StartServers 1\nMinSpareServers 1\nMaxSpareServers 2\n{logs}")
    try:
        ap = A.Apache.daemon(d, conf, port, d / "logs" / "httpd.pid")
    except RuntimeError as e:
        pytest.skip(str(e))
    exchanges = []
    with ap:
        for raw in REQUESTS:
            exchanges.append(_exchange(port, raw))
        lines = {name: _lines(d / "logs" / name, len(REQUESTS)) for name in FORMATS}
    return port, exchanges, lines


def _exchange(port: int, raw: bytes):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    client = s.getsockname()
    s.sendall(raw)
    out = b""
    while True:
        data = s.recv(65536)
        if not data:
            break
        out += data
    s.close()
    return raw, out, client


def _lines(path: Path, n: int) -> list[str]:
    for _ in range(200):
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            break
        time.sleep(0.05)
    return path.read_bytes().decode("latin-1").splitlines()


def _request(port: int, raw: bytes, response: bytes, client, unread: bool) -> object:
    """What the server would have in its Request record for this exchange."""
    if unread:
        raw = raw.split(b"\r\n", 1)[0] + b"\r\n"
    text = raw.decode("latin-1")
    head, _, _ = text.partition("\r\n\r\n")
    request_line, *fields = head.split("\r\n")
    words = request_line.split(" ")
    method, target = words[0], words[1]
    protocol = words[2] if len(words) > 2 else "HTTP/0.9"
    headers = [tuple(f.split(": ", 1)) if ": " in f else (f.rstrip(":"), "")
               for f in fields if f]
    path, q, args = target.partition("?")
    host = dict((k.lower(), v) for k, v in headers).get("host")
    if "://" in path:                   # an absolute target names the host itself
        host, _, path = path.split("://", 1)[1].partition("/")
        host, path = host.rpartition("@")[2], "/" + path
    if protocol == "HTTP/0.9":
        status, body = 200, response
    else:
        rhead, _, body = response.partition(b"\r\n\r\n")
        status = int(rhead.split(b" ", 2)[1])
        if method == "HEAD":
            body = b""
    conn = ConnInfo(client[0], client[1], "127.0.0.1", port, keepalive=False,
                    bytes_in=len(raw), bytes_out=len(response))
    return make_request(server=make_server("localhost"), conn=conn, headers=headers,
                        the_request=request_line, method=method, unparsed_uri=target,
                        uri=path, args=args if q else None, protocol=protocol,
                        hostname=host.split(":")[0].lower() if host else None,
                        status=status, bytes_sent=len(body), sent_bodyct=bool(body),
                        request_time=time.time())


_TIME = re.compile(r"\[\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]")


@pytest.mark.parametrize("name", list(FORMATS))
@pytest.mark.parametrize("index", range(len(REQUESTS)))
def test_line_matches_apache(apache, name, index):
    port, exchanges, lines = apache
    r = _request(port, *exchanges[index], unread=index in HEADERS_UNREAD)
    ours = _TIME.sub("[TIME]", line(FORMATS[name], r))
    theirs = _TIME.sub("[TIME]", lines[name][index])
    assert ours == theirs
