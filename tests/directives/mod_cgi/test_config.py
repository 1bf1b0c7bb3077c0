"""mod_cgi's and mod_cgid's directives against ``apache2 -t``, both modules loadable
under every MPM, and ScriptLog's records."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys

import pytest

from tests.e2e.mpm import MPMS, read_all, split_variant, start_server, try_owner_of
from tests.e2e.servers import ROOT, start_httpd
from tests.directives.mod_cgi.scripts import config, make_tree

CGI = "LoadModule cgi_module /usr/lib/apache2/modules/mod_cgi.so\n"
CGID = "LoadModule cgid_module /usr/lib/apache2/modules/mod_cgid.so\n"


@pytest.mark.parametrize("body", [
    CGI + "ScriptLog logs/cgi.log\nScriptLogLength 1000\nScriptLogBuffer 10\n",
    CGI + "CGIScriptTimeout 10\n<Directory />\nCGIScriptTimeout 5ms\n</Directory>\n",
    CGI + "CGIScriptTimeout abc\n",
    CGI + "<Directory />\nScriptLog x\n</Directory>\n",
    CGI + "ScriptLog\n",
    CGID + "ScriptSock logs/sock\nCGIDScriptTimeout 3\n",
    CGID + "<VirtualHost *:80>\nScriptSock x\n</VirtualHost>\n",
    CGID + "CGIDScriptTimeout 1x\n",
    CGID + "CGIScriptTimeout 1\n",
    CGI + CGID,
])
def test_t_as_apache(differential, body):
    differential(body)


@pytest.mark.parametrize("mpm", MPMS)
@pytest.mark.parametrize("module", ["cgi", "cgid"])
def test_loads_under_every_mpm(tmp_path, mpm, module):
    base, extra = split_variant(mpm)
    loads = "".join(f"LoadModule {m}_module x\n" for m in (f"mpm_{base}",) + extra)
    (tmp_path / "logs").mkdir()
    (tmp_path / "httpd.conf").write_text(
        f"{loads}LoadModule {module}_module /usr/lib/apache2/modules/mod_{module}.so\n"
        "Listen 127.0.0.1:8080\nServerName localhost\nErrorLog logs/error_log\n")
    out = subprocess.run([sys.executable, "-m", "httpd", "-t", "-d", str(tmp_path), "-f",
                          str(tmp_path / "httpd.conf")], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    if "not available" in out.stdout + out.stderr and mpm in ("winnt", "mpmt_os2"):
        pytest.skip(f"{mpm} is a static build only")
    assert "Syntax OK" in out.stdout + out.stderr, out.stdout + out.stderr


def test_script_log():
    root = make_tree()
    try:
        (root / "ours").mkdir()
        log = root / "script_log"
        log.touch()
        log.chmod(0o666)
        srv = start_httpd(root / "ours", config(root) + f"ScriptLog {log}\n",
                          modules=("authz_core", "mime", "alias", "env", "setenvif", "cgi"))
        try:
            for path in ("/cgi-bin/bad.sh", "/cgi-bin/stderr.sh", "/cgi-bin/missing.sh"):
                with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
                    s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nX-Foo: bar\r\n"
                              "Connection: close\r\n\r\n".encode())
                    read_all(s, 5)
        finally:
            srv.stop()
        text = log.read_text()
        assert "%% 500 " + str(root / "cgi" / "bad.sh") in text
        assert "%request\n" in text and "X-Foo: bar\n" in text
        assert "%response\nthis is no header\n%stdout\n\nbody\n" in text
        assert "%% 404 " + str(root / "cgi" / "missing.sh") + \
            "\n%error\nscript not found or unable to stat\n" in text
        assert "%error\nto the log\n" in text
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_cgid_scripts_are_not_forked_by_the_worker():
    """Under event with mod_cgid the script's parent is the daemon, a child of the
    server's parent, not the worker that serves the request."""
    root = make_tree()
    for d in ("logs", "htdocs"):
        (root / d).mkdir()
        (root / d).chmod(0o755)
    (root / "cgi" / "ppid.sh").write_text(
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\necho \"ppid=$PPID\"\n")
    (root / "cgi" / "ppid.sh").chmod(0o755)
    body = config(root, "cgid").replace("User nobody\nGroup nogroup\n", "")
    srv = start_server("event", body, root=root, modules=("alias", "env", "setenvif", "cgid"))
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
            s.sendall(b"GET /cgi-bin/ppid.sh HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while b"ppid=" not in data or not data.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            worker = try_owner_of(srv, s)
        ppid = int(data.split(b"ppid=")[1].split()[0])
        assert worker is not None and ppid != worker
        with open(f"/proc/{ppid}/stat") as f:
            assert int(f.read().split(") ", 1)[1].split()[1]) == srv.pid
    finally:
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("module", ["cgi", "cgid"])
def test_table_as_apache_L(tmp_path, module):
    """Names, order and help texts as ``apache2 -L`` lists mod_cgi.c and mod_cgid.c."""
    from tests.e2e.servers import APACHE
    if APACHE is None:
        pytest.skip("needs the real apache2 binary")
    mpm = "prefork" if module == "cgi" else "event"
    (tmp_path / "logs").mkdir()
    (tmp_path / "httpd.conf").write_text(
        f"LoadModule mpm_{mpm}_module /usr/lib/apache2/modules/mod_mpm_{mpm}.so\n"
        f"LoadModule {module}_module /usr/lib/apache2/modules/mod_{module}.so\n"
        "Listen 127.0.0.1:8080\nServerName localhost\nErrorLog logs/error_log\n")
    out = subprocess.run([APACHE, "-d", str(tmp_path), "-f", str(tmp_path / "httpd.conf"),
                          "-L"], capture_output=True, text=True, timeout=30).stdout
    lines = out.splitlines()
    want = [(line.split(" (")[0], lines[i + 1].strip()) for i, line in enumerate(lines)
            if line.endswith(f"(mod_{module}.c)")]
    import importlib
    mod = importlib.import_module(f"directives.mod_{module}").MODULE
    assert [(d.name, d.help) for d in mod.directives] == want


def test_output_through_deflate():
    """A script's output runs through the output filter chain (SetOutputFilter DEFLATE),
    streamed or whole; an nph- script's bytes pass every filter untouched."""
    import gzip
    root = make_tree()
    try:
        (root / "ours").mkdir()
        body = config(root) + "<Location /cgi-bin/>\nSetOutputFilter DEFLATE\n</Location>\n"
        srv = start_httpd(root / "ours", body,
                          modules=("authz_core", "mime", "alias", "env", "setenvif",
                                   "deflate", "cgi"))
        try:
            for path, want in (("/cgi-bin/env.sh", f"cwd={root}/cgi\n".encode()),
                               ("/cgi-bin/ticks.sh", b"tick 5\n")):
                with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as s:
                    s.sendall(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n"
                              "Accept-Encoding: gzip\r\n\r\n".encode())
                    data = read_all(s, 20)
                head, _, raw = data.partition(b"\r\n\r\n")
                assert b"Content-Encoding: gzip" in head, head
                assert gzip.decompress(raw).endswith(want)
            with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
                s.sendall(b"GET /cgi-bin/nph-raw.sh HTTP/1.0\r\nHost: localhost\r\n"
                          b"Accept-Encoding: gzip\r\n\r\n")
                data = read_all(s, 5)
            assert data == (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nX-Nph: yes\r\n"
                            b"\r\nnph body\n")
        finally:
            srv.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
