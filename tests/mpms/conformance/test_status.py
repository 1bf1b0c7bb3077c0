"""mod_status over the MPM's shared scoreboard: children's slots and generations."""
from __future__ import annotations

import signal

from tests.e2e.mpm import wait_for

STATUS = ("StartServers 3\nMinSpareServers 2\nMaxSpareServers 4\nMaxRequestWorkers 10\n"
          "<Location /server-status>\nSetHandler server-status\n</Location>\n")


def _auto(server) -> dict:
    status, body = server.get("/server-status?auto")
    assert status == 200
    return dict(line.split(": ", 1) for line in body.decode().splitlines() if ": " in line)


def test_server_status_counts_the_children(server_factory):
    server = server_factory(STATUS, modules=("status",))
    idle = 3 * server.threads_per_child - 1       # all but the worker answering
    seen = []

    def settled() -> bool:
        # (the worker of the previous status request may still be closing: C, busy)
        seen.append(_auto(server))
        a = seen[-1]
        return (a["IdleWorkers"] == str(idle) and a["BusyWorkers"] == "1"
                and a["Scoreboard"].count("W") == 1 and a["Scoreboard"].count("_") == idle)

    assert wait_for(settled, 3), seen[-1]
    auto = seen[-1]
    assert auto["ServerMPM"] == server.says.get("mpm_name", server.mpm)
    assert (auto["ParentServerConfigGeneration"], auto["ParentServerMPMGeneration"]) == ("1", "0")


def test_graceful_restart_keeps_the_statistics_and_counts_generations(server_factory):
    server = server_factory(STATUS, modules=("status",))
    for _ in range(3):
        assert server.get()[0] == 200
    server.signal(signal.SIGUSR1)
    assert wait_for(lambda: _auto(server)["ParentServerMPMGeneration"] == "1", 5)
    auto = _auto(server)
    assert auto["ParentServerConfigGeneration"] == "2"
    assert int(auto["Total Accesses"]) >= 3
