"""mod_status: the ?auto fields and the HTML page against real Apache 2.4.71's output
(captured in tests/status/apache/, prefork with MaxRequestWorkers 6 and event with
ServerLimit 4 / ThreadsPerChild 5 / MaxRequestWorkers 10; numbers and times normalised),
and the handler's query options."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from directives import mod_status
from directives.mod_status.page import (
    Snapshot,
    apr_g,
    format_byte_out,
    format_kbyte_out,
    refresh_value,
    render,
    show_time,
)
from httpd.module.hooks import DECLINED, OK
from httpd.http.header_filter import server_banner
from httpd.mpm.scoreboard import Scoreboard
from tests.modules import harness

APACHE = Path(__file__).parent / "apache"
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


@pytest.mark.parametrize("capture, sb, extended, is_async, mpm", [
    ("on.auto", lambda: board(256, 1, 6, 1, {(0, 0): ("_", 3), (1, 0): ("W", 4)}), True,
     False, "prefork"),
    ("off.auto", lambda: board(256, 1, 6, 1, PREFORK_OFF, False), False, False, "prefork"),
    ("ev.auto", lambda: board(4, 64, 2, 5, {(0, 4): ("W", 1), (1, 0): ("_", 0)}), True,
     True, "event"),
])
def test_auto_fields_and_order_match_apache(capture, sb, extended, is_async, mpm):
    real = (APACHE / capture).read_text(encoding="latin-1")
    ours = render(snap(sb(), extended, is_async, mpm), short=True, no_table=False)
    assert keys(ours) == keys(real)
    assert norm(ours).splitlines()[1:] != [] and ours.splitlines()[0] == "127.0.0.1"
    # the scoreboard line: same letters, same length (slots past the limits left out)
    assert ours.splitlines()[-1].split(": ")[1].count(".") == \
        real.splitlines()[-1].split(": ")[1].count(".")


def test_auto_counts_match_the_board():
    sb = board(8, 1, 8, 1, {(0, 0): ("W", 10), (1, 0): ("_", 20), (2, 0): ("K", 5),
                            (3, 0): ("G", 1), (4, 0): ("_", 0)})
    sb.global_score.restart_time = time.time() - 10.2
    text = render(snap(sb), short=True, no_table=False)
    fields = dict(line.split(": ", 1) for line in text.splitlines()[1:])
    assert fields["Total Accesses"] == "36"
    assert fields["Total kBytes"] == str(36 * 300 // 1024)          # 10 kB
    assert fields["BusyWorkers"] == "3"          # W, K, G
    assert fields["GracefulWorkers"] == "1"
    assert fields["IdleWorkers"] == "2"
    assert fields["Scoreboard"] == "W_KG_..."
    assert fields["Uptime"] == "10"
    assert fields["ReqPerSec"] == "3.6"
    assert fields["BytesPerSec"] == "1024"
    assert fields["BytesPerReq"] == "284.444"
    assert fields["ServerUptime"] == "10 seconds"
    assert fields["Load1"] == "0.50" and fields["Load15"] == "1.50"


@pytest.mark.parametrize("capture, slots, extended, no_table, geometry, mpm", [
    ("on.html", PREFORK_ON, True, False, PREFORK, "prefork"),
    ("notable.html", {(0, 0): ("_", 9, 18432), (1, 0): ("W", 9, 10138)}, True, True,
     PREFORK, "prefork"),
    ("off.html", {(0, 0): ("_", 0), (1, 0): ("W", 0)}, False, False, PREFORK, "prefork"),
    ("ev.html", {(0, 0): ("W", 0), (1, 0): ("_", 1), (1, 1): ("_", 1)}, True, False,
     EVENT_GEOMETRY, "event"),
    ("ev-notable.html", {(0, 0): ("_", 1, 4301), (0, 1): ("_", 1, 986), (0, 4): ("W", 0),
                         (1, 0): ("_", 1, 476), (1, 1): ("_", 1, 974)}, True, True,
     EVENT_GEOMETRY, "event"),
])
def test_html_matches_apache(capture, slots, extended, no_table, geometry, mpm):
    """The whole page, byte for byte once numbers, times and request lines are masked."""
    real = (APACHE / capture).read_text(encoding="latin-1")
    sb = board(*geometry, slots, extended)
    ours = render(snap(sb, extended, mpm == "event", mpm), short=False, no_table=no_table)
    assert norm(ours) == norm(real)


def test_apr_number_formats():
    assert apr_g(0.5) == ".5" and apr_g(0.166667) == ".166667" and apr_g(2.0) == "2"
    assert apr_g(614.4) == "614.4" and apr_g(1.4, ".3g") == "1.4"
    assert format_byte_out(4700) == "4700 B" and format_byte_out(6000) == "5.9 kB"
    assert format_byte_out(600000) == ".6 MB".replace(".", "0.", 1)
    assert format_kbyte_out(3) == "3 kB" and format_kbyte_out(2048) == "2.0 MB"
    assert show_time(0) == "" and show_time(1) == " 1 second"
    assert show_time(90061) == " 1 day 1 hour 1 minute 1 second"
    assert show_time(2 * 86400 + 7200) == " 2 days 2 hours"


@pytest.mark.parametrize("args, value", [("refresh=5", "5"), ("refresh=-3", "10"),
                                         ("refresh=abc", "10"), ("refresh=7x", "7"),
                                         ("auto&refresh", "10"), ("auto", None)])
def test_refresh_like_apache(args, value):
    assert refresh_value(args) == value


# -- the handler ------------------------------------------------------------------------------

STATUS_CONF = ("LoadModule status_module modules/mod_status.so\n"
               "<Location /server-status>\nSetHandler server-status\n</Location>\n")


def _status_request(tmp_path, extra="", args=None, method="GET"):
    process = harness.load(tmp_path, STATUS_CONF + extra)
    mod_status._post_config(process, process.main_server)
    r = harness.request(process, "/server-status", args=args, method=method)
    r.handler = "server-status"
    if method == "POST":
        r.method_number = 2
    return r


def test_handler_declines_other_handlers_and_methods(tmp_path):
    r = _status_request(tmp_path)
    r.handler = "default-handler"
    assert mod_status.status_handler(r) == DECLINED
    r = _status_request(tmp_path, method="POST")
    assert mod_status.status_handler(r) == DECLINED
    assert r.allowed == 1          # GET only


def test_handler_auto_refresh_and_extended_default_on(tmp_path):
    r = _status_request(tmp_path, args="auto&refresh=3")
    assert mod_status.status_handler(r) == OK
    assert r.content_type == "text/plain; charset=ISO-8859-1"
    assert r.headers_out.get("Refresh") == "3"
    text = r.body.decode("latin-1")
    assert "Total Accesses: " in text and text.endswith("Scoreboard: W\n")
    assert "ServerMPM: prefork\n" in text


def test_handler_extended_status_off(tmp_path):
    r = _status_request(tmp_path, extra="ExtendedStatus Off\n")
    assert mod_status.status_handler(r) == OK
    assert r.content_type == "text/html; charset=ISO-8859-1"
    text = r.body.decode("latin-1")
    assert "PID Key: <br />" in text and "Total accesses" not in text
    assert "<code>ExtendedStatus On</code> directive." in text


def test_handler_counts_requests_under_one_process(tmp_path):
    r = _status_request(tmp_path, args="auto")
    board = mod_status._local_board(r.process)     # no MPM: the one-process board
    for sent in (100, 2000):
        done = harness.request(r.process, "/x")
        done.bytes_sent = sent
        mod_status._log_transaction(done)
    assert mod_status.status_handler(r) == OK
    fields = dict(map(str.strip, line.split(":", 1)) for line in r.body.decode().splitlines()[1:])
    assert fields["Total Accesses"] == "2" and fields["Total kBytes"] == "2"
    assert board.worker(0, 0).status == "W"


def test_status_hook_adds_text_before_the_signature(tmp_path, monkeypatch):
    r = _status_request(tmp_path)
    seen = []

    def hook(req, flags):
        seen.append(flags)
        return "<p>extra</p>\n"

    monkeypatch.setitem(mod_status._HOOKS, r.process, (hook,))
    assert mod_status.status_handler(r) == OK
    assert r.body.decode().endswith("</table>\n<p>extra</p>\n</body></html>\n")
    assert seen == [mod_status.STATUS_EXTENDED]


def test_html_scoreboard_wraps_every_64_slots():
    sb = board(150, 1, 150, 1, {(0, 0): ("W", 1)})
    html = render(snap(sb), short=False, no_table=False)
    pre = re.search(r"</dl><pre>(.*?)</pre>", html, re.DOTALL).group(1)
    assert pre.split("\n") == ["W" + "." * 63, "." * 64, "." * 22]
    auto = render(snap(sb), short=True, no_table=False)
    assert auto.endswith("Scoreboard: W" + "." * 149 + "\n")


def test_event_process_table_stopping_and_old_generation():
    sb = board(3, 4, 3, 2, {(0, 0): ("W", 1), (1, 0): ("G", 1), (2, 0): ("_", 0)})
    sb.process(1).quiescing = 1
    sb.process(1).generation = 3
    sb.process(2).not_accepting = 1
    sb.process(0).connections = 4
    sb.process(0).keep_alive = 2
    html = render(snap(sb, is_async=True, mpm="event"), short=False, no_table=False)
    assert ("<tr><td>0</td><td>5000</td><td>no</td><td>4</td><td>yes</td><td>1</td><td>0</td>"
            "<td>1</td><td>0</td><td>0</td><td>2</td><td>0</td></tr>\n") in html
    assert "<td>1</td><td>5001</td><td>yes (old gen)</td><td>0</td><td>yes</td>" in html
    assert "<td>2</td><td>5002</td><td>no</td><td>0</td><td>no</td>" in html
    assert ("<tr><td>Sum</td><td>3</td><td>1</td><td>4</td><td>&nbsp;</td><td>1</td>"
            "<td>0</td><td>3</td>") in html
    auto = fields = dict(map(str.strip, line.split(":", 1)) for line in render(
        snap(sb, is_async=True, mpm="event"), short=True, no_table=False).splitlines()[1:])
    assert (fields["Processes"], fields["Stopping"], fields["ConnsTotal"],
            fields["ConnsAsyncKeepAlive"]) == ("3", "1", "4", "2")
    assert auto["Scoreboard"] == "W_G___"      # ThreadsPerChild 2 of ThreadLimit 4


def test_board_for_process_takes_core_settings(tmp_path):
    process = harness.load(tmp_path, STATUS_CONF + "SeeRequestTail On\n")
    g = Scoreboard.for_process(process, 2, 1, shared=False).global_score
    assert (g.extended_status, g.see_request_tail) == (1, 1)
    process = harness.load(tmp_path, "ExtendedStatus Off\n")
    g = Scoreboard.for_process(process, 2, 1, shared=False).global_score
    assert (g.extended_status, g.see_request_tail) == (0, 0)
    process = harness.load(tmp_path, "")            # no mod_status: Apache's default Off
    assert Scoreboard.for_process(process, 1, 1, shared=False).global_score.extended_status == 0
