"""mpm_netware's process (mpm_netware.c ap_mpm_run, worker_main,
perform_idle_server_maintenance, the console command handler) over the one-process
runtime (httpd/mpm/threadslots.py).

- The main thread, once a second, counts idle workers (STARTING or READY): above
  MaxSpareThreads it marks the last live one IDLE_KILL ("I"), which leaves before its
  next connection; below MinSpareThreads it starts up to the spawn rate in free slots
  within MaxThreads (1, 2, 4 ... 64 a second), AH00220 once when none is free, AH00221
  from a rate of 8.
- A worker also leaves when a restart or a shutdown is pending, and after
  MaxConnectionsPerChild connections (each thread is NetWare's "child").
- Stop: SIGTERM/SIGABRT (SIGINT too here), AH00226 once every thread has ended.  A
  restart (the console's RESTART, and here SIGHUP and SIGUSR1, which NetWare did not
  have) is always graceful: AH00227, every worker ends, the config is read again and
  StartThreads workers start.
- The console: on a terminal, standard input takes the APACHE2 commands (RESTART,
  SHUTDOWN, VERSION, MODULES, DIRECTIVES, SETTINGS, HELP; the first three letters
  decide, with or without the "APACHE2 " prefix) and answers on standard output.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from httpd.mpm import children as ch
from httpd.mpm.lifecycle import max_connections_per_child
from httpd.mpm.threadslots import ThreadSlots
from httpd.module import CORE_MODULE
from mpms.netware import DEFAULT_THREAD_STACKSIZE

MAX_SPAWN_RATE = 64
IDLE = (ch.STARTING, ch.READY)
STATUS_NAMES = ((ch.DEAD, "Available:\t"), (ch.STARTING, "Starting:\t"), (ch.READY, "Ready:\t\t"),
                (ch.BUSY_READ, "Busy:\t\t"), (ch.BUSY_WRITE, "Busy Write:\t"),
                (ch.BUSY_KEEPALIVE, "Busy Keepalive:\t"), (ch.BUSY_LOG, "Busy Log:\t"),
                ("D", "Busy DNS:\t"), (ch.CLOSING, "Closing:\t"), (ch.GRACEFUL, "Restart:\t"),
                ("I", "Idle Kill:\t"))
HELP = ("Usage: APACHE2 [command] [-p <instance ID>]\n"
        "Commands:\n"
        "\tDIRECTIVES - Show directives\n"
        "\tHELP       - Display this help information\n"
        "\tMODULES    - Show a list of the loaded modules\n"
        "\tRESTART    - Reread the configuration file and restart Apache\n"
        "\tSETTINGS   - Show current thread status\n"
        "\tSHUTDOWN   - Shutdown Apache\n"
        "\tVERSION    - Display the server version information\n")


class NetWareRuntime(ThreadSlots):
    TAG = "mpm_netware"
    AH_STARTED, AH_BUILT = "AH00224", "AH00225"
    AH_STOP = "AH00226: caught SIGTERM, shutting down"
    AH_GRACEFUL = "AH00227: Graceful restart requested, doing restart"
    AH_RESTART = AH_GRACEFUL_STOP = ""
    SIGNALS = {signal.SIGTERM: "stop", signal.SIGABRT: "stop", signal.SIGINT: "stop",
               signal.SIGHUP: "graceful", signal.SIGUSR1: "graceful"}

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.console = sys.stdin is not None and sys.stdin.isatty()
        self.show_settings = False
        self.reported = 0                # connections when SETTINGS last showed them
        core = self.process.main_server.module_config[CORE_MODULE]
        size = getattr(core, "thread_stacksize", 0) or DEFAULT_THREAD_STACKSIZE
        try:
            threading.stack_size(max(size, 32768))
        except (ValueError, RuntimeError):
            pass

    # -- workers ---------------------------------------------------------------------------
    def max_requests_per_thread(self) -> int:
        return max_connections_per_child(self.process)

    def keep_serving(self, slot: int, ws: Any, served: int, limit: int) -> bool:
        if ws.status == "I":
            return False
        return super().keep_serving(slot, ws, served, limit)

    def thread_wait(self) -> float:
        return 60.0

    # -- the main thread -------------------------------------------------------------------
    def idle_server_maintenance(self) -> None:
        s = self.settings
        idle = total = 0
        free, last_live = [], -1
        for i in range(s.thread_limit):
            status = self.worker_score(i).status
            if status == ch.DEAD and i not in self.threads:
                if len(free) < self.spawn_rate:
                    free.append(i)
            elif status == "I":
                continue
            else:
                if status in IDLE:
                    idle += 1
                total += 1
                last_live = i
        if idle > s.max_spare_threads and last_live >= 0:
            self.spawn_rate = 1
            self.worker_score(last_live).set_status("I")
        elif idle < s.min_spare_threads:
            if not free:
                if not self.reported_max_workers:
                    self.log("error", "AH00220: server reached MaxRequestWorkers setting, "
                                      "consider raising the MaxRequestWorkers setting")
                    self.reported_max_workers = True
                self.spawn_rate = 1
            else:
                if self.spawn_rate >= 8:
                    self.log("info", f"AH00221: server seems busy, (you may need to increase "
                                     f"StartServers, or Min/MaxSpareServers), spawning "
                                     f"{self.spawn_rate} children, there are {idle} idle, and "
                                     f"{total} total children")
                for slot in free:
                    self.make_worker(slot)
                self.ramp_up(MAX_SPAWN_RATE)
        else:
            self.spawn_rate = 1
        if self.show_settings:
            self.display_settings()

    def startup_children(self, number: int) -> None:
        super().startup_children(min(number, self.settings.thread_limit))

    # -- the console -----------------------------------------------------------------------
    def run(self) -> int:
        if self.console:
            threading.Thread(target=self._console, daemon=True, name="httpd-console").start()
        return super().run()

    def _log_started(self) -> None:
        super()._log_started()
        if self.console:
            self.show_server_data()

    def _stop_generation(self) -> None:
        if self.console and self.threads:
            print(f"\r{'Restart' if not self.stopping else 'Shutdown'} pending. Waiting for "
                  f"{len(self.threads)} thread(s) to terminate...", end="", flush=True)
        super()._stop_generation()

    def show_server_data(self) -> None:
        from httpd.http.header_filter import server_banner
        ports = " ".join(str(ln.port) for ln in self.listeners)
        print(f"{server_banner('Full')}\n   Listening on port(s): {ports}", flush=True)
        for m in self.process.registry.loaded:
            if m.name in self.process.registry.shared:
                print(f"   Loaded dynamic module {m.name}")

    def display_settings(self) -> None:
        from httpd.http.header_filter import server_banner
        reqs, self.reported = self.connections - self.reported, self.connections
        counts: dict = {}
        for i in range(self.settings.thread_limit):
            st = self.worker_score(i).status
            counts[st] = counts.get(st, 0) + 1
        out = [f"{server_banner('Full')} "]
        total = 0
        for letter, label in STATUS_NAMES:
            out.append(f"{label}{counts.get(letter, 0)}")
            if letter != ch.DEAD:
                total += counts.get(letter, 0)
        out.append(f"Total Running:\t{total}\tout of: \t{self.settings.thread_limit}")
        out.append(f"Requests per interval:\t{reqs}")
        print("\n".join(out), flush=True)

    def _console(self) -> None:
        for line in sys.stdin:
            word = line.strip()
            if word[:8].upper() == "APACHE2 ":
                word = word[8:].strip()
            if word:
                self.console_command(word)

    def _post(self, what: str) -> None:
        self.pending.append(what)
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def console_command(self, word: str) -> None:
        """CommandLineInterpreter: the first three letters decide."""
        from httpd import SERVER_BUILT
        from httpd.http.header_filter import server_banner
        from httpd.main import info
        key = word[:3].upper()
        if key == "RES":
            print("Restart Requested...", flush=True)
            self._post("graceful")
        elif key == "VER":
            print(f"Server version: {server_banner('Full')}\nServer built:   {SERVER_BUILT}",
                  flush=True)
        elif key == "MOD":
            info.show_compiled(self.process)
            sys.stdout.flush()
        elif key == "DIR":
            info.show_directives(self.process)
            sys.stdout.flush()
        elif key == "SHU":
            print("Shutdown Requested...", flush=True)
            self._post("stop")
        elif key == "SET":
            self.show_settings = not self.show_settings
            if self.show_settings:
                self.display_settings()
            else:
                self.show_server_data()
        else:
            self.show_settings = False
            if key != "HEL":
                print(f"Unknown APACHE2 command {word}")
            print(HELP, end="", flush=True)


def run(process: Any, serving: Any, listeners: list, reload=None, on_exit=None) -> int:
    return NetWareRuntime(process, serving, listeners, reload, on_exit).run()
