"""The config corpus: one folder per case (see README.md), its inputs and its answer."""
from __future__ import annotations

from pathlib import Path

from tests.conformance import apache

HERE = Path(__file__).resolve().parent
CASES = sorted(p for p in HERE.iterdir() if p.is_dir() and p.name.startswith("case"))


def inputs(case: Path) -> tuple[list[str], dict[str, str]]:
    """The case's extra arguments (``args``) and environment (``env``)."""
    env = {}
    if (case / "env").exists():
        for line in (case / "env").read_text().splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    args = []
    if (case / "args").exists():
        args = (case / "args").read_text().splitlines()
    return args, env


def run(argv: list, case: Path) -> tuple[int, str]:
    """(exit status, output) of ``argv -t`` on the case, normalised as expected.txt is."""
    args, env = inputs(case)
    return apache.run_t(argv, case, args, env)


def expected(case: Path) -> tuple[int, str]:
    """What real Apache answered: (exit status, output as apache2 printed it)."""
    text = (case / "expected.txt").read_bytes().decode("latin-1")
    first, _, rest = text.partition("\n")
    return int(first), rest
