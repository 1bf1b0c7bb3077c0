"""The connection state machine behind the package's public face (see httpd/protocol/__init__.py)."""
from __future__ import annotations

from typing import Optional, Union

from httpd.protocol._body import ChunkedReader, LengthReader, length_over_limit
from httpd.protocol._events import (DEFAULT_LIMIT_REQ_BODY, M_INVALID, METHODS, NEED_DATA,
                              NO_KEEPALIVE, PAUSED, BodyData, ConnectionClosed, EndOfBody,
                              Event, KeepAlive, Limits, ProtocolError, RequestHead,
                              merge_headers)
from httpd.protocol._head import HeadReader
from httpd.util.tokens import find_token
from httpd.protocol._response import (CONTINUE, STATUS_DROPS, KeepAliveDecision,
                                status_drops_connection,
                                ResponseHeaderError, build_head, chunk_header, frame_chunk,
                                last_chunk, set_keepalive)

__all__ = ["HTTPConnection", "Limits", "KeepAlive", "NO_KEEPALIVE", "RequestHead", "BodyData",
           "EndOfBody", "ConnectionClosed", "ProtocolError", "NEED_DATA", "PAUSED", "Event",
           "KeepAliveDecision", "ResponseHeaderError", "set_keepalive", "merge_headers",
           "frame_chunk", "chunk_header", "last_chunk", "CONTINUE", "status_drops_connection", "METHODS",
           "M_INVALID", "DEFAULT_LIMIT_REQ_BODY", "continue_bytes"]

IDLE, HEAD, BODY, DISCARD, DONE, NEXT, ERROR, CLOSED = range(8)
DEFAULT_LIMITS = Limits()
DEFAULT_KEEPALIVE = KeepAlive()
HEADER_TIMEOUT = "AH01382: Request header read timeout"
BODY_TIMEOUT = "AH01382: Request body read timeout"
AH00567 = "AH00567: request failed: error reading the headers"
# the response fields response_head looks at, in their usual spellings (no lower() per field)
_SPECIAL = {n: n.lower() for n in ("Content-Length", "Transfer-Encoding", "Content-Type",
                                   "Connection", "Date", "Server", "ETag", "Last-Modified",
                                   "Accept-Ranges", "Cache-Control", "Vary", "Expires")}


