"""The request record (Apache's request_rec) and what a handler answers with.

One ``Request`` per request, filled by the protocol layer (method, target, headers),
then by the hooks in order: vhost selection, translate_name (``filename``),
map_to_storage (``per_dir_config``, ``finfo``), access checks, type_checker
(``content_type``, ``handler``), the handler (``status``, ``headers_out``, ``body``) and
log_transaction.  Nothing here does I/O: the body is a description (bytes, a file range,
parts) that the connection layer writes, with sendfile where it can.
"""
from __future__ import annotations

import os
from typing import Any, Iterable, Iterator, Optional, Union

import attrs


_new_headers = object.__new__


class Headers:
    """An ordered, case-insensitive multi-map of header fields (Apache's apr_table_t).

    The lower-cased names are kept beside the fields, so a lookup compares strings
    without lower-casing every field each time (tables are read many times per request).
    """

    __slots__ = ("_items", "_keys")

    def __init__(self, items: Iterable[tuple[str, str]] = ()):
        if not items:
            self._items: list[tuple[str, str]] = []
            self._keys: list[str] = []
            return
        self._items = list(items)
        self._keys = [k.lower() for k, _ in self._items]

    @staticmethod
    def copy_of(items: list, keys: list) -> "Headers":
        """A table of ``items`` with their lowercased ``keys`` (both copied)."""
        h = _new_headers(Headers)
        h._items = items[:]
        h._keys = keys[:]
        return h

    @staticmethod
    def taking(items: list, keys: list) -> "Headers":
        """A table holding ``items`` and their lowercased ``keys`` themselves (not
        copies): for lists the caller hands over and no longer reads."""
        h = _new_headers(Headers)
        h._items = items
        h._keys = keys
        return h

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The first value of ``name`` (apr_table_get)."""
        keys = self._keys
        lname = name.lower()
        if lname in keys:
            return self._items[keys.index(lname)][1]
        return default

    def get_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [kv[1] for k, kv in zip(self._keys, self._items) if k == lname]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._keys

    def __getitem__(self, name: str) -> str:
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def set(self, name: str, value: str) -> None:
        """Replace every ``name`` with one field (apr_table_set), keeping its place."""
        lname = name.lower()
        keys = self._keys
        if lname not in keys:
            keys.append(lname)
            self._items.append((name, value))
            return
        i = keys.index(lname)
        self._items[i] = (name, value)
        if keys.count(lname) > 1:
            self._keep_only(lname, i)

    __setitem__ = set

    def _keep_only(self, lname: str, i: int) -> None:
        """Drop every ``lname`` field but the one at ``i`` (set's rare case, kept out of
        set itself so its common path makes no closure cells)."""
        keep = [(k, kv) for j, (k, kv) in enumerate(zip(self._keys, self._items))
                if k != lname or j == i]
        self._keys = [k for k, _ in keep]
        self._items = [kv for _, kv in keep]

    def add(self, name: str, value: str) -> None:
        """Another field, even if ``name`` is present (apr_table_add)."""
        self._items.append((name, value))
        self._keys.append(name.lower())

    def merge(self, name: str, value: str) -> None:
        """Append to the existing value with ", " (apr_table_merge)."""
        old = self.get(name)
        self.set(name, value if old is None else f"{old}, {value}")

    def merge_first(self, name: str, value: str) -> None:
        """apr_table_merge to the letter: ", value" goes onto the first ``name`` field
        and any later duplicates stay as they are (``merge`` folds them into one)."""
        lname = name.lower()
        keys = self._keys
        if lname in keys:
            i = keys.index(lname)
            k, v = self._items[i]
            self._items[i] = (k, f"{v}, {value}")
            return
        self.add(name, value)

    def unset(self, name: str) -> None:
        lname = name.lower()
        if lname not in self._keys:
            return
        keep = [(k, kv) for k, kv in zip(self._keys, self._items) if k != lname]
        self._keys = [k for k, _ in keep]
        self._items = [kv for _, kv in keep]

    __delitem__ = unset

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def copy(self) -> "Headers":
        new = Headers.__new__(Headers)
        new._items = list(self._items)
        new._keys = list(self._keys)
        return new

    def __repr__(self) -> str:  # pragma: no cover
        return f"Headers({self._items!r})"


@attrs.define(eq=False)
class ConnInfo:
    """The connection a request came on (conn_rec): addresses and keep-alive count."""

    client_ip: str
    client_port: int
    local_ip: str
    local_port: int
    id: int = 0
    keepalives: int = 0            # c->keepalives: responses that kept it open (set_keepalive)
    base_server: Any = None        # the server chosen by address (before Host)
    bytes_in: int = 0              # for mod_logio's %I and %S
    bytes_out: int = 0
    aborted: bool = False
    remote_host: Optional[str] = None   # reverse DNS, when HostnameLookups asks
    notes: dict = attrs.field(factory=dict)
    # the current response's keep-alive decision (c->keepalive: None unknown, False
    # close, True keep-alive), set before log_transaction; for %X and %k
    keepalive: Optional[bool] = None
    log_id: Optional[str] = None        # set by the error log when it first logs for it


@attrs.define
class FileRange:
    """Send ``length`` bytes of the file at ``path`` from ``offset`` (sendfile-able).
    Treated as immutable (not declared frozen: a frozen attrs class pays a
    object.__setattr__ per field, and one is made per response).

    ``data``, when the handler already read a small file whole (it opened it anyway),
    holds the file's bytes from offset 0, so the writer slices instead of opening the
    file a second time."""

    path: str
    offset: int
    length: int
    data: Optional[bytes] = attrs.field(default=None, eq=False, repr=False)


# files up to this size are read whole by the handler (and kept by httpd.core.filecache);
# they go out in one writev with the response head, as Apache's core output filter
# writes a mapped file's bucket with the head
SMALL_FILE = 262144


@attrs.frozen
class Part:
    """One part of a multipart/byteranges body: its header block and its bytes."""

    header: bytes
    body: Union[bytes, FileRange]


class Flush:
    """A flush bucket: a piece of an iterable body that sends what is buffered now
    (a producer that streams, such as a CGI script, yields it before it waits)."""

    __slots__ = ()


FLUSH = Flush()


class BodyAborted(Exception):
    """Raised by an iterable body whose producer failed mid-way (Apache's error
    bucket): what was produced goes out, the body is not ended (no last chunk) and the
    connection closes, so the client sees a truncated response."""


Body = Union[None, bytes, FileRange, list, Iterable[bytes]]


@attrs.define(eq=False)
class Request:
    """request_rec: everything the hooks read and write about one request."""

    conn: ConnInfo
    server: Any                                # the virtual host serving it (ServerRec)
    process: Any                               # the config generation (Process)
    the_request: str = ""                      # the request line as received
    method: str = "GET"
    method_number: int = 0
    header_only: bool = False                  # HEAD
    protocol: str = "HTTP/1.1"
    proto_num: int = 1001                      # 1000 * major + minor
    unparsed_uri: str = ""                     # the target as received
    uri: str = ""                              # the decoded, normalised path
    args: Optional[str] = None                 # query string
    hostname: Optional[str] = None             # from Host or the absolute URI
    # r->parsed_uri.port when port_str is set: the port the absolute target or the Host
    # field named (fix_hostname keeps it there for ap_get_server_port), else None
    parsed_port: Optional[int] = None
    headers_in: Headers = attrs.field(factory=Headers)
    request_time: float = 0.0                  # time.time() when the request line came
    # filled by hooks
    filename: Optional[str] = None
    canonical_filename: Optional[str] = None
    path_info: str = ""
    finfo: Optional[os.stat_result] = None
    per_dir_config: dict = attrs.field(factory=dict)
    content_type: Optional[str] = None
    content_encoding: Optional[str] = None
    content_languages: list = attrs.field(factory=list)
    charset: Optional[str] = None
    handler: Optional[str] = None
    user: Optional[str] = None
    ap_auth_type: Optional[str] = None
    subprocess_env: dict = attrs.field(factory=dict)
    notes: dict = attrs.field(factory=dict)
    # per-request module state (Apache's r->request_config), keyed by module name:
    # e.g. mod_setenvif marks there that its server-level pass already ran
    request_config: dict = attrs.field(factory=dict)
    # r->useragent_addr when a module (mod_remoteip) says the user agent is not the
    # peer: (ip, port); None while it is the connection's client (the usual case, so
    # nothing is copied per request).  Read it as ``useragent_ip`` / ``useragent_port``.
    useragent: Optional[tuple] = None
    # the response
    status: int = 200
    status_line: Optional[str] = None
    headers_out: Headers = attrs.field(factory=Headers)
    err_headers_out: Headers = attrs.field(factory=Headers)
    body: Body = None
    # r->output_filters: what runs on the response just before its head is written,
    # f(r) each, added by the insert_filter / insert_error_filter hooks (a tuple: most
    # requests have none, and an empty one costs nothing to make)
    output_filters: tuple = ()
    # the body's filter chain (httpd.http.filter, ap_filter_t): Filter records in ftype
    # order, added by insert_filter hooks (SetOutputFilter, AddOutputFilter, mod_filter)
    # and run by the response writer over the handler's body; empty on most requests
    filters: tuple = ()
    # the request body's input filters (ap_add_input_filter: SetInputFilter,
    # AddInputFilter), Filter records in ftype order, run by the body reader over
    # what the client sends; empty on most requests
    input_filters: tuple = ()
    bytes_sent: int = 0                         # body bytes (for %b / %B)
    mtime: Optional[float] = None               # last modified, for conditionals
    vlist_validator: Optional[str] = None       # a negotiated response's variant list ETag
    # internal redirects and errors
    prev: Optional["Request"] = None
    next: Optional["Request"] = None
    main: Optional["Request"] = None            # set on subrequests
    no_cache: bool = False
    no_local_copy: bool = False
    expecting_100: bool = False
    read_body: Any = None                       # callable(max_bytes) -> bytes, from the connection
    discard_body: Any = None                    # callable(r): read and drop the body (the same)
    remaining: int = 0                          # request body bytes not yet read
    read_chunked: bool = False
    sent_bodyct: bool = False
    eos_sent: bool = False
    # the response framing and the methods a handler allows (for Allow on OPTIONS/405)
    chunked: bool = False                       # set by set_keepalive: HTTP/1.1 chunked body
    # r->assbackwards: the body goes out with no response head (an nph- script writes
    # its own), and the connection closes after it
    assbackwards: bool = False
    allowed: int = 0                            # bit mask of method numbers (allowed_methods)
    allowed_xmethods: list = attrs.field(factory=list)   # allowed extension method names
    # logging (mod_log_config, mod_logio, the error log)
    request_time_end: float = 0.0               # time.time() at the end; 0: taken at logging
    first_byte_time: float = 0.0                # time.time() of the first response byte (%^FB)
    log_id: Optional[str] = None                # set by the error log when it first logs for r
    trailers_in: Optional[Headers] = None       # for %^ti
    trailers_out: Optional[Headers] = None      # for %^to

    @property
    def useragent_ip(self) -> str:
        """r->useragent_ip: the client's address as the request sees it (REMOTE_ADDR,
        ``%a``, ``Require ip``); the connection's client_ip unless a module set it."""
        ua = self.useragent
        return self.conn.client_ip if ua is None else ua[0]

    @property
    def useragent_port(self) -> int:
        """r->useragent_addr->port (0 once mod_remoteip set the address)."""
        ua = self.useragent
        return self.conn.client_port if ua is None else ua[1]

    def useragent_host(self) -> str:
        """ap_get_useragent_host(REMOTE_NAME): the name HostnameLookups found for the
        connection's client, else the address; an address a module set (mod_remoteip)
        is not looked up here (its name is the address)."""
        ua = self.useragent
        if ua is None:
            return self.conn.remote_host or self.conn.client_ip
        return ua[0]

    def module_config(self, module: str) -> Any:
        """This request's merged per-directory config for ``module``."""
        cfg = self.per_dir_config.get(module)
        if cfg is None:
            cfg = self.server.lookup_defaults.get(module)
        return cfg

    def server_config(self, module: str) -> Any:
        return self.server.module_config.get(module)


