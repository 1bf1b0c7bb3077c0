"""Random and mutated configs never crash the checker: only `Syntax OK` or an error
that names a file and a line (or one of Apache's file-less start-up errors)."""
from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httpd.main.cli import main

CASES = Path(__file__).resolve().parents[1] / "conformance" / "config"
SEEDS = [p.read_bytes().decode("latin-1") for p in sorted(CASES.glob("case*/httpd.conf"))]

ACCEPTABLE = re.compile(
    r"Syntax OK$"
    r"|Syntax error on line \d+ of "
    r"|Syntax error in -C/-c directive"
    r"|AH00534: httpd: Configuration error"
    r"|AH00543: httpd: bad user name"
    r"|AH00544: httpd: bad group name"
    r"|AH00014: Configuration check failed"
    r"|Could not open configuration file", re.M)

WORDS = st.sampled_from([
    "ServerName", "Listen", "<Directory", "</Directory>", "<IfModule", "</IfModule>",
    "Include", "Define", "${X}", "\"", "'", "\\", "#", ">", "<", "LoadModule",
    "mpm_prefork_module", "mpm_worker_module", "x.so", "<VirtualHost", "</VirtualHost>",
    "StartServers", "-1", "0", "abc", "*", "<If", "</If>", "Use", "<Macro", "Require", "all",
    "granted", "DocumentRoot", "/", "\t", " ", "\n", "\\\n", "UnDefine", "<IfVersion", ">=",
    "2.4", "Alias", "Options", "+Indexes", "None", "<Else>", "</Else>", "IncludeOptional",
])


def check(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        conf = Path(d) / "httpd.conf"
        conf.write_bytes(text.encode("latin-1", "replace"))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["httpd", "-t", "-d", d, "-f", str(conf)])
        text_out = err.getvalue()
        assert "Traceback" not in text_out
        assert code in (0, 1)
        if code == 0:
            assert text_out.rstrip().endswith("Syntax OK")
        else:
            assert ACCEPTABLE.search(text_out), text_out


PREFIX = ("LoadModule mpm_prefork_module modules/mod_mpm_prefork.so\n"
          "ServerName localhost\nErrorLog error.log\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(WORDS, max_size=6).map(" ".join), max_size=12).map("\n".join))
def test_random_configs(body):
    check(PREFIX + body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_configs(seed, data):
    text = seed
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["insert", "delete", "dup"]))
        if op == "insert":
            text = text[:pos] + data.draw(WORDS) + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + data.draw(st.integers(1, 20)):]
        else:
            text = text[:pos] + text[pos:pos + 40] + text[pos:]
    check(text)
