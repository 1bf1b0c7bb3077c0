"""Serving in one process (``httpd -X``, Apache's debug mode).

The process binds the listeners, writes the PidFile, and serves connections itself: a
listener thread accepts and a bounded pool of worker threads runs each connection
(threads so that one slow client cannot stall the debugger's server).  SIGTERM or
SIGINT stop it with exit 0; like Apache's -X it leaves the PidFile behind.  Every MPM
has this mode (Apache's ONE_PROCESS define, which each MPM honours), so it lives with
the machinery they share (``MPM.one_process`` runs it unless an MPM brings its own);
the multi-process runtimes serve with the same connection code.
"""
from __future__ import annotations

import os
import selectors
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from httpd.mpm.lifecycle import child_startup
from httpd.mpm.listen import BindError, Listener, deferred_protocols, open_listeners

WORKERS = 25          # like one worker/event child's ThreadsPerChild


class OneProcess:
    def __init__(self, generation, workers: int = WORKERS):
        self.generation = generation
        self.workers = workers
        self.listeners: list[Listener] = []
        self.stopping = threading.Event()
        self._wake_r, self._wake_w = os.pipe()

    def open(self) -> None:
        self.listeners = open_listeners(self.generation.listen_settings,
                                        defer=deferred_protocols(self.generation.process))

    def stop(self, *_args) -> None:
        self.stopping.set()
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.stop)
        sel = selectors.DefaultSelector()
        for ln in self.listeners:
            ln.sock.setblocking(False)
            sel.register(ln.sock, selectors.EVENT_READ, ln)
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        serve = self.generation.serve_connection
        with ThreadPoolExecutor(max_workers=self.workers,
                                thread_name_prefix="httpd-worker") as pool:
            while not self.stopping.is_set():
                for key, _ in sel.select(timeout=1.0):
                    ln = key.data
                    if ln is None:
                        continue
                    try:
                        conn, addr = ln.sock.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError as e:
                        self.generation.log_server_error(
                            "core", "error", f"({e.errno}){os.strerror(e.errno)}: AH00052: "
                            "accept failed")
                        continue
                    conn.setblocking(True)
                    pool.submit(serve, conn, addr, ln)
            for ln in self.listeners:
                ln.sock.close()
        return 0


def run_one_process(generation) -> int:
    server = OneProcess(generation)
    try:
        server.open()
    except BindError as e:
        for line in e.lines:
            generation.process.log.startup(line, "emerg")
        generation.process.log.startup("AH00015: Unable to open logs", "emerg")
        return 1
    generation.write_pid_file()
    # bind as root, then serve as User/Group: drop_privileges and child_init, as
    # Apache's ONE_PROCESS still goes through child_main
    err = child_startup(generation.process)
    if err:
        generation.process.log.startup(err, "alert")
        return 1
    return server.run()
