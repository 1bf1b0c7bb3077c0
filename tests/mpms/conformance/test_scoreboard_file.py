"""ScoreBoardFile: the scoreboard in a file that other programs can map, removed at exit;
a file that cannot be made stops the start with Apache's AH00001."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys

from tests.e2e.servers import ROOT, free_port, write_config

from tests.e2e.mpm import config_body, scratch_root, split_variant, translate, wait_for

SETTINGS = "StartServers 2\nMinSpareServers 2\nMaxSpareServers 4\nMaxRequestWorkers 10\n"


def test_scoreboard_file_holds_the_board_while_running(server_factory):
    server = server_factory(SETTINGS + "ScoreBoardFile logs/apache_runtime_status\n")
    board = server.root / "logs" / "apache_runtime_status"
    assert board.exists()
    st = board.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_size > 0
    assert server.get() == (200, b"hello\n")
    data = board.read_bytes()           # the children's pids are written into it
    kids = server.children() or [server.pid]      # (a one-process MPM: its own)
    assert kids and any(str(pid).encode() in data or pid.to_bytes(4, sys.byteorder) in data
                        for pid in kids)
    server.stop()
    assert wait_for(lambda: not board.exists(), 5)


def test_scoreboard_file_that_cannot_be_made_stops_the_start(mpm):
    root = scratch_root()
    try:
        port = free_port()
        body = config_body(root, translate(mpm, SETTINGS)
                           + "ScoreBoardFile /nonexistent-dir/for/sb\n")
        base, extra = split_variant(mpm)
        write_config(root, body, port, mpm=base, modules=extra + ("authz_core",))
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.run([sys.executable, "-m", "httpd", "-DFOREGROUND", "-d", str(root),
                               "-f", str(root / "httpd.conf")], env=env, timeout=30,
                              capture_output=True)
        assert proc.returncode == 1
        log = (root / "logs" / "error_log").read_text()
        assert ('AH00001: unable to create or access scoreboard "/nonexistent-dir/for/sb" '
                "(name-based shared memory failure)") in log
        assert "[core:crit]" in log and "(2)No such file or directory" in log
    finally:
        shutil.rmtree(root, ignore_errors=True)
