"""Take the mod_env / mod_setenvif / mod_headers goldens from real Apache:
``python -m tests.modules.capture_headers`` (writes headers_golden.json).

One apache2 per case (prefork, 127.0.0.1 on a high port), stopped by its pid.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.modules import headers_cases as H
from tests.modules.capture_autoindex import dechunk

HERE = Path(__file__).parent
PORT = 18493
MODS = ("mpm_prefork", "authz_core", "mime", "dir", "autoindex", "alias", "cgi", "env",
        "setenvif", "headers")


def fetch(uri: str, headers) -> bytes:
    s = socket.create_connection(("127.0.0.1", PORT), 5)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
    s.sendall(f"GET {uri} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n"
              .encode("latin-1"))
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    return data


def run_case(case: str, tmp: Path) -> dict:
    cgi, lst, run = tmp / "cgi", tmp / "list", tmp / "run"
    for d in (cgi, lst, run):
        d.mkdir(exist_ok=True)
    (cgi / "env.cgi").write_text(H.CGI_SCRIPT)
    (cgi / "env.cgi").chmod(0o755)
    loads = "".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n" for m in MODS)
    conf = run / "httpd.conf"
    conf.write_text(loads + f"Listen 127.0.0.1:{PORT}\nServerName localhost\n"
                    f"PidFile {run}/httpd.pid\nErrorLog {run}/error.log\n"
                    "TypesConfig /dev/null\n" + H.config(case, str(cgi), str(lst)))
    env = dict(os.environ, TZ="UTC", APACHE_RUN_DIR=str(run))
    subprocess.run(["apache2", "-d", str(run), "-f", str(conf), "-k", "start"], env=env,
                   check=True, timeout=20)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", PORT), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        c = H.CASES[case]
        head, _, body = fetch(H.TARGET_PATH[c["target"]], c.get("headers", ())).partition(
            b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = [l.split(": ", 1) for l in lines[1:]]
        if ["Transfer-Encoding", "chunked"] in fields:
            body = dechunk(body)
        out = {"status": lines[0], "fields": fields}
        if c["target"] == "cgi":
            envs: dict = {}
            for line in body.decode("latin-1").splitlines():
                name, eq, value = line.partition("=")
                if eq and name in c["watch"]:
                    envs.setdefault(name, []).append(value)
            out["env"] = envs
        return out
    finally:
        pid = int((run / "httpd.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        for _ in range(200):
            try:
                os.kill(pid, 0)
                time.sleep(0.05)
            except ProcessLookupError:
                break


def main() -> None:
    golden = {}
    for case in H.CASES:
        with tempfile.TemporaryDirectory() as tmp:
            golden[case] = run_case(case, Path(tmp))
    (HERE / "headers_golden.json").write_text(json.dumps(golden, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
