"""Record the mod_env / mod_setenvif / mod_headers goldens from real Apache:
``python -m tests.conformance.headers.record`` (writes headers_golden.json).

One apache2 per case (prefork, ``-k start``, 127.0.0.1 on a free port, TZ=UTC), stopped
by its pid (tests/conformance/apache.py).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from tests.conformance import apache
from tests.conformance.headers import cases as H

MODS = ("mpm_prefork", "authz_core", "mime", "dir", "autoindex", "alias", "cgi", "env",
        "setenvif", "headers")


def run_case(case: str, tmp: Path) -> dict:
    cgi, lst, run = tmp / "cgi", tmp / "list", tmp / "run"
    for d in (cgi, lst, run):
        d.mkdir(exist_ok=True)
    (cgi / "env.cgi").write_text(H.CGI_SCRIPT)
    (cgi / "env.cgi").chmod(0o755)
    port = apache.free_port()
    conf = (apache.load_modules(*MODS) + f"Listen 127.0.0.1:{port}\nServerName localhost\n"
            f"PidFile {run}/httpd.pid\nErrorLog {run}/error.log\n"
            "TypesConfig /dev/null\n" + H.config(case, str(cgi), str(lst)))
    env = {"TZ": "UTC", "APACHE_RUN_DIR": str(run)}
    with apache.Apache.daemon(run, conf, port, run / "httpd.pid", env=env,
                              server_root=True) as ap:
        c = H.CASES[case]
        head, _, body = ap.get(H.TARGET_PATH[c["target"]], c.get("headers", ())).partition(
            b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = [l.split(": ", 1) for l in lines[1:]]
    if ["Transfer-Encoding", "chunked"] in fields:
        body = apache.dechunk(body)
    out = {"status": lines[0], "fields": fields}
    if c["target"] == "cgi":
        envs: dict = {}
        for line in body.decode("latin-1").splitlines():
            name, eq, value = line.partition("=")
            if eq and name in c["watch"]:
                envs.setdefault(name, []).append(value)
        out["env"] = envs
    return out


def main() -> None:
    golden = {}
    for case in H.CASES:
        with tempfile.TemporaryDirectory() as tmp:
            golden[case] = run_case(case, Path(tmp))
    print(apache.save("headers", "headers_golden.json", golden, newline=False))


if __name__ == "__main__":
    main()
