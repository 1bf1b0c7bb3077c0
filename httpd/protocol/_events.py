"""The protocol layer's records: its limits, its keep-alive policy and the events it emits.

``Limits`` is what core.c keeps per server for request parsing (LimitRequestLine,
LimitRequestFieldsize, LimitRequestFields, HttpProtocolOptions); ``KeepAlive`` is
http_core.c's KeepAlive / KeepAliveTimeout / MaxKeepAliveRequests.  Both are built once
per config generation and shared by every connection.

Events are plain slotted records: the connection builds one per request head and one per
body piece, so they stay cheap to construct (no frozen-attrs setattr per field).
"""
from __future__ import annotations

import types
from typing import Any, Iterable, Mapping, Optional, Union

import attrs

# The method table (httpd.h M_* numbers, registered by http_protocol.c's
# ap_method_registry_init); HEAD shares GET's.  Extension methods (RegisterHttpMethod,
# <Limit FOO>) are numbered from METHOD_NUMBER_FIRST to METHOD_NUMBER_LAST: the numbers
# shift bit masks, and all 64 bits set is a flag, so the last bit used is 62.
METHODS = {"GET": 0, "HEAD": 0, "PUT": 1, "POST": 2, "DELETE": 3, "CONNECT": 4, "OPTIONS": 5,
           "TRACE": 6, "PATCH": 7, "PROPFIND": 8, "PROPPATCH": 9, "MKCOL": 10, "COPY": 11,
           "MOVE": 12, "LOCK": 13, "UNLOCK": 14, "VERSION-CONTROL": 15, "CHECKOUT": 16,
           "UNCHECKOUT": 17, "CHECKIN": 18, "UPDATE": 19, "LABEL": 20, "REPORT": 21,
           "MKWORKSPACE": 22, "MKACTIVITY": 23, "BASELINE-CONTROL": 24, "MERGE": 25}
M_GET, M_PUT, M_POST, M_DELETE, M_CONNECT, M_OPTIONS, M_TRACE = 0, 1, 2, 3, 4, 5, 6
M_INVALID = 26
METHOD_NUMBER_FIRST = M_INVALID + 1
METHOD_NUMBER_LAST = 62


def method_number_of(method: str, registered: Mapping[str, int]) -> int:
    """ap_method_number_of: the number of ``method`` (exact, case-sensitive) among the
    standard methods and the ``registered`` extension ones; M_INVALID when unknown."""
    number = METHODS.get(method)
    if number is None:
        number = registered.get(method, M_INVALID)
    return number


DEFAULT_LIMIT_REQUEST_LINE = 8190
DEFAULT_LIMIT_REQUEST_FIELDSIZE = 8190
DEFAULT_LIMIT_REQUEST_FIELDS = 100
DEFAULT_LIMIT_REQ_BODY = 1 << 30        # LimitRequestBody default since 2.4.54: 1 GiB


def _freeze_methods(value: Union[Mapping[str, int], Iterable[str], None]) -> Mapping[str, int]:
    """Registered extension methods as a read-only name -> number map (numbers from 27)."""
    if value is None:
        return types.MappingProxyType({})
    if isinstance(value, Mapping):
        return types.MappingProxyType(dict(value))
    return types.MappingProxyType({name: METHOD_NUMBER_FIRST + i for i, name in enumerate(value)})


@attrs.frozen
class Limits:
    """Request-parsing limits and HttpProtocolOptions of the server a connection came to.

    ``http09`` defaults to False: Apache's default is Allow0.9, but a response without a
    status line cannot be framed safely behind a proxy, so this server answers HTTP/0.9
    with 400 unless ``HttpProtocolOptions Allow0.9`` is given (reliability.md 1.3).
    ``fields`` 0 means unlimited, as LimitRequestFields 0 does.
    """

    line: int = DEFAULT_LIMIT_REQUEST_LINE
    fieldsize: int = DEFAULT_LIMIT_REQUEST_FIELDSIZE
    fields: int = DEFAULT_LIMIT_REQUEST_FIELDS
    http09: bool = False
    strict: bool = True
    registered_methods: bool = False
    extension_methods: Mapping[str, int] = attrs.field(
        factory=dict, converter=_freeze_methods, eq=False, hash=False)
    # derived, for the one-read head path: a head at most this long is within both
    # LimitRequestLine and LimitRequestFieldsize; the field count allowed (0: any)
    short_head: int = attrs.field(init=False, eq=False, hash=False, repr=False)
    fields_max: int = attrs.field(init=False, eq=False, hash=False, repr=False)

    @short_head.default
    def _short_head(self) -> int:
        return min(self.line, self.fieldsize) + 1

    @fields_max.default
    def _fields_max(self) -> int:
        return self.fields or 1 << 62

    def method_number(self, method: str) -> int:
        """ap_method_number_of with this server's registered methods."""
        return method_number_of(method, self.extension_methods)

    @classmethod
    def from_core(cls, conf: Any, methods: Optional[Mapping[str, int]] = None) -> "Limits":
        """From a server's core config record (httpd/core/config.py field names):
        HttpProtocolOptions bits are 1 = Allow0.9 / Strict / LenientMethods and
        2 = Require1.0 / Unsafe / RegisteredMethods, 0 = not given."""
        return cls(line=conf.limit_req_line, fieldsize=conf.limit_req_fieldsize,
                   fields=conf.limit_req_fields, http09=conf.http09_enable == 1,
                   strict=conf.http_conformance != 2,
                   registered_methods=conf.http_methods == 2,
                   extension_methods=methods if methods is not None else conf.methods)


