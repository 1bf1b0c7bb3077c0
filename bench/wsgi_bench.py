#!/usr/bin/env python3
"""WSGI hosting side by side, in one run, with wrk: httpd's wsgi_module (embedded under
prefork and event, and daemon mode), gunicorn (sync and gthread), waitress, and Apache
with mod_wsgi (Debian's libapache2-mod-wsgi-py3: embedded under prefork, daemon mode
under event).

    python bench/wsgi_bench.py [--procs 2] [--threads 4] [--duration 3] [--connections 16]
                               [--only NAME,...] [--mode repeated|varied|both] [--rounds 1]

Two applications, the same file for every server: a hello world (12 bytes) and a
20 KB JSON response (json.dumps of a list of records on every request).  Every server
has --procs processes; the threaded ones --threads threads per process (waitress, one
process, has procs x threads).  Keep-alive on, no access log.  Servers are started here,
stopped by their own pid, and every wait is bounded.  Prints a Markdown table of
requests per second (p50 / p99 latency).

--mode varied sends what browsers send, as bench/http_bench.py --mode varied does: every
request its own query string, cookie and user agent, with a browser's Accept,
Accept-Language, Referer and the rest (~700-byte heads).  --rounds N starts every server
first and then measures them in turn, N rounds interleaved (the machine's other load
falls on all alike), each cell the median round; the table then ends with each httpd
row's ratio to gunicorn sync and gthread, and the load average before and after.
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
from http_bench import free_port, interpreter, start, stop, wrk  # noqa: E402 (one copy)
import statistics  # noqa: E402
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
    # a document root that exists, as every site has (PATH_TRANSLATED's subrequest maps
    # the path info in it; the built-in defaults differ: Debian's apache2 has
    # /var/www/html, httpd /etc/httpd/htdocs, which is absent here), and Debian's
    # apache2.conf's <Directory />: no .htaccess looked for
    (d / "htdocs").mkdir(exist_ok=True)
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
        DocumentRoot {d}/htdocs
        <Directory />
            Options FollowSymLinks
            AllowOverride None
        </Directory>
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


def _cell(runs: list) -> tuple:
    """The median round of ``runs`` (wrk results): (requests/s, its text)."""
    r = sorted(runs, key=lambda x: x["rps"])[len(runs) // 2]
    bad = f", {r['non2xx']} non-2xx" if r["non2xx"] else ""
    return r["rps"], f"{r['rps']:,.0f} ({r['p50']:.2f} / {r['p99']:.2f} ms{bad})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--only", default="")
    ap.add_argument("--mode", choices=("repeated", "varied", "both"), default="repeated")
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wsgi-bench-"))
    os.chmod(root, 0o755)
    (root / "app.wsgi").write_text(APP)
    (root / "bench_app.py").write_text(APP)
    only = [x.strip() for x in a.only.split(",") if x.strip()]
    modes = ("repeated", "varied") if a.mode == "both" else (a.mode,)
    columns = [(f"{label}{', varied' if mode == 'varied' else ''}", path, mode)
               for mode in modes for label, path in URLS.items()]
    load_before = os.getloadavg()
    started = []
    try:
        for name, starter in servers(root, a.procs, a.threads):
            if only and not any(o in name for o in only):
                continue
            try:
                started.append((name, starter()))
            except RuntimeError as e:
                print(f"{name}: did not start ({e})", file=sys.stderr)
        runs: dict = {name: [[] for _ in columns] for name, _ in started}
        for _round in range(a.rounds):
            for name, (port, proc) in started:
                for i, (_label, path, mode) in enumerate(columns):
                    varied = mode == "varied"
                    wrk(port, path, 1, a.connections, varied=varied, script_dir=root)
                    runs[name][i].append(wrk(port, path, a.duration, a.connections,
                                             varied=varied, script_dir=root))
                print(f"round {_round + 1}: {name}: " + " | ".join(
                    f"{x[-1]['rps']:,.0f}" for x in runs[name]), file=sys.stderr)
    finally:
        for _name, (_port, proc) in started:
            stop(proc)
    load_after = os.getloadavg()
    shutil.rmtree(root, ignore_errors=True)
    cells = {name: [_cell(x) for x in runs[name]] for name, _ in started}
    print(f"`python bench/wsgi_bench.py --procs {a.procs} --threads {a.threads} "
          f"--duration {a.duration} --connections {a.connections} --mode {a.mode} "
          f"--rounds {a.rounds}`, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {interpreter()}\n")
    print("| server | " + " | ".join(c[0] for c in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, row in cells.items():
        print(f"| {name} | " + " | ".join(text for _rps, text in row) + " |")
    gun = {k: cells[k] for k in ("gunicorn sync", "gunicorn gthread") if k in cells}
    if gun:
        print("\nRatios (requests/s over gunicorn's, median rounds):\n")
        print("| httpd | " + " | ".join(f"{c[0]} / {g}" for g in gun for c in columns)
              + " |")
        print("|---|" + "---|" * (len(columns) * len(gun)))
        for name, row in cells.items():
            if not name.startswith("httpd"):
                continue
            print(f"| {name} | " + " | ".join(
                f"{row[i][0] / g[i][0]:.2f}x" if g[i][0] else "-"
                for g in gun.values() for i in range(len(columns))) + " |")
    print(f"\nload average before {load_before[0]:.2f} {load_before[1]:.2f}, after "
          f"{load_after[0]:.2f} {load_after[1]:.2f} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
