"""A RewriteMap prg: program's standard error is the server's error log, as in Apache.

Apache starts the program at post_config, after ap_open_logs pointed the server's stderr
at the main ErrorLog, and the program inherits it: what it writes there lands in the
error log (a file, or a piped ErrorLog's program), never on the terminal that started
the server, also under -X.  Pinned on apache2 where it is installed.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .servers import APACHE, answer, start_apache, start_httpd

PRG = """\
#!/bin/sh
echo "prg-started" >&2
while read k; do echo "prg-got-$k" >&2; echo "/v.txt"; done
"""

KINDS = ["ours"] + (["apache"] if APACHE else [])


def _setup(root: Path, errorlog: str) -> str:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "v.txt").write_text("mapped\n")
    prg = root / "map.sh"
    prg.write_text(PRG)
    prg.chmod(0o755)
    body = textwrap.dedent(f"""\
        DocumentRoot {root}/docs
        <Directory {root}/docs>
        Require all granted
        </Directory>
        RewriteEngine On
        RewriteMap m prg:{root}/map.sh
        RewriteRule ^/x/(.*)$ ${{m:$1}} [PT]
        """)
    if errorlog:
        body += f"ErrorLog {errorlog}\n"     # the last ErrorLog wins
    return body


def _run(kind: str, root: Path, body: str) -> str:
    """Start the server with its stdout and stderr in a file, ask for /x/key, stop it;
    what the server printed."""
    term = root / "terminal.out"
    with open(term, "wb") as out:
        start = start_httpd if kind == "ours" else start_apache
        server = start(root, body, popen={"stdout": out, "stderr": out},
                       modules=("authz_core", "rewrite"))
        try:
            status, _, content = answer(server, "GET /x/key HTTP/1.1\r\nHost: localhost\r\n"
                                        "Connection: close\r\n\r\n")
            assert (status, content) == (200, b"mapped\n")
        finally:
            server.stop()
    return term.read_text(errors="replace")


@pytest.mark.parametrize("kind", KINDS)
def test_prg_stderr_goes_to_the_error_log_file(kind, tmp_path):
    body = _setup(tmp_path, "")
    printed = _run(kind, tmp_path, body)
    log = (tmp_path / "logs" / "error_log").read_text(errors="replace")
    assert "prg-started" in log and "prg-got-key" in log, log
    assert "prg-" not in printed, printed


@pytest.mark.parametrize("kind", KINDS)
def test_prg_stderr_goes_to_a_piped_error_log(kind, tmp_path):
    piped = tmp_path / "piped.log"
    body = _setup(tmp_path, f'"|/bin/sh -c \\"cat >> {piped}\\""')
    printed = _run(kind, tmp_path, body)
    log = piped.read_text(errors="replace") if piped.exists() else ""
    assert "prg-started" in log and "prg-got-key" in log, log
    assert "prg-" not in printed, printed