def request_maker(given: tuple, computed: Optional[dict] = None,
                  tables: Optional[dict] = None):
    """A function ``f(*given)`` making what ``Request(...)`` makes, without the call's
    70 keyword defaults: generated once from the field list (so it cannot fall out of
    step with it), the ``given`` fields set from the arguments, the ``computed`` ones
    (field -> a Python expression over the arguments) from their expression, the
    ``tables`` ones (field -> an expression giving the (items, keys) lists a Headers
    takes, as ``Headers.taking``) made inline around them, every other field from its
    default as a constant, the empty tables made inline.  The connection makes one
    request per head this way (httpd/io/connection.py)."""
    computed = dict(computed or {})
    tables = tables or {}
    computed.update({name: None for name in tables})
    # an argument that is no field (a record the expressions read) is only an input
    names = {a.name for a in attrs.fields(Request)}
    unknown = set(computed) - names
    if unknown:
        raise ValueError(f"not Request fields: {sorted(unknown)}")
    if {"r", "h"} & set(given):     # the generated code's own names
        raise ValueError("request_maker: an argument may not be called r or h")
    lines = [f"def make_request({', '.join(given)}):", "    r = _new(Request)"]
    consts: dict = {"_new": object.__new__, "Request": Request, "Headers": Headers}
    for a in attrs.fields(Request):
        name = a.name
        if name in tables:
            lines += ["    h = _new(Headers)", f"    h._items, h._keys = {tables[name]}",
                      f"    r.{name} = h"]
            continue
        if name in computed:
            lines.append(f"    r.{name} = {computed[name]}")
            continue
        if name in given:
            lines.append(f"    r.{name} = {name}")
            continue
        default = a.default
        if isinstance(default, attrs.Factory):
            factory = default.factory
            if factory is dict:
                lines.append(f"    r.{name} = {{}}")
            elif factory is list:
                lines.append(f"    r.{name} = []")
            elif factory is Headers:
                lines += ["    h = _new(Headers)", "    h._items = []", "    h._keys = []",
                          f"    r.{name} = h"]
            else:
                consts[f"_factory_{name}"] = factory
                lines.append(f"    r.{name} = _factory_{name}()")
        elif default is None or isinstance(default, (bool, int, float, str)) \
                or default == ():
            lines.append(f"    r.{name} = {default!r}")
        else:
            consts[f"_default_{name}"] = default
            lines.append(f"    r.{name} = _default_{name}")
    lines.append("    return r")
    exec("\n".join(lines), consts)
    return consts["make_request"]


# ``new_request(conn, server, process, request_time, per_dir_config, headers_in)``
new_request = request_maker(("conn", "server", "process", "request_time", "per_dir_config",
                             "headers_in"))
