"""mod_deflate on bodies that are not files (what a CGI or WSGI handler produces): the
pieces of an iterable body are compressed as they come, and the result is chunked."""
from __future__ import annotations

import gzip
import random

import pytest

from httpd.http import filter as F
from tests.io.serve import head_of, load_process, respond


@pytest.fixture(scope="module")
def process(tmp_path_factory):
    return load_process(tmp_path_factory.mktemp("deflate"),
                        "LoadModule deflate_module /usr/lib/apache2/modules/mod_deflate.so\n")


def _dechunk(body: bytes) -> bytes:
    out, pos = b"", 0
    while True:
        eol = body.index(b"\r\n", pos)
        size = int(body[pos:eol], 16)
        if not size:
            return out
        out += body[eol + 2:eol + 2 + size]
        pos = eol + 4 + size


def test_streamed_body_is_compressed_as_it_comes(process):
    rnd = random.Random(3)
    pieces = [bytes(rnd.choice(b"abcdefghijklmnop") for _ in range(5000)) for _ in range(40)]

    def body():
        yield from pieces
    _, head = head_of(b"GET /x HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n")
    data, r = respond(process, head, content_type="text/plain", body=body(),
                      prepare=lambda r: F.add_output_filter("DEFLATE", None, r))
    head_bytes, _, rest = data.partition(b"\r\n\r\n")
    assert b"Content-Encoding: gzip" in head_bytes and b"chunked" in head_bytes
    assert gzip.decompress(_dechunk(rest)) == b"".join(pieces)


def test_compressible_stream_gets_a_length(process):
    """All of it fits one DeflateBufferSize pass: a Content-Length, as Apache's
    content-length filter gives when the EOS comes in the first brigade."""
    _, head = head_of(b"GET /x HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n")
    data, r = respond(process, head, content_type="text/plain",
                      body=iter([b"line " * 500] * 10),
                      prepare=lambda r: F.add_output_filter("DEFLATE", None, r))
    head_bytes, _, rest = data.partition(b"\r\n\r\n")
    assert b"Content-Length: %d" % len(rest) in head_bytes
    assert gzip.decompress(rest) == b"line " * 5000


def test_small_known_body_is_not_compressed(process):
    _, head = head_of(b"GET /x HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n")
    data, r = respond(process, head, content_type="text/plain", body=b"tiny",
                      prepare=lambda r: F.add_output_filter("DEFLATE", None, r))
    assert data.endswith(b"\r\n\r\ntiny") and b"Vary" not in data
