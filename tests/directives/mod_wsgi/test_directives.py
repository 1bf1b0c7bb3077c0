"""The directives at request time (embedded mode, one server): AddHandler with Options
ExecCGI, WSGIScriptAliasMatch, WSGICallableObject, WSGIPassAuthorization,
WSGIScriptReloading, WSGIApplicationGroup, WSGIImportScript, WSGIRestrictEmbedded;
and the environ beside real Apache with Debian's mod_wsgi on the same config."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.directives.mod_wsgi.helpers import LOAD, clean_log, request, scratch
from tests.e2e.servers import APACHE, start_apache, start_httpd

WSGI_SO = "/usr/lib/apache2/modules/mod_wsgi.so"
APP2 = '''import os, time
LOADED = time.time()
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"v1 %f" % LOADED]
def other(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"other"]
'''


def _body(site: Path) -> str:
    (site / "handlers").mkdir(exist_ok=True)
    (site / "noexec").mkdir(exist_ok=True)
    for d in ("handlers", "noexec"):
        (site / d / "h.wsgi").write_text(APP2)
    (site / "v.wsgi").write_text(APP2)
    (site / "pre.wsgi").write_text("import os\nos.environ['PRELOADED'] = 'yes'\n")
    (site / "pp").mkdir(exist_ok=True)
    (site / "pp" / "wsgi_pp_helper.py").write_text("WORD = b'from python-path'\n")
    (site / "pp.wsgi").write_text(
        "import wsgi_pp_helper\n"
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [wsgi_pp_helper.WORD]\n")
    return (LOAD + "LogLevel warn wsgi:info\n"
            f"WSGIImportScript {site}/pre.wsgi process-group=%{{GLOBAL}} "
            "application-group=%{GLOBAL}\n"
            f"WSGIScriptAlias /app {site}/app.wsgi\n"
            f"WSGIScriptAlias /auth {site}/app.wsgi pass-authorization=On\n"
            f"WSGIScriptAlias /global {site}/app.wsgi application-group=%{{GLOBAL}}\n"
            f"WSGIScriptAlias /hostg {site}/app.wsgi application-group=%{{HOST}}\n"
            f"WSGIScriptAlias /envg {site}/app.wsgi application-group=%{{ENV:GRP}}\n"
            "SetEnvIf X-Grp (.+) GRP=$1\n"
            f"WSGIPythonPath {site}/pp\nWSGIScriptAlias /pp {site}/pp.wsgi\n"
            f"WSGIScriptAlias /v {site}/v.wsgi\n"
            f"WSGIScriptAlias /nochunk {site}/app.wsgi\n"
            "<Location /nochunk>\nWSGIChunkedRequest Off\n</Location>\n"
            f"WSGIScriptAlias /other {site}/v.wsgi callable-object=other\n"
            f"WSGIScriptAliasMatch ^/m/([a-z]+) {site}/$1.wsgi\n"
            f"Alias /h {site}/handlers\nAlias /n {site}/noexec\n"
            f"<Directory {site}/handlers>\nOptions +ExecCGI\nAddHandler wsgi-script .wsgi\n"
            "</Directory>\n"
            f"<Directory {site}/noexec>\nOptions -ExecCGI\nAddHandler wsgi-script .wsgi\n"
            "</Directory>\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("directives")
    site = scratch(root)
    srv = start_httpd(root, _body(site), modules=("authz_core", "mime", "alias",
                                                         "setenvif"))
    srv.site = site
    yield srv
    srv.stop()


def test_add_handler_needs_exec_cgi(server):
    status, _, body = request(server, "GET", "/h/h.wsgi")
    assert status == 200 and body.startswith(b"v1 ")
    status, _, _ = request(server, "GET", "/n/h.wsgi")
    assert status == 403
    assert "Options ExecCGI is off in this directory" in server.error_log


def test_script_alias_match(server):
    status, _, body = request(server, "GET", "/m/app/hello")
    assert (status, body) == (200, b"Hello world!\n")
    status, _, _ = request(server, "GET", "/m/nothing")
    assert status == 404
    assert "Target WSGI script not found or unable to stat" in server.error_log


def test_chunked_request_off(server):
    status, _, _ = request(server, "POST", "/nochunk/echo", body=iter([b"ab"]),
                           headers={"Transfer-Encoding": "chunked"})
    assert status == 411
    assert "support for chunked transfer encoding has not been enabled" in server.error_log
    status, _, body = request(server, "POST", "/nochunk/echo", body=b"ab")
    assert (status, body) == (200, b"ab")


def test_python_path(server):
    assert request(server, "GET", "/pp")[2] == b"from python-path"


def test_callable_object(server):
    assert request(server, "GET", "/other")[2] == b"other"


def test_pass_authorization(server):
    h = {"Authorization": "Basic dTpw"}
    assert request(server, "GET", "/auth/auth", headers=h)[2] == b"Basic dTpw"
    assert request(server, "GET", "/app/auth", headers=h)[2] == b"-"
    clean_log(server)


def test_application_groups(server):
    env = json.loads(request(server, "GET", "/global/env")[2])
    assert env["mod_wsgi.application_group"] == ""
    local = json.loads(request(server, "GET", "/app/env")[2])
    assert local["mod_wsgi.application_group"].endswith("|/app")
    # each group loads the script for itself
    assert env["loaded_at"] != local["loaded_at"]


def test_application_groups_per_request(server):
    """The resolved settings are kept per config, server, port, host and script: a
    %{HOST} group follows the Host field, an %{ENV:...} group each request's variable
    (never kept), however often the same URI is asked."""
    for _ in range(2):
        for host in ("a.example", "b.example"):
            env = json.loads(request(server, "GET", "/hostg/env",
                                     headers={"Host": host})[2])
            assert env["mod_wsgi.application_group"] == host   # (port 80: no port)
        for grp in ("one", "two"):
            env = json.loads(request(server, "GET", "/envg/env",
                                     headers={"X-Grp": grp})[2])
            assert env["mod_wsgi.application_group"] == grp


def test_import_script_preloaded(server):
    env = json.loads(request(server, "GET", "/app/env")[2])
    assert env["PATH"]                       # the environ is the server's
    assert os.environ.get("PRELOADED") is None   # (in the server process, not here)


def test_script_reloading(server):
    first = request(server, "GET", "/v")[2]
    assert request(server, "GET", "/v")[2] == first          # loaded once
    path = server.site / "v.wsgi"
    path.write_text(APP2.replace("v1", "v2"))
    st = path.stat()
    os.utime(path, (st.st_atime, st.st_mtime + 2))
    second = request(server, "GET", "/v")[2]
    assert second.startswith(b"v2 ")
    assert "Reloading WSGI script" in server.error_log


def test_restrict_embedded(tmp_path):
    site = scratch(tmp_path)
    srv = start_httpd(tmp_path, LOAD + "WSGIRestrictEmbedded On\n"
                      f"WSGIScriptAlias /app {site}/app.wsgi\n")
    try:
        assert request(srv, "GET", "/app/hello")[0] == 500
        assert "Embedded mode of mod_wsgi disabled by runtime configuration" in srv.error_log
    finally:
        srv.stop()


# not compared: wsgi.multithread and wsgi.multiprocess, which say how the server runs
# the application: under -X apache2 serves in one thread, httpd with a pool of threads
KEYS = ("SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "REQUEST_METHOD",
        "SERVER_PROTOCOL", "GATEWAY_INTERFACE", "REMOTE_ADDR", "SERVER_NAME", "SERVER_ADDR",
        "HTTP_X_CUSTOM", "CONTENT_TYPE", "CONTENT_LENGTH", "REQUEST_SCHEME",
        "wsgi.url_scheme", "mod_wsgi.process_group", "mod_wsgi.callable_object",
        "mod_wsgi.request_handler", "mod_wsgi.script_reloading",
        "wsgi.input_terminated", "mod_wsgi.handler_script",
        "DOCUMENT_ROOT", "CONTEXT_PREFIX", "SCRIPT_FILENAME", "PATH_TRANSLATED")


@pytest.mark.skipif(APACHE is None or not os.path.exists(WSGI_SO),
                    reason="apache2 with mod_wsgi not installed")
def test_environ_beside_apache(tmp_path):
    """The same script, the same config, apache2 + mod_wsgi 4.9.4 and httpd: the same
    CGI and mod_wsgi keys with the same values."""
    out = {}
    for kind in ("ours", "apache"):
        root = tmp_path / kind
        root.mkdir()
        site = scratch(root)
        body = LOAD + f"DocumentRoot {site}\nWSGIScriptAlias /app {site}/app.wsgi\n"
        start = start_httpd if kind == "ours" else start_apache
        srv = start(root, body, modules=("authz_core", "mime", "alias",
                                                         "setenvif"))
        try:
            status, _, data = request(srv, "POST", "/app/env/x%20y?q=1", body=b"a=b",
                                      headers={"X-Custom": "1",
                                               "Content-Type": "application/x-www-form-urlencoded"})
            assert status == 200, srv.error_log
            out[kind] = json.loads(data)
        finally:
            srv.stop()
    ours, theirs = out["ours"], out["apache"]
    for env in (ours, theirs):
        for k in ("DOCUMENT_ROOT", "SCRIPT_FILENAME", "CONTEXT_DOCUMENT_ROOT",
                  "PATH_TRANSLATED"):
            env[k] = env.get(k, "").replace("/ours/", "/X/").replace("/apache/", "/X/")
    for k in KEYS:
        assert ours.get(k) == theirs.get(k), (k, ours.get(k), theirs.get(k))
    assert ours["mod_wsgi.application_group"].split("|")[1] == \
        theirs["mod_wsgi.application_group"].split("|")[1]
    cgi = {k for k in theirs if k.isupper() and not k.startswith("HTTP_")}
    assert cgi - set(ours) <= {"UNIQUE_ID"}, cgi - set(ours)


ENV_APP = ("import json\ndef application(environ, start_response):\n"
           "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
           "    return [json.dumps({k: v for k, v in environ.items()\n"
           "                        if isinstance(v, str)}).encode()]\n")
PATHS = ("/", "/x//y", "//p/a//b", "/p/", "/p", "/p//z", "/sl/a", "/sl/", "/h/h.wsgi/p//q",
         "/h/h.wsgi", "/p/%2e%2e", "/auth/a")
SKIP = {"UNIQUE_ID", "REMOTE_PORT", "SERVER_PORT", "HTTP_HOST", "SERVER_SOFTWARE",
        "SERVER_SIGNATURE", "PATH", "LANG", "LC_ALL", "mod_wsgi.listener_port",
        "mod_wsgi.request_start", "mod_wsgi.script_start", "mod_wsgi.application_group",
        "mod_wsgi.request_id", "mod_wsgi.connection_id"}


@pytest.mark.skipif(APACHE is None or not os.path.exists(WSGI_SO),
                    reason="apache2 with mod_wsgi not installed")
def test_environ_paths_beside_apache(tmp_path):
    """Every CGI and mod_wsgi string key beside apache2 + mod_wsgi 4.9.4, over
    WSGIScriptAlias / and one with a trailing slash, AddHandler, runs of slashes,
    CGIPassAuth and WSGIPassAuthorization: SCRIPT_NAME/PATH_INFO merged (ap_no2slash),
    PATH_TRANSLATED through the subrequest, CONTEXT_* of mod_alias."""
    out: dict = {}
    for kind in ("ours", "apache"):
        root = tmp_path / kind
        site = root / "site"
        (site / "handlers").mkdir(parents=True)
        os.chmod(root, 0o755)
        for f in (site / "app.wsgi", site / "handlers" / "h.wsgi"):
            f.write_text(ENV_APP)
        body = (LOAD + f"DocumentRoot {site}\n"
                "<Location /p>\nCGIPassAuth On\n</Location>\n"
                f"WSGIScriptAlias /p {site}/app.wsgi\n"
                f"WSGIScriptAlias /auth {site}/app.wsgi pass-authorization=On\n"
                f"WSGIScriptAlias /sl/ {site}/app.wsgi/\nAlias /h {site}/handlers\n"
                f"<Directory {site}/handlers>\nOptions +ExecCGI\n"
                "AddHandler wsgi-script .wsgi\n</Directory>\n"
                f"WSGIScriptAlias / {site}/app.wsgi\n")
        start = start_httpd if kind == "ours" else start_apache
        srv = start(root, body, modules=("authz_core", "mime", "alias",
                                                         "setenvif"))
        try:
            for path in PATHS:
                status, _, data = request(srv, "GET", path, headers={
                    "Authorization": "Basic eA==", "X-A": "1"})
                assert status == 200, (kind, path, srv.error_log)
                env = json.loads(data)
                out.setdefault(path, {})[kind] = {
                    k: v.replace(f"/{kind}/", "/X/") for k, v in env.items()
                    if k not in SKIP}
        finally:
            srv.stop()
    diffs = [(p, k, d["ours"].get(k), d["apache"].get(k)) for p, d in out.items()
             for k in sorted(set(d["ours"]) | set(d["apache"]))
             if d["ours"].get(k) != d["apache"].get(k)]
    assert not diffs, diffs
