"""mod_remoteip against real Apache: ``httpd -t`` says what ``apache2 -t`` says, and on
the same configs both servers log the same user agent address, connection address,
host, remote port, the header left and the proxies header for the same
X-Forwarded-For values, and grant ``Require ip`` alike."""
from __future__ import annotations

import os
import re
import time

import pytest

from tests.e2e import servers as S

LOAD = "LoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so\n"

BODIES = [
    "RemoteIPTrustedProxy 10.0.0.0/33\n", "RemoteIPTrustedProxy localhost/8\n",
    "RemoteIPTrustedProxy ::ffff:1.2.3.4\n", "RemoteIPTrustedProxy 10.1\n",
    "RemoteIPTrustedProxy 1.2.3.4/255.0.255.0\n", "RemoteIPTrustedProxy 2001:db8::/32\n",
    "RemoteIPTrustedProxyList /nonexistent\n", "RemoteIPHeader\n", "RemoteIPTrustedProxy\n",
    "RemoteIPInternalProxy 10.0.0.1 192.168.0.0/16\n", "RemoteIPHeader X-Forwarded-For\n",
    "<Directory />\nRemoteIPHeader X\n</Directory>\n", "RemoteIPProxiesHeader a b\n",
    "RemoteIPTrustedProxy nosuchhost.invalid\n", "RemoteIPTrustedProxy 10.0.0.x\n",
]


@pytest.mark.parametrize("body", BODIES)
def test_config_against_apache(differential, body):
    differential(LOAD + body)


def test_proxy_list_file(differential, tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.write_text("10.0.0.1 10.0.0.2 # a comment 1.2.3.x\n\n192.168.0.0/16\n")
    bad.write_text("10.0.0.1 # c\n10.0.0.2 bad/x\n")
    differential(LOAD + f"RemoteIPInternalProxyList {good}\n")
    differential(LOAD + f"RemoteIPTrustedProxyList {bad}\n")


FORMAT = ('LogFormat "%a|%{c}a|%h|%{remote}p|%{X-Forwarded-For}i|%{X-Forwarded-By}i|'
          '%{remoteip-proxy-ip-list}n|%s" rip\nCustomLog logs/rip_log rip\n')

CONFIGS = {
    # every peer a trusted external proxy
    "open": "RemoteIPHeader X-Forwarded-For\n",
    # the peer (127.0.0.1) internal; 198.51.100.0/24 trusted external
    "listed": ("RemoteIPHeader X-Forwarded-For\nRemoteIPProxiesHeader X-Forwarded-By\n"
               "RemoteIPInternalProxy 127.0.0.0/8 10.0.0.0/8\n"
               "RemoteIPTrustedProxy 198.51.100.0/24 2001:db8::1\n"),
    # the peer is not listed: nothing is taken
    "strangers": "RemoteIPHeader X-Forwarded-For\nRemoteIPTrustedProxy 198.51.100.7\n",
}

VALUES = ["203.0.113.5", "10.0.0.1", "203.0.113.5, 198.51.100.7", "198.51.100.7, 10.1.2.3",
          "203.0.113.9,198.51.100.7 ,  10.0.0.3", "bogus, 198.51.100.7", "  , 198.51.100.7",
          "203.0.113.5,  junk  , 10.0.0.3", "2001:db8::5", "2001:db8::5, 2001:db8::1",
          "::ffff:203.0.113.5", "192.168.1.1, 10.0.0.3", "1.2.3", "0x7f.1", "",
          "203.0.113.5, 203.0.113.6, 198.51.100.8", "fe80::1", "8.8.8.8 , 127.0.0.1", None]


def _start(root, settings: str):
    """Both servers on a DocumentRoot with /a.txt and /ip/a.txt (Require ip
    203.0.113.0/24), the rip_log and ``settings``."""
    docs = root / "docs"
    (docs / "ip").mkdir(parents=True)
    (docs / "a.txt").write_text("a\n")
    (docs / "ip" / "a.txt").write_text("ip\n")
    body = (f"LoadModule remoteip_module {S.MODDIR}/mod_remoteip.so\n{FORMAT}"
            f"DocumentRoot {docs}\n<Directory />\nRequire all granted\n</Directory>\n"
            f"<Directory {docs}/ip>\nRequire ip 203.0.113.0/24\n</Directory>\n" + settings)
    return S.start_pair(root, body, modules=("authz_core", "authz_host", "mime"))


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def pair(request, tmp_path_factory):
    if S.APACHE is None or not os.path.exists(f"{S.MODDIR}/mod_remoteip.so"):
        pytest.skip("apache2 with mod_remoteip is needed")
    servers = _start(tmp_path_factory.mktemp("remoteip"), CONFIGS[request.param])
    yield servers
    S.stop_pair(servers)


def _lines(server, count: int) -> list:
    path = server.root / "logs" / "rip_log"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    return lines


def test_same_answers(pair):
    ours, theirs = pair
    sent = 0
    for value in VALUES:
        for path in ("/a.txt", "/ip/a.txt"):
            header = "" if value is None else f"X-Forwarded-For: {value}\r\n"
            raw = (f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{header}"
                   "Connection: close\r\n\r\n")
            a, b = S.answer(ours, raw)[0], S.answer(theirs, raw)[0]
            assert a == b, (value, path)
            sent += 1
    ours_lines, theirs_lines = _lines(ours, sent), _lines(theirs, sent)
    # the connection's port differs from server to server: the second field aside
    strip = [lambda ls: [ln.split("|") for ln in ls]][0]
    ours_f, theirs_f = strip(ours_lines), strip(theirs_lines)
    assert len(ours_f) == len(theirs_f) == sent
    for o, t, value in zip(ours_f, theirs_f, [v for v in VALUES for _ in (0, 1)]):
        if o[0] == "127.0.0.1" and t[0] == "127.0.0.1":
            o[3] = t[3] = "PEER"            # the peer's own port: each connection's
        assert o == t, value


# -- the PROXY protocol -------------------------------------------------------------------

V2 = b"\r\n\r\n\x00\r\nQUIT\n"
GET = b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
PROXIED = [
    b"PROXY TCP4 192.168.192.66 192.168.192.77 1111 2222\r\n" + GET,
    b"PROXY TCP6 2001:DB8::21f:5bff:febf:ce22:8a2e 2001:DB8::12f:8baa:eafc:ce29:6b2e 3333 "
    b"4444\r\n" + GET,
    b"PROXY UNKNOWN\r\n" + GET,
    b"PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n" + GET,
    b"PROXY FOO 192.168.192.66 192.168.192.77 1111 2222\r\n" + GET,
    b"PROXY TCP4 192.168.192.66\r\n" + GET,
    b"PROXY TCP4 192.168.1x.66 1.2.3.4 1 2\r\n" + GET,
    b"PROXY TCP4 192.168.1.66 1.2.3.4 port 2\r\n" + GET,
    b"PROXY TCP4 1.2.3.4 5.6.7.8 70000 2\r\n" + GET,
    b"PROXY TCP4 999.2.3.4 5.6.7.8 1 2\r\n" + GET,
    b"PROXY  TCP4  1.2.3.4  5.6.7.8  9  2\r\n" + GET,
    b"PROXY TCP4 1.2.3.4 5.6.7.8 9 2\n" + GET,
    b"PROXY TCP4 1.2.3.4 5.6.7.8 9 " + b"2" * 120 + b"\r\n" + GET,
    V2 + b"\x21\x11\x00\x0c" + bytes([192, 168, 192, 66, 192, 168, 192, 77, 1, 240, 1, 241])
    + GET,
    V2 + b"\x21\x21\x00\x24" + bytes(range(16)) + bytes(16) + b"\x12\x34\x00\x50" + GET,
    V2 + b"\x20\x00\x00\x00" + GET,
    V2 + b"\x22\x11\x00\x0c" + bytes(12) + GET,
    V2 + b"\x21\x31\x00\x0c" + bytes(12) + GET,
    V2 + b"\x21\x11\x00\x04" + bytes(4) + GET,
    V2 + b"\x21\x11\x01\x00" + bytes(256) + GET,
    GET,
    b"PROXY TCP4 203.0.113.9 5.6.7.8 4321 80\r\n" + GET.replace(b"close", b"keep-alive")
    + GET.replace(b"a.txt", b"ip/a.txt"),
]


@pytest.fixture(scope="module", params=["on", "excepted"])
def proxy_pair(request, tmp_path_factory):
    if S.APACHE is None or not os.path.exists(f"{S.MODDIR}/mod_remoteip.so"):
        pytest.skip("apache2 with mod_remoteip is needed")
    extra = "RemoteIPProxyProtocolExceptions 127.0.0.0/8\n" if request.param == "excepted" \
        else ""
    servers = _start(tmp_path_factory.mktemp("proxyproto"), "RemoteIPHeader X-Forwarded-For\n"
                     "RemoteIPProxyProtocol On\n" + extra)
    yield request.param, servers
    S.stop_pair(servers)


def _statuses(data: bytes) -> list:
    return [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)]


