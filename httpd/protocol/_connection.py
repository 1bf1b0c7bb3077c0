"""The connection state machine behind the package's public face (see httpd/protocol/__init__.py)."""
from __future__ import annotations

from typing import Optional

from httpd.protocol._body import ChunkedReader, LengthReader, length_over_limit
from httpd.protocol._events import (DEFAULT_LIMIT_REQ_BODY, NEED_DATA, PAUSED, BodyData,
                                    ConnectionClosed, EndOfBody, Event, KeepAlive, Limits,
                                    ProtocolError, RequestHead, merge_headers)
from httpd.protocol._head import _WHOLE_MAX, HeadReader, _fast_head_found, fast_head, whole_head
from httpd.protocol._response import (CONTINUE, KeepAliveDecision, set_keepalive,
                                      status_drops_connection)

__all__ = ["HTTPConnection", "Limits", "KeepAlive", "RequestHead", "BodyData", "EndOfBody",
           "ConnectionClosed", "ProtocolError", "NEED_DATA", "PAUSED", "Event",
           "KeepAliveDecision", "set_keepalive", "merge_headers", "CONTINUE",
           "status_drops_connection", "DEFAULT_LIMIT_REQ_BODY"]

IDLE, HEAD, BODY, DISCARD, DONE, NEXT, ERROR, CLOSED = range(8)
DEFAULT_LIMITS = Limits()
HEADER_TIMEOUT = "AH01382: Request header read timeout"
BODY_TIMEOUT = "AH01382: Request body read timeout"
AH00567 = "AH00567: request failed: error reading the headers"


class _Failed:
    """A body reader that only reports an error found before reading (AH01588)."""

    __slots__ = ("error",)

    def __init__(self, error: ProtocolError):
        self.error = error

    def step(self, buf, eof):
        return self.error, 0


