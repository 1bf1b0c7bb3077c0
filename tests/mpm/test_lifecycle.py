"""httpd/mpm/lifecycle.py: the hooks a child runs over its life, seen from outside.

The regression these guard: with BufferedLogs On, a child's buffered access-log lines
were lost when it left (children leave through os._exit; mod_log_config had joined a
``child_exit`` hook that nothing ran).  Now the MPMs run child_stopped, which
mod_log_config joins.
"""
from __future__ import annotations

import shutil

import pytest

from tests.e2e.mpm import FORKS_PER_CONNECTION, MPMS, skip_if_differs, start_server, wait_for

LOGGED = 'BufferedLogs On\nCustomLog logs/access_log "%U %>s"\n'


def _lines(server) -> list[str]:
    p = server.root / "logs" / "access_log"
    return p.read_text().splitlines() if p.exists() else []


@pytest.fixture
def started():
    servers = []
    yield servers
    for s in servers:
        s.stop()
        shutil.rmtree(s.root, ignore_errors=True)


@pytest.mark.parametrize("mpm", MPMS)
def test_buffered_lines_of_a_leaving_child_are_written(mpm, started):
    skip_if_differs(mpm, "test_buffered_lines_of_a_leaving_child_are_written")
    # every child serves one connection and leaves: each request's line must be in the
    # log while the server still runs
    server = start_server(mpm, "StartServers 1\nMinSpareServers 1\nMaxSpareServers 2\n"
                               "MaxRequestWorkers 4\nMaxConnectionsPerChild 1\n" + LOGGED)
    started.append(server)
    for i in range(4):
        assert server.get(f"/index.html?{i}")[0] == 200
    assert wait_for(lambda: len(_lines(server)) == 4, 10), _lines(server)
    assert sorted(_lines(server)) == ["/index.html 200"] * 4
    assert server.proc.poll() is None


@pytest.mark.parametrize("mpm", MPMS)
def test_buffered_lines_are_written_when_the_server_stops(mpm, started):
    server = start_server(mpm, "StartServers 1\nMinSpareServers 1\nMaxSpareServers 2\n"
                               "MaxRequestWorkers 4\n" + LOGGED)
    started.append(server)
    for _ in range(2):
        assert server.get()[0] == 200
    if mpm not in FORKS_PER_CONNECTION:
        assert _lines(server) == []            # still in the children's buffers
    server.stop()
    assert _lines(server) == ["/index.html 200"] * 2
