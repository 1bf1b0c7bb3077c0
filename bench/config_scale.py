#!/usr/bin/env python3
"""`httpd -t` against `apache2 -t` on one generated config of many virtual hosts.

    python bench/config_scale.py [--vhosts 10000] [--files 100] [--runs 3]

Generates DIR/httpd.conf plus DIR/vhosts/NNN.conf (10,000 <VirtualHost> blocks of ten
lines by default, about 100,000 lines through IncludeOptional), checks both servers
accept it, then times each `-t` run side by side and prints the medians and the ratio.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MAIN = """LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
ServerName localhost
ErrorLog error.log
Listen 127.0.0.1:18080
DocumentRoot docroot
IncludeOptional vhosts/*.conf
"""

VHOST = """<VirtualHost 127.0.0.1:18080>
    ServerName v{n}.example.test
    ServerAlias w{n}.example.test *.v{n}.example.test
    ServerAdmin admin@v{n}.example.test
    DocumentRoot docroot
    Alias /static/ docroot/
    <Directory docroot/v{n}>
        Options None
        Require all granted
    </Directory>
</VirtualHost>
"""


def generate(d: str, vhosts: int, files: int) -> int:
    os.makedirs(os.path.join(d, "vhosts"))
    os.makedirs(os.path.join(d, "docroot"))
    with open(os.path.join(d, "httpd.conf"), "w") as f:
        f.write(MAIN)
    per = max(1, vhosts // files)
    lines = MAIN.count("\n")
    n = 0
    for i in range(files):
        with open(os.path.join(d, "vhosts", f"{i:03d}.conf"), "w") as f:
            for _ in range(per if i < files - 1 else vhosts - n):
                text = VHOST.format(n=n)
                f.write(text)
                lines += text.count("\n")
                n += 1
    return lines


def timed(cmd: list[str], cwd: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+sys) of one run."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0 or b"Syntax OK" not in p.stdout:
        sys.exit(f"{cmd[0]} failed:\n{p.stdout.decode(errors='replace')[-2000:]}")
    return elapsed, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vhosts", type=int, default=10000)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="config-scale-")
    try:
        lines = generate(d, args.vhosts, args.files)
        conf = os.path.join(d, "httpd.conf")
        # the console script of this environment, as users run it (never another httpd)
        script = os.path.join(os.path.dirname(sys.executable), "httpd")
        ours = ([script] if os.access(script, os.X_OK) else [sys.executable, "-m", "httpd"]
                ) + ["-t", "-d", d, "-f", conf]
        env_py = dict(os.environ, PYTHONPATH=ROOT)
        apache = shutil.which("apache2") or shutil.which("httpd-apache")
        results: dict[str, list[tuple[float, float]]] = {"httpd": []}
        if apache:
            results["apache2"] = []
        os.environ.update(env_py)
        for _ in range(args.runs):  # interleaved, so both see the same machine state
            results["httpd"].append(timed(ours, d))
            if apache:
                results["apache2"].append(timed([apache, "-t", "-d", d, "-f", conf], d))
        print(f"config: {args.vhosts} <VirtualHost> blocks, {lines} lines in "
              f"{args.files + 1} files; {args.runs} interleaved runs each")
        stats = {}
        for k, runs in results.items():
            wall = [w for w, _ in runs]
            cpu = [c for _, c in runs]
            stats[k] = (statistics.median(wall), min(wall), statistics.median(cpu), min(cpu))
            print(f"  {k:8} -t  wall median {stats[k][0]:6.3f} s, best {stats[k][1]:6.3f} s;"
                  f"  CPU median {stats[k][2]:6.3f} s, best {stats[k][3]:6.3f} s")
        if apache:
            h, a = stats["httpd"], stats["apache2"]
            print(f"  ratio httpd/apache2: wall median {h[0] / a[0]:.2f}x, best {h[1] / a[1]:.2f}x;"
                  f"  CPU median {h[2] / a[2]:.2f}x, best {h[3] / a[3]:.2f}x")
        else:
            print("  apache2 not installed: install it with apt-get install apache2 to compare")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