class HTTPConnection:
    """One client connection's HTTP/1.x state (Apache's conn_rec side of request reading)."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS):
        self.limits = limits
        self._buf = bytearray()
        self._eof = False
        self._state = IDLE
        self._reader: Optional[HeadReader] = None     # made when the fast path cannot say
        self._body = None
        self._conn_close = False          # c->keepalive = AP_CONN_CLOSE decided early
        self._continue_sent = False
        self._discard_limit = DEFAULT_LIMIT_REQ_BODY
        self.head: Optional[RequestHead] = None
        self.keepalives = 0               # requests this connection was kept alive after
        # keep_head: the bytes of the last request head are kept (head_bytes), so that
        # the connection can be handed to another process with everything it read
        # (an MPM that routes connections between its processes; see pending_bytes)
        self.keep_head = False
        self.head_bytes = b""

    # --- input --------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Bytes read from the client; ``b""`` when it closed its sending side."""
        if data:
            if not self._eof and self._state < ERROR:
                self._buf += data
        else:
            self._eof = True

    @property
    def buffered(self) -> int:
        """Bytes received and not yet used (pipelined requests, unread body)."""
        return len(self._buf)

    def pending_bytes(self) -> bytes:
        """Everything received for the current request and after it: its head (with
        ``keep_head``) and what is buffered (body bytes, pipelined requests).  Another
        HTTPConnection fed these bytes reads the same requests."""
        if self._state == HEAD:
            return self.head_bytes + bytes(self._buf)
        return bytes(self._buf)

    @property
    def waiting_for_bytes(self) -> bool:
        """Waiting for a request head with nothing buffered: next_event() would answer
        NEED_DATA (the caller may read first and save the call)."""
        return self._state == IDLE and not self._buf and not self._eof

    def next_event_with(self, data: bytes) -> Event:
        """``receive_data(data)`` then ``next_event()``, in one call.  A head that comes
        whole in one read of an idle connection is parsed from ``data`` itself (not
        copied into the buffer first)."""
        if data and self._state == IDLE and not self._buf and not self._eof:
            if data[-4:] == b"\r\n\r\n" and type(data) is bytes and len(data) <= _WHOLE_MAX:
                # all of it one head: whole_head, else what fast_head does after it
                ev = whole_head(data, self.limits)
                if ev is not None:
                    if self.keep_head:
                        self.head_bytes = data
                    self.head = ev
                    self._state = HEAD
                    return ev           # (must_close is False on this path)
                fast = _fast_head_found(data, self.limits)
            else:
                fast = fast_head(data, self.limits)
            if fast is not None and type(fast[0]) is RequestHead:
                ev, used = fast
                if self.keep_head:
                    self.head_bytes = data[:used]
                if used < len(data):
                    self._buf += memoryview(data)[used:]
                self.head = ev
                self._state = HEAD
                self._conn_close = ev.must_close
                return ev
        self.receive_data(data)
        return self.next_event()

    def next_event(self) -> Event:
        state = self._state
        if state == IDLE:
            return self._next_head()
        if state == BODY or state == DISCARD or state == NEXT:
            return self._next_body()
        if state == HEAD or state == DONE:
            return PAUSED
        return ConnectionClosed()

    def _next_head(self) -> Event:
        reader = self._reader
        if reader is None:
            # a fresh head: the fast path first, the line-by-line reader made only when
            # it cannot say (an incomplete head, or one it leaves to the slow path)
            fast = fast_head(self._buf, self.limits)
            if fast is None:
                reader = self._reader = HeadReader(self.limits)
                ev, used = reader.read_slow(self._buf, self._eof)
            else:
                ev, used = fast
        else:
            ev, used = reader.read(self._buf, self._eof)
        if ev is None:
            return NEED_DATA
        if used:
            if self.keep_head:
                self.head_bytes = bytes(self._buf[:used])
            del self._buf[:used]
        if type(ev) is RequestHead:
            self.head = ev
            self._state = HEAD
            self._conn_close = ev.must_close
        elif type(ev) is ProtocolError:
            self._fail()
        else:
            self._close()
        return ev

    def _next_body(self) -> Event:
        body = self._body
        buf = self._buf
        while True:
            ev, used = body.step(buf, self._eof)
            if used:
                del buf[:used]
            if ev is None:
                continue
            kind = type(ev)
            if kind is BodyData:
                if self._state == BODY:
                    return ev
                continue
            if ev is NEED_DATA:
                return ev
            if kind is EndOfBody:
                if self._state == NEXT:
                    self._begin_next()
                    return self._next_head()
                self._state = DONE
                return ev
            # a ProtocolError
            ev.request_line = self.head.request_line
            if self._state == NEXT:
                # the response went out already: Apache just closes (no second answer)
                self._close()
                return ConnectionClosed(ev.reason)
            self._fail()
            return ev

    def _fail(self) -> None:
        self._state = ERROR
        self._conn_close = True
        self._buf.clear()

    def _close(self) -> None:
        self._state = CLOSED
        self._buf.clear()

    # --- the request body ----------------------------------------------------------

    def _reader_for(self, head: RequestHead, limit: int):
        if head.body == "chunked":
            return ChunkedReader(self.limits, limit)
        if head.body == "length":
            if limit and head.content_length > limit:
                return _Failed(length_over_limit(head.content_length, limit))
            return LengthReader(head.content_length)
        return LengthReader(0)

    def _wants_continue(self, head: RequestHead) -> bool:
        """ap_http_filter sends 100 only to HTTP/1.1 clients that asked, when a body is
        coming (chunked, or a positive Content-Length) and nothing was sent yet."""
        return (head.expect_continue and not self._continue_sent and head.proto_num >= 1001
                and (head.body == "chunked"
                     or (head.body == "length" and head.content_length > 0)))

    def start_body(self, limit: int = 0, status: int = 200) -> bytes:
        """Read the request body; ``limit`` is LimitRequestBody (0: unlimited), ``status``
        the response status so far.  Returns bytes to write first: ``HTTP/1.1 100
        Continue`` when the client waits for it and the status is a 2xx; with any other
        status the body is not read at all (ap_http_filter), and the connection will
        carry no other request."""
        if self._state != HEAD:
            raise RuntimeError("start_body() needs a request head whose body is not read")
        return self._open_body(limit, status, BODY)

    def discard_body(self, limit: int = 0, status: int = 200) -> bytes:
        """ap_discard_request_body: read and drop the body (``next_event`` then gives
        EndOfBody, or a ProtocolError such as 413).  A status that drops the connection
        skips reading altogether; otherwise it is read as start_body reads it (100
        Continue only with a 2xx).  Returns bytes to write first."""
        state = self._state
        if state == BODY:
            self._state = DISCARD
            return b""
        if state == DONE:
            return b""
        if state != HEAD:
            raise RuntimeError("discard_body() needs a request head")
        if status_drops_connection(status):
            self._discard_limit = limit
            self._conn_close = True
            self._body = LengthReader(0)
            self._state = DISCARD
            return b""
        return self._open_body(limit, status, DISCARD)

    def _open_body(self, limit: int, status: int, state: int) -> bytes:
        head = self.head
        self._discard_limit = limit
        self._state = state
        if self._wants_continue(head):
            if not 200 <= status < 300:
                # not read: expecting_100 stays, so ap_set_keepalive will not keep the
                # connection, and the unread body must not be taken for a request
                self._conn_close = True
                self._body = LengthReader(0)
                return b""
            self._body = self._reader_for(head, limit)
            if type(self._body) is _Failed:
                return b""
            self._continue_sent = True
            return CONTINUE
        self._body = self._reader_for(head, limit)
        return b""

    # --- between requests -------------------------------------------------------------

    def start_next_request(self, keep_alive: bool) -> bool:
        """The response is complete; ``keep_alive`` is the server's decision for it
        (ap_set_keepalive).  True: the connection carries on, and bytes already
        received (pipelined requests, the rest of an unread body, which is discarded
        first) are parsed by the following ``next_event`` calls.  False: close it
        (as when the protocol itself must: an error, CL with TE)."""
        state = self._state
        if (state == HEAD and keep_alive and not self._conn_close and self._reader is None
                and self.head.body == "none"):
            # the usual case: no body to skip, none read, no 100 sent: straight to the
            # next head (_begin_next; what it resets beside these is unchanged here)
            self.keepalives += 1
            self._state = IDLE
            self.head = None
            self._continue_sent = False
            self._discard_limit = DEFAULT_LIMIT_REQ_BODY
            return True
        head = self.head
        if not keep_alive or self._conn_close or state >= ERROR or head is None:
            self._close()
            return False
        self.keepalives += 1
        if state == HEAD:
            self._body = self._reader_for(head, self._discard_limit or DEFAULT_LIMIT_REQ_BODY)
            self._state = NEXT
        elif state == BODY or state == DISCARD:
            self._state = NEXT
        else:
            self._begin_next()
        return True

    def _begin_next(self) -> None:
        self._state = IDLE
        self._reader = None
        self._body = None
        self.head = None
        self._conn_close = False
        self._continue_sent = False
        self._discard_limit = DEFAULT_LIMIT_REQ_BODY

    def timed_out(self) -> Event:
        """The caller's read timeout fired: what Apache does then.  Waiting for a request
        line: close without a response (AH01382 unless it was an idle keep-alive wait);
        inside the fields or the body: 408 (mod_reqtimeout)."""
        state = self._state
        if state == IDLE:
            reader = self._reader
            if reader is not None and reader.line_read:
                line = reader.rl.the_request
                self._fail()
                return ProtocolError(408, HEADER_TIMEOUT, (HEADER_TIMEOUT, AH00567), line)
            idle = (not self._buf and (reader is None or reader.pos == 0)
                    and self.keepalives > 0)
            self._close()
            return ConnectionClosed("" if idle else HEADER_TIMEOUT)
        if state == BODY or state == DISCARD:
            self._fail()
            return ProtocolError(408, BODY_TIMEOUT, request_line=self.head.request_line)
        self._close()
        return ConnectionClosed(BODY_TIMEOUT if state == NEXT else "")
