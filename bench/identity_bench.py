#!/usr/bin/env python3
"""A user id per virtual host, and what it costs: httpd prefork beside perchild and
mpm-itk, and Apache prefork and mpm-itk (when libapache2-mpm-itk is installed), in one
run, with wrk.

    sudo python bench/identity_bench.py [--procs 4] [--duration 5] [--connections 8]
                                        [--runs 1] [--only NAME,...]

Two name-based virtual hosts serve a 1 KB file each.  Under perchild and mpm-itk each
host has its own user (``AssignUserID``; perchild gives half its children to each
user with ``ChildPerUserID``); under prefork both run as User.  Each host is loaded
with keep-alive and with a new connection per request:

- perchild accepts on every child, so a new connection lands on a child of the wrong
  user about half the time and is handed over (the socket and the bytes read, over a
  Unix socket with SCM_RIGHTS): the no-keep-alive column carries that cost, the
  keep-alive one only once per connection;
- mpm-itk forks a process per connection, which switches user after the
  per-directory merge: the no-keep-alive column carries one fork per request.

Needs root (the two users are created here, with useradd, and removed at the end).
Servers are started here and stopped by their own pid; every loop is bounded in time.
Prints a Markdown table (requests per second, p50 and p99 latency).
"""
from __future__ import annotations

import argparse
import os
import platform
import pwd
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import ROOT, free_port, start, stop, wrk  # noqa: E402

HOSTS = ("a.bench.test", "b.bench.test")
LOADS = {"keep-alive": "", "no keep-alive": "|close"}
# Apache has no perchild (2.0's never worked); its mpm-itk is Debian's libapache2-mpm-itk
NAMES = ("httpd prefork", "httpd perchild", "httpd itk", "Apache prefork", "Apache itk")


def make_users(tag: str) -> list[str]:
    users = []
    for i in range(2):
        name = f"hb{tag}{i}"
        subprocess.run(["useradd", "--system", "--no-create-home", "--user-group",
                        "--shell", "/usr/sbin/nologin", name], check=True)
        users.append(name)
    return users


def remove_users(users: list[str]) -> None:
    for name in users:
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["groupdel", name], capture_output=True)


def make_docroots(root: Path, users: list[str], private: bool) -> list[Path]:
    """A 1 KB file per host: owned by the host's user with mode 0600 (``private``: only
    that user may read it, so a request served under the wrong uid is a 403), or
    world-readable for prefork, where both hosts run as User."""
    out = []
    data = os.urandom(1024)
    base = root / ("private" if private else "public")
    base.mkdir(mode=0o755)
    for host, user in zip(HOSTS, users):
        d = base / host
        d.mkdir(mode=0o755)
        f = d / "1k.bin"
        f.write_bytes(data)
        if private:
            pw = pwd.getpwnam(user)
            os.chown(f, pw.pw_uid, pw.pw_gid)
        f.chmod(0o600 if private else 0o644)
        out.append(d)
    return out


APACHE_MODULES = "/usr/lib/apache2/modules"


