"""The text of mod_status's report, as mod_status.c 2.4.71 writes it: the HTML page (with
or without ExtendedStatus, the per-worker table or ``?notable`` details, event's process
table) and the ``?auto`` machine-readable form.

Everything here is a pure function of a ``Snapshot`` (what the handler gathered: the
board, the clock, names), so the texts can be pinned in tests without a server.
Numbers are printed as APR prints them: ``%g`` has no leading zero (``.5``) and
mod_status divides in single precision (``(float)``).
"""
from __future__ import annotations

import struct
import time
from typing import Any

import attrs

from httpd.util.escape import escape_html
from httpd.mpm.scoreboard import (
    BUSY_DNS,
    BUSY_KEEPALIVE,
    BUSY_LOG,
    BUSY_READ,
    BUSY_WRITE,
    CLOSING,
    DEAD,
    GRACEFUL,
    IDLE_KILL,
    READY,
    STARTING,
    Scoreboard,
)

KBYTE = 1024
MBYTE = 1048576
GBYTE = 1073741824
STATUS_MAXLINE = 64
DISABLED = " "          # mod_status's SERVER_DISABLED: a dead slot past the MPM's limits
DEFAULT_TIME_FORMAT = "%A, %d-%b-%Y %H:%M:%S %Z"

DOCTYPE = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" '
           '"http://www.w3.org/TR/html4/strict.dtd">\n')

SCOREBOARD_KEY = (
    "<p>Scoreboard Key:<br />\n"
    "\"<b><code>_</code></b>\" Waiting for Connection, \n"
    "\"<b><code>S</code></b>\" Starting up, \n"
    "\"<b><code>R</code></b>\" Reading Request,<br />\n"
    "\"<b><code>W</code></b>\" Sending Reply, \n"
    "\"<b><code>K</code></b>\" Keepalive (read), \n"
    "\"<b><code>D</code></b>\" DNS Lookup,<br />\n"
    "\"<b><code>C</code></b>\" Closing connection, \n"
    "\"<b><code>L</code></b>\" Logging, \n"
    "\"<b><code>G</code></b>\" Gracefully finishing,<br /> \n"
    "\"<b><code>I</code></b>\" Idle cleanup of worker, \n"
    "\"<b><code>.</code></b>\" Open slot with no current process<br />\n"
    "</p>\n")

TABLE_HEAD = ("\n\n<table border=\"0\"><tr><th>Srv</th><th>PID</th><th>Acc</th><th>M</th>"
              "<th>CPU\n</th><th>SS</th><th>Req</th><th>Dur</th><th>Conn</th><th>Child</th>"
              "<th>Slot</th><th>Client</th><th>Protocol</th><th>VHost</th>"
              "<th>Request</th></tr>\n\n")

TABLE_KEY = (
    "</table>\n <hr /> <table>\n"
    " <tr><th>Srv</th><td>Child Server number - generation</td></tr>\n"
    " <tr><th>PID</th><td>OS process ID</td></tr>\n"
    " <tr><th>Acc</th><td>Number of accesses this connection / this child / this slot</td></tr>\n"
    " <tr><th>M</th><td>Mode of operation</td></tr>\n"
    "<tr><th>CPU</th><td>CPU usage, number of seconds</td></tr>\n"
    "<tr><th>SS</th><td>Seconds since beginning of most recent request</td></tr>\n"
    " <tr><th>Req</th><td>Milliseconds required to process most recent request</td></tr>\n"
    " <tr><th>Dur</th><td>Sum of milliseconds required to process all requests</td></tr>\n"
    " <tr><th>Conn</th><td>Kilobytes transferred this connection</td></tr>\n"
    " <tr><th>Child</th><td>Megabytes transferred this child</td></tr>\n"
    " <tr><th>Slot</th><td>Total megabytes transferred this slot</td></tr>\n"
    " </table>\n")

ASYNC_TABLE_HEAD = (
    "\n\n<table rules=\"all\" cellpadding=\"1%\">\n"
    "<tr><th rowspan=\"2\">Slot</th><th rowspan=\"2\">PID</th><th rowspan=\"2\">Stopping</th>"
    "<th colspan=\"2\">Connections</th>\n"
    "<th colspan=\"3\">Threads</th><th colspan=\"4\">Async connections</th></tr>\n"
    "<tr><th>total</th><th>accepting</th><th>busy</th><th>graceful</th><th>idle</th>"
    "<th>wait-io</th><th>writing</th><th>keep-alive</th><th>closing</th></tr>\n")

