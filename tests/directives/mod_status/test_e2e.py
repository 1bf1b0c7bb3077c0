"""server-status served for real: httpd in one process (-X) and under the prefork
runtime (-DFOREGROUND), side by side with Apache on the same config."""
from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.servers import (
    APACHE,
    Server,
    start_apache,
    start_httpd,
)

MODULES = ("authz_core", "status")
BODY = ("<Location /server-status>\nSetHandler server-status\n</Location>\n"
        "StartServers 2\nMinSpareServers 2\nMaxSpareServers 4\nMaxRequestWorkers 5\n")


def fetch(port: int, path: str) -> tuple[int, dict, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
        return resp.status, dict(resp.headers), resp.read().decode("latin-1")


def fields(text: str) -> dict:
    out = {}
    for line in text.splitlines()[1:]:
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def _status_codes(port: int, n: int) -> None:
    for _ in range(n):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/missing", timeout=10)
        except urllib.error.HTTPError:
            pass


def test_one_process_auto_and_html(tmp_path):
    srv = start_httpd(tmp_path, BODY, modules=MODULES)
    try:
        _status_codes(srv.port, 3)
        status, headers, _ = fetch(srv.port, "/server-status?auto")
        assert status == 200
        assert headers["Content-Type"] == "text/plain; charset=ISO-8859-1"
        # a request is counted when it is logged, just after its response went out
        f = _wait_for(srv.port, lambda f: int(f["Total Accesses"]) >= 3)
        assert f["ServerMPM"] == "prefork"
        assert int(f["Total Accesses"]) >= 3
        assert f["Scoreboard"] == "W" and f["BusyWorkers"] == "1"
        status, headers, html = fetch(srv.port, "/server-status?refresh=2")
        assert headers["Refresh"] == "2"
        assert "<title>Apache Status</title>" in html and "</table>" in html
    finally:
        srv.stop()


def start_foreground(root: Path, body: str, modules) -> Server:
    # its own process group to signal
    return start_httpd(root, body, args=("-DFOREGROUND",), popen={"start_new_session": True},
                       modules=modules)


def _wait_for(port: int, pred, seconds: float = 10.0) -> dict:
    deadline = time.monotonic() + seconds
    f: dict = {}
    while time.monotonic() < deadline:
        f = fields(fetch(port, "/server-status?auto")[2])
        if pred(f):
            return f
        time.sleep(0.2)
    return f


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")
def test_prefork_children_report_like_apache(tmp_path):
    ours_root, real_root = tmp_path / "ours", tmp_path / "real"
    ours_root.mkdir()
    real_root.mkdir()
    ours = start_foreground(ours_root, BODY, MODULES)   # a failure to start fails the test
    real = None
    try:
        real = start_apache(real_root, BODY, args=("-DFOREGROUND",),
                            popen={"start_new_session": True}, modules=MODULES)
        for srv in (ours, real):
            _status_codes(srv.port, 4)
        two = lambda f: f.get("IdleWorkers") is not None and \
            int(f["IdleWorkers"]) + int(f["BusyWorkers"]) >= 2 and \
            int(f.get("Total Accesses", 0)) >= 4
        fo, fr = _wait_for(ours.port, two), _wait_for(real.port, two)
        # Apache's fields, in its order (CPULoad appears once the children used CPU time)
        assert [k for k in fo if k != "CPULoad"] == [k for k in fr if k != "CPULoad"]
        assert len(fo["Scoreboard"]) == len(fr["Scoreboard"]) == 5   # MaxRequestWorkers
        assert fo["BusyWorkers"] == fr["BusyWorkers"] == "1"
        assert int(fo["Total Accesses"]) >= 4
    finally:
        for srv in (ours, real):
            if srv is not None:
                srv.stop()
