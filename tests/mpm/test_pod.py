"""The pipe of death: one byte, one child."""
from __future__ import annotations

from httpd.mpm.pod import GRACEFUL_CHAR, Pod


def test_one_byte_wakes_exactly_one_reader():
    pod = Pod()
    try:
        assert pod.check() is None              # nothing yet: non-blocking
        assert pod.signal()
        assert pod.check() == GRACEFUL_CHAR
        assert pod.check() is None              # the second child finds nothing
    finally:
        pod.close()


def test_drain_discards_stale_requests():
    pod = Pod()
    try:
        for _ in range(3):
            pod.signal()
        assert pod.drain() == 3
        assert pod.check() is None
    finally:
        pod.close()


def test_child_side_keeps_only_the_read_end():
    pod = Pod()
    r = pod.r
    pod.signal()
    pod.child_side()
    assert pod.w == -1
    assert pod.check() == b"!"
    assert pod.r == r
    pod.close()
