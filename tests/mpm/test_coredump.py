"""CoreDumpDirectory, as Apache 2.4 does it (checked on Debian's apache2: a prefork child
sent SIGSEGV, core size unlimited): the parent's AH00051 names the CoreDumpDirectory,
else the ServerRoot, and with CoreDumpDirectory set the child's core is written there
(the dumpable flag is set again after setuid)."""
from __future__ import annotations

import os
import resource
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.servers import start_httpd


def _unlimited_cores():
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def _crash_a_child(server) -> str:
    pid_file = server.root / "logs" / "httpd.pid"
    deadline = time.monotonic() + 10
    kids: list = []
    while time.monotonic() < deadline and not kids:
        if pid_file.exists():
            parent = pid_file.read_text().strip()
            kids = [int(p) for p in Path(f"/proc/{parent}/task/{parent}/children")
                    .read_text().split()] if parent else []
        time.sleep(0.1)
    assert kids, "no child started"
    os.kill(kids[0], signal.SIGSEGV)
    while time.monotonic() < deadline:
        if "AH0005" in server.error_log:
            return server.error_log
        time.sleep(0.1)
    return server.error_log


@pytest.mark.parametrize("configured", [True, False])
def test_a_crashed_child_names_where_its_core_went(tmp_path, configured):
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    dumps.chmod(0o777)
    body = "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\n"
    if configured:
        body += f"CoreDumpDirectory {dumps}\n"
    server = start_httpd(tmp_path, body, args=("-DFOREGROUND",),
                         popen={"preexec_fn": _unlimited_cores, "cwd": str(tmp_path)})
    try:
        log = _crash_a_child(server)
    finally:
        server.stop()
    where = dumps if configured else tmp_path
    assert (f"exit signal Segmentation fault (11), possible coredump in {where}" in log), log
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    if configured and pattern in ("core", "core.%p"):     # the kernel writes a file here
        assert any(p.name.startswith("core") for p in dumps.iterdir())
