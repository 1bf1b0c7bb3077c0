"""prefork's idle-server maintenance (reference section 2.1) on a simulated board."""
from __future__ import annotations

from mpms.prefork.runtime import PreforkRuntime


class FakeSettings:
    def __init__(self, start, min_spare, max_spare, limit):
        self.start_servers = start
        self.min_spare_servers = min_spare
        self.max_spare_servers = max_spare
        self.max_request_workers = limit


class FakeChildren:
    """Every child idle; a pod byte takes one child away before the next tick."""

    def __init__(self, n):
        self.n = n
        self.leaving = 0

    def __len__(self):
        return self.n

    def idle_count(self, _gen):
        return self.n

    def free_slots(self, limit, want):
        return list(range(self.n, min(limit, self.n + want)))

    def tick(self):
        self.n -= self.leaving
        self.leaving = 0


class FakePod:
    def __init__(self, kids):
        self.kids = kids

    def signal(self):
        self.kids.leaving += 1
        return True


def runtime(start, min_spare, max_spare, limit):
    rt = PreforkRuntime.__new__(PreforkRuntime)
    rt.settings = FakeSettings(start, min_spare, max_spare, limit)
    rt.children = FakeChildren(start)
    rt.pods = [FakePod(rt.children)]
    rt.num_buckets, rt._kill_bucket = 1, -1
    rt.generation = 0
    rt.spawn_rate = 1
    rt.hold_off = 0
    rt.reported_max_workers = False
    rt.logged = []
    rt.log = lambda level, msg, module="mpm_prefork": rt.logged.append((level, msg))

    def make_child(slot):
        rt.children.n += 1

    rt.make_child = make_child
    return rt


def test_the_ramp_matches_apache_observed_counts():
    # StartServers 1, MinSpareServers 80, MaxSpareServers 90, MaxRequestWorkers 100
    rt = runtime(1, 80, 90, 100)
    counts = []
    for _ in range(14):
        rt.children.tick()
        rt.idle_server_maintenance()
        counts.append(len(rt.children))
    assert counts[:9] == [2, 4, 8, 16, 32, 64, 96, 96, 95]
    assert counts[9:] == [94, 93, 92, 91, 90]
    busy = [m for lvl, m in rt.logged if lvl == "info"]
    assert busy == [
        "AH00162: server seems busy, (you may need to increase StartServers, or "
        f"Min/MaxSpareServers), spawning {n} children, there are {n} idle, and {n} total "
        "children" for n in (8, 16, 32)] + [
        "AH00162: server seems busy, (you may need to increase StartServers, or "
        "Min/MaxSpareServers), spawning 32 children, there are 64 idle, and 64 total children"]


def test_max_request_workers_reached_is_logged_once_and_resets_the_rate():
    rt = runtime(3, 10, 11, 3)
    for _ in range(3):
        rt.idle_server_maintenance()
    assert rt.logged == [("error", "AH00161: server reached MaxRequestWorkers setting, "
                                   "consider raising the MaxRequestWorkers setting")]
    assert rt.spawn_rate == 1 and len(rt.children) == 3


def test_idle_within_range_resets_the_rate():
    rt = runtime(5, 2, 8, 10)
    rt.spawn_rate = 16
    rt.idle_server_maintenance()
    assert rt.spawn_rate == 1 and len(rt.children) == 5 and not rt.logged


def test_hold_off_after_graceful_keeps_the_rate_from_doubling():
    rt = runtime(1, 20, 30, 40)
    rt.hold_off = 2
    rt.idle_server_maintenance()
    rt.idle_server_maintenance()
    assert rt.spawn_rate == 1 and len(rt.children) == 3
    rt.idle_server_maintenance()
    assert rt.spawn_rate == 2
