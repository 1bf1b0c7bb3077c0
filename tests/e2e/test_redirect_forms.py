"""Every Redirect form in every section type, against real Apache on the same config.

mod_alias's add_redirect_internal reads the first word as a status in three ways
(grokarg1: a 3xx status, a status that takes no URL, or no status at all); which one
decides whether a section's line is its own target, its own status, or an entry of its
list.  ``Redirect 403`` in a <LocationMatch> once made an entry without a URL-path, and
the first request crashed the connection (no bytes).  Each answer here is Apache's
status, Location and body; where Apache is not installed, the pinned statuses still
run against httpd alone.

The second half: a hook that raises (a module's bug) costs the request a 500 and an
error-log line, never the client its answer (httpd/module/hooks.py, httpd/io/connection.py).
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .servers import APACHE, answer, start_httpd, start_pair, stop_pair

MODULES = ("authz_core", "mime", "dir", "alias")


def make_docs(root: Path) -> Path:
    docs = root / "docs"
    for d in ("d403", "dperm", "dlist", "dplain"):
        (docs / d).mkdir(parents=True, exist_ok=True)
        (docs / d / "a.txt").write_text("a\n")
    for name in ("f.txt", "ff403.txt", "ffperm.txt", "fm451.txt", "ffgone.txt"):
        (docs / name).write_text("file\n")
    return docs


def config(docs: Path) -> str:
    return textwrap.dedent(f"""\
        DocumentRoot {docs}
        <Directory {docs}>
        Require all granted
        </Directory>
        Redirect 404 /s404
        Redirect gone /sgone
        Redirect 410 /s410
        Redirect 403 /s403
        RedirectMatch 403 ^/smatch403
        RedirectMatch gone ^/smatchgone
        RedirectMatch seeother ^/s303(.*) /f.txt$1
        RedirectMatch 301 ^/sm301/(.*)$ http://example.test/$1
        Redirect 308 /s308 /f.txt
        Redirect 307 /s307 http://example.test/x
        Redirect 301 /s301 /f.txt
        Redirect 302 /s302 /f.txt
        Redirect 303 /see303 /f.txt
        Redirect permanent /sperm /f.txt
        Redirect temp /stemp /f.txt
        Redirect seeother /sseeother /f.txt
        Redirect /splain /f.txt
        RedirectPermanent /srp /f.txt
        RedirectTemp /srt http://example.test/t
        <Directory {docs}/d403>
        Redirect 403
        </Directory>
        <Directory {docs}/dperm>
        Redirect permanent /f.txt
        </Directory>
        <Directory {docs}/dplain>
        Redirect /f.txt
        </Directory>
        <Directory {docs}/dlist>
        Redirect gone /dlist/a.txt
        Redirect 404 /dlist/b.txt
        RedirectTemp /dlist/c.txt /f.txt
        </Directory>
        <Location /l403>
        Redirect 403
        </Location>
        <LocationMatch ^/lm403>
        Redirect 403
        </LocationMatch>
        <LocationMatch ^/lm404>
        Redirect 404
        </LocationMatch>
        <LocationMatch ^/lmperm>
        Redirect permanent /f.txt
        </LocationMatch>
        <LocationMatch ^/lmgone>
        Redirect gone
        </LocationMatch>
        <Location /lgone>
        Redirect gone
        </Location>
        <Location /l410>
        Redirect 410
        </Location>
        <Location /l503>
        Redirect 503
        </Location>
        <Location /l301>
        Redirect 301 http://example.test/x
        </Location>
        <Location /l308>
        Redirect 308 /f.txt
        </Location>
        <Location /lseeother>
        Redirect seeother /f.txt
        </Location>
        <Location /ltemp>
        Redirect temp /f.txt
        </Location>
        <Location /lplain>
        Redirect /f.txt
        </Location>
        <Location /l403p>
        Redirect 403 /l403p/x
        </Location>
        <Location /lgonep>
        Redirect gone /lgonep/x
        </Location>
        <Location /l307three>
        Redirect 307 /l307three/a /f.txt
        </Location>
        <Location /lrm>
        RedirectMatch 403 ^/lrm/x
        RedirectMatch permanent ^/lrm/p(.*) /f.txt$1
        </Location>
        <Location /lrt>
        RedirectTemp /lrt/a /f.txt
        </Location>
        <Location /lrp>
        RedirectPermanent /lrp/a http://example.test/p
        </Location>
        <Files ff403.txt>
        Redirect 403
        </Files>
        <Files ffperm.txt>
        Redirect permanent /f.txt
        </Files>
        <Files ffgone.txt>
        Redirect gone
        </Files>
        <FilesMatch ^fm>
        Redirect 451
        </FilesMatch>
        <If "%{{QUERY_STRING}} == 'if503'">
        Redirect 503
        </If>
        <If "%{{QUERY_STRING}} == 'ifgone'">
        Redirect gone
        </If>
        <If "%{{QUERY_STRING}} == 'ifperm'">
        Redirect permanent /f.txt
        </If>
        <If "%{{QUERY_STRING}} == 'if308'">
        Redirect 308 /f.txt
        </If>
        <If "%{{QUERY_STRING}} == 'iflist'">
        Redirect 404 /zz/x
        </If>
        <VirtualHost 127.0.0.1:*>
        ServerName localhost
        </VirtualHost>
        <VirtualHost 127.0.0.1:*>
        ServerName vh.test
        DocumentRoot {docs}
        Redirect 403 /v403
        Redirect permanent /vperm /f.txt
        RedirectMatch 410 ^/vm
        RedirectMatch 302 ^/vr(.*) /f.txt$1
        </VirtualHost>
        """)


# path (and query) -> (Apache 2.4.71's status, its Location: the Host names no port)
PINNED = {
    "/s404": (404, None), "/sgone": (410, None), "/sgone/deep": (410, None),
    "/s410": (410, None), "/s403": (403, None), "/smatch403": (403, None),
    "/smatchgone/x": (410, None), "/s303abc": (303, "http://localhost/f.txtabc"),
    "/sm301/a/b": (301, "http://example.test/a/b"),
    "/s308": (308, "http://localhost/f.txt"), "/s307": (307, "http://example.test/x"),
    "/s301/x?q=1": (301, "http://localhost/f.txt/x?q=1"),
    "/s302": (302, "http://localhost/f.txt"),
    "/see303": (303, "http://localhost/f.txt"),
    "/sperm": (301, "http://localhost/f.txt"),
    "/stemp": (302, "http://localhost/f.txt"),
    "/sseeother": (303, "http://localhost/f.txt"),
    "/splain": (302, "http://localhost/f.txt"),
    "/splain/a;b%3fc": (302, "http://localhost/f.txt/a;b%3fc"),
    "/srp": (301, "http://localhost/f.txt"), "/srt": (302, "http://example.test/t"),
    "/d403/a.txt": (403, None), "/dperm/a.txt": (301, "http://localhost/f.txt"),
    "/dplain/a.txt": (302, "http://localhost/f.txt"),
    "/dlist/a.txt": (410, None), "/dlist/b.txt": (404, None),
    "/dlist/c.txt": (302, "http://localhost/f.txt"),
    "/l403": (403, None), "/l403/deeper": (403, None), "/lm403": (403, None),
    "/lm403x/y": (403, None), "/lm404": (404, None),
    "/lmperm?a=b": (301, "http://localhost/f.txt?a=b"), "/lmgone": (410, None),
    "/lgone": (410, None), "/l410": (410, None), "/l503": (503, None),
    "/l301": (301, "http://example.test/x"), "/l308": (308, "http://localhost/f.txt"),
    "/lseeother": (303, "http://localhost/f.txt"),
    "/ltemp": (302, "http://localhost/f.txt"),
    "/lplain?q=1": (302, "http://localhost/f.txt?q=1"),
    "/l403p/x": (403, None), "/l403p/y": (404, None), "/lgonep/x": (410, None),
    "/lgonep/y": (404, None), "/l307three/a": (307, "http://localhost/f.txt"),
    "/l307three/b": (404, None), "/lrm/x": (403, None),
    "/lrm/pq": (301, "http://localhost/f.txtq"), "/lrm/other": (404, None),
    "/lrt/a": (302, "http://localhost/f.txt"), "/lrp/a": (301, "http://example.test/p"),
    "/ff403.txt": (403, None), "/ffperm.txt": (301, "http://localhost/f.txt"),
    "/ffgone.txt": (410, None), "/fm451.txt": (451, None),
    "/zz?if503": (503, None), "/zz?ifgone": (410, None),
    "/zz?ifperm": (301, "http://localhost/f.txt?ifperm"),
    "/zz?if308": (308, "http://localhost/f.txt?if308"),
    "/zz/x?iflist": (404, None), "/f.txt": (200, None),
}
VHOST = {
    "/v403": (403, None), "/vperm": (301, "http://vh.test/f.txt"),
    "/vmatch": (410, None), "/vrx": (302, "http://vh.test/f.txtx"),
    "/s404": (404, None), "/l403": (403, None),
}
CASES = [("localhost", p) for p in PINNED] + [("vh.test", p) for p in VHOST]


def get(host: str, path: str) -> str:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("redirect-forms")
    servers = start_pair(root, config(make_docs(root)), modules=MODULES)
    yield servers
    stop_pair(servers)


@pytest.mark.parametrize("host,path", CASES)
def test_pinned_answer(pair, host, path):
    """Apache's status and Location, pinned: runs with or without apache2."""
    ours = pair[0]
    status, fields, body = answer(ours, get(host, path))
    want = (PINNED if host == "localhost" else VHOST)[path]
    assert (status, fields.get("location")) == want
    if status != 200:
        assert body.startswith(b"<!DOCTYPE HTML PUBLIC")
    assert "connection handler failed" not in ours.error_log
    assert "AH00000" not in ours.error_log


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")
@pytest.mark.parametrize("host,path", CASES)
def test_same_answer_as_apache(pair, host, path):
    ours, theirs = pair
    mine = answer(ours, get(host, path))
    apaches = answer(theirs, get(host, path))
    assert mine[0] == apaches[0]
    assert mine[1].get("location") == apaches[1].get("location")
    assert mine[2] == apaches[2]


