#!/usr/bin/env python3
"""httpd beside Apache, nginx and gunicorn, in one run, with wrk.

    python bench/http_bench.py [--set prefork|threaded|portable] [--procs 4] [--threads 25]
                               [--duration 10] [--connections 16] [--only NAME,...]

--set prefork (the default): httpd prefork, Apache prefork and event, nginx, gunicorn
(sync workers), every one with --procs processes.  --set threaded: httpd worker and
event, Apache worker and event, gunicorn (gthread), every one with --procs processes
of --threads threads.  --set portable: httpd under every MPM it has (prefork, worker,
event, winnt, netware, beos, mpmt_os2), each with the same total concurrency,
--procs x --threads (prefork: that many processes; winnt: one child of that many
threads; netware and beos: one process of that many threads; mpmt_os2: --procs
children of --threads spare threads each).  Every server serves the same files from a scratch directory on
127.0.0.1 with keep-alive on; each URL (a 1 KB file, a 100 KB file, a 404, a directory
listing, and the 1 KB file on a new connection per request) is loaded by wrk for
--duration seconds.  Servers are started here, stopped by
their own pid, and every loop is bounded in time.  Prints a Markdown table (requests
per second, median and p99 latency) with the command line and the machine.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODDIR = "/usr/lib/apache2/modules"
URLS = {"1 KB file": "/1k.bin", "100 KB file": "/100k.bin", "404": "/missing.txt",
        "directory index": "/dir/",
        # a new connection for every request (wrk sends Connection: close)
        "1 KB file (no keep-alive)": "/1k.bin|close"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, seconds: float = 15) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("never listened")


def make_docroot(root: Path) -> Path:
    docs = root / "htdocs"
    (docs / "dir").mkdir(parents=True)
    (docs / "1k.bin").write_bytes(os.urandom(1024))
    (docs / "100k.bin").write_bytes(os.urandom(100 * 1024))
    for i in range(20):
        (docs / "dir" / f"file{i:02d}.txt").write_text("x" * (i * 10))
    return docs


# the portable set's pools: the same total concurrency (procs x threads) in each model
PORTABLE_POOLS = {
    "prefork": lambda p, t: (f"StartServers {p * t}\nMinSpareServers {p * t}\n"
                             f"MaxSpareServers {p * t}\nServerLimit {p * t}\n"
                             f"MaxRequestWorkers {p * t}\n"),
    "winnt": lambda p, t: f"ThreadsPerChild {p * t}\n",
    "netware": lambda p, t: (f"StartThreads {p * t}\nMinSpareThreads 1\n"
                             f"MaxSpareThreads {p * t}\nMaxThreads {p * t}\n"),
    "beos": lambda p, t: f"StartThreads {p * t}\nMaxClients {p * t}\n",
    "mpmt_os2": lambda p, t: f"StartServers {p}\nMinSpareThreads {t}\nMaxSpareThreads {t}\n",
}
PORTABLE = ("prefork", "worker", "event", "winnt", "netware", "beos", "mpmt_os2")
STATIC_ONLY = ("winnt", "mpmt_os2")


def apache_conf(root: Path, docs: Path, port: int, mpm: str, procs: int, ours: bool,
                threads: int = 25, portable: bool = False) -> Path:
    if portable and mpm in PORTABLE_POOLS:
        pool = PORTABLE_POOLS[mpm](procs, threads)
    elif mpm == "prefork":
        pool = (f"StartServers {procs}\nMinSpareServers {procs}\nMaxSpareServers {procs}\n"
                f"ServerLimit {procs}\nMaxRequestWorkers {procs}\n")
    else:
        pool = (f"StartServers {procs}\nServerLimit {procs}\nThreadsPerChild {threads}\n"
                f"MinSpareThreads {threads}\nMaxSpareThreads {threads * procs}\n"
                f"MaxRequestWorkers {threads * procs}\n")
    name = f"httpd-{mpm}" if ours else f"apache-{mpm}"
    logs = root / name
    logs.mkdir(exist_ok=True)
    conf = logs / "httpd.conf"
    mods = "".join(f"LoadModule {m}_module {MODDIR}/mod_{m}.so\n"
                   for m in (f"mpm_{mpm}", "authz_core", "mime", "dir", "autoindex"))
    conf.write_text(textwrap.dedent(f"""\
        ServerRoot {logs}
        {mods.strip()}
        Listen 127.0.0.1:{port}
        ServerName localhost
        PidFile {logs}/httpd.pid
        ErrorLog {logs}/error_log
        TypesConfig {ROOT}/conf/mime.types
        DocumentRoot {docs}
        KeepAlive On
        MaxKeepAliveRequests 0
        <Directory {docs}>
            Options Indexes FollowSymLinks
            Require all granted
        </Directory>
        """) + pool)
    return conf


def start(cmd: list[str], port: int, env: dict | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env, start_new_session=True)
    try:
        wait_port(port, proc)
    except RuntimeError:
        stop(proc)
        raise
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


GUNICORN_APP = '''
import os
DOCS = os.environ["BENCH_DOCS"]
def app(environ, start_response):
    path = environ["PATH_INFO"]
    full = os.path.normpath(os.path.join(DOCS, path.lstrip("/")))
    if not full.startswith(DOCS) or not os.path.exists(full):
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"not found"]
    if os.path.isdir(full):
        body = "".join(f'<a href="{n}">{n}</a>\\n' for n in sorted(os.listdir(full))).encode()
        start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
        return [body]
    with open(full, "rb") as f:
        body = f.read()
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(len(body)))])
    return [body]
'''


def servers(root: Path, docs: Path, procs: int, which: str, threads: int):
    """(name, start function) for every server of the set available here."""
    out = []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if which == "portable":
        for mpm in PORTABLE:
            def ours_p(mpm=mpm):
                port = free_port()
                conf = apache_conf(root, docs, port, mpm, procs, True, threads, portable=True)
                menv = dict(env)
                if mpm in STATIC_ONLY:      # ./configure --with-mpm=NAME, a build of its own
                    build = conf.parent / "build.json"
                    subprocess.run([sys.executable, str(ROOT / "configure"),
                                    f"--with-mpm={mpm}", f"--build-file={build}"],
                                   check=True, capture_output=True, timeout=30)
                    menv["HTTPD_BUILD_CONFIG"] = str(build)
                return port, start([sys.executable, "-m", "httpd", "-DFOREGROUND", "-f",
                                    str(conf)], port, menv)
            out.append((f"httpd {mpm}", ours_p))
        return out
    ours_mpms = ("prefork",) if which == "prefork" else ("worker", "event")
    apache_mpms = ("prefork", "event") if which == "prefork" else ("worker", "event")
    for mpm in ours_mpms:
        def ours(mpm=mpm):
            port = free_port()
            conf = apache_conf(root, docs, port, mpm, procs, True, threads)
            return port, start([sys.executable, "-m", "httpd", "-DFOREGROUND", "-f",
                                str(conf)], port, env)
        out.append((f"httpd {mpm}", ours))
    if shutil.which("apache2"):
        for mpm in apache_mpms:
            def apache(mpm=mpm):
                port = free_port()
                conf = apache_conf(root, docs, port, mpm, procs, False, threads)
                return port, start(["apache2", "-DFOREGROUND", "-f", str(conf)], port)
            out.append((f"Apache {mpm}", apache))
    if shutil.which("nginx") and which == "prefork":
        def nginx():
            port = free_port()
            d = root / "nginx"
            d.mkdir(exist_ok=True)
            conf = d / "nginx.conf"
            conf.write_text(textwrap.dedent(f"""\
                worker_processes {procs};
                pid {d}/nginx.pid;
                error_log {d}/error.log;
                daemon off;
                events {{ worker_connections 1024; }}
                http {{
                    access_log off;
                    keepalive_requests 1000000;
                    server {{
                        listen 127.0.0.1:{port};
                        root {docs};
                        location /dir/ {{ autoindex on; }}
                    }}
                }}
                """))
            return port, start(["nginx", "-c", str(conf), "-p", str(d)], port)
        out.append(("nginx", nginx))
    gunicorn = shutil.which("gunicorn")
    if gunicorn:
        kind = ["-k", "sync"] if which == "prefork" else ["-k", "gthread", "--threads",
                                                          str(threads)]
        def gun():
            port = free_port()
            app = root / "bench_app.py"
            app.write_text(GUNICORN_APP)
            genv = dict(os.environ, BENCH_DOCS=str(docs))
            return port, start([gunicorn, "-w", str(procs), *kind, "-b",
                                f"127.0.0.1:{port}", "--chdir", str(root), "bench_app:app"],
                               port, genv)
        label = "sync" if which == "prefork" else f"gthread, {threads} threads"
        out.append((f"gunicorn ({label}, WSGI app)", gun))
    return out


def wrk(port: int, path: str, duration: int, connections: int,
        headers: tuple = ()) -> dict:
    path, _, close = path.partition("|")
    extra = ["-H", "Connection: close"] if close else []
    for h in headers:
        extra += ["-H", h]
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s",
                          "--latency", *extra, f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, timeout=duration + 30).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def ms(m):
        if not m:
            return None
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}.get(unit, 1.0)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": ms(p50), "p99": ms(p99),
            "non2xx": int(errors.group(1)) if errors else 0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--set", choices=("prefork", "threaded", "portable"), default="prefork")
    ap.add_argument("--threads", type=int, default=25)
    ap.add_argument("--runs", type=int, default=1,
                    help="interleaved rounds over all servers; the median is reported")
    ap.add_argument("--urls", default="", help="comma-separated column names to run")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    urls = {k: v for k, v in URLS.items()
            if not args.urls or any(u.strip().lower() == k.lower()
                                    for u in args.urls.split(","))}
    if not urls:
        sys.exit(f"--urls names none of: {', '.join(URLS)}")
    root = Path(tempfile.mkdtemp(prefix="http-bench-"))
    docs = make_docroot(root)
    results: dict = {}
    try:
        for _ in range(args.runs):
            for name, starter in servers(root, docs, args.procs, args.set, args.threads):
                if args.only and not any(o.lower() in name.lower()
                                         for o in args.only.split(",")):
                    continue
                try:
                    port, proc = starter()
                except RuntimeError as e:
                    print(f"{name}: did not start ({e})", file=sys.stderr)
                    continue
                try:
                    wrk(port, next(iter(urls.values())), 1, args.connections)   # warm-up
                    for label, path in urls.items():
                        results.setdefault((name, label), []).append(
                            wrk(port, path, args.duration, args.connections))
                finally:
                    stop(proc)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"command: {' '.join(sys.argv)}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, {platform.platform()}")
    print(f"load: wrk -t2 -c{args.connections} -d{args.duration}s, keep-alive, 127.0.0.1; "
          f"{args.runs} interleaved run(s), median shown\n")
    names = list(dict.fromkeys(n for n, _ in results))
    print("| server | " + " | ".join(urls) + " |")
    print("|---|" + "---|" * len(urls))
    for n in names:
        cells = []
        for label in urls:
            runs = results.get((n, label))
            if not runs:
                cells.append("-")
                continue
            r = sorted(runs, key=lambda x: x["rps"])[len(runs) // 2]
            spread = (f" [{min(x['rps'] for x in runs):.0f}-{max(x['rps'] for x in runs):.0f}]"
                      if len(runs) > 1 else "")
            cells.append(f"{r['rps']:.0f} req/s{spread} (p50 {r['p50']:.2f} ms, "
                         f"p99 {r['p99']:.2f} ms)")
        print(f"| {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
