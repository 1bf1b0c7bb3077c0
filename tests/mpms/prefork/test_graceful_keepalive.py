"""A graceful restart ends a child's keep-alive connection after its next response, as
Apache's prefork and worker do (the child's mpm_state is AP_MPMQ_STOPPING, so
ap_set_keepalive keeps nothing alive): that response says ``Connection: close`` and the
connection closes.  Pinned on apache2 2.4 prefork (a request, SIGUSR1 to the parent,
a second request on the same connection)."""
from __future__ import annotations

import shutil
import signal
import socket

import pytest

from tests.e2e.mpm import start_server, wait_for
from tests.mpms.clients import response as _response

ONE_CHILD = "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\nMaxRequestWorkers 1\n"


@pytest.mark.parametrize("mpm", ["prefork", "worker"])
def test_graceful_restart_closes_a_kept_alive_connection_after_its_next_response(mpm):
    srv = start_server(mpm, ONE_CHILD)
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
            first = _response(s)
            assert first.startswith(b"HTTP/1.1 200 ") and b"Connection: close" not in first
            srv.signal(signal.SIGUSR1)
            assert wait_for(lambda: srv.error_log.count("resuming normal operations") == 2, 10)
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
            second = _response(s)
            head = second.partition(b"\r\n\r\n")[0]
            assert second.startswith(b"HTTP/1.1 200 ") and b"\r\nConnection: close" in head
            assert b"Keep-Alive" not in head
            s.settimeout(5)
            assert s.recv(10) == b""            # and the child closed it
    finally:
        srv.stop()
        shutil.rmtree(srv.root, ignore_errors=True)
