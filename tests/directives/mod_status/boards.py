"""Scoreboards and snapshots built by hand for mod_status's page, and the masking that
lets our page be compared with Apache's captured ones (tests/conformance/status/)."""
from __future__ import annotations

import re
import time

from directives.mod_status.page import (
    Snapshot,
)
from httpd.http.header_filter import server_banner
from httpd.mpm.scoreboard import Scoreboard

TIME = re.compile(r"[A-Z][a-z]+day, \d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [A-Z]+")


def norm(text: str) -> str:
    text = TIME.sub("TIME", text)
    text = text.replace("Apache/2.4.71 (Debian)", "VERSION").replace(server_banner("Full"),
                                                                     "VERSION")
    text = re.sub(r"Server Built: [^\n<]*", "Server Built: BUILT", text)
    text = re.sub(r"(Server uptime:|ServerUptime:)[^\n<]*", r"\1 UPTIME", text)
    text = re.sub(r"GET /\S* HTTP", "GET REQUEST HTTP", text)
    return re.sub(r"\d*\.?\d+", "#", text)


def board(server_limit, thread_limit, max_servers, tpc, slots, extended=True):
    """``slots``: {(i, j): (letter, access_count[, bytes])}; a process is live where it
    has one."""
    sb = Scoreboard.create(server_limit, thread_limit, max_servers=max_servers,
                           threads_per_child=tpc, extended_status=extended, shared=False,
                           restart_time=time.time() - 500)
    for (i, j), (letter, acc, *sent) in slots.items():
        sb.process(i).pid = 5000 + i
        w = sb.worker(i, j)
        w.set_status(letter)
        if letter == "W" or acc:
            w.access_count = w.my_access_count = acc
            w.bytes_served = w.my_bytes_served = sent[0] if sent else 300 * acc
            w.client, w.protocol, w.vhost = "127.0.0.1", "http/1.1", "127.0.0.1:18731"
            w.request = "GET /server-status HTTP/1.1"
            w.last_used = w.start_time = w.stop_time = time.time()
    for i in range(max_servers):        # the rest of a live process is READY
        if sb.process(i).pid:
            for j in range(tpc):
                if (i, j) not in slots:
                    sb.worker(i, j).set_status("_")
    return sb


def snap(sb, extended=True, is_async=False, mpm="prefork"):
    return Snapshot(board=sb, now=time.time(), server_name="127.0.0.1",
                    local_ip="127.0.0.1", server_version=server_banner("Full"),
                    server_built="x", mpm_name=mpm, is_async=is_async, extended=extended,
                    loadavg=(0.5, 1.0, 1.5), signature="")


PREFORK_ON = {(0, 0): ("W", 8), (1, 0): ("_", 9)}


PREFORK_OFF = {(0, 0): ("_", 0), (1, 0): ("W", 0)}


PREFORK = (256, 1, 6, 1)            # ServerLimit, ThreadLimit, MaxRequestWorkers, 1


EVENT_GEOMETRY = (4, 64, 2, 5)      # ServerLimit 4, ThreadLimit 64, 2 x ThreadsPerChild 5


def keys(text: str) -> list[str]:
    return [line.split(":", 1)[0] for line in text.splitlines()[1:]]
