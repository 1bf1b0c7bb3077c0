"""Run ``httpd -t`` in-process on a small config, for the core directive tests.

The output is normalised like the conformance corpus: the case folder becomes ``<D>``
and the variable prefix of error-log lines is cut to ``[module:level] ``.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from httpd.main import cli

PREFIX = ("LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n"
          "ServerName localhost\nErrorLog error.log\n")
FIRST_LINE = PREFIX.count("\n") + 1          # line number of the body's first line
_STAMP = re.compile(r"^\[[^\]]+\] \[([^\]]+)\] \[pid \d+:tid \d+\] ", re.M)


def run_t(capsys, tmp_path: Path, body: str, *args: str, prefix: str = PREFIX):
    """(exit status, normalised stderr) of ``httpd -t`` on ``prefix + body``."""
    conf = tmp_path / "httpd.conf"
    conf.write_text(prefix + body, encoding="latin-1")
    capsys.readouterr()
    code = cli.main(["httpd", "-t", "-d", str(tmp_path), "-f", str(conf), *args])
    err = capsys.readouterr().err.replace(str(tmp_path), "<D>")
    return code, _STAMP.sub(r"[\1] ", err)


def walk_error(capsys, tmp_path: Path, body: str, *args: str) -> str:
    """The message of the AH00526 error the body causes (second line)."""
    code, err = run_t(capsys, tmp_path, body, *args)
    assert code == 1, err
    first, _, msg = err.partition("\n")
    assert first.startswith("AH00526: Syntax error on line "), err
    return msg.rstrip("\n")


def syntax_ok(capsys, tmp_path: Path, body: str, *args: str) -> str:
    """Assert the body is accepted; return what was printed before ``Syntax OK``."""
    code, err = run_t(capsys, tmp_path, body, *args)
    assert code == 0 and err.endswith("Syntax OK\n"), err
    return err[:-len("Syntax OK\n")]


def load(tmp_path: Path, body: str):
    """Read and walk ``PREFIX + body``; return the Process, to inspect the configs."""
    conf = tmp_path / "httpd.conf"
    conf.write_text(PREFIX + body, encoding="latin-1")
    opts = cli.parse_args("httpd", ["-t", "-d", str(tmp_path), "-f", str(conf)])
    process = cli.make_process("httpd", opts, stream=io.StringIO())
    cli.load_config(process, opts)
    return process


def core(server):
    """A server's core config."""
    return server.module_config["core_module"]