# the M column of the table and the [state] of ?notable
_TABLE_MODE = {READY: "_", STARTING: "<b>S</b>", BUSY_READ: "<b>R</b>",
               BUSY_WRITE: "<b>W</b>", BUSY_KEEPALIVE: "<b>K</b>", BUSY_LOG: "<b>L</b>",
               BUSY_DNS: "<b>D</b>", CLOSING: "<b>C</b>", DEAD: ".", GRACEFUL: "G",
               IDLE_KILL: "I"}
_NOTABLE_MODE = {READY: "Ready", STARTING: "Starting", BUSY_READ: "<b>Read</b>",
                 BUSY_WRITE: "<b>Write</b>", BUSY_KEEPALIVE: "<b>Keepalive</b>",
                 BUSY_LOG: "<b>Logging</b>", BUSY_DNS: "<b>DNS lookup</b>",
                 CLOSING: "<b>Closing</b>", DEAD: "Dead", GRACEFUL: "Graceful",
                 IDLE_KILL: "Dying"}


@attrs.define
class Snapshot:
    """What one report shows, gathered by the handler."""

    board: Scoreboard
    now: float
    server_name: str               # ap_get_server_name(r)
    local_ip: str
    server_version: str            # ap_get_server_description()
    server_built: str
    mpm_name: str
    is_async: bool
    extended: bool
    loadavg: tuple = (0.0, 0.0, 0.0)
    signature: str = ""            # ap_psignature("<hr />\n", r)
    escape_logitem: Any = None
    extensions: str = ""           # what other modules' status_hook added


# -- APR's number formatting ------------------------------------------------------------------

def f32(x: float) -> float:
    """A C ``(float)`` cast."""
    return struct.unpack("f", struct.pack("f", x))[0]


def apr_g(x: float, spec: str = "g") -> str:
    """``%g`` as apr_snprintf prints it: no leading zero before the point."""
    s = format(x, spec)
    if s.startswith("0."):
        return s[1:]
    if s.startswith("-0."):
        return "-" + s[2:]
    return s


def format_byte_out(n: int) -> str:
    if n < 5 * KBYTE:
        return f"{int(n)} B"
    if n < MBYTE / 2:
        return f"{f32(n / KBYTE):.1f} kB"
    if n < GBYTE / 2:
        return f"{f32(n / MBYTE):.1f} MB"
    return f"{f32(n / GBYTE):.1f} GB"


def format_kbyte_out(kb: int) -> str:
    if kb < KBYTE:
        return f"{int(kb)} kB"
    if kb < MBYTE:
        return f"{f32(kb / KBYTE):.1f} MB"
    return f"{f32(kb / MBYTE):.1f} GB"


def show_time(secs: int) -> str:
    """show_time: `` 1 day 2 hours 3 minutes 4 seconds``, zero parts left out."""
    out = []
    mins, s = divmod(secs, 60)
    hrs, m = divmod(mins, 60)
    days, h = divmod(hrs, 24)
    for n, unit in ((days, "day"), (h, "hour"), (m, "minute"), (s, "second")):
        if n:
            out.append(f" {n} {unit}{'' if n == 1 else 's'}")
    return "".join(out)


def ht_time(t: float) -> str:
    """ap_ht_time(..., DEFAULT_TIME_FORMAT, 0): local time."""
    return time.strftime(DEFAULT_TIME_FORMAT, time.localtime(t))


# -- the pass over the board ------------------------------------------------------------------

@attrs.define
class Tally:
    letters: list               # the status line, one char per slot (DISABLED: left out)
    pids: list                  # per process slot
    counts: Any                 # scoreboard.Counts
    thread_busy: list
    thread_graceful: list
    thread_idle: list


