"""ListenCoresBucketsRatio under prefork: online cores / ratio listener buckets, each
with its own SO_REUSEPORT sockets; child slot i accepts from bucket i % buckets."""
from __future__ import annotations

import os
import shutil
import socket

import pytest

from httpd.mpm.listen import HAVE_SO_REUSEPORT
from tests.e2e.mpm import start_server, wait_for

CORES = os.sysconf("SC_NPROCESSORS_ONLN")
LOG = 'CustomLog logs/pids "%P"\n'


def _listening_inodes(pid: int) -> set[str]:
    """The socket inodes a process holds that are in LISTEN state."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":
                    listening.add(fields[9])
    held = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inode = target[8:-1]
            if inode in listening:
                held.add(inode)
    return held


@pytest.mark.skipif(not HAVE_SO_REUSEPORT or CORES < 2, reason="needs SO_REUSEPORT, 2 cores")
def test_two_buckets_with_their_own_sockets_both_serve():
    srv = start_server("prefork", "StartServers 2\nMinSpareServers 2\nMaxSpareServers 4\n"
                                  "MaxRequestWorkers 4\nListenCoresBucketsRatio "
                                  f"{CORES // 2}\n" + LOG)
    try:
        assert (f"AH02819: Using 2 listeners bucket(s) based on {CORES} online CPU cores "
                f"and a ratio of {CORES // 2}") in srv.error_log
        kids = srv.children()
        assert len(kids) == 2
        held = [_listening_inodes(pid) for pid in kids]
        assert all(len(h) == 1 for h in held) and held[0] != held[1]
        for _ in range(60):         # new connections: the kernel spreads them by hash
            assert srv.get() == (200, b"hello\n")
        pids_log = srv.root / "logs" / "pids"
        assert wait_for(lambda: pids_log.exists()
                        and len(pids_log.read_text().split()) == 60, 5)
        assert set(map(int, pids_log.read_text().split())) == set(kids)
    finally:
        srv.stop()
        shutil.rmtree(srv.root, ignore_errors=True)


def test_a_ratio_above_half_the_cores_keeps_one_bucket():
    ratio = CORES + 1
    srv = start_server("prefork", "StartServers 2\nMinSpareServers 2\nMaxSpareServers 4\n"
                                  f"MaxRequestWorkers 4\nListenCoresBucketsRatio {ratio}\n")
    try:
        if HAVE_SO_REUSEPORT:
            assert (f"AH02819: Using 1 listeners bucket(s) based on {CORES} online CPU cores "
                    f"and a ratio of {ratio}") in srv.error_log
        kids = srv.children()
        assert len({frozenset(_listening_inodes(pid)) for pid in kids}) == 1
        assert srv.get() == (200, b"hello\n")
    finally:
        srv.stop()
        shutil.rmtree(srv.root, ignore_errors=True)
