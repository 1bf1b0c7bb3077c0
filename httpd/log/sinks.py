"""Where error-log lines go: a file (appended with O_APPEND), a piped logger, stderr,
or syslog with Apache's facility names (ErrorLog FILE | "|prog" | syslog[:facility[:tag]])."""
from __future__ import annotations

import os
import sys
import syslog
from typing import Optional

from httpd.log.piped import open_piped_log

# -- destinations ---------------------------------------------------------------------


class FileSink:
    def __init__(self, fd: int):
        self.fd = fd

    def write(self, text: str, level: int) -> None:
        data = text.encode("latin-1", "backslashreplace")
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def close(self) -> None:
        if self.fd > 2:
            os.close(self.fd)
        self.fd = -1


class PipeSink(FileSink):
    def __init__(self, piped):
        super().__init__(piped.write_fd)
        self.piped = piped

    def close(self) -> None:
        self.piped.close()


class StreamSink:
    """Standard error, before the logs are open (and for -X style runs)."""

    def write(self, text: str, level: int) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()

    def close(self) -> None:
        pass


class SyslogSink:
    using_syslog = True

    def write(self, text: str, level: int) -> None:
        syslog.syslog(level if level < 8 else syslog.LOG_DEBUG, text.rstrip("\n"))

    def close(self) -> None:
        pass


FACILITIES = (("auth", syslog.LOG_AUTH), ("authpriv", syslog.LOG_AUTHPRIV),
              ("cron", syslog.LOG_CRON), ("daemon", syslog.LOG_DAEMON), ("ftp", 11 << 3),
              ("kern", syslog.LOG_KERN), ("lpr", syslog.LOG_LPR), ("mail", syslog.LOG_MAIL),
              ("news", syslog.LOG_NEWS), ("syslog", syslog.LOG_SYSLOG),
              ("user", syslog.LOG_USER), ("uucp", syslog.LOG_UUCP)) + tuple(
    (f"local{i}", getattr(syslog, f"LOG_LOCAL{i}")) for i in range(8))


def _open_syslog(process, fname: str) -> Optional[SyslogSink]:
    """``syslog``, ``syslog:facility`` or ``syslog:facility:tag`` (facility names may be
    abbreviated: Apache compares only as many letters as were given)."""
    opts = syslog.LOG_NDELAY | syslog.LOG_CONS | syslog.LOG_PID
    colon = fname.find(":")
    if colon < 0:
        syslog.openlog(process.argv0, opts, syslog.LOG_LOCAL7)
        return SyslogSink()
    facility, _, tag = fname[colon + 1:].partition(":")
    tag = tag or process.argv0
    if not facility:
        syslog.openlog(tag, opts, syslog.LOG_LOCAL7)
        return SyslogSink()
    low = facility.lower()
    for name, value in FACILITIES:
        if name[:len(low)] == low:
            syslog.openlog(tag, opts, value)
            return SyslogSink()
    process.log.startup(f"(20024)The given path is misformatted or contained invalid "
                        f"characters: AH10036: {process.argv0}: could not open syslog error "
                        f"log {fname[colon + 1:]}.", "emerg")
    return None


def open_sink(process, fname: str):
    """open_error_log: a destination for ``fname``, or None (the reason is logged)."""
    if fname.startswith("|"):
        piped = open_piped_log(fname[1:], cwd=process.server_root,
                               log=lambda m: process.log.startup(m, "emerg"), report=False)
        if piped.error is not None:
            e = piped.error
            process.log.startup(f"({e.errno}){os.strerror(e.errno or 0)}: AH00089: "
                                f"Couldn't start ErrorLog process '{fname[1:]}'.", "emerg")
            return None
        return PipeSink(piped)
    if fname[:6].lower() == "syslog":
        return _open_syslog(process, fname)
    path = process.server_root_relative(fname)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as e:
        process.log.startup(f"({e.errno}){os.strerror(e.errno)}: AH00091: {process.argv0}: "
                            f"could not open error log file {path}.", "emerg")
        return None
    return FileSink(fd)
