"""Real Apache's answers to 136 raw requests (bad-requests.json), replayed against httpd.

Each case is sent on a fresh connection to a real `httpd -X` serving the DocumentRoot of
reliability.md section 0.  The first final status and whether the server closed must be
Apache's, or the stricter answer reliability.md 1.3 recommends (STRICTER below, each with
its reason).  Cases whose answer comes from a CGI script are not counted (this release
has no mod_cgi); cases that take Apache 20-40 s of mod_reqtimeout are replayed with
short timeouts in tests/e2e/test_timeouts.py.  Nothing may ever show the canary from outside the
DocumentRoot, and no case may wedge the server.
"""
from __future__ import annotations

import pytest

from tests.conformance import apache
from tests.conformance.apache import statuses
from tests.e2e.docroot import CANARY, make_docroot, reliability_config
from tests.e2e.servers import raw_request, start_httpd

CASES = apache.load("bad_requests", "bad-requests.json")

# Where this server is deliberately stricter than Apache (reliability.md 1.3).
STRICTER = {
    "rl-http09-get": (400, True, "HTTP/0.9 answered 400 by default (HttpProtocolOptions "
                                 "Require1.0); Apache's default is Allow0.9"),
    "m-trace-with-body": (405, False, "TraceEnable defaults to off, so the method is refused "
                                      "before the body matters (Apache: on, 413)"),
    "chunk-size-huge-vs-limit": (413, True, "a declared chunk size beyond LimitRequestBody is "
                                            "refused at once (Apache waits, then 408)"),
    "lim-path-segment-256": (404, False, "ENAMETOOLONG is a missing file, not an "
                                         "authorization decision (Apache: 403)"),
}

SLOW = {c["name"] for c in CASES if c["category"] == "slow"} | {
    "misc-only-crlf", "misc-incomplete-headers", "expect-100-continue-static",
    "chunk-missing-last-chunk"}


def needs_cgi(case: dict) -> bool:
    """The answer came from a CGI script (200 or 500 from /cgi-bin), not from parsing."""
    first = case["raw"].split("\r\n", 1)[0]
    return "/cgi-bin/" in first and case["apache_status"] in (200, 500)


REPLAYED = [c for c in CASES if c["name"] not in SLOW and not needs_cgi(c)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-requests")
    docs = make_docroot(root)
    srv = start_httpd(root, reliability_config(root, docs))
    yield srv
    srv.stop()


def replay(port: int, case: dict) -> tuple[list[int], bool, bytes]:
    # a server that closes does so at once; 1 s of silence means "kept open"
    data, closed = raw_request(port, case["raw"].encode("latin-1"), wait=1.0, total=15)
    return statuses(data), closed, data


@pytest.fixture(scope="module")
def results(server):
    """Every case replayed, several at a time (each on its own connection)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=12) as pool:
        done = pool.map(lambda c: (c["name"], replay(server.port, c)), REPLAYED)
        return dict(done)


@pytest.mark.parametrize("case", REPLAYED, ids=[c["name"] for c in REPLAYED])
def test_case(server, results, case):
    got, closed, data = results[case["name"]]
    assert CANARY.encode() not in data
    finals = [s for s in got if s >= 200]
    first = finals[0] if finals else None
    want = (case["apache_status"], case["apache_closes"])
    if case["name"] in STRICTER:
        want = STRICTER[case["name"]][:2]
    assert (first, closed) == want, f"{case['notes']}\nresponse: {data[:300]!r}"
    assert server.proc.poll() is None, "the server died"


def test_server_still_answers_after_the_corpus(server):
    data, _ = raw_request(server.port, b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n"
                                       b"Connection: close\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"hello\n")


def test_stricter_answers_name_real_cases():
    names = {c["name"] for c in CASES}
    assert set(STRICTER) <= names


def test_enough_cases_replayed():
    """The acceptance bar counts every case that needs no CGI."""
    no_cgi = [c for c in CASES if not needs_cgi(c)]
    assert len(REPLAYED) + len(SLOW & {c["name"] for c in no_cgi}) == len(no_cgi)


@pytest.mark.parametrize("fold", [b"  second", b"\tsecond", b" "])
def test_obs_fold_is_refused(server, fold):
    """obs-fold (RFC 9112 section 5.2): a server may reject it with 400 or replace it
    with SP; this one rejects (a proxy in front may have split the field differently),
    on a static file as on the corpus's CGI case that Apache answers 200."""
    raw = (b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nX-Folded: first\r\n" + fold +
           b"\r\nConnection: close\r\n\r\n")
    data, closed = raw_request(server.port, raw, wait=1.0)
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n") and closed