def conf(root: Path, kind: str, port: int, procs: int, users: list[str],
         docs: list[Path], apache: bool = False) -> Path:
    logs = root / f"{'apache' if apache else 'httpd'}-{kind}"
    logs.mkdir()
    mpm = "perchild" if kind == "perchild" else "prefork"
    mods = [f"mpm_{mpm}", "authz_core", "mime"]
    if kind == "itk":
        mods.insert(1, "mpm_itk")
    if apache:     # Debian's files (libapache2-mpm-itk installs mpm_itk.so)
        loads = "\n".join(
            f"LoadModule {m}_module {APACHE_MODULES}/"
            f"{'mpm_itk.so' if m == 'mpm_itk' else f'mod_{m}.so'}" for m in mods)
    else:
        loads = "\n".join(f"LoadModule {m}_module modules/mod_{m}.so" for m in mods)
    if kind == "perchild":
        half = max(procs // 2, 1)
        pool = (f"NumServers {2 * half}\nStartThreads 5\nMinSpareThreads 2\n"
                f"MaxSpareThreads 10\nMaxThreadsPerChild 25\n"
                + "".join(f"ChildPerUserID {u} {u} {half}\n" for u in users))
    else:
        pool = (f"StartServers {procs}\nMinSpareServers {procs}\nMaxSpareServers {procs}\n"
                f"ServerLimit {procs}\nMaxRequestWorkers {procs}\n")
    vhosts = ""
    for host, user, d in zip(HOSTS, users, docs):
        assign = f"    AssignUserID {user} {user}\n" if kind != "prefork" else ""
        vhosts += (f"<VirtualHost *:{port}>\n    ServerName {host}\n    DocumentRoot {d}\n"
                   f"{assign}</VirtualHost>\n")
    text = textwrap.dedent(f"""\
        ServerRoot {logs}
        {{loads}}
        Listen 127.0.0.1:{port}
        ServerName localhost
        User nobody
        Group nogroup
        PidFile {logs}/httpd.pid
        ErrorLog {logs}/error_log
        TypesConfig {ROOT}/conf/mime.types
        KeepAlive On
        MaxKeepAliveRequests 0
        <Directory {docs[0].parent}>
            Require all granted
        </Directory>
        """).replace("{loads}", loads) + pool + vhosts
    path = logs / "httpd.conf"
    path.write_text(text)
    return path


def host_wrk(port: int, host: str, load: str, duration: int, connections: int) -> dict:
    """wrk against one virtual host."""
    return wrk(port, "/1k.bin" + load, duration, connections, headers=(f"Host: {host}",))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root: the bench creates two users")
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    root = Path(tempfile.mkdtemp(prefix="identity-bench-"))
    users = make_users(str(os.getpid() % 10000))
    results: dict = {}
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        root.chmod(0o755)
        docs = {True: make_docroots(root, users, True), False: make_docroots(root, users, False)}
        for run in range(args.runs):
            for name in NAMES:
                apache, kind = name.startswith("Apache"), name.split()[-1]
                if args.only and kind not in args.only.split(","):
                    continue
                if apache and not (shutil.which("apache2") and (
                        kind != "itk" or os.path.exists(f"{APACHE_MODULES}/mpm_itk.so"))):
                    continue
                port = free_port()
                (root / f"run{run}").mkdir(exist_ok=True)
                c = conf(root / f"run{run}", kind, port, args.procs, users,
                         docs[kind != "prefork"], apache)
                cmd = (["apache2", "-DFOREGROUND", "-f", str(c)] if apache else
                       [sys.executable, "-m", "httpd", "-DFOREGROUND", "-f", str(c)])
                try:
                    proc = start(cmd, port, env)
                except RuntimeError as e:
                    print(f"{name}: did not start ({e})", file=sys.stderr)
                    continue
                try:
                    host_wrk(port, HOSTS[0], "", 1, args.connections)     # warm-up
                    for host in HOSTS:
                        for label, load in LOADS.items():
                            r = host_wrk(port, host, load, args.duration, args.connections)
                            results.setdefault((name, host, label), []).append(r)
                finally:
                    stop(proc)
    finally:
        remove_users(users)
        shutil.rmtree(root, ignore_errors=True)
    print(f"command: {' '.join(sys.argv)}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, {platform.platform()}")
    print(f"load: wrk -t2 -c{args.connections} -d{args.duration}s per cell, 127.0.0.1, "
          f"a 1 KB file; {args.runs} interleaved run(s), median shown\n")
    cols = [(h, label) for h in HOSTS for label in LOADS]
    print("| server | " + " | ".join(f"{h} {label}" for h, label in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for name in NAMES:
        cells = []
        for h, label in cols:
            runs = results.get((name, h, label))
            if not runs:
                cells.append("-")
                continue
            r = sorted(runs, key=lambda x: x["rps"])[len(runs) // 2]
            bad = f", {r['non2xx']} non-2xx" if r["non2xx"] else ""
            cells.append(f"{r['rps']:.0f} req/s (p50 {r['p50']:.2f} ms, p99 "
                         f"{r['p99']:.2f} ms{bad})")
        if any(c != "-" for c in cells):
            print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
