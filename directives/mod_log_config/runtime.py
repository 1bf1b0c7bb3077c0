"""mod_log_config at run time: open the logs, write one line per request.

``post_config`` (Apache's open_logs hook, init_config_log) opens every server's logs:
files ServerRoot-relative in append mode, ``|program`` through httpd/log/piped.py
(restarted when it dies).  It also settles each log's format as Apache does when it
opens logs (a nickname is looked up then, so a LogFormat after the CustomLog counts)
and compiles it, so that ``log_transaction`` (multi_log_transaction) only checks the
``env=``/``expr=`` condition, walks a tuple of items and makes one write.

With ``BufferedLogs On`` lines are gathered per log up to PIPE_BUF bytes and written
when the buffer is full and when the process exits (the ``child_stopped`` hook, which
the MPMs run in a child that leaves, and atexit for the others).
"""
from __future__ import annotations

import atexit
import os
import select
import threading
from typing import Any, Optional

import attrs

from httpd.log import errorlog
from httpd.expr import ExprError
from httpd.module.hooks import OK
from httpd.log.piped import open_piped_log
from httpd.request.expr_context import RequestExprContext

from directives.mod_log_config.items import compile_format
from httpd.util.table import table_get

LOG_BUFSIZE = getattr(select, "PIPE_BUF", 512)
XFER_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT


# -- writers (ap_default_log_writer, ap_buffered_log_writer) ----------------------------

class FileWriter:
    def __init__(self, fd: int, fname: str):
        self.fd = fd
        self.fname = fname

    def write(self, data: bytes) -> None:
        # one write() per line: appends from several processes do not interleave
        n = os.write(self.fd, data)
        if n < len(data):           # a short write (a pipe): the rest, as it goes
            view = memoryview(data)[n:]
            while view:
                view = view[os.write(self.fd, view):]

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class PipeWriter(FileWriter):
    def __init__(self, piped, fname: str):
        super().__init__(piped.write_fd, fname)
        self.piped = piped

    def close(self) -> None:
        self.fd = -1
        self.piped.close()


class BufferedWriter:
    """Lines gathered up to LOG_BUFSIZE, then one write; a line that alone is as big
    goes straight through."""

    def __init__(self, inner):
        self.inner = inner
        self.fname = inner.fname
        self.buf = bytearray()
        # reentrant: a prefork child's SIGTERM handler flushes (child_stopped) in the
        # thread that may be inside write()
        self.lock = threading.RLock()

    def write(self, data: bytes) -> None:
        with self.lock:
            if len(data) + len(self.buf) > LOG_BUFSIZE:
                self._flush()
            if len(data) >= LOG_BUFSIZE:
                self.inner.write(data)
            else:
                self.buf += data

    def _flush(self) -> None:
        if self.buf:
            data, self.buf = bytes(self.buf), bytearray()
            self.inner.write(data)

    def flush(self) -> None:
        with self.lock:
            self._flush()

    def close(self) -> None:
        self.flush()
        self.inner.close()


def open_writer(process, server, fname: str, buffered: bool):
    """ap_default_log_writer_init (wrapped when buffered); None when it fails."""
    if fname.startswith("|"):
        piped = open_piped_log(fname[1:], cwd=process.server_root,
                               log=lambda m: process.log.startup(m, "emerg"))
        if piped.error is not None:
            return None
        writer: Any = PipeWriter(piped, fname)
    else:
        path = process.server_root_relative(fname)
        try:
            fd = os.open(path, XFER_FLAGS, 0o666)
        except OSError as e:
            errorlog.error_log(server, "log_config", "error",
                               f"AH00649: could not open transfer log file {path}.",
                               status=e.errno)
            return None
        writer = FileWriter(fd, fname)
    return BufferedWriter(writer) if buffered else writer


# -- per generation --------------------------------------------------------------------

@attrs.frozen
class LogTarget:
    """One log as a request's server writes to it."""

    fname: str
    writer: Any
    compiled: tuple
    condition_var: Optional[str] = None     # a leading "!" negates
    condition_expr: Any = None


@attrs.define
class Opened:
    """The logs one generation opened, to flush and close them."""

    writers: list = attrs.field(factory=list)


_CURRENT = Opened()


def _servers(process) -> list:
    return [process.main_server] + list(getattr(process, "vhosts", []) or [])


