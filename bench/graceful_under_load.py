#!/usr/bin/env python3
"""Graceful (and hard) restarts under load: the acceptance run of issue A3.

    python bench/graceful_under_load.py [--mpm prefork] [--duration 10] [--restarts 3]
                                        [--signal graceful|restart] [--connections 8]

Starts httpd (--mpm, 4 processes; threaded MPMs 4 x 25 threads) on 127.0.0.1, loads a
1 KB file with wrk for --duration seconds, and sends `httpd -k graceful` (or restart)
--restarts times, evenly spread.  Prints wrk's totals: requests, socket errors
(connect/read/write/timeout) and non-2xx answers.  A graceful restart must cost none;
a hard restart may cost the requests in flight.  The server is stopped by its pid.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import ROOT, apache_conf, free_port, make_docroot, start, stop  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mpm", default="prefork", choices=("prefork", "worker", "event"))
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--restarts", type=int, default=3)
    ap.add_argument("--signal", default="graceful", choices=("graceful", "restart"))
    ap.add_argument("--connections", type=int, default=8)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="graceful-bench-"))
    docs = make_docroot(root)
    port = free_port()
    conf = apache_conf(root, docs, port, args.mpm, 4, True)
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
    proc = start([sys.executable, "-m", "httpd", "-DFOREGROUND", "-f", str(conf)], port, env)
    try:
        load = subprocess.Popen(["wrk", "-t", "2", "-c", str(args.connections), "-d",
                                 f"{args.duration}s", f"http://127.0.0.1:{port}/1k.bin"],
                                stdout=subprocess.PIPE, text=True)
        gap = args.duration / (args.restarts + 1)
        for _ in range(args.restarts):
            time.sleep(gap)
            subprocess.run([sys.executable, "-m", "httpd", "-f", str(conf), "-k", args.signal],
                           env=env, timeout=30, check=True)
        out = load.communicate(timeout=args.duration + 30)[0]
    finally:
        stop(proc)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    print(f"command: {' '.join(sys.argv)}")
    print(f"httpd {args.mpm}, {args.restarts} x -k {args.signal} during {args.duration} s of "
          f"wrk -c{args.connections}: {total.group(1) if total else '?'} requests, socket "
          f"errors: {errors.group(1) if errors else 'none'}, non-2xx: "
          f"{non2xx.group(1) if non2xx else 0}")


if __name__ == "__main__":
    main()
