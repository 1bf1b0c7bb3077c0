"""Forking into slots, reaping, and Apache's exit reports."""
from __future__ import annotations

import os
import signal
import time

from httpd.mpm import children as ch
from httpd.mpm.children import _SENT_KILL, Children, StatusArray, describe_exit


def _reap_all(kids: Children, seconds: float = 5.0) -> list:
    out = []
    deadline = time.monotonic() + seconds
    while len(kids) and time.monotonic() < deadline:
        out += kids.reap()
        time.sleep(0.01)
    return out


def test_status_array_is_shared_across_fork():
    st = StatusArray(3)
    assert st.letters() == "..."
    pid = os.fork()
    if pid == 0:
        st.set(1, ch.READY)
        os._exit(0)
    os.waitpid(pid, 0)
    assert st.letters() == "._."


def test_spawn_marks_starting_and_reap_frees_the_slot():
    kids = Children(4)
    child = kids.spawn(2, 0, lambda slot: 3 if slot == 2 else 9)
    assert child is not None and child.slot == 2
    assert kids.status.get(2) == ch.STARTING
    assert kids.free_slots(4, 10) == [0, 1, 3]
    ((done, status),) = _reap_all(kids)
    assert done is child and os.WEXITSTATUS(status) == 3
    assert kids.status.get(2) == ch.DEAD
    assert kids.free_slots(4, 2) == [0, 1]


def test_idle_counts_starting_and_ready_of_the_current_generation_only():
    kids = Children(4)
    a = kids.spawn(0, 0, lambda s: 0)
    b = kids.spawn(1, 1, lambda s: 0)
    c = kids.spawn(2, 1, lambda s: 0)
    _ = (a, b)
    time.sleep(0.05)
    kids.status.set(0, ch.READY)        # an old-generation child
    kids.status.set(1, ch.READY)
    kids.status.set(2, ch.BUSY_WRITE)
    assert kids.idle_count(1) == 1
    kids.mark_graceful(b)
    assert kids.idle_count(1) == 0 and kids.status.get(1) == ch.GRACEFUL
    _ = c
    _reap_all(kids)


def test_describe_exit_reports_crashes_but_not_our_own_signals():
    segv = 0x80 | signal.SIGSEGV      # WCOREDUMP set
    assert describe_exit(12, signal.SIGSEGV) == (
        "notice", "AH00052: child pid 12 exit signal Segmentation fault (11)")
    assert describe_exit(12, segv)[1].startswith("AH00051: child pid 12 exit signal "
                                                 "Segmentation fault (11), possible coredump in ")
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
        assert describe_exit(12, sig) is None
    assert describe_exit(12, 0) is None


def test_a_sigkill_the_parent_did_not_send_is_reported():
    assert describe_exit(13, signal.SIGKILL) == (
        "notice", "AH00052: child pid 13 exit signal Killed (9)")
    _SENT_KILL.add(14)                  # what Children.kill(SIGKILL) records
    assert describe_exit(14, signal.SIGKILL) is None


def test_reclaim_terminates_and_collects_every_child():
    kids = Children(2)

    def sleeper(_slot):
        time.sleep(30)
        return 0

    pids = [kids.spawn(i, 0, sleeper).pid for i in range(2)]
    logged, exited = [], []
    t0 = time.monotonic()
    kids.reclaim(lambda level, msg: logged.append(msg), terminate=True,
                 on_exit=lambda c, st: exited.append(c.pid))
    assert time.monotonic() - t0 < 2
    assert sorted(exited) == sorted(pids) and not logged and len(kids) == 0