def open_logs(process) -> bool:
    """init_config_log: open every server's logs; the targets go on each server's
    MultiLogState.  False (after logging why) when a log cannot be opened."""
    from directives import mod_log_config as lc
    close_logs()
    handlers = lc.log_handlers(process)
    functions = process.registry.providers("log_item")
    buffered = lc.buffered_logs(process)
    parsed: dict[str, Any] = {}

    def parse(fmt: str):
        if fmt not in parsed:
            parsed[fmt] = lc.parse_log_string(fmt, handlers)[0]
        return parsed[fmt]

    writers: dict[int, Any] = {}
    resolved: dict[int, Any] = {}
    defaults: dict[int, Any] = {}
    for s in _servers(process):
        mls = s.module_config.get(lc.MODULE_NAME)
        if mls is None:
            continue
        default = None
        if mls.default_format_string:
            named = mls.formats.get(mls.default_format_string)
            if named is not None:
                default = parse(named)
        defaults[id(mls)] = default or mls.default_format or parse(lc.DEFAULT_LOG_FORMAT)
        for cls in mls.config_logs or mls.server_config_logs or ():
            # as open_multi_logs: the nickname is looked up in this server's table,
            # and for a log several servers share the last one to look wins
            named = mls.formats.get(cls.format_string) if cls.format_string else None
            if named is not None:
                resolved[id(cls)] = parse(named)
            else:
                resolved.setdefault(id(cls), cls.format)
            if id(cls) not in writers:
                w = open_writer(process, s, cls.fname, buffered)
                if w is None:
                    _CURRENT.writers.extend(writers.values())
                    close_logs()
                    return False
                writers[id(cls)] = w
    _CURRENT.writers.extend(writers.values())
    compiled: dict[int, tuple] = {}
    for s in _servers(process):
        mls = s.module_config.get(lc.MODULE_NAME)
        if mls is None:
            continue
        targets = []
        for cls in mls.logs():
            if id(cls) not in writers:
                continue
            items = resolved.get(id(cls)) or defaults[id(mls)]
            if id(items) not in compiled:
                compiled[id(items)] = compile_format(items, functions)
            targets.append(LogTarget(cls.fname, writers[id(cls)], compiled[id(items)],
                                     cls.condition_var, cls.condition_expr))
        mls.targets = tuple(targets)
    return True


def flush_all() -> None:
    """flush_all_logs: what BufferedLogs still holds."""
    for w in _CURRENT.writers:
        try:
            w.flush()
        except OSError:
            pass


def close_logs() -> None:
    writers, _CURRENT.writers = _CURRENT.writers, []
    for w in writers:
        try:
            w.close()
        except OSError:
            pass


atexit.register(flush_all)


def post_config(process, server) -> bool:
    """Open the error logs first (ap_open_logs runs before every other open_logs hook;
    a no-op when the core already did), then ours."""
    if not errorlog.is_open(process) and not errorlog.open_logs(process):
        process.log.startup("AH00015: Unable to open logs", "emerg")
        return False
    if not open_logs(process):
        process.log.startup("AH00015: Unable to open logs", "emerg")
        return False
    return True


def child_stopped(process, graceful: bool) -> None:
    """A child leaves (os._exit, no atexit): what BufferedLogs holds goes out, as
    Apache's child pool cleanup flush_all_logs does."""
    flush_all()


# -- the transaction -------------------------------------------------------------------

def _wanted(target: LogTarget, r) -> bool:
    var = target.condition_var
    if var is not None:
        if var[0] != "!":
            return table_get(r.subprocess_env, var) is not None
        return table_get(r.subprocess_env, var[1:]) is None
    expr = target.condition_expr
    if expr is not None:
        try:
            return expr.exec(RequestExprContext(r))
        except ExprError as e:
            errorlog.log_rerror(r, "log_config", "warn",
                                f"AH00644: Error evaluating log condition: {e}")
            return False
    return True


def log_transaction(r) -> int:
    """multi_log_transaction: every log of the request's server, in order."""
    mls = r.server.module_config.get("log_config_module")
    targets = getattr(mls, "targets", None)
    if not targets:
        return OK
    orig = r
    while orig.prev is not None:
        orig = orig.prev
    final = r
    while final.next is not None:
        final = final.next
    for target in targets:
        if (target.condition_var is not None or target.condition_expr is not None) and \
                not _wanted(target, r):
            continue
        line = target.compiled(final, orig)         # render(), without its call
        try:
            target.writer.write(line.encode("latin-1", "backslashreplace"))
        except OSError as e:
            errorlog.log_rerror(r, "log_config", "warn",
                                f"AH00646: Error writing to {target.fname}", status=e.errno)
    return OK