@attrs.frozen
class KeepAlive:
    """KeepAlive, KeepAliveTimeout (seconds) and MaxKeepAliveRequests (0: unlimited)."""

    enabled: bool = True
    timeout: float = 5.0
    max_requests: int = 100


@attrs.define(slots=True, eq=False, repr=True)
class RequestHead:
    """A request line and its header fields, accepted by Apache's rules.

    ``headers`` are latin-1 strings in the order sent, names as sent (not merged: use
    ``merge_headers`` for apr_table_compress's view); an absolute-form target's authority
    has replaced the Host value as Apache does (AH02417).  ``http_version`` is (1, 1) for
    any HTTP/1.2 .. HTTP/9.9 (Apache answers them as 1.1); ``protocol`` and ``proto_num``
    keep what was sent (``r->protocol``, ``r->proto_num``).  ``path`` and ``args`` are the
    still-encoded path and query (``r->uri`` before unescaping, ``r->args``);
    ``hostname`` and ``port`` come from the target's authority or the Host header,
    lowercased and checked (``r->hostname``, ``r->parsed_uri.port``).
    """

    method: str
    target: str
    http_version: tuple
    headers: list
    request_line: str
    expect_continue: bool
    body: str                               # "none" | "length" | "chunked"
    content_length: Optional[int]
    protocol: str = "HTTP/1.1"
    proto_num: int = 1001
    method_number: int = M_GET
    header_only: bool = False
    path: str = "/"
    args: Optional[str] = None
    scheme: Optional[str] = None
    hostname: Optional[str] = None
    port: Optional[int] = None
    must_close: bool = False                # CL+TE, or TE on HTTP/1.0: never keep-alive
    connection: Optional[str] = None        # the merged Connection value
    # derived once per distinct head (heads are shared by the parse cache, never changed):
    # the merged fields as (fields, lowercased names) for the request's Headers
    merged: Optional[tuple] = None

    def header(self, name: str) -> Optional[str]:
        """The merged value of ``name`` (apr_table_get after apr_table_compress)."""
        lname = name.lower()
        values = [v for k, v in self.headers if k.lower() == lname]
        return ", ".join(values) if values else None


@attrs.define(slots=True, eq=True)
class BodyData:
    data: bytes


@attrs.define(slots=True, eq=True)
class EndOfBody:
    trailers: list = attrs.field(factory=list)      # (name, value) pairs, never merged


@attrs.define(slots=True, eq=True)
class ConnectionClosed:
    """The connection is over without a response: the peer closed it, or a request-line
    read timed out (``reason`` then holds what Apache logs, e.g. AH01382)."""

    reason: str = ""


@attrs.define(slots=True, eq=True)
class ProtocolError:
    """Answer ``status`` and close.  ``reason`` is the error-log line Apache writes (its
    first, most specific one; ``log`` holds all of them in order), unescaped: the error
    log escapes it.  ``request_line`` is ``r->the_request`` when one was read (for %r);
    ``fields`` are the header fields when the whole head was read (r->headers_in)."""

    status: int
    reason: str
    log: tuple = ()
    request_line: str = ""
    fields: tuple = attrs.field(default=(), eq=False)   # the head's fields, when all were read

    def __attrs_post_init__(self) -> None:
        if not self.log:
            self.log = (self.reason,) if self.reason else ()


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


NEED_DATA = _Sentinel("NEED_DATA")
# The current request is waiting on the caller: read or discard its body, or finish the
# response and call start_next_request().
PAUSED = _Sentinel("PAUSED")

Event = Union[RequestHead, BodyData, EndOfBody, ConnectionClosed, ProtocolError, _Sentinel]


def merge_headers(headers: Iterable[tuple]) -> list:
    """apr_table_compress(APR_OVERLAP_TABLES_MERGE): one entry per name (case-insensitive),
    at its first place, values joined with ", "."""
    out: list = []
    index: dict = {}
    for name, value in headers:
        key = name.lower()
        i = index.get(key)
        if i is None:
            index[key] = len(out)
            out.append([name, value])
        else:
            out[i][1] = out[i][1] + ", " + value
    return [(n, v) for n, v in out]
