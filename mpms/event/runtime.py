"""event's process runtime (event.c event_run, perform_idle_server_maintenance).

The parent is the threaded parent (httpd/mpm/threaded/parent.py) with event's AH
numbers and its two maintenance tweaks (reference 2.3): idle threads of a process that
stopped accepting do not count, and a process is retired for too many idle threads only
when no other is still finishing (or the scoreboard has room to spare), so retirements
do not pile up.  The child is mpms/event/child.py, over httpd/mpm/threaded/child.py.
"""
from __future__ import annotations

from typing import Any

from mpms.event.child import EventChild
from httpd.mpm.threaded.parent import ThreadedParent, child_settings


class EventRuntime(ThreadedParent):
    TAG = "mpm_event"
    AH_STARTED, AH_BUILT = "AH00489", "AH00490"
    AH_STOP = "AH00491: caught SIGTERM, shutting down"
    AH_GRACEFUL_STOP = "AH00492: caught SIGWINCH, shutting down gracefully"
    AH_RESTART = "AH00494: SIGHUP received.  Attempting to restart"
    AH_GRACEFUL = "AH00493: SIGUSR1 received.  Doing graceful restart"
    AH_REACHED_MAX = "AH00484"
    AH_WITHIN_MIN_SPARE = "AH10159"
    AH_SCOREBOARD_FULL = "AH03490: scoreboard is full, not at MaxRequestWorkers.Increase " \
                         "ServerLimit."
    AH_BUSY = "AH00486"
    AH_KILLED_SUCCESSIVELY = "AH10392"
    COUNT_NOT_ACCEPTING = False

    def _may_kill(self, active: int, total: int) -> bool:
        s = self.settings
        return active == total or s.server_limit - total > s.daemons_limit

    def _log_busy(self, n: int, idle: int, active: int, total: int) -> None:
        self.log("info", f"{self.AH_BUSY}: server seems busy, (you may need to increase "
                         "StartServers, ThreadsPerChild or Min/MaxSpareThreads), spawning "
                         f"{n} children, there are around {idle} idle threads, {active} "
                         f"active children, and {total - active} children that are shutting "
                         "down")

    def child_main(self, slot: int, listeners: list, pod: Any) -> int:
        threads, max_conn = child_settings(self.process)
        factor = self.process.mpm_state.async_request_worker_factor or 2.0
        child = EventChild(self.process, self.serving, listeners, pod,
                           self.children.scoreboard, slot, self.generation, threads,
                           max_conn, factor=factor)
        return child.run()


def run(process: Any, serving: Any, listeners: list, reload=None, on_exit=None) -> int:
    """EVENT.run: the parent's life, from the first fork to the last reap."""
    return EventRuntime(process, serving, listeners, reload, on_exit).run()