def test_proxy_protocol_as_apache(proxy_pair):
    name, (ours, theirs) = proxy_pair
    answers = []
    for raw in PROXIED:
        a = _statuses(S.raw_request(ours.port, raw, wait=1.0)[0])
        b = _statuses(S.raw_request(theirs.port, raw, wait=1.0)[0])
        assert a == b, raw
        answers.append(a)
    served = sum(len(a) for a in answers)
    ours_lines = [ln.split("|") for ln in _lines(ours, served)]
    theirs_lines = [ln.split("|") for ln in _lines(theirs, served)]
    assert len(ours_lines) == len(theirs_lines) == served
    for o, t in zip(ours_lines, theirs_lines):
        if o[0] == "127.0.0.1" and t[0] == "127.0.0.1":
            o[3] = t[3] = "PEER"
        assert o == t
    if name == "on":
        assert answers[0] == [200] and answers[4] == [] and answers[-2] == []
    else:
        assert answers[-2] == [200]


@pytest.mark.parametrize("proxy_pair", ["on"], indirect=True)
def test_proxy_protocol_split_over_writes(proxy_pair):
    """The header may come in pieces (a byte at a time here)."""
    _, (ours, _) = proxy_pair
    import socket as _socket
    with _socket.create_connection(("127.0.0.1", ours.port), timeout=5) as s:
        for i in range(0, len(PROXIED[0])):
            s.sendall(PROXIED[0][i:i + 1])
            if i < 60:
                time.sleep(0.002)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert _statuses(data) == [200]
