"""One client connection: socket bytes <-> the sans-I/O protocol <-> the request pipeline.

Every MPM (the one-process debug mode, prefork, worker, event) serves a connection by
calling ``serve_connection``.  It reads with Apache's timeouts (Timeout while a request
is in progress, KeepAliveTimeout between requests), builds the Request record, runs the
hooks, writes the response (httpd/io/response_write.py), logs the transaction and decides
whether the connection lives on.  A handler reads the body through
httpd/io/request_body.py; all socket calls go through httpd/io/channel.py.
"""
from __future__ import annotations

import socket
import time
from typing import Any, Optional

from httpd import protocol as proto
from httpd.http import request as http_request
from httpd.request import vhost as vhost_select
from httpd.request import record
from httpd.request.record import ConnInfo, Headers, Request
from httpd.io.request_body import BodyReader
from httpd.io.response_write import send_response

from httpd.io.channel import (LINGER_BYTES, LINGER_SECONDS, READ_SIZE, Channel, ClientGone,
                              Deadline, Timeout)
from httpd.io.serving import Serving
from httpd.module.hooks import DECLINED, OK


def serve_connection(serving: Serving, sock: socket.socket, addr: tuple, local: tuple,
                     score: Any = None, park: Any = None, peek: Any = None,
                     route: Any = None, preread: bytes = b"", keepalives: int = 0) -> None:
    """Serve one accepted connection until it closes (or is parked); never raises.

    ``score`` is the MPM's scoreboard slot (``set_status``, ``request_started``,
    ``request_done``), updated as Apache does: R reading a request, K waiting between
    keep-alive requests, W answering, L logging, C closing.

    ``park`` is the event MPM's selector: ``park(conn, reason, timeout)``.  With it, a
    connection that would wait for its next keep-alive request with nothing buffered is
    handed over (``"keepalive"``, KeepAliveTimeout) instead of holding the thread, and a
    closing connection's lingering read is handed over too (``"linger"``); the MPM calls
    ``resume_connection`` when the socket is readable again, or ``conn.close()``.
    ``peek()``, when given, says how long (seconds) a keep-alive connection first waits
    for its next request in this thread (0: park at once): a busy client then costs no
    trip through the selector.

    ``route(r, hconn)``, when given, is asked about every request once its virtual host
    is known (after the Host check, before any hook): True means the MPM has handed the
    connection to another process (the socket, with ``hconn.pending_bytes()``: the
    request's head and everything read after it, and ``hconn.keepalives``), and this
    process lets it go without a word.  ``preread`` and ``keepalives`` are the other
    side of a hand-off: bytes already read from the client and the requests already
    served on the connection."""
    conn = Conn(serving, sock, addr, local, route is not None)
    if preread or keepalives:
        conn.hconn.receive_data(preread)
        conn.hconn.keepalives = keepalives
    elif serving.pre_connection and not _pre_connection(conn, serving.pre_connection):
        conn.close()
        return
    conn.run(score, park, peek=peek, route=route)


def _pre_connection(conn: "Conn", functions: tuple) -> bool:
    """ap_run_pre_connection: False when a module ended the connection (it failed, or
    the client went or was too slow while a module read)."""
    for fn in functions:
        try:
            rv = fn(conn)
        except (ClientGone, Timeout):
            rv = None
        except Exception as e:     # a module's bug costs this connection only
            from httpd.log import errorlog
            errorlog.log_cerror(conn.info, "core", "error", "AH00000: pre_connection hook "
                                f"{getattr(fn, '__qualname__', fn)} failed: {e!r}")
            rv = None
        if rv != OK and rv != DECLINED:
            conn.info.aborted = True
            return False
    return True


def resume_connection(conn: "Conn", score: Any = None, park: Any = None,
                      peek: Any = None) -> None:
    """A parked connection is ready again (readable, or writable for the rest of a
    response): serve on as serve_connection would."""
    conn.run(score, park, resumed=True, peek=peek)


