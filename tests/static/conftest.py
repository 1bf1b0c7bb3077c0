"""One real apache2 and one config of ours over the same DocumentRoot, for the session."""
from __future__ import annotations

import pytest

from tests.static import harness as H


class Pair:
    def __init__(self, root, doc, apache, process):
        self.root, self.doc, self.apache, self.process = root, doc, apache, process

    def ours(self, raw: bytes, request_time=None, after=None):
        return H.serve(self.process, self.doc, raw, request_time, after)[0]

    def serve(self, raw: bytes, request_time=None, after=None):
        """(our Response, our Request)."""
        return H.serve(self.process, self.doc, raw, request_time, after)

    def theirs(self, raw: bytes) -> H.Response:
        method = raw.split(b" ", 1)[0]
        return H.Response.parse(self.apache.exchange(raw), head_only=method == b"HEAD")

    def both(self, raw: bytes, after=None):
        return self.ours(raw, after=after), self.theirs(raw)

    def same(self, raw: bytes, after=None):
        """Assert Apache and ours answer alike: the whole head and body for a response
        the handler makes, the status (and Allow) for an error page of another module."""
        ours, theirs = self.both(raw, after)
        if ours.status >= 400 and ours.status != 412:
            assert ours.status == theirs.status, (raw, ours.status, theirs.status)
            return ours, theirs
        assert H.normalise(ours) == H.normalise(theirs), raw
        return ours, theirs


@pytest.fixture(scope="session")
def pair(tmp_path_factory):
    if H.APACHE is None:
        pytest.skip("apache2 is not installed")
    root = tmp_path_factory.mktemp("static")
    doc = H.make_docroot(root)
    port = H.free_port()
    body = H.config_body(doc, port)
    apache = H.Apache(root, body, port, extra=H.apache_extra(doc))
    try:
        yield Pair(root, doc, apache, H.load_process(root, body))
    finally:
        apache.stop()


@pytest.fixture(scope="session")
def ours_only(tmp_path_factory):
    """Our side alone (no apache2 needed), on the same document root and config."""
    root = tmp_path_factory.mktemp("static-ours")
    (root / "logs").mkdir()
    doc = H.make_docroot(root)
    body = H.config_body(doc, 8080)
    return Pair(root, doc, None, H.load_process(root, body))
