#!/usr/bin/env python3
"""Why a prefork server's rate changes with its process count: /proc accounting per request.

    python bench/prefork_scaling.py [--procs 1,2,4,8,16,32] [--connections 32]
                                    [--duration 5] [--mode varied|repeated] [--only NAME]

For each process count, httpd prefork and Apache prefork (same pool: StartServers =
MinSpareServers = MaxSpareServers = ServerLimit = MaxRequestWorkers = N) serve the 1 KB
file to wrk (``--connections``, keep-alive; bench/http_bench.py's varied requests by
default).  Read from /proc for the server's whole process tree over the load: CPU
user and system time, voluntary and involuntary context switches and minor page faults,
each per request; and system-wide, from /proc/stat, the context switches per request
(wrk's included).  With keep-alive, a prefork server serves min(N, connections)
connections at once; the others wait in the listen queue, as they do on Apache.
Servers are started here and stopped by their pid; every loop is bounded in time.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import http_bench as hb  # noqa: E402


def tree(pid: int) -> list[int]:
    kids: dict = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            kids.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return out


def account(pid: int) -> dict:
    """user, system (s), voluntary and involuntary switches, minor faults: the tree's sum."""
    tick = os.sysconf("SC_CLK_TCK")
    total = dict(user=0.0, sys=0.0, vcsw=0, ivcsw=0, minflt=0)
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{p}/status") as f:
                status = f.read()
        except OSError:
            continue
        total["user"] += int(fields[11]) / tick
        total["sys"] += int(fields[12]) / tick
        total["minflt"] += int(fields[7])
        total["vcsw"] += int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", status).group(1))
        total["ivcsw"] += int(re.search(r"nonvoluntary_ctxt_switches:\s+(\d+)", status).group(1))
    return total


def system_ctxt() -> int:
    with open("/proc/stat") as f:
        return int(re.search(r"^ctxt (\d+)", f.read(), re.M).group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", default="1,2,4,8,16,32")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--mode", choices=("varied", "repeated"), default="varied")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="prefork-scaling-"))
    docs = hb.make_docroot(root)
    env = dict(os.environ, PYTHONPATH=str(hb.ROOT))
    rows = []
    try:
        for n in [int(x) for x in args.procs.split(",")]:
            for name, ours in (("httpd prefork", True), ("Apache prefork", False)):
                if args.only and args.only.lower() not in name.lower():
                    continue
                if not ours and not shutil.which("apache2"):
                    continue
                port = hb.free_port()
                conf = hb.apache_conf(root, docs, port, "prefork", n, ours)
                cmd = ([sys.executable, "-m", "httpd"] if ours else ["apache2"]) + \
                    ["-DFOREGROUND", "-f", str(conf)]
                proc = hb.start(cmd, port, env if ours else None)
                try:
                    hb.wrk(port, "/1k.bin", 1, args.connections, varied=args.mode == "varied",
                           script_dir=root)
                    a, c = account(proc.pid), system_ctxt()
                    res = hb.wrk(port, "/1k.bin", args.duration, args.connections,
                                 varied=args.mode == "varied", script_dir=root)
                    b, d = account(proc.pid), system_ctxt()
                finally:
                    hb.stop(proc)
                reqs = res["rps"] * args.duration or 1
                rows.append((name, n, res["rps"], (b["user"] - a["user"]) / reqs * 1e6,
                             (b["sys"] - a["sys"]) / reqs * 1e6, (b["vcsw"] - a["vcsw"]) / reqs,
                             (b["ivcsw"] - a["ivcsw"]) / reqs, (b["minflt"] - a["minflt"]) / reqs,
                             (d - c) / reqs))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"command: {' '.join(sys.argv)}")
    print(f"load: wrk -t2 -c{args.connections} -d{args.duration}s, {args.mode} requests, "
          f"1 KB file, keep-alive\n")
    print("| server | processes | requests/s | user us/req | system us/req | voluntary "
          "switches/req | involuntary/req | minor faults/req | system-wide switches/req |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, n, rps, u, s, v, iv, mf, sw in rows:
        print(f"| {name} | {n} | {rps:.0f} | {u:.0f} | {s:.0f} | {v:.2f} | {iv:.2f} | "
              f"{mf:.3f} | {sw:.2f} |")


if __name__ == "__main__":
    main()