class Conn:
    """One client connection between requests: what serving it again needs."""

    __slots__ = ("serving", "sock", "info", "ch", "base", "hconn", "timeout", "ka_timeout",
                 "header_stage", "body_stage", "_linger_end", "_lingered", "_keep",
                 "host_check", "max_pipelined")

    def __init__(self, serving: Serving, sock: socket.socket, addr: tuple, local: tuple,
                 keep_head: bool = False):
        from httpd.request import vhost as vhost_select
        self.serving = serving
        self.sock = sock
        info = self.info = ConnInfo(client_ip=_ip(addr[0]), client_port=addr[1],
                                    local_ip=_ip(local[0]), local_port=local[1],
                                    id=serving.next_id())
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.ch = Channel(sock, info)
        base = self.base = vhost_select.update_vhost_given_ip(serving.process, info)
        self.host_check = vhost_select.host_check_needed(info, base)
        (limits, self.timeout, self.ka_timeout, self.header_stage, self.body_stage,
         self.ch.backlog_max, self.max_pipelined) = serving.conn_settings(base)
        self.hconn = proto.HTTPConnection(limits)
        self.hconn.keep_head = keep_head
        self._linger_end = 0.0
        self._lingered = 0
        self._keep = False          # the keep-alive decision while a write completes

    def run(self, score: Any = None, park: Any = None, resumed: bool = False,
            peek: Any = None, route: Any = None) -> None:
        """Serve requests until the connection closes or, with ``park``, goes idle
        (``resumed``: the selector saw the socket readable, so read before parking;
        ``peek()``: how long to wait for the next keep-alive request before parking)."""
        serving, ch, hconn, info = self.serving, self.ch, self.hconn, self.info
        base, timeout = self.base, self.timeout
        ch.deferrable = park is not None
        try:
            go_on = True
            if ch.backlog:        # resumed: the rest of a response can be written now
                if not ch.flush():
                    park(self, "write", timeout)
                    return
                go_on = hconn.start_next_request(self._keep)
                resumed = False
            while go_on:
                idle = hconn.keepalives > 0
                first = None
                if idle and park is not None and not hconn.buffered and not resumed:
                    first = self._peek(peek(), score) if peek is not None else None
                    if first is None:
                        if score is not None:
                            score.set_status("_")
                        park(self, "keepalive", self.ka_timeout)
                        return
                if score is not None:
                    score.set_status("K" if idle else "R")
                ev = _next_head(ch, hconn, self.ka_timeout if idle else timeout, timeout,
                                self.header_stage, idle, first)
                if isinstance(ev, proto.RequestHead):
                    keep = _serve_request(serving, ch, hconn, info, base, ev, timeout,
                                          self.body_stage, score, route, self.host_check)
                    if keep is HANDED_OFF:
                        return
                elif isinstance(ev, proto.ProtocolError):
                    _answer_protocol_error(serving, ch, info, base, ev, timeout)
                    keep = False
                else:                       # ConnectionClosed
                    if getattr(ev, "reason", ""):
                        from httpd.log import errorlog
                        errorlog.log_cerror(info, "reqtimeout", "info", ev.reason)
                    keep = False
                if ch.backlog and park is not None and not self._flushed(timeout):
                    # the response's last bytes wait for the socket: the selector holds
                    # the connection (write completion) and this thread goes free
                    self._keep = keep
                    if score is not None:
                        score.set_status("_")
                    park(self, "write", timeout)
                    return
                if not hconn.start_next_request(keep):
                    break
                resumed = False
        except ClientGone:
            info.aborted = True
        except Exception as e:  # a bug must cost one connection, never the worker
            info.aborted = True
            try:
                from httpd.log import errorlog
                errorlog.log_cerror(info, "core", "error",
                                    f"AH00000: connection handler failed: {e!r}")
            except Exception:
                pass
        if score is not None:
            score.set_status("C")
        if park is not None and self._start_linger():
            park(self, "linger", LINGER_SECONDS)
            return
        ch.lingering_close()

    def _flushed(self, timeout: float) -> bool:
        """FlushMaxPipelined 0: the response goes all out before the next request (the
        worker waits for the socket); True when it has."""
        if self.max_pipelined == 0:
            self.ch.drain(timeout)
            return True
        return False

    def _peek(self, wait: float, score: Any) -> Optional[bytes]:
        """Wait up to ``wait`` for the next request's first bytes (b"": the client's
        close); None when nothing came.  One recv: the kernel timeout stays at ``wait``
        from one request to the next, so a steady client costs no extra system call.
        The bytes go to _next_head, which reads a whole head from them directly."""
        if wait <= 0:
            return None
        if score is not None:
            score.set_status("K")
        try:
            return self.ch.recv(wait)
        except Timeout:
            return None

    # -- the event MPM's side of closing ---------------------------------------------------
    def _start_linger(self) -> bool:
        """Half-close for a lingering read in the selector; False when already closed."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close()
            return False
        self._linger_end = time.monotonic() + LINGER_SECONDS
        return True

    def linger_read(self) -> bool:
        """Read and drop what the client still sends; False when lingering is over."""
        try:
            self.sock.settimeout(0)
            data = self.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return time.monotonic() < self._linger_end
        except OSError:
            return False
        if not data:
            return False
        self._lingered += len(data)
        return self._lingered < LINGER_BYTES and time.monotonic() < self._linger_end

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _ip(host: str) -> str:
    return host[7:] if host.startswith("::ffff:") and "." in host else host


def _next_head(ch: Channel, hconn: proto.HTTPConnection, first_timeout: float,
               timeout: float, stage: Any, idle: bool, data: Optional[bytes] = None) -> Any:
    """The next request head (or error / close), reading as needed.  A new connection's
    header deadline runs from the start; a kept-alive one waits KeepAliveTimeout for the
    first byte, then the deadline runs (as mod_reqtimeout does).  The deadline is made
    only when the first bytes are not a whole head (most heads come in one read).
    ``data``: a kept-alive connection's first bytes, already read (the event MPM's
    peek)."""
    if data is not None or idle and hconn.waiting_for_bytes:
        # kept alive, nothing buffered: KeepAliveTimeout for the first bytes
        if data is None:
            try:
                data = ch.recv(first_timeout)
            except Timeout:
                return hconn.timed_out()
        ev = hconn.next_event_with(data)
        if ev is not proto.NEED_DATA:
            return ev
        deadline = None
        first = len(data)   # bytes of the first read while no deadline runs yet
        read_first = True
    else:
        deadline = Deadline(stage, time.monotonic()) if (not idle or hconn.buffered) else None
        read_first = hconn.waiting_for_bytes      # nothing buffered: no head to look for yet
        first = 0
    while True:
        if not read_first:
            ev = hconn.next_event()
            if ev is not proto.NEED_DATA:
                return ev
        read_first = False
        if first:
            deadline = Deadline(stage, time.monotonic())
            deadline.got(first)
            first = 0
        if deadline is None:
            wait = first_timeout
        else:
            wait = deadline.wait(timeout)
            if wait <= 0:
                return hconn.timed_out()
        try:
            data = ch.recv(wait)
        except Timeout:
            return hconn.timed_out()
        if deadline is not None:
            deadline.got(len(data))
        elif data:
            first = len(data)
        hconn.receive_data(data)


# the request record of a parsed head in one call: ap_read_request's fields of
# request_rec from the head, the rest their defaults
_request_of_head = record.request_maker(
    ("conn", "server", "process", "request_time", "per_dir_config", "merged", "head"),
    {"the_request": "head.request_line", "method": "head.method",
     "method_number": "head.method_number", "header_only": "head.header_only",
     "protocol": "head.protocol", "proto_num": "head.proto_num",
     "unparsed_uri": "head.target", "uri": "head.path", "args": "head.args",
     "hostname": "head.hostname", "parsed_port": "head.port",
     "expecting_100": "head.expect_continue",
     "remaining": "head.content_length if head.body == 'length' else 0",
     "read_chunked": "head.body == 'chunked'"},
    {"headers_in": "merged"})
_time = time.time


def request_from_head(process: Any, info: ConnInfo, base: Any, head: Any) -> Request:
    """The request record of a parsed head (ap_read_request's fields of request_rec),
    on the connection ``info`` whose base server is ``base``.  The head's field lists
    become the request's headers_in (the head is not read for its fields again)."""
    merged = head.merged
    if merged is None:
        items = proto.merge_headers(head.headers)
        merged = head.merged = (items, [k.lower() for k, _ in items])
    # CL with TE (and TE on HTTP/1.0): never reused, as ap_read_request's AP_CONN_CLOSE
    info.keepalive = False if head.must_close else None
    return _request_of_head(info, base, process, _time(), base.lookup_defaults, merged, head)


HANDED_OFF = object()       # _serve_request's answer when route() took the connection


def _serve_request(serving: Serving, ch: Channel, hconn: proto.HTTPConnection, info: ConnInfo,
                   base: Any, head: Any, timeout: float, body_stage: Any,
                   score: Any = None, route: Any = None, host_check: bool = True) -> Any:
    """One request: build the record, run the pipeline, write and log the response
    (``host_check``: the connection may need check_request_host at all).  Returns the
    keep-alive decision, or HANDED_OFF."""
    r = request_from_head(serving.process, info, base, head)
    status = vhost_select.check_request_host(r) if host_check else 200
    if route is not None and status == 200 and route(r, hconn):
        return HANDED_OFF
    if score is not None:
        score.request_started(r)        # status W, and the request's scoreboard fields
    if r.server is not base:            # the name-based host: its defaults
        r.per_dir_config = r.server.lookup_defaults
    body = BodyReader(ch, hconn, r, timeout, body_stage)
    r.read_body = body.read
    r.discard_body = body.discard
    try:
        if status != 200:
            http_request.die(status, r)
        else:
            http_request.process_request(r, serving.hooks)
        final = r if r.next is None else http_request.final_request(r)
    except Exception as e:      # a bug outside any hook (hooks are guarded by HookTable)
        final = http_request.internal_error(r, e)
    try:
        final = _send(serving, ch, final, timeout)
    finally:   # an aborted response is logged too (%X: X)
        if score is not None:
            score.set_status("L")
        _log_transaction(serving, r, final)
        if score is not None:
            score.request_done(r)
        body.release()
    return bool(info.keepalive)


def _send(serving: Serving, ch: Channel, r: Request, timeout: float) -> Request:
    """send_response; a failure before the first byte went out (the output-filter
    fixups, the header filter) is answered with the canned 500 instead, and the
    connection closes after it.  Once bytes are out, the connection is only closed.
    Returns the request whose response went out."""
    try:
        return send_response(serving, ch, r, timeout)
    except ClientGone:
        raise
    except Exception as e:
        if r.first_byte_time:
            raise
        return send_response(serving, ch, http_request.internal_error(r, e), timeout)


def protocol_error_request(process: Any, info: ConnInfo, base: Any, err: Any) -> Request:
    """The request record of a head the protocol layer refused, answered with the
    error's status.  As ap_read_request's die_before_hooks, r->status is still HTTP_OK
    when ap_die runs, so the page is the status's own (no "Additionally, a 400 ... error
    was encountered while trying to use an ErrorDocument" paragraph)."""
    items = proto.merge_headers(err.fields)
    r = Request(conn=info, server=base, process=process, request_time=time.time(),
                per_dir_config=base.lookup_defaults,
                headers_in=Headers.copy_of(items, [k.lower() for k, _ in items]))
    r.the_request = err.request_line
    r.protocol, r.proto_num = "HTTP/1.0", 1000
    r.method = err.request_line.split(" ", 1)[0] if err.request_line else "GET"
    info.keepalive = False
    http_request.die(err.status, r)
    return r


def _answer_protocol_error(serving: Serving, ch: Channel, info: ConnInfo, base: Any, err: Any,
                           timeout: float) -> None:
    """A request that could not be read: log why, answer the status, close (Apache
    answers 408 for a half-sent request too)."""
    from httpd.log import errorlog
    for line in err.log:
        errorlog.log_cerror(info, "core", "debug" if err.status == 408 else "info", line)
    r = protocol_error_request(serving.process, info, base, err)
    final = http_request.final_request(r)
    final.conn.keepalive = False
    try:
        final = _send(serving, ch, final, timeout)
    finally:
        _log_transaction(serving, r, final)


def _log_transaction(serving: Serving, r: Request, final: Request) -> None:
    r.request_time_end = end = _time()
    if final is not r:
        final.request_time_end = end
    run = serving.log_run       # RUN_ALL, compiled once
    if run is None:
        return
    try:
        run(r)
    except Exception as e:  # logging must not take the connection down
        from httpd.log import errorlog
        errorlog.log_rerror(r, "core", "error", f"log_transaction failed: {e!r}")
