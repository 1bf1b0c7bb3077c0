#!/usr/bin/env python3
"""Where a request's time goes in the server's own code, without a socket's noise.

    python bench/profile_request.py [--requests 5000] [--rounds 5] [--mode varied|repeated]
                                    [--path /1k.bin] [--profile] [--log] [--conf FILE]
                                    [--instructions] [--wsgi]

Loads a config the way ``httpd`` does (post_config and open_logs included), then serves
N keep-alive requests on one connection through ``Serving.serve_connection``, the path
every MPM calls, with a stand-in socket: recv hands out one request at a time, sends are
dropped, sendfile reads nothing.  Prints microseconds of CPU per request; with
--profile, cProfile's top functions by own and cumulative time.  The varied mode builds
each request as bench/http_bench.py's Lua script does (its own query, cookie and user
agent; a browser's headers).  With --instructions, the count of instructions per
request under callgrind instead: slow (about 10 s per 1,000 requests), but the same
figure on a busy machine, so changes can be compared while other work runs.
With --wsgi, the config is mod_wsgi's embedded mode under prefork serving a hello-world
application (``WSGIScriptAlias /app``, the path /app/ unless --path says otherwise).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def varied_head(i: int, path: str, rnd: random.Random) -> bytes:
    r = rnd.randrange(1, 1 << 31)
    return (f"GET {path}?v={i}&r={r} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            f"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
            f"Gecko) Chrome/{100 + i % 40}.0.{r % 6000}.{i % 200} Safari/537.36\r\n"
            "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
            "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n"
            "Accept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n"
            f"Referer: http://localhost/index.html?from={r}\r\n"
            f"Cookie: sessionid={r:08x}{i:08x}; csrftoken={r * 31 + i:x}; theme=dark\r\n"
            "Upgrade-Insecure-Requests: 1\r\n\r\n").encode()


class StandInSocket:
    """What Channel and Conn call on a socket; recv gives the next request."""

    def __init__(self, heads):
        self.heads = iter(heads)
        self.sent = 0

    def recv(self, n):
        return next(self.heads, b"")

    def sendall(self, data):
        self.sent += len(data)

    def send(self, data, *a):
        self.sent += len(data)
        return len(data)

    def sendmsg(self, bufs, *a):
        n = sum(len(b) for b in bufs)
        self.sent += n
        return n

    def fileno(self):
        return -1

    def setsockopt(self, *a):
        pass

    def settimeout(self, t):
        pass

    def getsockname(self):
        return ("127.0.0.1", 8080)

    def shutdown(self, how):
        pass

    def close(self):
        pass


WSGI_APP = """\
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "12")])
    return [b"Hello world!"]
