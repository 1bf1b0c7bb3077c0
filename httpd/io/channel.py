"""Socket I/O for one connection: reads with timeouts and mod_reqtimeout deadlines,
writes with byte counts (for %I/%O), sendfile, and Apache's lingering close."""
from __future__ import annotations

import os
import select
import socket
import struct
import time
from typing import Any, Iterable

import attrs

from httpd.request.record import ConnInfo, FileRange

READ_SIZE = 65536
# event's write completion (core_filters.c THRESHOLD_MAX_BUFFER): a response whose last
# bytes the socket cannot take now is finished by the selector once no more than this
# is left; above it the worker writes on (blocking), as Apache's core output filter does
WRITE_BACKLOG_MAX = 65536
LINGER_SECONDS = 2.0        # Apache's MAX_SECS_TO_LINGER
LINGER_BYTES = 1 << 20


@attrs.frozen
class Stage:
    """A read stage (mod_reqtimeout's header or body): the deadline starts at ``timeout``
    seconds and each ``min_rate`` bytes received add a second, up to ``max_timeout``."""

    timeout: int = 0            # seconds; 0: no deadline
    max_timeout: int = 0        # 0: no cap
    min_rate: int = 0           # bytes per second that add one second; 0: none


# The stages when no module answers the read_deadlines hook.  Apache has none without
# mod_reqtimeout (only Timeout per read); this server keeps mod_reqtimeout's defaults
# (header=20-40,MinRate=500 body=20,MinRate=500) so that a client sending one byte a
# second cannot hold a worker for ever (docs/supported.md, "Slow clients").
DEFAULT_HEADER_STAGE = Stage(20, 40, 500)
DEFAULT_BODY_STAGE = Stage(20, 0, 500)


class Deadline:
    """A read stage running: ``timeout`` seconds, extended by one second per
    ``min_rate`` bytes received, never past ``max_timeout`` (0: no deadline)."""

    __slots__ = ("end", "cap", "rate")

    def __init__(self, stage: Any, now: float):
        self.end = now + stage.timeout if stage.timeout else None
        self.cap = now + stage.max_timeout if stage.max_timeout else None
        self.rate = stage.min_rate

    def got(self, nbytes: int) -> None:
        if self.end is not None and self.rate and nbytes:
            self.end += nbytes / self.rate
            if self.cap is not None and self.end > self.cap:
                self.end = self.cap

    def wait(self, timeout: float) -> float:
        """How long the next read may wait: the socket Timeout or what is left."""
        if self.end is None:
            return timeout
        return max(0.0, min(timeout, self.end - time.monotonic()))


class ClientGone(Exception):
    """The client closed or reset the connection, or did not send in time."""


class Timeout(Exception):
    pass


_TIMEVAL = struct.Struct("@ll")


def _timeval(seconds: float) -> bytes:
    whole = int(seconds)
    micro = int((seconds - whole) * 1_000_000)
    if whole == 0 and micro == 0:
        micro = 1            # 0 would mean "no timeout" to the kernel
    return _TIMEVAL.pack(whole, micro)


