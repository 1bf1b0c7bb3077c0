"""Servers for the mod_wsgi tests: httpd on a scratch folder with app_script.py as
app.wsgi, in embedded or daemon mode, and the checks every test makes of its error log."""
from __future__ import annotations

import http.client
import os
import shutil
from pathlib import Path

from tests.e2e.servers import start_httpd

HERE = Path(__file__).resolve().parent
LOAD = "LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so\n"
LOG = ('LogFormat "%h \\"%r\\" %>s %b %D" wsgi\nCustomLog logs/access_log wsgi\n')
VIOLATIONS = ("AssertionError", "WSGIWarning", "garbage collected without being closed")


def scratch(root: Path) -> Path:
    site = root / "site"
    site.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "app_script.py", site / "app.wsgi")
    (site / "data.bin").write_bytes(bytes(range(256)) * 400)       # 100 KB
    (site / "static").mkdir(exist_ok=True)
    (site / "static" / "s.txt").write_text("static file\n")
    os.chmod(root, 0o755)
    os.chmod(site, 0o777)
    return site


def config(site: Path, mode: str, extra: str = "", daemon_opts: str = "") -> str:
    body = LOAD + LOG + "LogLevel warn wsgi:info\n" + f"Alias /static {site}/static\n"
    if mode == "daemon":
        body += (f"WSGIDaemonProcess tg processes=2 threads=4 {daemon_opts}\n"
                 "WSGIProcessGroup tg\n")
    body += (f"WSGIScriptAlias /app {site}/app.wsgi\n"
             f"WSGIScriptAlias /plain {site}/app.wsgi\n"
             f"<Location /plain>\nWSGICallableObject unvalidated\n</Location>\n")
    return body + extra


def start(root: Path, mode: str, extra: str = "", mpm: str = "prefork", args=None,
          daemon_opts: str = ""):
    site = scratch(root)
    if args is None:
        args = ("-X",) if mode == "embedded" else ("-DFOREGROUND",)
    srv = start_httpd(root, config(site, mode, extra, daemon_opts), args=args, mpm=mpm,
                      seconds=20)
    srv.site = site
    return srv


def request(srv, method: str, path: str, body=None, headers=None, timeout: float = 10):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    try:
        headers = headers or {}
        c.request(method, path, body=body, headers=headers,
                  encode_chunked=headers.get("Transfer-Encoding") == "chunked")
        resp = c.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        c.close()


def clean_log(srv) -> str:
    log = srv.error_log
    for v in VIOLATIONS:
        assert v not in log, log
    return log
