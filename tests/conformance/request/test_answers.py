"""Every scenario of scenarios.py through the whole pipeline, compared with what the real
Apache 2.4.71 answered (apache_answers.json, recorded by record.py): the status,
the file the request mapped to, Location, the content type, language and encoding, the
methods of Allow and the error page byte for byte (with our banner for Apache's)."""
from __future__ import annotations

import pytest

from httpd.http.header_filter import server_banner
from tests.request.pipeline import Server, tree
from tests.conformance import apache
from tests.conformance.request.scenarios import BASE_FILES, DELIBERATE, SCENARIOS

ANSWERS = apache.load("request", "apache_answers.json")
PORT = ANSWERS["_port"]
APACHE_BANNER = "Apache/2.4.71 (Debian)"

CASES = [(name, i) for name, sc in SCENARIOS.items() for i in range(len(sc["requests"]))]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    made = {}

    def get(name):
        if name not in made:
            root = tmp_path_factory.mktemp(name)
            sc = SCENARIOS[name]
            files = {k: (v[0], v[1].replace("$ROOT", str(root))) if isinstance(v, tuple) else v
                     for k, v in {**BASE_FILES, **sc.get("files", {})}.items()}
            tree(root, files)
            made[name] = (Server(root, sc["config"].replace("$PORT", str(PORT))), root)
        return made[name]
    return get


def _fields(r) -> dict:
    out = {}
    if r.headers_out.get("Location") is not None:
        out["location"] = r.headers_out.get("Location")
    if r.content_type:
        out["content-type"] = r.content_type
    if r.content_languages:
        out["content-language"] = ",".join(r.content_languages)
    if r.content_encoding:
        out["content-encoding"] = r.content_encoding
    if r.headers_out.get("Allow") is not None:
        out["allow"] = r.headers_out.get("Allow")
    return out


def _methods(allow: str) -> set:
    # Apache's order is its hash's (random per start); TRACE is off by default here
    return set(allow.split(",")) - {"TRACE"}


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_same_answer_as_apache(servers, name, index):
    req = SCENARIOS[name]["requests"][index]
    method, target = req[0], req[1]
    headers = dict(req[2]) if len(req) > 2 else {}
    local = headers.pop("@local", "127.0.0.1")
    host = headers.pop("Host", "localhost")
    want = ANSWERS[name][index]
    if (name, method, target) in DELIBERATE:
        pytest.skip(DELIBERATE[(name, method, target)])
    server, root = servers(name)
    r = server.request(target, method=method, host=host, headers=headers.items(),
                       local_ip=local, local_port=PORT)
    assert r.status == want["status"], server.log()[-2000:]
    filename = r.filename.replace(str(root), "$ROOT") if r.filename else None
    if filename:      # the access log escapes bytes above 0x7f
        filename = "".join(c if ord(c) < 0x80 else "\\x%02x" % ord(c) for c in filename)
    assert filename == want["filename"]
    got = _fields(r)
    expected = dict(want["fields"])
    if "allow" in expected:
        assert _methods(got.pop("allow")) == _methods(expected.pop("allow"))
    assert got == expected
    if want["fields"].get("content-type") == "text/html; charset=iso-8859-1":
        # a page of the server's own making: the canned page or an ErrorDocument text
        mine = r.body.decode("latin-1") if isinstance(r.body, bytes) else ""
        assert mine == want["body"].replace(APACHE_BANNER, server_banner("Full"))
