"""A Flask application and a Django project behind WSGIScriptAlias, their static files
from Alias, over real HTTP: forms, redirects, cookies, file upload, streaming; embedded
and daemon mode.  Both wrap their application in wsgiref's validator."""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.directives.mod_wsgi.helpers import LOAD, LOG, VIOLATIONS
from tests.e2e.servers import start_httpd

flask = pytest.importorskip("flask")
django = pytest.importorskip("django")
SITES = Path(__file__).resolve().parent / "sites"


class Client:
    """Keeps cookies; follows nothing by itself (the tests follow redirects)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict = {}

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = "----httpdtestboundary7"
    out = b""
    for k, v in fields.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n"
                f"{v}\r\n").encode()
    for k, (name, data) in files.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; "
                f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def _group(mode: str, site: Path) -> str:
    if mode != "daemon":
        return ""
    return (f"WSGIDaemonProcess fw processes=1 threads=4 python-path={site}\n"
            "WSGIProcessGroup fw\n")


def _serve(request, tmp_path_factory, name: str, urls: str):
    """The site ``name`` of sites/ behind ``urls`` (its Alias and WSGIScriptAlias lines,
    with {site} for its copy), in the mode of the fixture's parameter."""
    root = tmp_path_factory.mktemp(name)
    site = root / name
    shutil.copytree(SITES / name, site)
    shutil.copy(SITES / "strict_input.py", root)
    os.chmod(root, 0o755)
    body = LOAD + LOG + _group(request.param, site) + urls.format(site=site)
    args = ("-X",) if request.param == "embedded" else ("-DFOREGROUND",)
    srv = start_httpd(root, body, args=args, seconds=20)
    srv.site = site
    return srv


def _finish(srv) -> None:
    srv.stop()
    for v in VIOLATIONS:
        assert v not in srv.error_log


@pytest.fixture(scope="module", params=["embedded", "daemon"])
def flask_server(request, tmp_path_factory):
    srv = _serve(request, tmp_path_factory, "flaskapp",
                 "Alias /shop/static {site}/static\nWSGIScriptAlias /shop {site}/app.wsgi\n")
    yield srv
    _finish(srv)


@pytest.fixture(scope="module", params=["embedded", "daemon"])
def django_server(request, tmp_path_factory):
    srv = _serve(request, tmp_path_factory, "djproj",
                 "Alias /blog/static/ {site}/static/\n"
                 "WSGIScriptAlias /blog {site}/djproj/wsgi.py\n")
    yield srv
    _finish(srv)


def test_flask_flows(flask_server):
    c = Client(flask_server.port)
    status, _, body = c.request("GET", "/shop/")
    assert (status, body) == (200, b"flask index, script_root=/shop"), flask_server.error_log
    status, _, body = c.request("GET", "/shop/form")
    assert status == 200 and b"<form" in body
    status, h, _ = c.request("POST", "/shop/form", body="name=Ada",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 302 and h["location"].endswith("/shop/result")
    assert c.cookies["name"] == "Ada"
    status, _, body = c.request("GET", "/shop/result")
    assert (status, body) == (200, b"hello Ada")
    data = os.urandom(300_000)
    mp, ctype = multipart({"field": "v"}, {"file": ("up.bin", data)})
    status, _, body = c.request("POST", "/shop/upload", body=mp,
                                headers={"Content-Type": ctype})
    got = json.loads(body)
    assert status == 200
    assert got == {"name": "up.bin", "size": len(data),
                   "sha": hashlib.sha256(data).hexdigest(), "field": "v"}
    status, h, body = c.request("GET", "/shop/stream")
    assert status == 200 and h.get("transfer-encoding") == "chunked"
    assert body == "".join(f"line {i}\n" for i in range(10)).encode()
    status, _, body = c.request("GET", "/shop/static/app.js")
    assert (status, body) == (200, b"console.log(1)\n")
    status, _, _ = c.request("GET", "/shop/nothing-here")
    assert status == 404


def test_django_flows(django_server):
    c = Client(django_server.port)
    status, _, body = c.request("GET", "/blog/")
    assert (status, body) == (200, b"django index, script_name=/blog"), django_server.error_log
    status, _, body = c.request("GET", "/blog/form")
    assert status == 200 and "csrftoken" in c.cookies
    token = re.search(rb'value="([^"]+)"', body).group(1).decode()
    status, h, _ = c.request("POST", "/blog/form", body=f"csrfmiddlewaretoken={token}&name=Grace",
                             headers={"Content-Type": "application/x-www-form-urlencoded",
                                      "Referer": f"http://127.0.0.1:{django_server.port}/"})
    assert status == 302, django_server.error_log
    assert h["location"] == f"http://localhost:{django_server.port}/blog/result" or \
        h["location"].endswith("/blog/result")
    assert "sessionid" in c.cookies
    status, _, body = c.request("GET", "/blog/result")
    assert (status, body) == (200, b"hello Grace")
    # without the token: Django's own 403
    status, _, _ = Client(django_server.port).request(
        "POST", "/blog/form", body="name=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403
    data = os.urandom(200_000)
    mp, ctype = multipart({"csrfmiddlewaretoken": token}, {"file": ("d.bin", data)})
    status, _, body = c.request("POST", "/blog/upload", body=mp,
                                headers={"Content-Type": ctype,
                                         "Referer": f"http://127.0.0.1:{django_server.port}/"})
    assert status == 200, body
    assert json.loads(body) == {"name": "d.bin", "size": len(data),
                                "sha": hashlib.sha256(data).hexdigest()}
    status, h, body = c.request("GET", "/blog/stream")
    assert status == 200 and body == "".join(f"line {i}\n" for i in range(10)).encode()
    status, _, body = c.request("GET", "/blog/static/site.css")
    assert (status, body) == (200, b"body { color: red }\n")
