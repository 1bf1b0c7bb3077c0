"""FlushMaxThreshold and FlushMaxPipelined as core_output_filter reads them: the most of
a response the event MPM's write completion holds (0 or unset: 64 KB), and whether a
response must be all out before the next request is read (FlushMaxPipelined 0); a
virtual host has its own."""
from __future__ import annotations

from httpd.io.channel import WRITE_BACKLOG_MAX
from httpd.io.serving import Serving, flush_limits
from tests.directives import harness


def test_the_defaults(tmp_path):
    p = harness.load(tmp_path, "")
    assert flush_limits(p.main_server) == (WRITE_BACKLOG_MAX, 5)
    p = harness.load(tmp_path, "FlushMaxThreshold 0\nFlushMaxPipelined -1\n")
    assert flush_limits(p.main_server) == (WRITE_BACKLOG_MAX, 5)


def test_configured_and_per_virtual_host(tmp_path):
    p = harness.load(tmp_path, "FlushMaxThreshold 1000\nFlushMaxPipelined 0\n"
                               "<VirtualHost *:80>\nServerName v\nFlushMaxThreshold 99\n"
                               "</VirtualHost>\n")
    assert flush_limits(p.main_server) == (1000, 0)
    vhost = p.vhosts[0]
    assert flush_limits(vhost)[0] == 99
    assert Serving(p).conn_settings(p.main_server)[-2:] == (1000, 0)


def test_pipelined_responses_all_arrive_with_flush_each(tmp_path):
    """Under event, FlushMaxPipelined 0 flushes every response before the next request
    (no write completion), and the default leaves large ones to it: the bytes are
    the same."""
    from tests.e2e.servers import raw_request, start_httpd
    docs = tmp_path / "htdocs"
    docs.mkdir()
    data = bytes(range(256)) * 1200              # 300 KB: past the write backlog
    (docs / "f.bin").write_bytes(data)
    one = b"GET /f.bin HTTP/1.1\r\nHost: localhost\r\n\r\n"
    last = b"GET /f.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    for setting in ("FlushMaxPipelined 0\n", ""):
        root = tmp_path / ("each" if setting else "default")
        root.mkdir()
        body = (f"DocumentRoot {docs}\n<Directory {docs}>\nRequire all granted\n"
                f"</Directory>\n{setting}")
        server = start_httpd(root, body, args=("-DFOREGROUND",), mpm="event")
        try:
            got, closed = raw_request(server.port, one + one + last)
        finally:
            server.stop()
        assert closed and got.count(b"HTTP/1.1 200 OK") == 3 and got.count(data) == 3
