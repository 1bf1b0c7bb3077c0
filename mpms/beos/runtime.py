"""beos's process (beos.c ap_mpm_run, worker_thread, perform_idle_server_maintenance)
over the one-process runtime (httpd/mpm/threadslots.py).

- Every thread polls the listeners and the UDP control socket (bound on 127.0.0.1; an
  ephemeral port where beos.c took 7772, so that servers can run side by side) under
  the accept mutex; a datagram there is a "die!": the thread that reads it leaves.
  Stop and restart send one "die!" per assigned slot, then give the threads their
  connection's end.
- A thread leaves after MaxRequestsPerThread connections (0: never), and its slot is
  refilled at once ("spawning a new worker thread in slot N") unless a restart or a
  stop is pending.
- Maintenance, once a second, fills empty slots up to MaxClients, doubling from 1 to
  32 threads a tick while slots were free, back to 1 when none is; Min/MaxSpareThreads
  do not steer it, as in the source.
"""
from __future__ import annotations

import socket
from typing import Any

from httpd.mpm.parent import PARENT_SIGNALS
from httpd.mpm.threadslots import ThreadSlots

MAX_SPAWN_RATE = 32


class BeOSRuntime(ThreadSlots):
    TAG = "mpm_beos"
    AH_STOP = "caught SIGTERM, shutting down"
    AH_GRACEFUL_STOP = ""                 # 2.0 has no graceful stop: SIGWINCH is ignored
    AH_RESTART = "SIGHUP received.  Attempting to restart"
    AH_GRACEFUL = "SIGUSR1 received.  Doing graceful restart"

    SIGNALS = {sig: what for sig, what in PARENT_SIGNALS.items() if what != "graceful-stop"}

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.setblocking(False)
        self.max_child_assigned = 0

    def _log_started(self) -> None:       # 2.0's lines have no AH numbers
        from httpd.http.header_filter import server_banner
        from httpd.mpm.parent import _built
        self.log("notice", f"{server_banner('Full')} configured -- resuming normal operations")
        self.log("info", f"Server built: {_built()}")
        line = getattr(self.process, "command_line", None) or self.process.argv0
        self.log("notice", f"AH00094: Command line: '{line}'", module="core")   # 2.4's core

    def make_worker(self, slot: int) -> bool:
        self.max_child_assigned = max(self.max_child_assigned, slot + 1)
        return super().make_worker(slot)

    def max_requests_per_thread(self) -> int:
        return self.settings.max_requests_per_thread

    def control_fds(self) -> list:
        return [self.udp]

    def control_message(self, fd: Any) -> bool:
        try:
            fd.recvfrom(5)
        except (BlockingIOError, InterruptedError):
            return False          # another thread read it
        except OSError as e:
            self.log("error", f"({e.errno}){e.strerror}: error getting data from UDP!!")
        return True

    def thread_exited(self, slot: int) -> None:
        import threading
        self.log("notice", f"worker_thread {threading.get_native_id()} exiting")
        if not self.stopping:          # check_restart
            self.make_worker(slot)
            self.log("info", f"spawning a new worker thread in slot {slot}")

    def tell_threads(self) -> None:
        """tell_workers_to_exit: one "die!" per slot assigned."""
        self.stopping = True
        addr = self.udp.getsockname()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(self.max_child_assigned):
                try:
                    s.sendto(b"die!", addr)
                except OSError:
                    break

    def idle_server_maintenance(self) -> None:
        free = self.free_slots(self.spawn_rate)
        if free:
            for slot in free:
                self.make_worker(slot)
            self.ramp_up(MAX_SPAWN_RATE)
        else:
            self.spawn_rate = 1

    def cleanup(self) -> None:
        self.udp.close()


def run(process: Any, serving: Any, listeners: list, reload=None, on_exit=None) -> int:
    return BeOSRuntime(process, serving, listeners, reload, on_exit).run()
