"""A file body the handler does not read whole (past SMALL_FILE) goes out from a memory map when EnableMMAP is
on (Apache's default: a file bucket is read through apr_mmap_create), in one writev with
the head, and in pieces read from the file with EnableMMAP Off; the bytes on the wire
are the same either way, whole files and byte ranges (at offsets no page boundary
falls on), under prefork (blocking writes) and event (write completion)."""
from __future__ import annotations

import pytest

from httpd.io import response_write
from httpd.request.record import SMALL_FILE, FileRange
from tests.e2e.servers import raw_request, start_httpd

SIZE = SMALL_FILE + 40 * 1024 + 7        # past what the handler reads whole
DATA = bytes((i * 7 + i // 251) & 0xFF for i in range(SIZE))


def _body(raw: bytes) -> tuple[bytes, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return head, body


@pytest.fixture(scope="module", params=["prefork", "event"])
def server(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"mmap-{request.param}")
    docs = root / "htdocs"
    (docs / "plain").mkdir(parents=True)
    (docs / "big.bin").write_bytes(DATA)
    (docs / "plain" / "big.bin").write_bytes(DATA)
    body = (f"DocumentRoot {docs}\n<Directory {docs}>\nRequire all granted\n</Directory>\n"
            f"<Directory {docs}/plain>\nEnableMMAP Off\n</Directory>\n")
    args = ("-X",) if request.param == "prefork" else ("-DFOREGROUND",)
    s = start_httpd(root, body, args=args, mpm=request.param)
    yield s
    s.stop()


def _get(server, path: str, extra: str = "") -> tuple[bytes, bytes]:
    raw = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n"
    data, _ = raw_request(server.port, raw.encode())
    return _body(data)


@pytest.mark.parametrize("path", ["/big.bin", "/plain/big.bin"])
def test_the_whole_file(server, path):
    head, body = _get(server, path)
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert f"Content-Length: {SIZE}".encode() in head
    assert body == DATA


@pytest.mark.parametrize("path", ["/big.bin", "/plain/big.bin"])
def test_a_range_off_the_page_boundaries(server, path):
    head, body = _get(server, path, "Range: bytes=5001-290000\r\n")
    assert head.startswith(b"HTTP/1.1 206 Partial Content")
    assert body == DATA[5001:290001]


def test_two_ranges_in_multipart(server):
    head, body = _get(server, "/big.bin", "Range: bytes=0-20000,40000-299999\r\n")
    assert head.startswith(b"HTTP/1.1 206 Partial Content")
    assert DATA[0:20001] in body and DATA[40000:300000] in body


def test_keep_alive_after_a_mapped_body(server):
    one = b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n"
    last = b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    data, closed = raw_request(server.port, one + one + last)
    assert data.count(b"HTTP/1.1 200 OK") == 3 and data.count(DATA) == 3


def test_a_file_shorter_than_its_range_is_not_mapped(tmp_path):
    """The file shrank after the handler looked at it: no map (the read path sends what
    is left and closes the connection, as before)."""
    p = tmp_path / "f"
    p.write_bytes(b"x" * 40000)
    assert response_write._map_range(FileRange(str(p), 0, 50000)) is None
    view = response_write._map_range(FileRange(str(p), 4097, 30000))
    assert view is not None and bytes(view) == b"x" * 30000
    assert response_write._map_range(FileRange(str(tmp_path / "gone"), 0, 10)) is None
