"""AcceptFilter and ListenTCPDeferAccept on Linux, as Debian's apache2 does them (strace
of its setsockopt calls): every listener whose protocol's AcceptFilter is not "none" --
http and https are "data" by default -- gets TCP_DEFER_ACCEPT for ListenTCPDeferAccept
seconds (30); "none" leaves the option off."""
from __future__ import annotations

import socket

import pytest

from httpd.mpm.listen import deferred_protocols, open_listeners
from tests.directives import harness
from tests.e2e.servers import free_port

pytestmark = pytest.mark.skipif(not hasattr(socket, "TCP_DEFER_ACCEPT"),
                                reason="no TCP_DEFER_ACCEPT on this platform")


def _deferral(tmp_path, body: str) -> dict:
    a, b = free_port(), free_port()
    p = harness.load(tmp_path, f"Listen 127.0.0.1:{a}\nListen 127.0.0.1:{b} https\n{body}")
    listeners = open_listeners(p.mpm_state.listen, defer=deferred_protocols(p))
    try:
        return {ln.protocol: ln.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT)
                for ln in listeners}
    finally:
        for ln in listeners:
            ln.sock.close()


def test_http_and_https_defer_by_default(tmp_path):
    got = _deferral(tmp_path, "")
    assert got["http"] >= 30 and got["https"] >= 30     # the kernel rounds up


def test_none_turns_it_off_for_its_protocol(tmp_path):
    got = _deferral(tmp_path, "AcceptFilter http none\n")
    assert got["http"] == 0 and got["https"] >= 30


def test_listen_tcp_defer_accept_sets_the_seconds(tmp_path):
    got = _deferral(tmp_path, "ListenTCPDeferAccept 5\n")
    assert 5 <= got["http"] < 30
