"""Real Apache 2.4's `-t` answers for 116 configs, replayed against httpd.

Each case directory holds httpd.conf (plus included files), optional `args` and `env`,
and expected.txt: the exit status, then stdout+stderr as real Apache printed them.
Both sides are normalised the same way (case dir, timestamps, program name).
KNOWN_DIFFERENCES.md lists the cases where this server answers differently, and why.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conformance import apache
from tests.conformance.config.cases import CASES, HERE, expected, run


def known_differences() -> dict[str, str]:
    text = (HERE / "KNOWN_DIFFERENCES.md").read_text()
    return dict(re.findall(r"^\| (case\d+) \| (.+?) \|$", text, re.M))


KNOWN = known_differences()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_config_case(case: Path) -> None:
    if case.name in KNOWN:
        pytest.xfail(KNOWN[case.name])
    want_code, want_out = expected(case)
    want_out = want_out.replace("apache2:", "httpd:")
    code, out = run(apache.HTTPD, case)
    assert (code, out) == (want_code, want_out)


def test_known_differences_are_few() -> None:
    """The issue's bar: at least 110 of the 116 cases exact."""
    assert len(CASES) == 116
    assert len(KNOWN) <= 6
