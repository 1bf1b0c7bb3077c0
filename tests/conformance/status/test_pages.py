"""mod_status's ?auto fields and HTML page against real Apache 2.4.71's output, captured
in apache/ (prefork with MaxRequestWorkers 6 and event with ServerLimit 4 /
ThreadsPerChild 5 / MaxRequestWorkers 10; numbers and times normalised)."""
from __future__ import annotations

from pathlib import Path

import pytest

from directives.mod_status.page import (
    render,
)
from tests.directives.mod_status.boards import (EVENT_GEOMETRY, PREFORK, PREFORK_OFF,
                                               PREFORK_ON, board, keys, norm, snap)

APACHE = Path(__file__).parent / "apache"


@pytest.mark.parametrize("capture, sb, extended, is_async, mpm", [
    ("on.auto", lambda: board(256, 1, 6, 1, {(0, 0): ("_", 3), (1, 0): ("W", 4)}), True,
     False, "prefork"),
    ("off.auto", lambda: board(256, 1, 6, 1, PREFORK_OFF, False), False, False, "prefork"),
    ("ev.auto", lambda: board(4, 64, 2, 5, {(0, 4): ("W", 1), (1, 0): ("_", 0)}), True,
     True, "event"),
])
def test_auto_fields_and_order_match_apache(capture, sb, extended, is_async, mpm):
    real = (APACHE / capture).read_text(encoding="latin-1")
    ours = render(snap(sb(), extended, is_async, mpm), short=True, no_table=False)
    assert keys(ours) == keys(real)
    assert norm(ours).splitlines()[1:] != [] and ours.splitlines()[0] == "127.0.0.1"
    # the scoreboard line: same letters, same length (slots past the limits left out)
    assert ours.splitlines()[-1].split(": ")[1].count(".") == \
        real.splitlines()[-1].split(": ")[1].count(".")


@pytest.mark.parametrize("capture, slots, extended, no_table, geometry, mpm", [
    ("on.html", PREFORK_ON, True, False, PREFORK, "prefork"),
    ("notable.html", {(0, 0): ("_", 9, 18432), (1, 0): ("W", 9, 10138)}, True, True,
     PREFORK, "prefork"),
    ("off.html", {(0, 0): ("_", 0), (1, 0): ("W", 0)}, False, False, PREFORK, "prefork"),
    ("ev.html", {(0, 0): ("W", 0), (1, 0): ("_", 1), (1, 1): ("_", 1)}, True, False,
     EVENT_GEOMETRY, "event"),
    ("ev-notable.html", {(0, 0): ("_", 1, 4301), (0, 1): ("_", 1, 986), (0, 4): ("W", 0),
                         (1, 0): ("_", 1, 476), (1, 1): ("_", 1, 974)}, True, True,
     EVENT_GEOMETRY, "event"),
])
def test_html_matches_apache(capture, slots, extended, no_table, geometry, mpm):
    """The whole page, byte for byte once numbers, times and request lines are masked."""
    real = (APACHE / capture).read_text(encoding="latin-1")
    sb = board(*geometry, slots, extended)
    ours = render(snap(sb, extended, mpm == "event", mpm), short=False, no_table=no_table)
    assert norm(ours) == norm(real)
