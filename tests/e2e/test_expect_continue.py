"""Expect: 100-continue answered by an error: real Apache and httpd on one config.

ap_discard_request_body reads the body through the HTTP input filter, which sends 100
Continue only while the response status is a 2xx: a POST refused before its handler
(403, answered by an ErrorDocument) gets its error at once, with no interim response,
and the body is never read.  Without apache2 the recorded answers are checked."""
from __future__ import annotations

import socket

import pytest

from .servers import APACHE, start_apache, start_httpd

CONFIG = """DocumentRoot {docs}
<Directory {docs}>
    Require all granted
</Directory>
<Location /deny>
    Require all denied
    ErrorDocument 403 /err.html
</Location>
<Location /nf>
    ErrorDocument 404 /err.html
</Location>
"""
# request head -> (answers before the body is sent, after it, closed), as apache2 2.4
# answers: the 404 comes from the default handler, which drops the body while the status
# is still 200 (so 100 Continue goes out); the 403 is decided before any handler and its
# ErrorDocument's default handler runs with r->status 403
REQUESTS = {
    "403 with an ErrorDocument": (b"POST /deny/x HTTP/1.1\r\nHost: localhost\r\n"
                                  b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n",
                                  [b"403 Forbidden"], [], True),
    "404 with an ErrorDocument": (b"POST /nf/nothere HTTP/1.1\r\nHost: localhost\r\n"
                                  b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n",
                                  [b"100 Continue"], [b"404 Not Found"], False),
}


def exchange(port: int, head: bytes, body: bytes = b"hello") -> tuple[list, list, bool]:
    """Send ``head``; what comes back within 1 s; then the body unless the server
    closed, and what comes back after it (1 s of silence ends each read)."""
    parts, closed = [], False
    with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
        for data in (head, body):
            out = bytearray()
            if not closed:
                s.sendall(data)
                try:
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            closed = True
                            break
                        out += chunk
                except socket.timeout:
                    pass
            parts.append([line.split(b"\r\n", 1)[0] for line in out.split(b"HTTP/1.1 ")[1:]])
    return parts[0], parts[1], closed


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    found = []
    for kind, start in (("httpd", start_httpd), ("apache2", start_apache)):
        if kind == "apache2" and APACHE is None:
            continue
        root = tmp_path_factory.mktemp(kind)
        docs = root / "htdocs"
        docs.mkdir()
        (docs / "err.html").write_text("<p>error</p>\n")
        found.append(start(root, CONFIG.format(docs=docs), modules=("authz_core",)))
    yield found
    for s in found:
        s.stop()


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_no_continue_before_an_error(servers, name):
    head, *wanted = REQUESTS[name]
    for server in servers:
        assert list(exchange(server.port, head)) == wanted, server.kind
