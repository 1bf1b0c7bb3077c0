#!/usr/bin/env python3
"""What .htaccess files cost: a 1 KB file three directories deep, with and without
``AllowOverride All``, httpd prefork beside Apache prefork, in one run, with wrk.

    python bench/htaccess_bench.py [--procs 2] [--duration 5] [--connections 8]
                                   [--requests 2000]

Three configs, the same file ``/a/b/c/1k.txt``:

- ``None``: ``AllowOverride None`` on ``<Directory />``: no .htaccess is looked for;
- ``All, no files``: ``AllowOverride All``: each of the six levels (/, /tmp, ..., c/) is
  looked at (a stat each) and none has a file;
- ``All, 3 files``: the same with an .htaccess in a/, a/b/ and a/b/c/ (a Header, an
  AddType, a SetEnvIf each), unchanged during the run.

Then, in-process (the whole request pipeline without sockets, tests/request/pipeline.py),
``--requests`` requests of the third config: how many files were parsed (the cache's
count: 3 means none was parsed again), the time per request, and the time per request
when the cache is emptied before every request (what parsing each time would cost).

Servers are started here and stopped by their own pid; every loop is bounded in time.
Prints Markdown tables.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import MODDIR, ROOT, free_port, start, stop, wrk  # noqa: E402

HTACCESS = {
    "a": "Header set X-A one\nAddType text/plain .txt\nSetEnvIf Request_URI c A_ENV=1\n",
    "a/b": "Header set X-B two\nAddType text/plain .txt\nSetEnvIf Request_URI c B_ENV=1\n",
    "a/b/c": "Header set X-C three\nAddType text/plain .txt\nSetEnvIf Request_URI c C=1\n",
}
MODULES = ("authz_core", "mime", "headers", "setenvif")
CASES = ("None", "All, no files", "All, 3 files")


def make_docs(base: Path, files: bool) -> Path:
    docs = base / ("with-files" if files else "no-files")
    (docs / "a/b/c").mkdir(parents=True)
    (docs / "a/b/c/1k.txt").write_bytes(b"x" * 1024)
    if files:
        for d, text in HTACCESS.items():
            (docs / d / ".htaccess").write_text(text)
    return docs


def body(docs: Path, override: str) -> str:
    return textwrap.dedent(f"""\
        DocumentRoot {docs}
        <Directory />
        AllowOverride {override}
        Require all granted
        </Directory>
        """)


def conf_text(root: Path, port: int, procs: int, text: str) -> str:
    loads = "".join(f"LoadModule {m}_module {MODDIR}/mod_{m}.so\n"
                    for m in ("mpm_prefork",) + MODULES)
    return (f"ServerRoot {root}\n{loads}Listen 127.0.0.1:{port}\nServerName localhost\n"
            f"PidFile {root}/httpd.pid\nErrorLog {root}/error_log\n"
            f"TypesConfig {ROOT}/conf/mime.types\nKeepAlive On\n"
            f"MaxKeepAliveRequests 0\nStartServers {procs}\nMinSpareServers {procs}\n"
            f"MaxSpareServers {procs}\nServerLimit {procs}\nMaxRequestWorkers {procs}\n"
            + text)


def run_server(kind: str, root: Path, procs: int, text: str, args) -> dict:
    root.mkdir(parents=True)
    port = free_port()
    conf = root / "httpd.conf"
    conf.write_text(conf_text(root, port, procs, text))
    if kind == "httpd":
        cmd = [sys.executable, "-m", "httpd", "-DFOREGROUND", "-d", str(root), "-f", str(conf)]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
    else:
        cmd = ["apache2", "-DFOREGROUND", "-d", str(root), "-f", str(conf)]
        env = None
    proc = start(cmd, port, env)
    try:
        return wrk(port, "/a/b/c/1k.txt", args.duration, args.connections)
    finally:
        stop(proc)


def in_process(base: Path, docs: Path, requests: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from httpd.http.request import generation
    from tests.request.pipeline import Server
    root = base / "pipeline"
    root.mkdir()
    prefix = ("LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n"
              + "".join(f"LoadModule {m}_module modules/mod_{m}.so\n" for m in MODULES)
              + "ServerName localhost\nErrorLog error.log\nTypesConfig mime.types\n")
    server = Server(root, body(docs, "All"), prefix)
    cache = generation(server.process).walker.htaccess
    assert server.get("/a/b/c/1k.txt").status == 200
    out = {}
    for mode in ("cached", "parsed every request"):
        before = cache.parses
        t0 = time.perf_counter()
        deadline = time.monotonic() + 120
        n = 0
        while n < requests and time.monotonic() < deadline:
            if mode != "cached":
                cache.entries.clear()
            r = server.get("/a/b/c/1k.txt")
            assert r.status == 200
            n += 1
        dt = time.perf_counter() - t0
        out[mode] = (n, cache.parses - before, dt / n * 1e6)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed")
    base = Path(tempfile.mkdtemp(prefix="htaccess-bench-"))
    os.chmod(base, 0o755)
    try:
        no_files, with_files = make_docs(base, False), make_docs(base, True)
        texts = {"None": body(no_files, "None"), "All, no files": body(no_files, "All"),
                 "All, 3 files": body(with_files, "All")}
        kinds = ["httpd"] + (["apache2"] if shutil.which("apache2") else [])
        results = {}
        for kind in kinds:
            for case in CASES:
                results[kind, case] = run_server(kind, base / f"{kind}-{CASES.index(case)}",
                                                 args.procs, texts[case], args)
        print(f"`{' '.join(sys.argv)}` on {platform.node()} ({os.cpu_count()} CPUs), "
              f"prefork with {args.procs} children, wrk -t2 -c{args.connections} "
              f"-d{args.duration}s, GET /a/b/c/1k.txt\n")
        print("| server | " + " | ".join(CASES) + " |")
        print("|---|" + "---|" * len(CASES))
        for kind in kinds:
            cells = []
            for case in CASES:
                r = results[kind, case]
                bad = f", {r['non2xx']} non-2xx" if r["non2xx"] else ""
                cells.append(f"{r['rps']:,.0f} req/s (p50 {r['p50']:.2f} ms, "
                             f"p99 {r['p99']:.2f} ms{bad})")
            print(f"| {'httpd' if kind == 'httpd' else 'Apache'} prefork | "
                  + " | ".join(cells) + " |")
        stats = in_process(base, with_files, args.requests)
        print("\nIn-process, `All, 3 files`:\n")
        print("| mode | requests | files parsed | us per request |")
        print("|---|---|---|---|")
        for mode, (n, parsed, us) in stats.items():
            print(f"| {mode} | {n} | {parsed} | {us:.0f} |")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
