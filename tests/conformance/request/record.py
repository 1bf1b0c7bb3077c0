"""Record what the real Apache answers for scenarios.py.

Run by hand (``python -m tests.conformance.request.record [PORT]``) where apache2 is
installed; it writes apache_answers.json next to this file.  Each scenario gets a
scratch folder under /tmp and an apache2 (event MPM, ``-k start``, children as
www-data) on 127.0.0.1 (and .2) at a free port (or PORT), stopped by its own pid
(tests/conformance/apache.py).  The port is stored as ``_port``: Location fields and
``$PORT`` vhosts name it, and the replay answers as if it had listened there.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.conformance import apache
from tests.conformance.request.scenarios import BASE_FILES, MIME_TYPES, SCENARIOS
from tests.request.pipeline import tree

MODDIR = apache.MODDIR
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


def run(name: str, sc: dict, port: int) -> list:
    root = Path(tempfile.mkdtemp(prefix=f"aprec-{name}-"))
    os.chmod(root, 0o755)
    (root / "mime.types").write_text(MIME_TYPES)
    tree(root, {k: (v[0], v[1].replace("$ROOT", str(root))) if isinstance(v, tuple) else v
                for k, v in {**BASE_FILES, **sc.get("files", {})}.items()})
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
    listen = "".join(f"Listen {ip}:{port}\n" for ip in sc.get("listen", ["127.0.0.1"]))
    conf = (HEAD.format(m=MODDIR) + listen + sc["config"]).replace("$ROOT", str(root))
    conf = conf.replace("$PORT", str(port))
    answers = []
    with apache.Apache.daemon(root, conf, port, root / "httpd.pid") as ap:
        for req in sc["requests"]:
            method, target = req[0], req[1]
            headers = dict(req[2]) if len(req) > 2 else {}
            ip = headers.pop("@local", "127.0.0.1")
            host = headers.pop("Host", "localhost")
            raw = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"
            raw += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            raw += "Connection: close\r\n\r\n"
            answers.append(parse(ap.exchange(raw.encode("latin-1"), wait=3, total=30, ip=ip)))
        time.sleep(0.3)
        log = (root / "access.log").read_text().splitlines()
    for answer, line in zip(answers, log):
        status, _, filename = line.partition("|")
        answer["filename"] = None if filename == "-" else filename.replace(str(root), "$ROOT")
        answer["body"] = answer["body"].replace(str(root), "$ROOT")
    shutil.rmtree(root)
    return answers


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else apache.free_port()
    out = {name: run(name, sc, port) for name, sc in SCENARIOS.items()}
    out["_port"] = port                  # the replay answers as if it listened there
    print(apache.save("request", "apache_answers.json", out))


if __name__ == "__main__":
    main()
