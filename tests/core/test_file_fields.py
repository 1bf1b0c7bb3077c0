"""The default handler's four file fields (Last-Modified, ETag, Accept-Ranges,
Content-Length) from its table of those already made, against the setters themselves:
the same fields and r.mtime for an old file, a file changed under a second ago (weak
ETag), each FileETag setting and MaxRanges none."""
from __future__ import annotations

import os

import pytest

from httpd.core import handler as H
from httpd.http.conditional import set_etag
from httpd.http.header_filter import (set_accept_ranges, set_content_length,
                                      set_last_modified, update_mtime)
from httpd.io.connection import request_from_head
from httpd.module import CORE_MODULE as CORE
from httpd.request.record import ConnInfo
from tests.io.serve import head_of, load_process

T = 1_700_000_000.5


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("ff")
    old, new = root / "old.bin", root / "new.bin"
    old.write_bytes(b"x" * 100)
    new.write_bytes(b"y" * 7)
    os.utime(old, (T - 3600, T - 3600))
    os.utime(new, (T - 0.25, T - 0.25))
    return root, old, new


def _record(process, path, conf_dir=None):
    _, head = head_of(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
    r = request_from_head(process, ConnInfo("127.0.0.1", 1, "127.0.0.1", 80),
                          process.main_server, head)
    r.request_time = T
    r.filename = str(path)
    r.finfo = os.stat(path)
    return r


def _general(r, d):
    update_mtime(r, r.finfo.st_mtime)
    set_last_modified(r)
    set_etag(r, d)
    set_accept_ranges(r, d)
    set_content_length(r, r.finfo.st_size)


@pytest.mark.parametrize("conf", ["", "FileETag INode MTime Size\n", "FileETag None\n",
                                  "FileETag Digest\n", "MaxRanges none\n", "FileETag MTime\n"])
@pytest.mark.parametrize("which", ["old", "new"])
def test_table_gives_what_the_setters_give(tmp_path, files, conf, which):
    root, old, new = files
    process = load_process(tmp_path, conf)
    path = old if which == "old" else new
    for _ in range(2):                 # the first fills the table, the second reads it
        ours, ref = _record(process, path), _record(process, path)
        d = ours.module_config(CORE)
        H._set_file_fields(ours, d, ours.finfo)
        _general(ref, d)
        assert ours.headers_out.items() == ref.headers_out.items()
        assert ours.headers_out._keys == ref.headers_out._keys
        assert ours.mtime == ref.mtime and ours.notes == ref.notes
    if which == "old" and "None" not in conf and "Digest" not in conf:
        assert any(k[0] == old.stat().st_ino for k in H._FILE_FIELDS)     # the table served
