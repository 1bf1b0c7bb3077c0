"""The server's port and name as a request sees them, against real Apache.

ap_get_server_port (core.c) takes the port the request named -- an absolute target's,
else the Host field's, kept by fix_hostname in r->parsed_uri -- under UseCanonicalName
Off, and the ServerName's under On; UseCanonicalPhysicalPort puts the local port before
the ServerName's.  ap_get_server_name_for_url puts an IPv6 literal in brackets.  One
implementation (httpd/http/header_filter.py) serves every reader: ap_expr's SERVER_PORT,
SERVER_NAME and REQUEST_SCHEME, ap_construct_url (mod_dir's trailing-slash redirect,
mod_alias's path targets), and mod_log_config's %V.  mod_log_config's %p is the
ServerName's port (r->server->port), whatever the Host says.

Each request is answered by both servers; the Host values name ports other than the
one listened on, so no normalisation hides a wrong port.
"""
from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from .servers import APACHE, answer, start_pair, stop_pair

MODULES = ("authz_core", "mime", "dir", "alias", "headers")


def config(root: Path) -> str:
    docs = root / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "f.txt").write_text("f\n")
    return textwrap.dedent(f"""\
        DocumentRoot {docs}
        <Directory {docs}>
        Require all granted
        </Directory>
        Header always set X-Port "expr=%{{SERVER_PORT}}"
        Header always set X-Name "expr=%{{SERVER_NAME}}"
        Header always set X-Scheme "expr=%{{REQUEST_SCHEME}}"
        Header always set X-Is-123 yes "expr=%{{SERVER_PORT}} == 123"
        <Location /ucn>
        UseCanonicalName On
        </Location>
        <Location /phys>
        UseCanonicalPhysicalPort On
        </Location>
        <Location /ucnphys>
        UseCanonicalName On
        UseCanonicalPhysicalPort On
        </Location>
        <Location /dns>
        UseCanonicalName DNS
        </Location>
        RedirectMatch ^/r(.*) /f.txt$1
        LogFormat "%U %p %V" ports
        CustomLog ${{ACCESS_LOG}} ports
        <VirtualHost 127.0.0.1:*>
        ServerName localhost
        </VirtualHost>
        <VirtualHost 127.0.0.1:*>
        ServerName canon.test:8000
        </VirtualHost>
        <VirtualHost 127.0.0.1:*>
        ServerName https://secure.test
        </VirtualHost>
        """)


HOSTS = ["localhost", "localhost:123", "[::1]", "[::1]:8080", "EXAMPLE.test:80",
         "example.test:0080", "canon.test", "canon.test:9", "secure.test",
         "secure.test:443", "secure.test:80"]
PATHS = ["/sub", "/ucn/x", "/phys/x", "/ucnphys/x", "/dns/x", "/rx?q=1"]
REQUESTS = [f"GET {p} HTTP/1.1\r\nHost: {h}\r\nConnection: close\r\n\r\n"
            for h in HOSTS for p in PATHS] + [
    "GET http://abs.test:456/sub HTTP/1.1\r\nHost: other:9\r\nConnection: close\r\n\r\n",
    "GET http://abs.test/sub HTTP/1.1\r\nHost: other:9\r\nConnection: close\r\n\r\n",
    "GET http://[::2]:77/rx HTTP/1.1\r\nHost: other:9\r\nConnection: close\r\n\r\n",
    "GET http://canon.test:77/ucn/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "GET /sub HTTP/1.0\r\nConnection: close\r\n\r\n",
    "GET /sub HTTP/1.0\r\nHost: localhost:123\r\nConnection: close\r\n\r\n",
]
FIELDS = ("x-port", "x-name", "x-scheme", "x-is-123", "location")


def ident(raw: str) -> str:
    line, _, rest = raw.partition("\r\n")
    host = rest.partition("\r\n")[0] if rest.startswith("Host") else "-"
    return f"{line.split()[1]} {host}"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("server-port")
    body = config(root)
    servers = start_pair(root, body, modules=MODULES,
                         env={"ACCESS_LOG": "logs/access_log"})
    yield servers
    stop_pair(servers)


# Apache 2.4.71's answers for the reported cases, pinned (run without apache2 too)
PINNED = {
    ("/sub", "localhost:123"): {"x-port": "123", "x-name": "localhost", "x-is-123": "yes",
                                "location": "http://localhost:123/sub/"},
    ("/rx?q=1", "localhost:123"): {"x-port": "123",
                                   "location": "http://localhost:123/f.txtx?q=1"},
    ("/ucn/x", "localhost:123"): {"x-port": "80", "x-name": "localhost"},
    ("/phys/x", "localhost:123"): {"x-port": "123"},
    ("/sub", "[::1]"): {"x-port": "80", "x-name": "[::1]", "location": "http://[::1]/sub/"},
    ("/sub", "[::1]:8080"): {"x-port": "8080", "x-name": "[::1]",
                             "location": "http://[::1]:8080/sub/"},
    ("/ucn/x", "canon.test:9"): {"x-port": "8000", "x-name": "canon.test"},
    ("/sub", "canon.test"): {"x-port": "8000", "location": "http://canon.test:8000/sub/"},
    ("/sub", "secure.test"): {"x-port": "443", "x-scheme": "https",
                              "location": "https://secure.test/sub/"},
    ("/sub", "secure.test:80"): {"x-port": "80",
                                 "location": "https://secure.test:80/sub/"},
}


@pytest.mark.parametrize("path,host", list(PINNED))
def test_pinned(pair, path, host):
    ours = pair[0]
    _, fields, _ = answer(ours, f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                                "Connection: close\r\n\r\n")
    for name, value in PINNED[(path, host)].items():
        assert fields.get(name) == value, name


def test_absolute_target_port_wins_over_host(pair):
    _, fields, _ = answer(pair[0], REQUESTS[-6])
    assert (fields["x-port"], fields["location"]) == ("456", "http://abs.test:456/sub/")


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")
@pytest.mark.parametrize("raw", REQUESTS, ids=[ident(r) for r in REQUESTS])
def test_same_as_apache(pair, raw):
    ours, theirs = pair
    mine, apaches = answer(ours, raw), answer(theirs, raw)
    assert mine[0] == apaches[0]
    for name in FIELDS:       # the local port (UseCanonicalPhysicalPort) is each one's own
        a = apaches[1].get(name, "").replace(str(theirs.port), "PORT")
        assert mine[1].get(name, "").replace(str(ours.port), "PORT") == a, name


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")
def test_log_items_same_as_apache(pair):
    """%p is the ServerName's port and %V ap_get_server_name: the same lines."""
    ours, theirs = pair
    for raw in REQUESTS:
        answer(ours, raw)
        answer(theirs, raw)
    time.sleep(0.3)
    mine = (ours.root / "logs" / "access_log").read_text().splitlines()
    apaches = (theirs.root / "logs" / "access_log").read_text().splitlines()
    assert mine[-len(REQUESTS):] == apaches[-len(REQUESTS):]
