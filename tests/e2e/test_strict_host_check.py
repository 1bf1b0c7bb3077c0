"""StrictHostCheck, against real Apache (protocol.c ap_check_request_header, vhost.c).

The directive is read from the connection's base server: the default (first) virtual
host of the address, which inherits the main server's value, or the main server when no
<VirtualHost> names the address.  When On, a Host that no ServerName or ServerAlias of
the address claims (nor a <VirtualHost> name, the virthost fallback) is answered 400
with AH10156/AH10157, instead of going to the default server; a request without a host
name is never refused.  Set only in a later virtual host, it has no effect.
"""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from .servers import APACHE, answer, start_pair, stop_pair

MODULES = ("authz_core", "mime")

SETUPS = {
    "in-default-vhost": """\
        <VirtualHost 127.0.0.1:*>
        ServerName first.test
        ServerAlias alias1.test *.wild.test
        StrictHostCheck ON
        </VirtualHost>
        <VirtualHost 127.0.0.1:*>
        ServerName second.test
        </VirtualHost>
        """,
    "in-main-no-vhosts": "StrictHostCheck ON\n",
    "in-second-vhost-only": """\
        <VirtualHost 127.0.0.1:*>
        ServerName first.test
        </VirtualHost>
        <VirtualHost 127.0.0.1:*>
        ServerName second.test
        StrictHostCheck ON
        </VirtualHost>
        """,
    "in-main-inherited": """\
        StrictHostCheck ON
        <VirtualHost 127.0.0.1:*>
        ServerName first.test
        </VirtualHost>
        <VirtualHost 127.0.0.1:*>
        ServerName second.test
        StrictHostCheck OFF
        </VirtualHost>
        """,
}

HOSTS = ["first.test", "FIRST.test:99", "alias1.test", "x.wild.test", "second.test",
         "unknown.test", "localhost", "127.0.0.1", None]
REQUESTS = [f"GET /f.txt HTTP/1.1\r\nHost: {h}\r\nConnection: close\r\n\r\n"
            if h else "GET /f.txt HTTP/1.0\r\n\r\n" for h in HOSTS] + [
    "GET http://unknown.test/f.txt HTTP/1.1\r\nHost: first.test\r\nConnection: close\r\n\r\n",
    "GET http://first.test/f.txt HTTP/1.1\r\nHost: unknown.test\r\nConnection: close\r\n\r\n",
]
IDS = [str(h) for h in HOSTS] + ["abs-unknown", "abs-first"]

# Apache 2.4.71's statuses, per setup, in REQUESTS order
PINNED = {
    "in-default-vhost": [200, 200, 200, 200, 200, 400, 400, 200, 200, 400, 200],
    "in-main-no-vhosts": [400, 400, 400, 400, 400, 400, 200, 400, 200, 400, 400],
    "in-second-vhost-only": [200] * 11,
    "in-main-inherited": [200, 200, 400, 400, 200, 400, 400, 200, 200, 400, 200],
}


def body(root: Path, setup: str) -> str:
    docs = root / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "f.txt").write_text("file\n")
    return (f"DocumentRoot {docs}\n<Directory {docs}>\nRequire all granted\n</Directory>\n"
            + textwrap.dedent(SETUPS[setup]))


@pytest.fixture(scope="module", params=list(SETUPS))
def pair(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("strict-" + request.param)
    servers = start_pair(root, body(root, request.param), modules=MODULES)
    yield request.param, servers
    stop_pair(servers)


def test_pinned_statuses(pair):
    setup, (ours, _) = pair
    got = [answer(ours, raw)[0] for raw in REQUESTS]
    assert got == PINNED[setup]


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")
def test_same_as_apache(pair):
    setup, (ours, theirs) = pair
    for raw, name in zip(REQUESTS, IDS):
        mine, apaches = answer(ours, raw), answer(theirs, raw)
        assert (name, mine[0], mine[2]) == (name, apaches[0], apaches[2])


_PREFIX = re.compile(r"^\[[^\]]*\] \[core:warn\] \[pid [^\]]*\] \[client [^\]]*\] ", re.M)


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")
def test_warnings_same_as_apache(pair):
    setup, (ours, theirs) = pair
    for raw in REQUESTS:
        answer(ours, raw)
        answer(theirs, raw)

    def warnings(server):
        text = server.error_log.replace(str(server.root), "ROOT")
        return [line[m.end():] for line in text.splitlines()
                for m in [_PREFIX.match(line)] if m and "AH1015" in line]
    assert set(warnings(ours)) == set(warnings(theirs))     # ours answered more often
    if setup != "in-second-vhost-only":
        assert warnings(ours)
