"""Without a CGI module, a cgi-script file is refused, never sent as its source."""
from pathlib import Path

from tests.e2e.servers import raw_request, start_httpd


def test_scriptalias_file_is_not_sent_as_source(tmp_path: Path):
    (tmp_path / "cgi-bin").mkdir()
    (tmp_path / "cgi-bin" / "s.cgi").write_text("#!/bin/sh\necho SECRET-SOURCE\n")
    (tmp_path / "htdocs").mkdir()
    srv = start_httpd(tmp_path, f"DocumentRoot {tmp_path}/htdocs\n"
                                f"ScriptAlias /cgi-bin/ {tmp_path}/cgi-bin/\n"
                                f"<Directory {tmp_path}/cgi-bin>\nRequire all granted\n"
                                "</Directory>\n")
    try:
        data, _ = raw_request(srv.port, b"GET /cgi-bin/s.cgi HTTP/1.0\r\n\r\n", wait=1.0)
    finally:
        srv.stop()
    assert data.startswith(b"HTTP/1.1 403 Forbidden")
    assert b"SECRET-SOURCE" not in data
