"""The scoreboard: shared across fork(), fixed-size records, Apache's counting rules."""
from __future__ import annotations

import os
import time

import pytest

from httpd.request.record import ConnInfo, Request
from httpd.mpm.scoreboard import (
    DEAD,
    READY,
    REQUEST_LEN,
    GlobalScore,
    ProcessScore,
    Scoreboard,
    WorkerScore,
    copy_request,
)


class _Server:
    server_hostname = "www.example.com"


def _request(line="GET /x HTTP/1.1", sent=100, uri="/x"):
    conn = ConnInfo(client_ip="192.0.2.7", client_port=4444, local_ip="127.0.0.1",
                    local_port=8080)
    r = Request(conn=conn, server=_Server(), process=None)
    r.the_request, r.unparsed_uri, r.bytes_sent = line, uri, sent
    return r


def test_create_sizes_and_open_slots():
    sb = Scoreboard.create(5, 3, max_servers=4, threads_per_child=2)
    g = sb.global_score
    assert (g.server_limit, g.thread_limit, g.max_servers, g.threads_per_child) == (5, 3, 4, 2)
    assert g.running_generation == 0 and g.config_generation == 1
    assert abs(g.restart_time - time.time()) < 5
    assert sb.status_letters() == "." * 15
    assert len(sb._buf) == GlobalScore.SIZE + 5 * ProcessScore.SIZE + 15 * WorkerScore.SIZE
    with pytest.raises(IndexError):
        sb.worker(5, 0)
    with pytest.raises(IndexError):
        sb.worker(0, 3)
    sb.close()


def test_child_writes_its_slot_parent_reads_it():
    sb = Scoreboard.create(4, 1)
    pid = os.fork()
    if pid == 0:                                   # the child: its own slot only
        try:
            ps = sb.process(2)
            ps.pid, ps.generation = os.getpid(), 0
            w = sb.worker(2, 0)
            w.pid = os.getpid()
            w.set_status(READY)
            w.connection_started("192.0.2.7", "www.example.com:8080")
            r = _request(sent=1500)
            w.request_started(r)
            w.request_done(r)
            w.set_status("K")
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    w = sb.worker(2, 0)
    assert sb.process(2).pid == pid and w.pid == pid
    assert w.status == "K"
    assert (w.access_count, w.my_access_count, w.conn_count) == (1, 1, 1)
    assert (w.bytes_served, w.my_bytes_served, w.conn_bytes) == (1500, 1500, 1500)
    assert w.client == "192.0.2.7"
    assert w.request == "GET /x HTTP/1.1"
    assert w.vhost == "www.example.com:8080"
    assert w.protocol == "http/1.1"
    assert w.stop_time >= w.start_time > 0
    assert sb.status_letters() == "..K."
    c = sb.counts()
    assert (c.busy, c.idle, c.total_accesses, c.total_kbytes) == (1, 0, 1, 1)
    sb.close()


def test_counts_follow_mod_status_rules():
    sb = Scoreboard.create(4, 2)
    for i, letters in enumerate(["_W", "_G", "S.", "_R"]):
        ps = sb.process(i)
        ps.pid = 100 + i
        for j, ch in enumerate(letters):
            sb.worker(i, j).set_status(ch)
    sb.process(3).quiescing = 1                      # a stopping process counts for nothing
    c = sb.counts()
    assert (c.busy, c.idle, c.graceful) == (2, 2, 1)     # W, G busy; G also graceful
    assert c.letters == {"_": 3, "W": 1, "G": 1, "S": 1, ".": 1, "R": 1}
    sb.process(1).generation = 7                      # old generation: its idle is not idle
    assert sb.counts().idle == 1


def test_kbytes_carry_like_apache():
    sb = Scoreboard.create(3, 1)
    for i, b in enumerate((700, 700, 700)):
        w = sb.worker(i, 0)
        w.access_count, w.bytes_served = 1, b
        w.set_status("W")
    c = sb.counts()
    assert c.total_accesses == 3
    assert c.total_kbytes == 2          # 2100 bytes: whole kB only, the rest carried


def test_copy_request_first_or_last_63():
    line = "GET /" + "a" * 100 + " HTTP/1.1"
    r = _request(line=line)
    assert copy_request(r, False) == line[:REQUEST_LEN - 1]
    assert copy_request(r, True) == line[-(REQUEST_LEN - 1):]


def test_copy_request_hides_a_password():
    r = _request(line="GET http://u:secret@h/ HTTP/1.1", uri="http://u:secret@h/")
    assert copy_request(r, False) == "GET http://u:XXXXXXXX@h/ HTTP/1.1"


def test_extended_status_off_records_no_details():
    sb = Scoreboard.create(1, 1, extended_status=False)
    w = sb.worker(0, 0)
    r = _request()
    w.request_started(r)
    w.request_done(r)
    assert w.status == "W" and w.access_count == 0 and w.request == ""


def test_ready_resets_connection_counts_dead_resets_child_counts():
    sb = Scoreboard.create(1, 1)
    w = sb.worker(0, 0)
    r = _request(sent=10)
    for _ in range(2):
        w.request_started(r)
        w.request_done(r)
    w.connection_done()
    assert (w.status, w.conn_count, w.conn_bytes, w.my_access_count) == (READY, 0, 0, 2)
    w.set_status(DEAD)
    assert (w.my_access_count, w.my_bytes_served, w.access_count) == (0, 0, 2)