def tally(board: Scoreboard, extended: bool) -> Tally:
    g = board.global_score
    max_servers, tpc = g.max_servers, g.threads_per_child
    raw = board.status_letters()
    tl = board.thread_limit
    letters = []
    for k, ch in enumerate(raw):
        i, j = divmod(k, tl)
        letters.append(DISABLED if (i >= max_servers or j >= tpc) and ch == DEAD else ch)
    busy, grace, idle, pids = [], [], [], []
    for i in range(board.server_limit):
        ps = board.process(i)
        pids.append(ps.pid)
        b = gr = idl = 0
        if ps.pid and not ps.quiescing:
            for ch in raw[i * tl:(i + 1) * tl]:
                if ch == READY:
                    idl += 1
                elif ch not in (DEAD, STARTING, IDLE_KILL):
                    if ch == GRACEFUL:
                        gr += 1
                    else:
                        b += 1
        busy.append(b)
        grace.append(gr)
        idle.append(idl)
    return Tally(letters, pids, board.counts(extended), busy, grace, idle)


# -- the report -------------------------------------------------------------------------------

def render(snap: Snapshot, short: bool, no_table: bool) -> str:
    board = snap.board
    g = board.global_score
    t = tally(board, snap.extended)
    c = t.counts
    up_time = max(0, int(snap.now - g.restart_time))
    gen = board.generation
    out: list[str] = []
    w = out.append
    l1, l5, l15 = snap.loadavg
    now_s, restart_s = ht_time(snap.now), ht_time(g.restart_time)
    if not short:
        w(f"{DOCTYPE}<html><head>\n<title>Apache Status</title>\n</head><body>\n"
          f"<h1>Apache Server Status for {escape_html(snap.server_name)} "
          f"(via {snap.local_ip})</h1>\n\n")
        w(f"<dl><dt>Server Version: {snap.server_version}</dt>\n"
          f"<dt>Server MPM: {snap.mpm_name}</dt>\n"
          f"<dt>Server Built: {snap.server_built}\n</dt></dl><hr /><dl>\n"
          f"<dt>Current Time: {now_s}</dt>\n<dt>Restart Time: {restart_s}</dt>\n"
          f"<dt>Parent Server Config. Generation: {g.config_generation}</dt>\n"
          f"<dt>Parent Server MPM Generation: {gen}</dt>\n"
          f"<dt>Server uptime: {show_time(up_time)}</dt>\n"
          f"<dt>Server load: {l1:.2f} {l5:.2f} {l15:.2f}</dt>\n")
    else:
        w(f"{snap.server_name}\nServerVersion: {snap.server_version}\n"
          f"ServerMPM: {snap.mpm_name}\nServer Built: {snap.server_built}\n"
          f"CurrentTime: {now_s}\nRestartTime: {restart_s}\n"
          f"ParentServerConfigGeneration: {g.config_generation}\n"
          f"ParentServerMPMGeneration: {gen}\n"
          f"ServerUptimeSeconds: {up_time}\nServerUptime:{show_time(up_time)}\n"
          f"Load1: {l1:.2f}\nLoad5: {l5:.2f}\nLoad15: {l15:.2f}\n")
    if snap.extended:
        _totals(w, c, up_time, short)
    if not short:
        w(f"<dt>{c.busy} requests currently being processed, {c.graceful} workers "
          f"gracefully restarting, {c.idle} idle workers</dt>\n</dl>")
    else:
        w(f"BusyWorkers: {c.busy}\nGracefulWorkers: {c.graceful}\nIdleWorkers: {c.idle}\n")
    if snap.is_async:
        _async_table(w, board, t, gen, short)
    w("<pre>" if not short else "Scoreboard: ")
    written = 0
    for ch in t.letters:
        if ch == DISABLED:
            continue
        w(ch)
        if written % STATUS_MAXLINE == STATUS_MAXLINE - 1 and not short:
            w("\n")
        written += 1
    if short:
        w("\n")
        w(snap.extensions)
        return "".join(out)
    w("</pre>\n")
    w(SCOREBOARD_KEY)
    if not snap.extended:
        _pid_key(w, board, t)
        w("<hr />To obtain a full report with current status information you need to use "
          "the <code>ExtendedStatus On</code> directive.\n")
    else:
        _workers(w, snap, no_table)
    w(snap.extensions)
    w(snap.signature)
    w("</body></html>\n")
    return "".join(out)


