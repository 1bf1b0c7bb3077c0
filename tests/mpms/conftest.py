"""Real worker/event servers for thread- and connection-level behaviour (tests/mpms/worker/,
event/, threaded/).

Servers come from tests/e2e/mpm.py's start_server (free 127.0.0.1 port, scratch
ServerRoot, stopped by pid); the settings here are already in the MPM's own terms.
"""
from __future__ import annotations

import shutil
import socket

import pytest

from tests.e2e.mpm import MPMServer, start_server


@pytest.fixture
def start():
    started: list[MPMServer] = []
    opened: list[socket.socket] = []

    def make(mpm: str, settings: str, modules: tuple = ()) -> MPMServer:
        srv = start_server(mpm, settings, modules=modules, raw=True)
        srv.opened = opened
        started.append(srv)
        return srv

    yield make
    for s in opened:
        s.close()
    for srv in started:
        srv.stop()
        shutil.rmtree(srv.root, ignore_errors=True)