class Channel:
    """Blocking socket I/O with per-phase timeouts and byte counts (for %I/%O).

    The socket stays in blocking mode and the timeouts are the kernel's (SO_RCVTIMEO,
    SO_SNDTIMEO), set only when they change: a read or a write is one system call, where
    a Python socket timeout costs a poll and a mode switch around every call."""

    __slots__ = ("sock", "info", "_rcv", "_snd", "deferrable", "backlog", "backlog_max")

    def __init__(self, sock: socket.socket, info: ConnInfo):
        self.sock = sock
        self.info = info
        self._rcv = self._snd = None
        # event: writes may leave up to WRITE_BACKLOG_MAX bytes in ``backlog`` for the
        # selector to finish (write completion) instead of blocking the worker thread
        self.deferrable = False
        self.backlog: list = []
        self.backlog_max = WRITE_BACKLOG_MAX     # FlushMaxThreshold (the connection's)
        sock.settimeout(None)      # blocking: an accepted socket may come non-blocking

    def _recv_timeout(self, timeout: float) -> None:
        if timeout != self._rcv:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(timeout))
            self._rcv = timeout

    def _send_timeout(self, timeout: float) -> None:
        if timeout != self._snd:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(timeout))
            self._snd = timeout

    def recv(self, timeout: float) -> bytes:
        if self.backlog:        # what was written goes out before we wait for an answer
            self.drain(timeout)
        if timeout != self._rcv:
            self._recv_timeout(timeout)
        try:
            data = self.sock.recv(READ_SIZE)
        except BlockingIOError:            # SO_RCVTIMEO passed
            raise Timeout() from None
        except OSError:
            raise ClientGone() from None
        self.info.bytes_in += len(data)
        return data

    def send(self, data: bytes, timeout: float) -> None:
        if not data:
            return
        if self.deferrable:
            self._send_deferring((data,), timeout)
            return
        if timeout != self._snd:
            self._send_timeout(timeout)
        try:
            self.sock.sendall(data)
        except OSError:                    # reset, closed, or SO_SNDTIMEO passed
            self.info.aborted = True
            raise ClientGone() from None
        self.info.bytes_out += len(data)

    def sendv(self, first: bytes, second: bytes, timeout: float) -> None:
        """Two buffers in one writev (sendmsg), as Apache's core output filter writes a
        response head and a file's bytes; partial writes continue where they stopped."""
        if self.deferrable:
            self._send_deferring((first, second), timeout)
            return
        if timeout != self._snd:
            self._send_timeout(timeout)
        total = len(first) + len(second)
        try:
            n = self.sock.sendmsg((first, second))
            if n < total:          # on from where it stopped, copying nothing (``second``
                if n < len(first):   # may be a file's memory map: only the kernel reads it)
                    self.sock.sendall(memoryview(first)[n:])
                    self.sock.sendall(second)
                else:
                    self.sock.sendall(memoryview(second)[n - len(first):])
        except OSError:                    # reset, closed, or SO_SNDTIMEO passed
            self.info.aborted = True
            raise ClientGone() from None
        self.info.bytes_out += total

    # -- write completion (event) -----------------------------------------------------------
    def _send_deferring(self, bufs: tuple, timeout: float) -> None:
        """Write what the socket takes without blocking; block (up to ``timeout`` per
        wait) only while more than ``backlog_max`` bytes (FlushMaxThreshold) would be left over."""
        backlog = self.backlog
        if not backlog and len(bufs) == 1:
            # the usual write: one buffer and nothing waiting, most often taken whole
            b = bufs[0]
            try:
                n = self.sock.send(b, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                n = 0
            except OSError:                # reset or closed
                self.info.aborted = True
                raise ClientGone() from None
            self.info.bytes_out += len(b)
            if n == len(b):
                return
            backlog.append(memoryview(b)[n:] if n else b)
        else:
            for b in bufs:
                if b:
                    backlog.append(b)
                    self.info.bytes_out += len(b)
            self._write_ready()
        while _pending(backlog) > self.backlog_max:
            self._wait_writable(timeout)
            self._write_ready()

    def flush(self) -> bool:
        """Write what the socket takes now; True when nothing is left."""
        self._write_ready()
        return not self.backlog

    def drain(self, timeout: float) -> None:
        """Write the whole backlog, waiting as needed (before a read or a sendfile)."""
        while self.backlog:
            self._wait_writable(timeout)
            self._write_ready()

    def _write_ready(self) -> None:
        backlog = self.backlog
        while backlog:
            try:
                n = self.sock.sendmsg(backlog[:64], (), socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:                # reset or closed
                backlog.clear()
                self.info.aborted = True
                raise ClientGone() from None
            while n:
                first = backlog[0]
                if len(first) <= n:
                    n -= len(first)
                    del backlog[0]
                else:
                    backlog[0] = memoryview(first)[n:]
                    n = 0

    def _wait_writable(self, timeout: float) -> None:
        try:
            ok = select.select([], [self.sock], [], timeout)[1]
        except (OSError, ValueError):
            ok = False
        if not ok:
            self.backlog.clear()
            self.info.aborted = True
            raise ClientGone()

    def sendfile(self, fr: FileRange, timeout: float, use_sendfile: bool,
                 read_size: int = READ_SIZE) -> int:
        """Send a file range; returns the bytes sent (short if the file shrank).  Without
        sendfile the file is read ``read_size`` bytes at a time (ReadBufferSize)."""
        if self.backlog:
            self.drain(timeout)
        sent = 0
        with open(fr.path, "rb") as f:
            if use_sendfile:
                if timeout != self._snd:
                    self._send_timeout(timeout)
                out, fd = self.sock.fileno(), f.fileno()
                offset, left = fr.offset, fr.length
                try:
                    while left > 0:
                        n = os.sendfile(out, fd, offset, min(left, 1 << 30))
                        if n == 0:         # end of file: it shrank
                            break
                        offset += n
                        left -= n
                        sent += n
                except OSError:           # reset, or SO_SNDTIMEO passed (EAGAIN)
                    self.info.bytes_out += sent
                    self.info.aborted = True
                    raise ClientGone() from None
                self.info.bytes_out += sent
                return sent
            f.seek(fr.offset)
            left = fr.length
            while left > 0:
                chunk = f.read(min(left, read_size))
                if not chunk:
                    break
                self.send(chunk, timeout)
                sent += len(chunk)
                left -= len(chunk)
        return sent

    def lingering_close(self) -> None:
        """Apache's ap_lingering_close: stop sending, drain what the client still sends
        for a short while (so it reads our response instead of a reset), then close."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_SECONDS
            drained = 0
            while drained < LINGER_BYTES:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._recv_timeout(min(left, 0.5))    # the kernel's: no poll, no mode switch
                data = self.sock.recv(READ_SIZE)
                if not data:
                    break
                drained += len(data)
        except OSError:
            pass
        finally:
            try:
                self.sock.close()
            except OSError:
                pass


def _pending(backlog: list) -> int:
    return sum(map(len, backlog))


def body_iter(body: Any) -> Iterable[Any]:
    """The pieces of a response body description, in order."""
    if body is None:
        return ()
    if isinstance(body, (bytes, bytearray, memoryview, FileRange)):
        return (body,)
    return body
