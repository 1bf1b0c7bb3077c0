#!/usr/bin/env python3
"""WSGI hosting side by side, in one run, with wrk: httpd's wsgi_module (embedded under
prefork and event, and daemon mode), gunicorn (sync and gthread), waitress, and Apache
with mod_wsgi (Debian's libapache2-mod-wsgi-py3: embedded under prefork, daemon mode
under event).

    python bench/wsgi_bench.py [--procs 2] [--threads 4] [--duration 3] [--connections 16]
                               [--only NAME,...]

Two applications, the same file for every server: a hello world (12 bytes) and a
20 KB JSON response (json.dumps of a list of records on every request).  Every server
has --procs processes; the threaded ones --threads threads per process (waitress, one
process, has procs x threads).  Keep-alive on, no access log.  Servers are started here,
stopped by their own pid, and every wait is bounded.  Prints a Markdown table of
requests per second (p50 / p99 latency).
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import free_port, start, stop, wrk  # noqa: E402 (the bench's one copy)
MODDIR = "/usr/lib/apache2/modules"
APP = '''
import json
RECORDS = [{"id": i, "name": "item %d" % i, "price": i * 1.25, "tags": ["a", "b"],
            "active": i % 2 == 0} for i in range(230)]


def application(environ, start_response):
    if environ.get("PATH_INFO", "").endswith("/json"):   # gunicorn: no SCRIPT_NAME split
        body = json.dumps(RECORDS).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "12")])
    return [b"Hello world!"]
'''
URLS = {"hello world": "/app/", "20 KB JSON": "/app/json"}


def conf(root: Path, name: str, port: int, mpm: str, procs: int, threads: int,
         wsgi: str, user: str = "") -> Path:
    d = root / name
    d.mkdir(exist_ok=True)
    (d / "logs").mkdir(exist_ok=True)
    if mpm == "prefork":
        pool = (f"StartServers {procs}\nMinSpareServers {procs}\nMaxSpareServers {procs}\n"
                f"ServerLimit {procs}\nMaxRequestWorkers {procs}\n")
    else:
        pool = (f"StartServers {procs}\nServerLimit {procs}\nThreadsPerChild {threads}\n"
                f"MinSpareThreads {threads}\nMaxSpareThreads {threads * procs}\n"
                f"MaxRequestWorkers {threads * procs}\n")
    mods = "".join(f"LoadModule {m}_module {MODDIR}/mod_{m}.so\n"
                   for m in (f"mpm_{mpm}", "authz_core", "wsgi"))
    c = d / "httpd.conf"
    c.write_text(textwrap.dedent(f"""\
        ServerRoot {d}
        {mods.strip()}
        Listen 127.0.0.1:{port}
        ServerName localhost
        PidFile {d}/httpd.pid
        ErrorLog {d}/error_log
        KeepAlive On
        MaxKeepAliveRequests 0
        """) + user + pool + wsgi)
    return c


def servers(root: Path, procs: int, threads: int):
    app = root / "app.wsgi"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    alias = f"WSGIScriptAlias /app {app}\n"
    daemon = (f"WSGIDaemonProcess bench processes={procs} threads={threads}\n"
              "WSGIProcessGroup bench\nWSGIApplicationGroup %{GLOBAL}\n")
    out = []
    for name, mpm, wsgi in (("httpd embedded prefork", "prefork", alias),
                            ("httpd embedded event", "event", alias),
                            ("httpd daemon mode (event front)", "event", daemon + alias)):
        def ours(name=name, mpm=mpm, wsgi=wsgi):
            port = free_port()
            c = conf(root, name.replace(" ", "_"), port, mpm, procs, threads, wsgi)
            return port, start([sys.executable, "-m", "httpd", "-DFOREGROUND", "-f", str(c)],
                               port, env)
        out.append((name, ours))
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).parent / "gunicorn")
    if os.path.exists(gunicorn):
        (root / "bench_app.py").write_text(APP)
        for label, kind in (("gunicorn sync", ["-k", "sync"]),
                            ("gunicorn gthread", ["-k", "gthread", "--threads", str(threads)])):
            def gun(kind=kind):
                port = free_port()
                return port, start([gunicorn, "-w", str(procs), *kind, "-b",
                                    f"127.0.0.1:{port}", "--chdir", str(root),
                                    "bench_app:application"], port)
            out.append((label, gun))
    waitress = shutil.which("waitress-serve") or str(Path(sys.executable).parent /
                                                     "waitress-serve")
    if os.path.exists(waitress):
        def wait():
            port = free_port()
            return port, start([waitress, f"--listen=127.0.0.1:{port}",
                                f"--threads={procs * threads}", "--url-prefix=/app",
                                "bench_app:application"], port,
                               dict(os.environ, PYTHONPATH=str(root)))
        out.append((f"waitress ({procs * threads} threads)", wait))
    if shutil.which("apache2") and os.path.exists(f"{MODDIR}/mod_wsgi.so"):
        for name, mpm, wsgi in (("Apache + mod_wsgi embedded prefork", "prefork", alias),
                                ("Apache + mod_wsgi daemon (event)", "event",
                                 daemon + alias)):
            def apache(name=name, mpm=mpm, wsgi=wsgi):
                port = free_port()
                # Apache's children and mod_wsgi's daemons need a User when run as root
                # (mod_wsgi cannot setgid to the default #-1); httpd's stay as they are
                user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
                c = conf(root, name.replace(" ", "_").replace("+", ""), port, mpm, procs,
                         threads, wsgi, user)
                return port, start(["apache2", "-DFOREGROUND", "-f", str(c)], port)
            out.append((name, apache))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wsgi-bench-"))
    os.chmod(root, 0o755)
    (root / "app.wsgi").write_text(APP)
    (root / "bench_app.py").write_text(APP)
    only = [x.strip() for x in a.only.split(",") if x.strip()]
    rows = []
    for name, starter in servers(root, a.procs, a.threads):
        if only and not any(o in name for o in only):
            continue
        try:
            port, proc = starter()
        except RuntimeError as e:
            print(f"{name}: did not start ({e})", file=sys.stderr)
            continue
        try:
            cells = []
            for label, path in URLS.items():
                wrk(port, path, 1, a.connections)              # warm-up
                r = wrk(port, path, a.duration, a.connections)
                bad = f", {r['non2xx']} non-2xx" if r["non2xx"] else ""
                cells.append(f"{r['rps']:,.0f} ({r['p50']:.2f} / {r['p99']:.2f} ms{bad})")
            rows.append((name, cells))
            print(f"{name}: {' | '.join(cells)}", file=sys.stderr)
        finally:
            stop(proc)
    shutil.rmtree(root, ignore_errors=True)
    print(f"`python bench/wsgi_bench.py --procs {a.procs} --threads {a.threads} "
          f"--duration {a.duration} --connections {a.connections}`, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}\n")
    print("| server | " + " | ".join(URLS) + " |")
    print("|---|" + "---|" * len(URLS))
    for name, cells in rows:
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
