#!/usr/bin/env python3
"""The request-head slice alone: bytes in to a Request ready for the pipeline.

    python bench/head_slice.py [--requests 1000] [--rounds 1] [--instructions] [--wsgi]

Serves nothing: for each varied head (bench/profile_request.py's), the connection's
``_next_head`` reads it from a stand-in socket, ``request_from_head`` builds the record,
``check_request_host`` picks the virtual host, ``start_next_request`` readies the next.
With --instructions, callgrind's instructions per request for just that (the same
two-run difference as profile_request.py).
"""
from __future__ import annotations

import argparse
import io
import os
import random
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from profile_request import StandInSocket, varied_head  # noqa: E402


def setup():
    from httpd.main import cli
    from httpd.log import errorlog
    from httpd.io.connection import Serving
    root = Path(tempfile.mkdtemp(prefix="head-slice-"))
    docs = root / "htdocs"
    docs.mkdir()
    conf = root / "httpd.conf"
    conf.write_text(textwrap.dedent(f"""\
        LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
        LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
        ServerRoot {root}
        Listen 127.0.0.1:8080
        ServerName localhost
        ErrorLog {root}/error_log
        DocumentRoot {docs}
        """))
    opts = cli.parse_args("httpd", ["-X", "-d", str(root), "-f", str(conf)])
    process = cli.make_process("httpd", opts, stream=io.StringIO())
    cli.load_config(process, opts)
    cli.post_config(process)
    errorlog.open_logs(process, replace_stderr=False)
    return Serving(process)


def run(serving, heads):
    from httpd.io import connection as c
    from httpd.request import vhost
    sock = StandInSocket(heads)
    conn = c.Conn(serving, sock, ("127.0.0.1", 40000), ("127.0.0.1", 8080))
    ch, hconn, info, base = conn.ch, conn.hconn, conn.info, conn.base
    process = serving.process
    for _ in range(len(heads)):
        ev = c._next_head(ch, hconn, 5.0, 60.0, conn.header_stage, hconn.keepalives > 0)
        r = c.request_from_head(process, info, base, ev)
        vhost.check_request_host(r)
        hconn.start_next_request(True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--instructions", action="store_true")
    args = ap.parse_args()
    if args.instructions:
        env = dict(os.environ, PYTHONHASHSEED="0")
        totals = []
        for rounds in ("0", "1"):
            with tempfile.TemporaryDirectory() as d:
                out = subprocess.run(
                    ["valgrind", "--tool=callgrind", f"--callgrind-out-file={d}/cg.out",
                     sys.executable, __file__, "--requests", str(args.requests),
                     "--rounds", rounds], env=env, capture_output=True, text=True)
            totals.append(int(re.search(r"Collected : (\d+)", out.stderr).group(1)))
        per = (totals[1] - totals[0]) / args.requests
        print(f"head slice: {per / 1000:.1f}k instructions per request")
        return
    serving = setup()
    rnd = random.Random(1)
    heads = [varied_head(i, "/1k.bin", rnd) for i in range(args.requests)]
    run(serving, heads[:200])
    for _ in range(args.rounds):
        t0 = time.process_time()
        run(serving, heads)
        if args.rounds:
            print(f"{(time.process_time() - t0) / len(heads) * 1e6:.1f} us per request")


if __name__ == "__main__":
    main()
