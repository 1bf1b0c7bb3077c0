#!/usr/bin/env python3
"""CGI: a trivial shell script behind httpd and behind Apache, mod_cgi under prefork
and mod_cgid under event, in one run, with wrk.

    python bench/cgi_bench.py [--duration 5] [--connections 8] [--procs 4] [--runs 1]

The script (/bin/sh) prints a Content-Type and one line; every request forks and
execs it, so the numbers are mostly the cost of a process per request and how each
server gets it (mod_cgi: the worker forks; mod_cgid: a request to the cgid daemon,
which forks).  Each server gets the same config shape: ScriptAlias, ``--procs``
children (prefork) or processes of 25 threads (event), keep-alive.  Servers are
started here and stopped by their own pid; every wait is bounded.  Under root the
children run as User nobody.  Prints a Markdown table (requests per second, p50 and
p99 latency, non-2xx answers).
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import MODDIR, ROOT, free_port, start, stop, wrk  # noqa: E402

SCRIPT = "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nhello from CGI\\n'\n"
SERVERS = [("httpd", "prefork", "cgi"), ("Apache", "prefork", "cgi"),
           ("httpd", "event", "cgid"), ("Apache", "event", "cgid")]


def conf(root: Path, kind: str, mpm: str, module: str, port: int, procs: int) -> Path:
    d = root / f"{kind}-{mpm}"
    (d / "logs").mkdir(parents=True)
    d.chmod(0o755)
    mods = [f"mpm_{mpm}", "authz_core", "alias", module]
    loads = "".join(f"LoadModule {m}_module {MODDIR}/mod_{m}.so\n" for m in mods)
    if mpm == "prefork":
        sizing = (f"StartServers {procs}\nMinSpareServers {procs}\nMaxSpareServers {procs}\n"
                  f"MaxRequestWorkers {procs}\n")
    else:
        sizing = (f"StartServers {max(1, procs // 2)}\nThreadsPerChild 25\n"
                  f"MaxRequestWorkers {25 * max(1, procs // 2)}\nServerLimit {procs}\n"
                  "MinSpareThreads 25\nMaxSpareThreads 250\n")
    user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
    text = (f"ServerRoot {d}\n{loads}Listen 127.0.0.1:{port}\nServerName localhost\n"
            f"PidFile {d}/logs/httpd.pid\nErrorLog {d}/logs/error_log\n{user}{sizing}"
            f"DocumentRoot {root}/cgi\n<Directory {root}/cgi>\nRequire all granted\n"
            f"</Directory>\nScriptAlias /cgi-bin/ {root}/cgi/\nKeepAlive On\n")
    (d / "httpd.conf").write_text(text)
    return d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    apache = shutil.which("apache2") or "/usr/sbin/apache2"
    root = Path(tempfile.mkdtemp(prefix="cgi-bench-"))
    root.chmod(0o755)
    results = []
    try:
        (root / "cgi").mkdir()
        (root / "cgi").chmod(0o755)
        (root / "cgi" / "hello.sh").write_text(SCRIPT)
        (root / "cgi" / "hello.sh").chmod(0o755)
        for kind, mpm, module in SERVERS:
            if kind == "Apache" and not os.path.exists(apache):
                continue
            port = free_port()
            d = conf(root, kind, mpm, module, port, args.procs)
            cmd = ([apache] if kind == "Apache" else [sys.executable, "-m", "httpd"])
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            proc = start(cmd + ["-DFOREGROUND", "-d", str(d), "-f", str(d / "httpd.conf")],
                         port, env)
            try:
                wrk(port, "/cgi-bin/hello.sh", 1, args.connections)       # warm-up
                best = None
                for _ in range(args.runs):
                    r = wrk(port, "/cgi-bin/hello.sh", args.duration, args.connections)
                    if best is None or r["rps"] > best["rps"]:
                        best = r
                results.append((f"{kind} {mpm} + mod_{module}", best))
            finally:
                stop(proc)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"load: wrk -t2 -c{args.connections} -d{args.duration}s, keep-alive, 127.0.0.1, "
          f"{os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}\n")
    print("| server | requests/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results:
        p50 = f"{r['p50']:.1f}" if r["p50"] is not None else "-"
        p99 = f"{r['p99']:.1f}" if r["p99"] is not None else "-"
        print(f"| {name} | {r['rps']:.0f} | {p50} | {p99} | {r['non2xx']} |")


if __name__ == "__main__":
    main()
