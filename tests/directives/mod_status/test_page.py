"""mod_status: the ?auto counts, the page's number formats and scoreboard layout, and the
handler's query options (the page against real Apache's captured ones is
tests/conformance/status/test_pages.py)."""
from __future__ import annotations

import re
import time

import pytest

from directives import mod_status
from directives.mod_status.page import (
    apr_g,
    format_byte_out,
    format_kbyte_out,
    refresh_value,
    render,
    show_time,
)
from httpd.module import Module
from httpd.module.hooks import DECLINED, OK
from httpd.mpm.scoreboard import Scoreboard
from tests.directives import harness
from tests.directives.mod_status.boards import board, snap


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

    # a module of its own joins mod_status's hook (declared when mod_status is imported)
    extra = Module("extra_module", "mod_extra.c", hooks={"status_hook": hook})
    monkeypatch.setattr(r.process.registry, "loaded", r.process.registry.loaded + [extra])
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