# -- a hook that raises ----------------------------------------------------------------

PLUGIN = '''\
"""A module whose hooks raise on request, for tests/e2e/test_redirect_forms.py."""
from httpd.module.hooks import DECLINED
from httpd.module import Module


def fixups(r):
    if r.uri == "/boom-fixups":
        raise RuntimeError("fixups went wrong")
    return DECLINED


def handler(r):
    if r.handler == "boom":
        raise KeyError("handler went wrong")
    return DECLINED


def log_transaction(r):
    if r.uri == "/boom-log":
        raise ValueError("logger went wrong")
    return DECLINED


MODULE = Module("boom_module", "mod_boom.c", (),
                hooks={"fixups": fixups, "handler": handler,
                       "log_transaction": log_transaction})
'''


@pytest.fixture(scope="module")
def boom(tmp_path_factory):
    root = tmp_path_factory.mktemp("boom")
    plug = root / "plug"
    (plug / "httpd_boom-0.dist-info").mkdir(parents=True)
    (plug / "httpd_boom-0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: httpd-boom\nVersion: 0\n")
    (plug / "httpd_boom-0.dist-info" / "entry_points.txt").write_text(
        "[httpd.modules]\nboom_module = httpd_boom\n")
    (plug / "httpd_boom.py").write_text(PLUGIN)
    docs = make_docs(root)
    (root / "logs").mkdir()
    body = config(docs) + textwrap.dedent(f"""\
        <Location /boom-handler>
        SetHandler boom
        </Location>
        LogFormat "%U %>s" short
        CustomLog {root}/logs/access_log short
        """)
    server = start_httpd(root, body, env={"PYTHONPATH": str(plug)},
                         modules=MODULES + ("boom",))
    yield server
    server.stop()


