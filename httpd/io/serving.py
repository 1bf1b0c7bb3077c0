"""The serving side of a config generation: what serving a connection needs from it,
worked out once (the hook table, per-server limits, timeouts and read stages, the
virtual host tables), and what an MPM asks of the generation it serves.  The
connection loop itself is httpd/io/connection.py."""
from __future__ import annotations

import os
import socket
from typing import Any

from httpd import protocol as proto
from httpd.io.channel import DEFAULT_BODY_STAGE, DEFAULT_HEADER_STAGE, WRITE_BACKLOG_MAX
from httpd.module.hooks import DECLINED
from httpd.module import CORE_MODULE
from httpd.http.core import HTTP_MODULE


class Serving:
    """What serving needs from one config generation, computed once: the hook table,
    per-server limits and timeouts, the vhost tables."""

    def __init__(self, process: Any):
        from httpd.http import request as http_request
        from httpd.request import vhost as vhost_select
        self.process = process
        self.gen = http_request.generation(process)
        self.hooks = self.gen.hooks
        self.vhosts = vhost_select.lookup(process)
        self._conn_settings: dict[int, tuple] = {}
        self._next_id = 0
        self._process_connection = self.hooks.functions("process_connection")
        self.pre_connection = self.hooks.functions("pre_connection")
        # log_transaction's RUN_ALL runner (None: nothing joined it), looked up once
        self.log_run = self.hooks.runners["log_transaction"]

    def limits_for(self, server: Any) -> proto.Limits:
        return proto.Limits.from_core(server.module_config[CORE_MODULE])

    def timeout_for(self, server: Any) -> float:
        t = server.module_config[CORE_MODULE].timeout
        return float(t) if t else 60.0

    def read_stages(self, server: Any) -> tuple:
        """(header stage, body stage) for this server: the read_deadlines hook's answer
        (mod_reqtimeout), else the core's defaults."""
        found = self.hooks.run("read_deadlines", server)
        return (DEFAULT_HEADER_STAGE, DEFAULT_BODY_STAGE) if found == DECLINED else found

    def keepalive_timeout_for(self, server: Any) -> float:
        http = server.module_config.get(HTTP_MODULE)
        return http.effective.keep_alive_timeout if http is not None else 5.0

    def conn_settings(self, server: Any) -> tuple:
        """(limits, Timeout, KeepAliveTimeout, header stage, body stage, write backlog
        limit, pipelined responses held) for connections whose base server is
        ``server``, worked out once per server."""
        found = self._conn_settings.get(id(server))
        if found is None:
            found = self._conn_settings[id(server)] = (
                self.limits_for(server), self.timeout_for(server),
                self.keepalive_timeout_for(server), *self.read_stages(server),
                *flush_limits(server))
        return found

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- what an MPM asks of the generation it serves --------------------------------------
    @property
    def listen_settings(self):
        return self.process.mpm_state.listen

    def serve_connection(self, sock: socket.socket, addr: tuple, listener: Any,
                         score: Any = None, park: Any = None, peek: Any = None,
                         route: Any = None, preread: bytes = b"",
                         keepalives: int = 0) -> None:
        """An MPM's accepted connection: the process_connection hook first (a module
        may take it), else serve_connection."""
        for fn in self._process_connection:
            try:
                if fn(self, sock, addr, listener, score) != DECLINED:
                    return
            except Exception as e:     # the worker lives on; the connection goes
                self.log_server_error("core", "error", f"AH00000: process_connection "
                                      f"hook {getattr(fn, '__qualname__', fn)} failed: {e!r}")
                try:
                    sock.close()
                except OSError:
                    pass
                return
        from httpd.io.connection import serve_connection    # (it imports this module)
        serve_connection(self, sock, addr, sock.getsockname(), score, park, peek, route,
                         preread, keepalives)

    def log_server_error(self, module: str, level: str, msg: str) -> None:
        from httpd.log import errorlog
        errorlog.error_log(self.process.main_server, module, level, msg)

    def write_pid_file(self) -> None:
        """PidFile, as Apache's ap_log_pid (the old file is replaced)."""
        core = self.process.main_server.module_config[CORE_MODULE]
        path = self.process.server_root_relative(core.pid_fname)
        try:
            with open(path, "w") as f:
                f.write(f"{os.getpid()}\n")
        except OSError as e:
            self.log_server_error("core", "error", f"({e.errno}){os.strerror(e.errno)}: "
                                  f"AH00099: could not create {path}")


def flush_limits(server: Any) -> tuple:
    """(FlushMaxThreshold, FlushMaxPipelined) of a server, as core_output_filter reads
    them: 0 / unset threshold -> THRESHOLD_MAX_BUFFER (64 KB), the most of a response
    the event MPM's write completion may hold; unset (-1) pipelined -> 5
    (MAX_REQUESTS_IN_PIPELINE).  With FlushMaxPipelined 0 every response is flushed
    before the next request (the worker waits for the socket; no write completion);
    otherwise a connection whose response is not all out goes to write completion at
    once, so no more than one response is ever held (below any limit of 1 or more)."""
    core = server.module_config[CORE_MODULE]
    threshold = core.flush_max_threshold or WRITE_BACKLOG_MAX
    pipelined = core.flush_max_pipelined
    return threshold, 5 if pipelined is None or pipelined < 0 else pipelined