def continue_bytes() -> bytes:
    """The interim ``HTTP/1.1 100 Continue`` response."""
    return CONTINUE


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
        self._reader = HeadReader(limits)
        self._body = None
        self._conn_close = False          # c->keepalive = AP_CONN_CLOSE decided early
        self._continue_sent = False
        self._response_body = True
        self._discard_limit = DEFAULT_LIMIT_REQ_BODY
        self.head: Optional[RequestHead] = None
        self.keepalives = 0               # c->keepalives: responses kept alive so far
        self.keep_alive: Optional[bool] = None   # this response's decision, once made
        self.response_chunked = False

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

    @property
    def waiting_for_bytes(self) -> bool:
        """Waiting for a request head with nothing buffered: next_event() would answer
        NEED_DATA (the caller may read first and save the call)."""
        return self._state == IDLE and not self._buf and not self._eof

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
        ev, used = self._reader.read(self._buf, self._eof)
        if ev is None:
            return NEED_DATA
        if used:
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

    def start_body(self, limit: int = 0) -> bytes:
        """Read the request body; ``limit`` is LimitRequestBody (0: unlimited).  Returns
        bytes to write first (``HTTP/1.1 100 Continue`` when the client waits for it)."""
        if self._state != HEAD:
            raise RuntimeError("start_body() needs a request head whose body is not read")
        head = self.head
        self._discard_limit = limit
        self._body = self._reader_for(head, limit)
        self._state = BODY
        if self._wants_continue(head) and type(self._body) is not _Failed:
            self._continue_sent = True
            return CONTINUE
        return b""

    def discard_body(self, limit: int = 0, status: int = 200) -> bytes:
        """ap_discard_request_body: read and drop the body (``next_event`` then gives
        EndOfBody, or a ProtocolError such as 413).  ``status`` is the response status
        so far: one that drops the connection skips reading altogether, and a client
        expecting 100-continue gets it only with a 2xx (otherwise the body is not read
        and the connection will not be kept alive).  Returns bytes to write first."""
        state = self._state
        if state == BODY:
            self._state = DISCARD
            return b""
        if state == DONE:
            return b""
        if state != HEAD:
            raise RuntimeError("discard_body() needs a request head")
        head = self.head
        self._discard_limit = limit
        if status_drops_connection(status):
            self._conn_close = True
            self._body = LengthReader(0)
            self._state = DISCARD
            return b""
        out = b""
        if self._wants_continue(head):
            if not 200 <= status < 300:
                self._body = LengthReader(0)   # not read; expecting_100 stays: no keep-alive
                self._state = DISCARD
                return b""
            out = CONTINUE
        self._body = self._reader_for(head, limit)
        if out and type(self._body) is _Failed:
            out = b""
        elif out:
            self._continue_sent = True
        self._state = DISCARD
        return out

    # --- the response ---------------------------------------------------------------

    def response_head(self, status_line: str, headers: list, body_length: Optional[int] = None,
                      keep_alive: Union[KeepAlive, bool] = DEFAULT_KEEPALIVE,
                      head_only: Optional[bool] = None, *, nokeepalive: bool = False,
                      stopping: bool = False) -> bytes:
        """The status line and fields of the response to the current request (or to a
        ProtocolError), framed by Content-Length when ``body_length`` is known, else
        chunked for HTTP/1.1, else by closing; with Apache's Keep-Alive / Connection
        fields.  ``headers`` are the handler's fields (Date, Server, ... in order);
        Content-Length and Transfer-Encoding among them are replaced by the framing.
        ``keep_alive`` is the server's policy (False: close after this response)."""
        status = int(status_line[:3])
        head = self.head
        if head is not None and head.proto_num == 9:
            self.keep_alive = False          # HTTP/0.9: the body alone, then close
            self.response_chunked = False
            self._response_body = True
            return b""
        if status < 200:
            return build_head(status_line, headers)
        if keep_alive is True:
            policy = DEFAULT_KEEPALIVE
        elif keep_alive is False:
            policy = NO_KEEPALIVE
        else:
            policy = keep_alive
        if head_only is None:
            head_only = head.header_only if head is not None else False
        fields = []
        content_type = None
        response_close = False
        connection_at = -1
        for name, value in headers:
            key = _SPECIAL.get(name)
            if key is None:
                if name[:1] not in "CcTt":
                    fields.append((name, value))
                    continue
                key = name.lower()
            if key == "content-length":
                if body_length is None and value.isdigit():
                    body_length = int(value)
                continue
            if key == "transfer-encoding":
                continue
            if key == "content-type":
                content_type = (name, value)
                continue
            if key == "connection":
                if find_token(value, "close"):
                    response_close = True
                connection_at = len(fields)
            fields.append((name, value))
        no_body = head_only or status == 204 or status == 304
        if head is None:
            decision = set_keepalive(policy=policy, keepalives=self.keepalives, proto_num=1001,
                                     request_connection=None, status=status,
                                     header_only=head_only, has_length=body_length is not None,
                                     conn_close=True)
        else:
            decision = set_keepalive(
                policy=policy, keepalives=self.keepalives, proto_num=head.proto_num,
                request_connection=head.connection, status=status,
                header_only=head_only, has_length=body_length is not None,
                conn_close=self._conn_close,
                expecting_100=head.expect_continue and not self._continue_sent,
                response_close=response_close, nokeepalive=nokeepalive,
                via=nokeepalive and head.header("Via") is not None, stopping=stopping)
        if body_length is not None and status != 204 and not 100 <= status < 200:
            fields.append(("Content-Length", str(body_length)))
        for name, value in decision.headers:
            if name == "Connection" and connection_at >= 0:
                old = fields[connection_at]
                fields[connection_at] = (old[0], f"{old[1]}, {value}")   # apr_table_mergen
            else:
                fields.append((name, value))
        chunked = decision.chunked and not no_body
        if chunked:
            fields.append(("Transfer-Encoding", "chunked"))
        if content_type is not None:
            fields.append(content_type)
        data = build_head(status_line, fields)
        self.keep_alive = decision.keep_alive
        self.keepalives = decision.keepalives
        self.response_chunked = chunked
        self._response_body = not no_body
        return data

    def chunk(self, data: bytes) -> bytes:
        """A piece of the response body as it goes on the wire: chunked when the head
        said so, as is otherwise, nothing for HEAD / 204 / 304."""
        if not self._response_body:
            return b""
        if self.response_chunked:
            return frame_chunk(data)
        return data

    def end_chunks(self, trailers: Optional[list] = None) -> bytes:
        """The end of a chunked response body (the last chunk and trailer fields)."""
        if self.response_chunked and self._response_body:
            return last_chunk(trailers)
        return b""

    @staticmethod
    def continue_bytes() -> bytes:
        return CONTINUE

    # --- between requests -------------------------------------------------------------

    def start_next_request(self) -> bool:
        """The response is complete.  True: the connection carries on, and bytes already
        received (pipelined requests, the rest of an unread body, which is discarded
        first) are parsed by the following ``next_event`` calls.  False: close it."""
        state = self._state
        head = self.head
        keep = self.keep_alive
        if keep is None and head is not None:      # no response_head: the request's wish
            keep = (head.keep_alive_requested and not self._conn_close
                    and not (head.expect_continue and not self._continue_sent))
        if not keep or self._conn_close or state >= ERROR or head is None:
            self._close()
            return False
        if state == HEAD and head.body == "none":
            self._begin_next()          # no body to skip: straight to the next head
        elif state == HEAD:
            self._body = self._reader_for(head, self._discard_limit or DEFAULT_LIMIT_REQ_BODY)
            self._state = NEXT
        elif state == BODY or state == DISCARD:
            self._state = NEXT
        else:
            self._begin_next()
        return True

    def _begin_next(self) -> None:
        self._state = IDLE
        self._reader = HeadReader(self.limits)
        self._body = None
        self.head = None
        self._conn_close = False
        self._continue_sent = False
        self._response_body = True
        self._discard_limit = DEFAULT_LIMIT_REQ_BODY
        self.keep_alive = None
        self.response_chunked = False

    def timed_out(self) -> Event:
        """The caller's read timeout fired: what Apache does then.  Waiting for a request
        line: close without a response (AH01382 unless it was an idle keep-alive wait);
        inside the fields or the body: 408 (mod_reqtimeout)."""
        state = self._state
        if state == IDLE:
            if self._reader.line_read:
                line = self._reader.rl.the_request
                self._fail()
                return ProtocolError(408, HEADER_TIMEOUT, (HEADER_TIMEOUT, AH00567), line)
            idle = not self._buf and self._reader.pos == 0 and self.keepalives > 0
            self._close()
            return ConnectionClosed("" if idle else HEADER_TIMEOUT)
        if state == BODY or state == DISCARD:
            self._fail()
            return ProtocolError(408, BODY_TIMEOUT, request_line=self.head.request_line)
        self._close()
        return ConnectionClosed(BODY_TIMEOUT if state == NEXT else "")
