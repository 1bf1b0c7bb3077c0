"""mod_cgi against the real Apache with its mod_cgi.so, on the same config and scripts:
the same status and body (and the fields a script sets) for each request."""
from __future__ import annotations

import shutil

import pytest

from tests.e2e.servers import APACHE, raw_request, start_apache, start_httpd
from tests.directives.mod_cgi.scripts import config, make_tree

MODULES = ("authz_core", "mime", "dir", "alias", "env", "setenvif")
pytestmark = pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary")


def get(path: str, extra: str = "", method: str = "GET") -> str:
    return (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{extra}"
            "Connection: close\r\n\r\n")


def post(path: str, body: str, extra: str = "") -> str:
    return (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n{body}")


def chunked(path: str, pieces: list) -> str:
    body = "".join(f"{len(p):x}\r\n{p}\r\n" for p in pieces) + "0\r\n\r\n"
    return (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
            f"Connection: close\r\n\r\n{body}")


REQUESTS = {
    "env": get("/cgi-bin/env.sh"),
    "env-query": get("/cgi-bin/env.sh?a=1&b=two"),
    "env-isindex": get("/cgi-bin/env.sh?first+se%3Bcond+th%20ird+$(x)"),
    "env-pathinfo": get("/cgi-bin/env.sh/extra/path"),
    "env-pathinfo-escaped": get("/cgi-bin/env.sh/a%20b/c?q=1"),
    "env-double-slash": get("/cgi-bin//env.sh//x//y"),
    "env-headers": get("/cgi-bin/env.sh", "X-Foo: bar\r\nProxy: http://evil/\r\n"
                       "Authorization: Basic dTpw\r\n"),
    "env-passauth": get("/cgi-bin/env.sh/auth", "Authorization: Basic dTpw\r\n"),
    "env-current-uri": get("/cgi-bin/env.sh/current/x?y=1"),
    "env-match": get("/cgim/env.sh/tail?m=1"),
    "env-head": get("/cgi-bin/env.sh", method="HEAD"),
    "post": post("/cgi-bin/post.sh", "a=1&b=2"),
    "post-empty": post("/cgi-bin/post.sh", ""),
    "post-chunked": chunked("/cgi-bin/post.sh", ["hello ", "chunked ", "world"]),
    "post-too-large": post("/cgi-bin/post.sh", "x" * 200),
    "post-env": post("/cgi-bin/env.sh", "k=v"),
    "status": get("/cgi-bin/status.sh"),
    "status204": get("/cgi-bin/status204.sh"),
    "status999": get("/cgi-bin/status999.sh"),
    "local-redirect": get("/cgi-bin/local.sh?orig=1"),
    "local-redirect-post": post("/cgi-bin/local.sh", "body=1"),
    "remote-redirect": get("/cgi-bin/remote.sh"),
    "moved-own-body": get("/cgi-bin/moved.sh"),
    "nph": get("/cgi-bin/nph-raw.sh"),
    "bad-header": get("/cgi-bin/bad.sh"),
    "no-output": get("/cgi-bin/empty.sh"),
    "premature": get("/cgi-bin/premature.sh"),
    "transfer-encoding": get("/cgi-bin/te.sh"),
    "cookies": get("/cgi-bin/cookies.sh"),
    "last-modified": get("/cgi-bin/lastmod.sh"),
    "last-modified-304": get("/cgi-bin/lastmod.sh",
                             "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n"),
    "bad-last-modified": get("/cgi-bin/badlastmod.sh"),
    "script-length": get("/cgi-bin/length.sh"),
    "crlf-headers": get("/cgi-bin/crlf.sh"),
    "stderr": get("/cgi-bin/stderr.sh"),
    "not-executable": get("/cgi-bin/plain.txt"),
    "missing": get("/cgi-bin/missing.sh"),
    "directory": get("/cgi-bin/subdir/"),
    "addhandler": get("/run/t.cgi"),
    "addhandler-noexec": get("/norun/t.cgi"),
    "addhandler-pathinfo": get("/run/t.cgi/more"),
}

FIELDS = ("location", "content-type", "set-cookie", "x-multi", "last-modified", "x-crlf",
          "x-nph")


@pytest.fixture(scope="module", params=[("prefork", "cgi"), ("event", "cgid")],
                ids=lambda v: f"{v[0]}-{v[1]}")
def servers(request):
    mpm, module = request.param
    root = make_tree()
    for name in ("ours", "theirs"):
        (root / name).mkdir()
    body = config(root, module)
    mods = MODULES + (module,)
    ours = start_httpd(root / "ours", body, modules=mods, mpm=mpm)
    try:
        theirs = start_apache(root / "theirs", body, modules=mods, mpm=mpm)
    except Exception:
        ours.stop()
        raise
    yield ours, theirs, root
    ours.stop()
    theirs.stop()
    shutil.rmtree(root, ignore_errors=True)


def parse(server, raw: str):
    data, _ = raw_request(server.port, raw.encode("latin-1"), wait=5.0, total=15.0)
    data = data.replace(f":{server.port}".encode(), b":PORT")
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields: dict = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields.setdefault(k.strip().lower(), []).append(v.strip())
    status = int(lines[0].split(" ")[1]) if lines[0].startswith("HTTP/") else 0
    if "chunked" in fields.get("transfer-encoding", []):
        out, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size.split(b";")[0] or b"0", 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return status, lines[0], fields, body


def normalise(body: bytes, server) -> bytes:
    # what differs by design: the client's port, the server's banner
    out = []
    for line in body.split(b"\n"):
        if line.startswith((b"REMOTE_PORT=", b"SERVER_SOFTWARE=", b"SERVER_SIGNATURE=")):
            continue
        out.append(line)
    return b"\n".join(out).replace(str(server.root).encode(), b"ROOT")


@pytest.mark.parametrize("name", list(REQUESTS))
def test_same_answer(servers, name):
    ours, theirs, root = servers
    raw = REQUESTS[name]
    s1, line1, f1, b1 = parse(ours, raw)
    s2, line2, f2, b2 = parse(theirs, raw)
    assert s1 == s2, (name, line1, line2, b1, b2)
    if name == "nph":          # the script's own status line and fields, as they are
        assert line1 == line2 == "HTTP/1.0 200 OK"
    assert normalise(b1, ours) == normalise(b2, theirs)
    for k in FIELDS:
        assert f1.get(k) == f2.get(k), (k, f1.get(k), f2.get(k))


def test_log_lines(servers):
    """The error log lines of the refusals and script errors, as Apache writes them."""
    ours, theirs, root = servers
    for raw in (REQUESTS["bad-header"], REQUESTS["no-output"], REQUESTS["premature"],
                REQUESTS["stderr"], REQUESTS["addhandler-noexec"], REQUESTS["missing"],
                REQUESTS["not-executable"]):
        parse(ours, raw)
        parse(theirs, raw)

    def messages(server):
        out = set()
        for line in server.error_log.splitlines():
            if "[cgi:" in line or "[cgid:" in line:
                out.add(line.split("] ", 4)[-1].replace(str(server.root), "ROOT"))
        return out

    want = messages(theirs)
    got = messages(ours)
    if "[cgid:" in theirs.error_log:
        want = {m.replace("AH01262", "AH02809").replace("AH01264", "AH02811") for m in want}
        got = {m.replace("AH01262", "AH02809").replace("AH01264", "AH02811") for m in got}
        # 2.4's mod_cgid gives its scripts the error log itself as stderr: the line
        # is there as the script wrote it; here it is AH01215 with the request's context
        assert "\nto the log\n" in theirs.error_log
        want.add(f"AH01215: stderr from {root}/cgi/stderr.sh: to the log")
        # the daemon logs the failed exec itself, without a request
        cgid_exec = f"(13)Permission denied: AH01241: exec of '{root}/cgi/plain.txt' failed"
        assert cgid_exec in want and cgid_exec in got
        cgi_exec = (f"AH01215: stderr from {root}/cgi/plain.txt: (13)Permission denied: "
                    f"exec of '{root}/cgi/plain.txt' failed")
        want.add(cgi_exec)
        got.add(cgi_exec)
    for m in ("malformed header from script 'bad.sh': Bad header: this is no header",
              "End of script output before headers: empty.sh",
              "Premature end of script headers: premature.sh",
              f"AH01215: stderr from {root}/cgi/stderr.sh: to the log",
              f"AH02809: stderr from {root}/docs/norun/t.cgi: Options ExecCGI is off in "
              "this directory",
              f"AH02811: stderr from {root}/cgi/missing.sh: script not found or unable to "
              "stat",
              f"AH01215: stderr from {root}/cgi/plain.txt: (13)Permission denied: exec of "
              f"'{root}/cgi/plain.txt' failed",
              "End of script output before headers: plain.txt"):
        assert m in want, (m, want)
        assert m in got, (m, got)
