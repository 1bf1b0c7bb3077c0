"""The request body as a handler reads it (r.read_body) or drops it (r.discard_body):
bytes through the sans-I/O protocol, under LimitRequestBody of the mapped directory and
mod_reqtimeout's body deadline; the client gets its 100 Continue when the handler starts
reading, if the response is a success so far."""
from __future__ import annotations

import time
from typing import Any, Optional

from httpd import protocol as proto
from httpd.io.channel import Channel, Deadline, Timeout
from httpd.request.record import Request


class BodyReader:
    """r.read_body(n): the request body through the protocol, with LimitRequestBody of
    the mapped directory; the client gets 100 Continue when it waits for it."""

    __slots__ = ("ch", "hconn", "r", "timeout", "stage", "deadline", "started", "done",
                 "buf", "source")

    def __init__(self, ch: Channel, hconn: proto.HTTPConnection, r: Request, timeout: float,
                 stage: Any):
        self.ch, self.hconn, self.r, self.timeout = ch, hconn, r, timeout
        self.stage = stage
        self.deadline: Optional[Deadline] = None
        self.started = False
        self.done = False
        self.source = None     # the body's pieces (through the input filters), once read
        # (self.buf, a bytearray, is made when reading starts: most requests never read)

    def _start(self, first: bytes, r: Request) -> None:
        self.started = True
        self.buf = bytearray()
        self._interim(first, r)
        self.source = self._raw()

    def _limit(self) -> int:
        from httpd.core.config import get_limit_req_body
        return get_limit_req_body(self.r)

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes of the body (all of it for -1); b"" at its end.  With
        input filters on the request (r.input_filters), the body they give; a filter's
        failure raises its InputFilterError (``status``: the answer)."""
        if not self.started:
            self._start(self.hconn.start_body(self._limit(), self.r.status), self.r)
            if self.r.input_filters:
                from httpd.http.filter import run_input
                self.source = run_input(self.r, self.source)
        elif self.done and not self.buf:
            return b""
        while not self.done and (n < 0 or len(self.buf) < n):
            try:
                self.buf += next(self.source)
            except StopIteration:
                self.done = True
            except Exception:
                self.done = True
                raise
        if n < 0:
            out, self.buf = bytes(self.buf), bytearray()
        else:
            out, self.buf = bytes(self.buf[:n]), self.buf[n:]
        return out

    def _raw(self):
        """The body as the client sends it, piece by piece (what input filters read)."""
        while True:
            ev = self.hconn.next_event()
            if ev is proto.NEED_DATA:
                data = self._recv()
                if data is None:
                    ev = self.hconn.timed_out()
                else:
                    self.hconn.receive_data(data)
                    continue
            if isinstance(ev, proto.BodyData):
                yield ev.data
            elif isinstance(ev, proto.EndOfBody):
                self.r.notes["trailers"] = ev.trailers
                return
            elif isinstance(ev, proto.ProtocolError):
                raise BodyError(ev)
            else:
                return

    def discard(self, r: Request) -> None:
        """ap_discard_request_body's reading for the request ``r`` whose handler calls it
        (an ErrorDocument's, after an internal redirect): the protocol's discard_body,
        with 100 Continue only when r.status is a 2xx; raises BodyError."""
        if not self.started:
            self._start(self.hconn.discard_body(self._limit(), r.status), r)
        elif not self.done:
            self.hconn.discard_body()
        self.buf.clear()
        self.read()

    def _interim(self, first: bytes, r: Request) -> None:
        if first:
            r.expecting_100 = False     # the client got its 100 Continue
            self.ch.send(first, self.timeout)

    def _recv(self) -> Optional[bytes]:
        """Bytes of the body, or None when Timeout or the body deadline passed."""
        if self.deadline is None:
            self.deadline = Deadline(self.stage, time.monotonic())
        wait = self.deadline.wait(self.timeout)
        if wait <= 0:
            return None
        try:
            data = self.ch.recv(wait)
        except Timeout:
            return None
        self.deadline.got(len(data))
        return data

    def release(self) -> None:
        """The request is over: drop the request record, so the record, its reader and
        what they hold form no reference cycle and are freed at once (not left to the
        cyclic collector: some twenty objects a request)."""
        self.r = None


class BodyError(Exception):
    """Reading the request body failed (413, 400, 408): ``status`` is the answer."""

    def __init__(self, ev: Any):
        super().__init__(ev.reason)
        self.status = ev.status
        self.event = ev
