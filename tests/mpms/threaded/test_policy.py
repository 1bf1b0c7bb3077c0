"""The threaded parent's spare-thread policy (reference 2.2 and 2.3) on a simulated
board: no process is forked, children are records on a real (unshared) scoreboard."""
from __future__ import annotations

import attrs

from httpd.mpm.scoreboard import Scoreboard
from httpd.mpm.children import Child
from mpms.event.runtime import EventRuntime
from httpd.mpm.threaded.parent import ThreadedParent
from mpms.worker.runtime import WorkerRuntime


@attrs.define
class Settings:
    server_limit: int = 16
    thread_limit: int = 4
    threads_per_child: int = 4
    daemons_limit: int = 8
    start_servers: int = 1
    min_spare_threads: int = 8
    max_spare_threads: int = 16


class FakeChildren:
    def __init__(self, board):
        self.scoreboard = board
        self.kids: dict[int, Child] = {}

    def __iter__(self):
        return iter(list(self.kids.values()))

    def __len__(self):
        return len(self.kids)


class FakePod:
    def __init__(self):
        self.bytes = 0

    def signal(self, char=b"!"):
        self.bytes += 1
        return True


def runtime(cls=WorkerRuntime, **kw) -> ThreadedParent:
    rt = cls.__new__(cls)
    rt.settings = Settings(**kw)
    s = rt.settings
    board = Scoreboard.create(s.server_limit, s.thread_limit, shared=False)
    rt.children = FakeChildren(board)
    rt.num_buckets = 1
    rt.child_pods = [FakePod()]
    rt.generation = 0
    rt.spawn_rate = 1
    rt.hold_off = 0
    rt.reported_max_workers = rt.reported_within_min_spare = False
    rt.logged = []
    rt.log = lambda level, msg, module=None: rt.logged.append((level, msg))

    def make_child(slot, busy=0):
        rt.children.kids[slot] = Child(1000 + slot, slot, rt.generation)
        board.process(slot).pid = 1000 + slot
        for j in range(s.threads_per_child):
            board.worker(slot, j).set_status("W" if j < busy else "_")

    rt.make_child = make_child
    return rt


def test_idle_threads_below_the_minimum_fork_children_on_the_ramp():
    rt = runtime(min_spare_threads=40, max_spare_threads=60, daemons_limit=16)
    rt.make_child(0)
    counts = []
    for _ in range(4):
        rt.idle_server_maintenance()
        counts.append(len(rt.children))
    # +1, +2, +4, then 32 idle < 40: +8, stopped by MaxRequestWorkers/ThreadsPerChild
    assert counts == [2, 4, 8, 16]
    rt.idle_server_maintenance()
    assert len(rt.children) == 16 and rt.child_pods[0].bytes == 1     # 64 idle > 60


def test_too_many_idle_threads_retire_one_child_per_tick():
    rt = runtime(min_spare_threads=4, max_spare_threads=8)
    for slot in range(4):
        rt.make_child(slot)                  # 16 idle threads
    rt.idle_server_maintenance()
    assert rt.child_pods[0].bytes == 1
    rt.idle_server_maintenance()
    assert rt.child_pods[0].bytes == 2           # nobody left yet: one more, never all at once


def test_busy_threads_and_quiescing_processes_are_not_idle():
    rt = runtime(min_spare_threads=4, max_spare_threads=12)
    rt.make_child(0, busy=3)                 # 1 idle thread
    rt.make_child(1)
    rt.children.scoreboard.process(1).quiescing = 1
    idle, active, total, _ = rt._counts()
    assert (idle, active, total) == (1, 1, 2)
    rt.idle_server_maintenance()
    assert len(rt.children) == 3             # 1 < 4: one more process


def test_at_max_request_workers_the_messages_are_apaches_and_said_once():
    rt = runtime(min_spare_threads=40, max_spare_threads=60, daemons_limit=2)
    rt.make_child(0, busy=4)
    rt.make_child(1, busy=4)
    rt.idle_server_maintenance()
    rt.idle_server_maintenance()
    said = ("AH00286: server reached MaxRequestWorkers setting, consider raising the "
            "MaxRequestWorkers setting")
    assert rt.logged == [("error", said)]
    rt.children.scoreboard.worker(0, 0).set_status("_")
    rt.idle_server_maintenance()
    assert rt.logged[-1][1].startswith("AH00287: server is within MinSpareThreads of "
                                       "MaxRequestWorkers")


def test_event_waits_for_a_retiring_child_before_retiring_another():
    rt = runtime(EventRuntime, min_spare_threads=4, max_spare_threads=8, server_limit=8,
                 daemons_limit=8)
    for slot in range(4):
        rt.make_child(slot)
    rt.children.scoreboard.process(3).quiescing = 1      # one is already leaving
    rt.idle_server_maintenance()
    assert rt.child_pods[0].bytes == 0
    rt.children.kids.pop(3)
    rt.idle_server_maintenance()
    assert rt.child_pods[0].bytes == 1


def test_event_leaves_out_the_idle_threads_of_a_process_not_accepting():
    rt = runtime(EventRuntime, min_spare_threads=8, max_spare_threads=16)
    rt.make_child(0)
    rt.make_child(1)
    rt.children.scoreboard.process(1).not_accepting = 1
    assert rt._counts()[0] == 4
    assert runtime(WorkerRuntime)._counts()[0] == 0


def test_each_listener_bucket_keeps_its_own_spare_threads():
    rt = runtime(min_spare_threads=8, max_spare_threads=16)
    rt.num_buckets = 2
    rt.child_pods = [FakePod(), FakePod()]
    rt.spawn_rate = 1
    rt.make_child(0)                 # bucket 0: 4 idle = 8 / 2 buckets
    rt.make_child(2)                 # bucket 0: 8 idle
    rt.idle_server_maintenance()
    assert sorted(rt.children.kids) == [0, 1, 2]      # bucket 1 (odd slots) got one
    for slot in (4, 6):
        rt.make_child(slot)          # bucket 0: 16 idle > 16 / 2
    rt.idle_server_maintenance()
    assert [p.bytes for p in rt.child_pods] == [1, 0]