def _totals(w, c, up_time: int, short: bool) -> None:
    count, kb = c.total_accesses, c.total_kbytes
    dur_ms = int(c.total_duration * 1000)
    tu, ts, tcu, tcs = c.utime, c.stime, c.cutime, c.cstime
    cpu = tu + ts + tcu + tcs
    if short:
        w(f"Total Accesses: {count}\nTotal kBytes: {kb}\nTotal Duration: {dur_ms}\n"
          f"CPUUser: {apr_g(tu)}\nCPUSystem: {apr_g(ts)}\nCPUChildrenUser: {apr_g(tcu)}\n"
          f"CPUChildrenSystem: {apr_g(tcs)}\n")
        if cpu:
            w(f"CPULoad: {apr_g(cpu / up_time * 100.0 if up_time else float('inf'))}\n")
        w(f"Uptime: {up_time}\n")
        if up_time > 0:
            w(f"ReqPerSec: {apr_g(f32(count / up_time))}\n"
              f"BytesPerSec: {apr_g(f32(KBYTE * f32(kb) / up_time))}\n")
        if count > 0:
            w(f"BytesPerReq: {apr_g(f32(KBYTE * f32(kb) / count))}\n"
              f"DurationPerReq: {apr_g(f32(dur_ms / count))}\n")
        return
    w(f"<dt>Total accesses: {count} - Total Traffic: {format_kbyte_out(kb)}"
      f" - Total Duration: {dur_ms}</dt>\n")
    w(f"<dt>CPU Usage: u{apr_g(tu)} s{apr_g(ts)} cu{apr_g(tcu)} cs{apr_g(tcs)}")
    if cpu:
        load = cpu / up_time * 100.0 if up_time else float("inf")
        w(f" - {apr_g(load, '.3g')}% CPU load</dt>\n")
    else:
        w("</dt>\n")
    w("<dt>")
    if up_time > 0:
        w(f"{apr_g(f32(count / up_time), '.3g')} requests/sec - "
          f"{format_byte_out(int(f32(KBYTE * f32(kb) / up_time)))}/second")
    if count > 0:
        if up_time > 0:
            w(" - ")
        w(f"{format_byte_out(int(f32(KBYTE * f32(kb) / count)))}/request - "
          f"{apr_g(f32(dur_ms / count))} ms/request")
    w("</dt>\n")


def _async_table(w, board: Scoreboard, t: Tally, gen: int, short: bool) -> None:
    if not short:
        w(ASYNC_TABLE_HEAD)
    procs = stopping = conns = wait_io = writing = keep_alive = closing = 0
    busy = graceful = idle = 0
    for i in range(board.server_limit):
        ps = board.process(i)
        if not ps.pid:
            continue
        procs += 1
        stopping += 1 if ps.quiescing else 0
        conns += ps.connections
        wait_io += ps.wait_io
        writing += ps.write_completion
        keep_alive += ps.keep_alive
        closing += ps.lingering_close
        busy += t.thread_busy[i]
        graceful += t.thread_graceful[i]
        idle += t.thread_idle[i]
        if not short:
            old = " (old gen)" if ps.generation != gen else ""
            w(f"<tr><td>{i}</td><td>{ps.pid}</td><td>{'yes' if ps.quiescing else 'no'}{old}"
              f"</td><td>{ps.connections}</td><td>{'no' if ps.not_accepting else 'yes'}</td>"
              f"<td>{t.thread_busy[i]}</td><td>{t.thread_graceful[i]}</td>"
              f"<td>{t.thread_idle[i]}</td><td>{ps.wait_io}</td><td>{ps.write_completion}"
              f"</td><td>{ps.keep_alive}</td><td>{ps.lingering_close}</td></tr>\n")
    if not short:
        w(f"<tr><td>Sum</td><td>{procs}</td><td>{stopping}</td><td>{conns}</td>"
          f"<td>&nbsp;</td><td>{busy}</td><td>{graceful}</td><td>{idle}</td>"
          f"<td>{wait_io}</td><td>{writing}</td><td>{keep_alive}</td><td>{closing}</td>"
          "</tr>\n</table>\n")
    else:
        w(f"Processes: {procs}\nStopping: {stopping}\nConnsTotal: {conns}\n"
          f"ConnsAsyncWaitIO: {wait_io}\nConnsAsyncWriting: {writing}\n"
          f"ConnsAsyncKeepAlive: {keep_alive}\nConnsAsyncClosing: {closing}\n")


