"""Record what the real Apache answers for tests/request/scenarios.py.

Run by hand (``python -m tests.request.record_apache``) where apache2 is installed; it
writes tests/request/apache_answers.json.  Each scenario gets a scratch folder under
/tmp, an apache2 on 127.0.0.1 (and .2) at a high port, and is stopped by its own pid.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.request.scenarios import BASE_FILES, MIME_TYPES, SCENARIOS

MODDIR = "/usr/lib/apache2/modules"
PORT = 18231
OUT = Path(__file__).with_name("apache_answers.json")
HEAD = """ServerRoot $ROOT
PidFile $ROOT/httpd.pid
ErrorLog $ROOT/error.log
LogLevel info
LoadModule mpm_event_module {m}/mod_mpm_event.so
LoadModule authz_core_module {m}/mod_authz_core.so
LoadModule authz_host_module {m}/mod_authz_host.so
LoadModule mime_module {m}/mod_mime.so
LoadModule dir_module {m}/mod_dir.so
LoadModule alias_module {m}/mod_alias.so
User www-data
Group www-data
ServerName localhost
TypesConfig $ROOT/mime.types
LogFormat "%>s|%f" probe
CustomLog $ROOT/access.log probe
"""


def make_tree(root: Path, files: dict) -> None:
    for name, content in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, tuple):
            os.symlink(content[1].replace("$ROOT", str(root)), p)
        else:
            p.write_text(content)


def send(ip: str, raw: bytes) -> bytes:
    s = socket.create_connection((ip, PORT), timeout=3)
    s.sendall(raw)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    s.close()
    return data


def parse(resp: bytes) -> dict:
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(": ")
        fields[k.lower()] = v
    keep = ("location", "content-type", "content-language", "content-encoding", "allow")
    return {"status": int(lines[0].split()[1]), "fields": {k: fields[k] for k in keep
                                                          if k in fields},
            "body": body.decode("latin-1")}


def run(name: str, sc: dict) -> list:
    root = Path(tempfile.mkdtemp(prefix=f"aprec-{name}-"))
    os.chmod(root, 0o755)
    (root / "mime.types").write_text(MIME_TYPES)
    make_tree(root, {**BASE_FILES, **sc.get("files", {})})
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
    listen = "".join(f"Listen {ip}:{PORT}\n" for ip in sc.get("listen", ["127.0.0.1"]))
    conf = (HEAD.format(m=MODDIR) + listen + sc["config"]).replace("$ROOT", str(root))
    conf = conf.replace("$PORT", str(PORT))
    (root / "httpd.conf").write_text(conf)
    r = subprocess.run(["apache2", "-f", str(root / "httpd.conf"), "-k", "start"],
                       capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    answers = []
    try:
        for req in sc["requests"]:
            method, target = req[0], req[1]
            headers = dict(req[2]) if len(req) > 2 else {}
            ip = headers.pop("@local", "127.0.0.1")
            host = headers.pop("Host", "localhost")
            raw = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"
            raw += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            raw += "Connection: close\r\n\r\n"
            answers.append(parse(send(ip, raw.encode("latin-1"))))
        time.sleep(0.3)
        log = (root / "access.log").read_text().splitlines()
    finally:
        pid = int((root / "httpd.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            try:
                os.kill(pid, 0)
                time.sleep(0.1)
            except OSError:
                break
    for answer, line in zip(answers, log):
        status, _, filename = line.partition("|")
        answer["filename"] = None if filename == "-" else filename.replace(str(root), "$ROOT")
        answer["body"] = answer["body"].replace(str(root), "$ROOT")
    shutil.rmtree(root)
    return answers


def main() -> None:
    out = {name: run(name, sc) for name, sc in SCENARIOS.items()}
    out["_port"] = PORT
    OUT.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
