"""The MPM suite's servers: every test of tests/mpms/conformance/ runs once per MPM
(prefork, worker, event) on a fresh multi-process server from tests/e2e/mpm.py."""
from __future__ import annotations

import shutil

import pytest

from tests.e2e.mpm import MPMS, MPMServer, skip_if_differs, start_server, static_build


@pytest.fixture(params=MPMS)
def mpm(request, monkeypatch, tmp_path) -> str:
    name = request.param
    skip_if_differs(name, request.node.originalname)
    build = static_build(name, tmp_path)
    if build:        # a static-only MPM: every server of the test is of its build
        monkeypatch.setenv("HTTPD_BUILD_CONFIG", build)
    return name


@pytest.fixture
def server_factory(mpm):
    started: list[MPMServer] = []

    def make(settings: str = "StartServers 2\nMinSpareServers 2\nMaxSpareServers 4\n"
                             "MaxRequestWorkers 10\n", modules: tuple = ()) -> MPMServer:
        srv = start_server(mpm, settings, modules=modules)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()
        shutil.rmtree(srv.root, ignore_errors=True)


@pytest.fixture
def server(server_factory) -> MPMServer:
    return server_factory()