def _pid_key(w, board: Scoreboard, t: Tally) -> None:
    w("PID Key: <br />\n<pre>\n")
    k = 0
    tl = board.thread_limit
    for idx, ch in enumerate(t.letters):
        if ch == DEAD:
            continue
        w(f"   {t.pids[idx // tl]} in state: {ch} ")
        k += 1
        if k >= 3:
            w("\n")
            k = 0
        else:
            w(",")
    w("\n</pre>\n")


def _workers(w, snap: Snapshot, no_table: bool) -> None:
    board, now = snap.board, snap.now
    esc_log = snap.escape_logitem or (lambda s: s)
    w("<hr /><h2>Server Details</h2>\n\n" if no_table else TABLE_HEAD)
    for i in range(board.server_limit):
        ps = None
        for j in range(board.thread_limit):
            ws = board.worker(i, j).snapshot()
            st = ws["status"]
            if ws["access_count"] == 0 and st in (READY, DEAD):
                continue
            if ps is None:
                ps = board.process(i)
            if ws["start_time"] == 0:
                req_ms = 0
            else:
                req_ms = max(0, int((ws["stop_time"] - ws["start_time"]) * 1000))
            dur_ms = int(ws["duration"] * 1000)
            pid, gen = (ws["pid"], ws["generation"]) if ws["pid"] else (ps.pid, ps.generation)
            ss = int(now - ws["last_used"])
            client = escape_html(ws["client"])
            request = escape_html(esc_log(ws["request"]))
            protocol = escape_html(ws["protocol"])
            vhost = escape_html(ws["vhost"])
            acc = f"{ws['conn_count']}|{ws['my_access_count']}|{ws['access_count']}"
            if no_table:
                who = "-" if st == DEAD else str(pid)
                w(f"<b>Server {i}-{gen}</b> ({who}): {acc} [{_NOTABLE_MODE.get(st, '?STATE?')}]"
                  f" u{apr_g(ws['utime'])} s{apr_g(ws['stime'])} cu{apr_g(ws['cutime'])}"
                  f" cs{apr_g(ws['cstime'])}\n {ss} {req_ms} {dur_ms}("
                  f"{format_byte_out(ws['conn_bytes'])}|{format_byte_out(ws['my_bytes_served'])}"
                  f"|{format_byte_out(ws['bytes_served'])})\n"
                  f" <i>{client} {{{request}}}</i> <i>({protocol})</i> <b>[{vhost}]</b>"
                  "<br />\n\n")
                continue
            who = "-" if st == DEAD else str(pid)
            cpu = ws["utime"] + ws["stime"] + ws["cutime"] + ws["cstime"]
            w(f"<tr><td><b>{i}-{gen}</b></td><td>{who}</td><td>{acc.replace('|', '/')}"
              f"</td><td>{_TABLE_MODE.get(st, '?')}\n</td><td>{cpu:.2f}</td><td>{ss}</td>"
              f"<td>{req_ms}</td><td>{dur_ms}</td><td>{f32(ws['conn_bytes'] / KBYTE):.1f}"
              f"</td><td>{f32(ws['my_bytes_served'] / MBYTE):.2f}</td>"
              f"<td>{f32(ws['bytes_served'] / MBYTE):.2f}\n"
              f"</td><td>{client}</td><td>{protocol}</td><td nowrap>{vhost}</td>"
              f"<td nowrap>{request}</td></tr>\n\n")
    if not no_table:
        w(TABLE_KEY)


def refresh_value(args: str) -> str | None:
    """``refresh[=N]`` anywhere in the query: the Refresh header (atol; < 1 means 10)."""
    loc = args.find("refresh")
    if loc < 0:
        return None
    rest = args[loc + len("refresh"):]
    n = 0
    if rest.startswith("="):
        n = atol(rest[1:])
    return str(n if n >= 1 else 10)


def atol(s: str) -> int:
    s = s.lstrip(" \t\n\v\f\r")
    sign = 1
    if s[:1] in "+-" and s:
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    digits = ""
    for ch in s:
        if not ch.isdigit() or not ch.isascii():
            break
        digits += ch
    return sign * int(digits) if digits else 0