"""


def count_instructions(args) -> str:
    """Instructions per request: callgrind's total for warm-up plus one round, less the
    total for the warm-up alone, over the round's requests (PYTHONHASHSEED fixed)."""
    import re
    import subprocess
    argv = [sys.executable, str(Path(__file__).resolve()), "--requests", str(args.requests),
            "--mode", args.mode, "--path", args.path]
    if args.conf:
        argv += ["--conf", args.conf]
    if args.log:
        argv.append("--log")
    if args.wsgi:
        argv.append("--wsgi")
    env = dict(os.environ, PYTHONHASHSEED="0")
    totals = []
    for rounds in ("0", "1"):
        with tempfile.TemporaryDirectory() as d:
            out = subprocess.run(["valgrind", "--tool=callgrind",
                                  f"--callgrind-out-file={d}/cg.out"] + argv
                                 + ["--rounds", rounds], env=env, capture_output=True,
                                 text=True, timeout=1800)
        m = re.search(r"Collected : (\d+)", out.stderr)
        if not m:
            raise SystemExit(f"callgrind gave no total:\n{out.stderr[-2000:]}")
        totals.append(int(m.group(1)))
    per = (totals[1] - totals[0]) / args.requests
    return (f"{args.mode}, {args.path}: {per / 1000:.1f}k instructions per request "
            f"(callgrind, {args.requests} requests)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--mode", choices=("varied", "repeated"), default="varied")
    ap.add_argument("--path", default="/1k.bin")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--rounds", type=int, default=5, help="rounds; the best and median shown")
    ap.add_argument("--top", type=int, default=35)
    ap.add_argument("--conf", default="")
    ap.add_argument("--log", action="store_true", help="with an access log (common format)")
    ap.add_argument("--instructions", action="store_true",
                    help="count instructions per request under valgrind's callgrind "
                         "(repeatable whatever else the machine runs): two runs, with "
                         "and without one round, the difference over the requests")
    ap.add_argument("--wsgi", action="store_true",
                    help="a hello-world WSGI application in mod_wsgi's embedded mode "
                         "(WSGIScriptAlias /app)")
    args = ap.parse_args()
    if args.wsgi and args.path == "/1k.bin":
        args.path = "/app/"
    if args.instructions:
        print(count_instructions(args))
        return
    from httpd.main import cli
    from httpd.log import errorlog
    from httpd.io.connection import Serving
    root = Path(tempfile.mkdtemp(prefix="profile-request-"))
    docs = root / "htdocs"
    docs.mkdir()
    (docs / "1k.bin").write_bytes(os.urandom(1024))
    (docs / "100k.bin").write_bytes(os.urandom(100 * 1024))
    # served files are older than the request, as on a real site (a file changed in the
    # last second gets a weak ETag, and the fields of older files are made once)
    hour_ago = time.time() - 3600
    for f in docs.iterdir():
        os.utime(f, (hour_ago, hour_ago))
    conf = Path(args.conf) if args.conf else root / "httpd.conf"
    if not args.conf and args.wsgi:
        (root / "app.wsgi").write_text(WSGI_APP)
        conf.write_text(textwrap.dedent(f"""\
            LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
            LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
            LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so
            ServerRoot {root}
            Listen 127.0.0.1:8080
            ServerName localhost
            ErrorLog {root}/error_log
            DocumentRoot {docs}
            KeepAlive On
            MaxKeepAliveRequests 0
            <Directory />
                AllowOverride None
                Require all granted
            </Directory>
            WSGIScriptAlias /app {root}/app.wsgi
            """))
    elif not args.conf:
        log = (f'CustomLog {root}/access_log "%h %l %u %t \\"%r\\" %>s %b"'
               if args.log else "")
        mods = "".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n"
                       for m in ("mpm_prefork", "authz_core", "mime", "dir", "autoindex",
                                 ))
        conf.write_text(mods + textwrap.dedent(f"""\
            ServerRoot {root}
            Listen 127.0.0.1:8080
            ServerName localhost
            ErrorLog {root}/error_log
            {log}
            TypesConfig {ROOT}/conf/mime.types
            DocumentRoot {docs}
            KeepAlive On
            MaxKeepAliveRequests 0
            <Directory />
                AllowOverride None
                Require all denied
            </Directory>
            <Directory {docs}>
                Options Indexes FollowSymLinks
                Require all granted
            </Directory>
            """))
    opts = cli.parse_args("httpd", ["-X", "-d", str(root), "-f", str(conf)])
    process = cli.make_process("httpd", opts, stream=io.StringIO())
    cli.load_config(process, opts)
    cli.post_config(process)
    errorlog.open_logs(process, replace_stderr=False)
    serving = Serving(process)
    rnd = random.Random(1)
    n = args.requests
    if args.mode == "varied":
        heads = [varied_head(i, args.path, rnd) for i in range(n)]
    else:
        heads = [varied_head(0, args.path, rnd)] * n
    # warm-up: the first requests fill what is cached per process
    serving.serve_connection(StandInSocket(heads[:200]), ("127.0.0.1", 40000), None)
    prof = cProfile.Profile() if args.profile else None
    times = []
    for _ in range(args.rounds):
        sock = StandInSocket(heads)
        t0 = time.process_time()
        if prof:
            prof.enable()
        serving.serve_connection(sock, ("127.0.0.1", 40000), None)
        if prof:
            prof.disable()
        times.append((time.process_time() - t0) / n * 1e6)
    if not times:
        print(f"{args.mode}, {args.path}: warm-up only")
        return
    times.sort()
    print(f"{args.mode}, {args.path}: {times[0]:.1f} us of CPU per request at best, "
          f"{times[len(times) // 2]:.1f} median of {len(times)} rounds "
          f"({n} requests each, {sock.sent // n} bytes sent per request)")
    if prof:
        st = pstats.Stats(prof)
        st.sort_stats("tottime").print_stats(args.top)
        st.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
