"""Record real Apache's ``-t`` answers for the config corpus:
``python -m tests.conformance.config.record [--check] [caseNNN ...]``.

For every case (or the named ones) it runs, from the case folder and with only PATH and
the case's ``env`` set, ``apache2 -t -d CASE -f CASE/httpd.conf [args]`` and writes
expected.txt: the exit status, then stdout and stderr together with the case folder
written ``<CASE>`` and each error-log prefix ``[<TIMESTAMP>] [module:level] [pid
<PID>:tid <TID>] `` (README.md, "How expected.txt was produced").  ``--check`` compares
instead of writing and exits 1 on any difference.  ``APACHE=/path/to/binary`` runs
another binary through the same harness (tests/conformance/apache.py).
"""
from __future__ import annotations

import os
import sys

from tests.conformance import apache
from tests.conformance.config.cases import CASES, expected, run


def main(argv: list[str]) -> int:
    check = "--check" in argv
    names = [a for a in argv if not a.startswith("--")]
    binary = os.environ.get("APACHE") or apache.APACHE
    if binary is None:
        print("apache2 is not installed", file=sys.stderr)
        return 2
    differ = 0
    for case in CASES:
        if names and case.name not in names:
            continue
        code, out = run([binary], case)
        if check:
            if (code, out) != expected(case):
                differ += 1
                print(f"{case.name}: differs", file=sys.stderr)
        else:
            (case / "expected.txt").write_bytes(f"{code}\n{out}".encode("latin-1"))
    print(f"{differ} of {len(names) or len(CASES)} differ" if check else "written")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
