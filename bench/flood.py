#!/usr/bin/env python3
"""The keep-alive flood: httpd's event and worker MPMs beside Apache's, in one run.

    python bench/flood.py [--idle 5000] [--probes 200] [--flood-wait 60] [--only NAME,...]

For each server: httpd event, Apache event, gunicorn gthread (4 processes x 25
threads, its keep-alive connections wait in a selector too), httpd worker, Apache
worker; the Apache-style ones all with StartServers 4, ServerLimit 16, ThreadsPerChild
25, MaxRequestWorkers 400, KeepAliveTimeout 300 (event: AsyncRequestWorkerFactor 64,
so 4 processes may hold 4 x (25 + 25 x 64) = 6500 connections):
1. flood: one client process opens --idle connections, sends one GET on each and keeps
   every answered connection idle (keep-alive).  Answers are awaited at most
   --flood-wait seconds (worker: 10 s): under worker each idle connection owns a
   thread, so only MaxRequestWorkers of them are answered and the rest wait in the
   backlog.
2. probes: --probes fresh requests, each on a new connection (Connection: close),
   timed one after the other (p50/p99), with a 2 s timeout each (a timeout counts as
   failed; worker's probes stop after 10 failures in a row).  Then the resident memory
   of the server's processes (VmRSS of the parent and its children) and how many of
   the flood's connections the server still holds open.
3. recovery: the flood's connections are closed; the time until a fresh request is
   answered again (at most 30 s).

Everything runs on 127.0.0.1; servers are stopped by their own pid; RLIMIT_NOFILE is
raised here (and inherited by the servers).  Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import selectors
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import (
    GUNICORN_APP,
    ROOT,
    apache_conf,
    free_port,
    make_docroot,
    start,
    stop,
)

REQUEST = b"GET /1k.bin HTTP/1.1\r\nHost: localhost\r\n\r\n"
PROBE = b"GET /1k.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
FLOOD_SETTINGS = ("KeepAliveTimeout {ka}\nMaxKeepAliveRequests 0\nListenBacklog 4096\n"
                  "StartServers 4\nServerLimit 16\nThreadsPerChild 25\nMaxRequestWorkers 400\n"
                  "MinSpareThreads 25\nMaxSpareThreads 400\n")


def raise_nofile(want: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if os.geteuid() == 0 and hard != resource.RLIM_INFINITY and hard < want:
        target = want
        hard = want
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), max(hard, target)))
    except (ValueError, OSError):
        pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def tree_rss_kb(pid: int) -> int:
    """VmRSS of ``pid`` and every process whose parent is ``pid`` (one level: the
    MPMs' children), in kB."""
    pids = [pid]
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                pids.append(int(name))
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def flood(port: int, count: int, wait: float, batch: int = 500) -> tuple[list, int, float]:
    """(idle sockets, answered count, seconds): ``count`` connections, one request each;
    at most ``batch`` are connecting at once."""
    sel = selectors.DefaultSelector()
    socks: list[socket.socket] = []
    answered = 0
    pending = 0
    opened = 0
    t0 = time.monotonic()
    end = t0 + wait
    while time.monotonic() < end and (opened < count or pending):
        while opened < count and pending < batch:
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                break
            socks.append(s)
            sel.register(s, selectors.EVENT_WRITE, [b""])
            opened += 1
            pending += 1
        for key, ev in sel.select(0.2):
            s, got = key.fileobj, key.data
            if ev & selectors.EVENT_WRITE:
                try:
                    s.send(REQUEST)
                except OSError:
                    sel.unregister(s)
                    pending -= 1
                    continue
                sel.modify(s, selectors.EVENT_READ, got)
                continue
            try:
                chunk = s.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                sel.unregister(s)
                pending -= 1
                continue
            got[0] += chunk
            _, sep, body = got[0].partition(b"\r\n\r\n")
            if sep and len(body) >= 1024:
                sel.unregister(s)
                pending -= 1
                answered += 1
    sel.close()
    return socks, answered, time.monotonic() - t0


def probe(port: int, timeout: float = 2.0) -> float | None:
    """Seconds for one request on a new connection, or None (timeout or error)."""
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(max(0.01, timeout - (time.monotonic() - t0)))
            s.sendall(PROBE)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    return time.monotonic() - t0 if data.startswith(b"HTTP/1.1 200") else None


def probes(port: int, n: int, give_up_after: int) -> tuple[list[float], int, int]:
    """(times of the answered, failed, attempted)."""
    times, failed, in_a_row, tried = [], 0, 0, 0
    for _ in range(n):
        tried += 1
        t = probe(port)
        if t is None:
            failed += 1
            in_a_row += 1
            if in_a_row >= give_up_after:
                break
        else:
            in_a_row = 0
            times.append(t)
    return times, failed, tried


def still_open(socks: list[socket.socket]) -> int:
    n = 0
    for s in socks:
        try:
            data = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            if data:
                n += 1
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n


def command(kind: str, mpm: str, root: Path, docs: Path, port: int) -> tuple[list, dict]:
    """The command line and environment of one server under test."""
    if kind == "gunicorn":
        # the threaded WSGI server: 4 processes x 25 threads, keep-alive in a selector
        (root / "bench_app.py").write_text(GUNICORN_APP)
        return ([shutil.which("gunicorn"), "-w", "4", "-k", "gthread", "--threads", "25",
                 "--worker-connections", "2000", "--keep-alive", "300", "--backlog", "4096",
                 "-b", f"127.0.0.1:{port}", "--chdir", str(root), "bench_app:app"],
                dict(os.environ, BENCH_DOCS=str(docs)))
    conf = apache_conf(root, docs, port, mpm, 4, ours=kind == "httpd")
    text = conf.read_text()
    text = "\n".join(line for line in text.splitlines()
                     if line.split(" ")[0] not in ("StartServers", "ServerLimit",
                                                   "ThreadsPerChild", "MinSpareThreads",
                                                   "MaxSpareThreads", "MaxRequestWorkers"))
    # idle connections are kept for the whole run, so under worker they keep their threads
    extra = FLOOD_SETTINGS.format(ka=300)
    if mpm == "event":
        # 4 processes x (25 + 25 idle x 64) = 6500 connections before the limit
        extra += "AsyncRequestWorkerFactor 64\n"
    conf.write_text(text + "\n" + extra)
    if kind == "httpd":
        return ([sys.executable, "-m", "httpd", "-DFOREGROUND", "-f", str(conf)],
                dict(os.environ, PYTHONPATH=str(ROOT)))
    return ["apache2", "-DFOREGROUND", "-f", str(conf)], dict(os.environ)


def run_one(name: str, mpm: str, kind: str, root: Path, docs: Path, args) -> dict:
    port = free_port()
    cmd, env = command(kind, mpm, root, docs, port)
    proc = start(cmd, port, env)
    row = {"name": name}
    try:
        time.sleep(2.0)                 # StartServers children up
        rss_before = tree_rss_kb(proc.pid)
        if mpm == "worker":
            # every connection is opened at once: beyond the threads they wait
            socks, answered, took = flood(port, args.idle, min(args.flood_wait, 10.0),
                                          batch=args.idle)
        else:
            socks, answered, took = flood(port, args.idle, args.flood_wait)
        row["answered"] = answered
        row["flood_s"] = took
        row["rss_before"] = rss_before
        times, failed, row["tried"] = probes(port, args.probes,
                                             args.probes if mpm == "event" else 10)
        row["rss"] = tree_rss_kb(proc.pid)
        row["held"] = still_open(socks)
        row["failed"] = failed
        row["p50"] = statistics.median(times) * 1000 if times else None
        row["p99"] = (sorted(times)[max(0, int(len(times) * 0.99) - 1)] * 1000
                      if times else None)
        for s in socks:
            s.close()
        t0 = time.monotonic()
        recovered = None
        while time.monotonic() - t0 < 30:
            if probe(port, 2.0) is not None:
                recovered = time.monotonic() - t0
                break
        row["recovery"] = recovered
    finally:
        stop(proc)
    return row


def fmt(v, spec: str = ".1f", none: str = "-") -> str:
    return none if v is None else format(v, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--idle", type=int, default=5000)
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--flood-wait", type=float, default=60.0)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    limit = raise_nofile(args.idle * 2 + 1024)
    if limit < args.idle + 256:
        sys.exit(f"RLIMIT_NOFILE is {limit}: too low for --idle {args.idle}")
    targets = [("httpd event", "event", "httpd"), ("Apache event", "event", "apache"),
               ("gunicorn gthread", "event", "gunicorn"),
               ("httpd worker", "worker", "httpd"), ("Apache worker", "worker", "apache")]
    targets = [t for t in targets if t[2] == "httpd" or shutil.which(
        "apache2" if t[2] == "apache" else "gunicorn")]
    if args.only:
        keep = {x.strip() for x in args.only.split(",")}
        targets = [t for t in targets if t[0] in keep]
    root = Path(tempfile.mkdtemp(prefix="flood-"))
    root.chmod(0o755)
    rows = []
    try:
        docs = make_docroot(root)
        for name, mpm, kind in targets:
            sub = root / name.replace(" ", "-")
            sub.mkdir()
            sub.chmod(0o755)
            rows.append(run_one(name, mpm, kind, sub, docs, args))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"Keep-alive flood: {args.idle} idle connections from one client, then "
          f"{args.probes} fresh requests (1 KB file, new connection each), "
          f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    print("| server | idle answered | idle still open | flood s | fresh p50 ms | "
          "fresh p99 ms | fresh failed/tried (2 s timeout) | RSS MB idle -> flooded | "
          "recovery s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['answered']} | {r['held']} | {r['flood_s']:.1f} | "
              f"{fmt(r['p50'])} | {fmt(r['p99'])} | {r['failed']}/{r['tried']} | "
              f"{r['rss_before'] / 1024:.0f} -> {r['rss'] / 1024:.0f} | "
              f"{fmt(r['recovery'], '.2f', 'never')} |")


if __name__ == "__main__":
    main()