@pytest.mark.parametrize("path,what", [("/boom-fixups", "fixups hook httpd_boom.fixups "
                                                        "failed: RuntimeError"),
                                       ("/boom-handler", "handler hook httpd_boom.handler "
                                                         "failed: KeyError")])
def test_a_hook_that_raises_answers_500_and_logs(boom, path, what):
    status, fields, body = answer(boom, get("localhost", path))
    assert status == 500
    assert b"500 Internal Server Error" in body
    log = boom.error_log
    assert what in log and "httpd_boom.py:" in log


def test_a_logger_that_raises_does_not_stop_the_others(boom):
    status, _, _ = answer(boom, get("localhost", "/boom-log"))
    assert status == 404
    access = (boom.root / "logs" / "access_log").read_text()
    assert "/boom-log 404" in access
    assert "log_transaction hook httpd_boom.log_transaction failed: ValueError" in \
        boom.error_log


def test_the_500_closes_the_connection_as_apaches_does(boom):
    """ap_status_drops_connection: a 500 ends the connection, so the pipelined second
    request is not answered; the server itself serves on."""
    from .servers import raw_request
    raw = (get("localhost", "/boom-fixups").replace("Connection: close\r\n", "")
           + get("localhost", "/f.txt"))
    data, closed = raw_request(boom.port, raw.encode(), wait=1.0)
    assert closed and data.count(b"HTTP/1.1 ") == 1
    assert data.startswith(b"HTTP/1.1 500 ") and b"\r\nConnection: close\r\n" in data
    assert answer(boom, get("localhost", "/f.txt"))[0] == 200
