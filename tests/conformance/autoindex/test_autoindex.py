"""mod_autoindex: listings compared byte for byte with Apache 2.4.71's.

``autoindex_golden.json`` holds what real Apache answered (see record.py) for
every case of cases.py.  Here the same config is read by this server's engine,
the Request the handler would see is built by hand (the case's <Directory> and
<Location> merged onto the server's config, as map_to_storage would), and the handler's
body must be the same bytes.  Only the signature line differs: it names this server.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from directives.mod_autoindex import listing, lookup
from directives import mod_mime
from tests.conformance import apache
from tests.conformance.autoindex import cases as C
from tests.directives import harness

GOLDEN = apache.load("autoindex", "autoindex_golden.json")
TYPES = str(Path(__file__).resolve().parents[3] / "conf" / "mime.types")
APACHE_BANNER = "Apache/2.4.71 (Debian)"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = C.make_tree(tmp_path_factory.mktemp("ai") / "tree")
    C.header_dir(root)
    os.utime(root, (C.DIR_MTIME, C.DIR_MTIME))
    return root


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    import time
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(params=["subrequest", "bare"])
def lookup_mode(request, monkeypatch):
    """Entries looked up through the request layer's subrequests, or without them
    (only the type checkers run: access checks cannot hide anything)."""
    if request.param == "bare":
        monkeypatch.setattr(lookup, "_subrequests", lambda: None)
    else:
        assert lookup._subrequests() is not None      # the request layer's subrequests
    return request.param


_LOADED: dict = {}


def loaded(case: str, tree: Path, tmp_path_factory):
    if case not in _LOADED:
        d = tmp_path_factory.mktemp(f"conf-{case}")
        process = harness.load(d, C.config(case, tree, TYPES))
        assert mod_mime.post_config(process, process.main_server)
        _LOADED[case] = process
    return _LOADED[case]


def listing_request(process, case: str, uri: str, tree: Path):
    path, _, args = uri.partition("?")
    target = tree / "hdr" if case.startswith("header") else tree
    rest = path[len(f"/{case}/"):]
    filename = str(target / rest) if rest else str(target) + "/"
    secs = [s for s in harness.sections(process)
            if (s.kind == "Directory" and filename.startswith(s.path))
            or (s.kind == "Location" and path.startswith(s.path))]
    secs.sort(key=lambda s: s.kind != "Directory")     # directories merge first
    r = harness.request(process, path, picked=secs, args=args or None, filename=filename)
    r.handler = listing.DIR_MAGIC_TYPE
    r.finfo = os.stat(filename)
    return r


def ours(process, case, uri, tree):
    r = listing_request(process, case, uri, tree)
    assert listing.handle_autoindex(r) == 0
    return r


CASE_URIS = [(case, uri) for case in C.CASES for uri in C.uris(case)]


@pytest.mark.parametrize("case,uri", CASE_URIS, ids=[u for _, u in CASE_URIS])
def test_listing_matches_apache(case, uri, tree, tmp_path_factory, lookup_mode):
    if lookup_mode == "bare" and case in C.NEEDS_SUBREQUESTS:
        pytest.skip("the bare listing (no request layer) cannot run the per-entry access "
                    "checks this case is about; the same case runs in subrequest mode")
    want = GOLDEN[case][uri]
    process = loaded(case, tree, tmp_path_factory)
    r = ours(process, case, uri, tree)
    body = r.body.decode("latin-1")
    expected = want["body"].replace(APACHE_BANNER, _banner(r))
    assert body == expected
    fields = dict(want["fields"])
    assert r.content_type == fields.get("Content-Type")
    for name in ("Last-Modified", "ETag"):          # IndexOptions TrackModified
        assert r.headers_out.get(name) == fields.get(name)


def _banner(r) -> str:
    from httpd.http.header_filter import banner_of
    return banner_of(r)
