"""Record the mod_autoindex goldens from real Apache:
``python -m tests.conformance.autoindex.record``.

Starts apache2 (prefork, ``-k start``, 127.0.0.1 on a free port, TZ=UTC) once per case
on a scratch copy of the tree (tests/conformance/apache.py), fetches the case's URIs,
stops it by its pid, and writes ``autoindex_golden.json`` next to this file.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tests.conformance import apache
from tests.conformance.autoindex import cases as C

TYPES = str(apache.HERE.parents[1] / "conf" / "mime.types")
MODS = ("mpm_prefork", "authz_core", "mime", "dir", "autoindex", "alias")


def run_case(case: str, root: Path, run: Path) -> dict:
    port = apache.free_port()
    conf = (apache.load_modules(*MODS) + f"Listen 127.0.0.1:{port}\nServerName localhost\n"
            f"PidFile {run}/httpd.pid\nErrorLog {run}/error.log\n" + C.config(case, root, TYPES))
    env = {"TZ": "UTC", "APACHE_RUN_DIR": str(run)}
    with apache.Apache.daemon(run, conf, port, run / "httpd.pid", env=env,
                              server_root=True) as ap:
        out = {}
        for uri in C.uris(case):
            head, _, body = ap.get(uri).partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            fields = [tuple(l.split(": ", 1)) for l in lines[1:]
                      if not l.startswith(("Date:", "Server:", "Connection:"))]
            if ("Transfer-Encoding", "chunked") in fields:
                body = apache.dechunk(body)
            out[uri] = {"status": lines[0], "fields": fields, "body": body.decode("latin-1")}
        return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = C.make_tree(Path(tmp) / "tree")
        C.header_dir(root)
        os.utime(root, (C.DIR_MTIME, C.DIR_MTIME))
        run = Path(tmp) / "run"
        run.mkdir()
        golden = {case: run_case(case, root, run) for case in C.CASES}
    print(apache.save("autoindex", "autoindex_golden.json", golden, newline=False))


if __name__ == "__main__":
    main()
