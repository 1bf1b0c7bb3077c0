"""The response head: status line and header fields, as Apache's HTTP filters emit them.

``finalize_headers(r)`` is the protocol end of the output filter chain after the handler
(byterange is applied by the handler, see ``httpd.http.byterange``): the content-length filter
(ap_content_length_filter), then ap_http_header_filter with basic_http_header_check,
ap_set_keepalive and basic_http_header.  The order of the fields is Apache's: Date,
Server, then the merged table (err_headers_out first, then headers_out, as
apr_table_overlay builds it), with Keep-Alive/Connection/Transfer-Encoding added by the
keep-alive decision and Content-Type/Content-Encoding/Content-Language last.

Also here, as in http_protocol.c, protocol.c and core.c: the header setters handlers
use, Allow (make_allow), AddDefaultCharset (ap_make_content_type), the ServerTokens
banner, the server name and port, and the ServerSignature footer (ap_psignature).
"""
from __future__ import annotations

import re
import time
from typing import Any, Optional

from httpd import SERVER_BASEPRODUCT, __version__
from httpd.http.conditional import ap_http_date
from httpd.http.headers_check import BadResponseHeader, check_headers  # noqa: F401 (API)
from httpd.request.server_name import get_server_name, get_server_port
from httpd.request.record import FileRange, Part, Request
from httpd.http.status import get_status_line
from httpd.module import CORE_MODULE as CORE
from httpd.http.core import HTTP_MODULE as HTTP
from httpd.protocol import (METHODS, M_INVALID, STATUS_DROPS, KeepAlive,
                            set_keepalive as decide_keepalive)
from httpd.util.table import table_get
from httpd.util.tokens import find_token, is_chunked
from httpd.util.escape import escape_html
from httpd.util.uri import is_url

SERVER_PROTOCOL = "HTTP/1.1"          # AP_SERVER_PROTOCOL
KEEPALIVE_DEFAULTS = KeepAlive()      # a server without http_core's config
PLATFORM = "Unix"

# -- ServerTokens and ServerSignature -------------------------------------------------------


def _banners() -> dict[str, str]:
    parts = __version__.split(".")
    base = f"{SERVER_BASEPRODUCT}/{__version__}"
    return {  # set_banner (core.c): what each ServerTokens value shows
        "Prod": SERVER_BASEPRODUCT,
        "Major": f"{SERVER_BASEPRODUCT}/{parts[0]}",
        "Minor": f"{SERVER_BASEPRODUCT}/{'.'.join(parts[:2])}",
        "Minimal": base,
        "OS": f"{base} ({PLATFORM})",
        "Full": f"{base} ({PLATFORM})",
    }


_BANNERS = _banners()
_COMPONENTS: list[str] = []       # ap_add_version_component's, for this generation


def add_version_component(component: str) -> None:
    """ap_add_version_component: a module's product token (``mpm-itk/2.4.7-04``) after
    the server's own, in the Full banner (ServerTokens Full) and so in the start-up line
    and the status page.  Modules add theirs at post_config; the core empties the list
    first (reset_version_components), as Apache does when pconf is cleared."""
    if component not in _COMPONENTS:
        _COMPONENTS.append(component)
    _BANNERS["Full"] = " ".join([_banners()["Full"], *_COMPONENTS])
    _BANNER_OF.clear()


def reset_version_components() -> None:
    _COMPONENTS.clear()
    _BANNERS["Full"] = _banners()["Full"]
    _BANNER_OF.clear()


def server_banner(tokens: str = "Full") -> str:
    """The Server field and signature text for a ServerTokens setting
    (ap_get_server_banner).  Full is OS plus the modules' version components."""
    return _BANNERS.get(tokens, _BANNERS["Full"])


def banner_of(r: Request) -> str:
    """ServerTokens is process-wide: Apache keeps it in a global set from the main server."""
    main = getattr(r.process, "main_server", None) or r.server
    return server_banner(main.module_config[CORE].server_tokens)


def signature(r: Request, prefix: str = "") -> str:
    """ap_psignature: the ServerSignature footer of error pages and listings."""
    mode = r.module_config(CORE).server_signature
    if mode not in ("on", "email"):
        return ""
    name = escape_html(get_server_name(r))
    port = get_server_port(r)
    if mode == "email":
        admin = r.server.module_config[CORE].server_admin or ""
        scheme = "" if is_url(admin) else "mailto:"
        return (f'{prefix}<address>{banner_of(r)} Server at <a href="{scheme}'
                f'{escape_html(admin)}">{name}</a> Port {port}</address>\n')
    return f"{prefix}<address>{banner_of(r)} Server at {name} Port {port}</address>\n"


# -- header setters handlers use (http_protocol.c, protocol.c) -----------------------------

def update_mtime(r: Request, dependency_mtime: float) -> None:
    """ap_update_mtime: the response is as new as its newest part."""
    if r.mtime is None or r.mtime < dependency_mtime:
        r.mtime = dependency_mtime


def rationalize_mtime(r: Request, mtime: float) -> float:
    """ap_rationalize_mtime: a Last-Modified is never in the future."""
    now = r.request_time if mtime < r.request_time else time.time()
    return now if mtime > now else mtime


def set_last_modified(r: Request) -> None:
    """ap_set_last_modified."""
    r.headers_out.set("Last-Modified", ap_http_date(rationalize_mtime(r, r.mtime or 0.0)))


def set_content_length(r: Request, length: int) -> None:
    """ap_set_content_length."""
    r.headers_out.set("Content-Length", str(length))


def set_accept_ranges(r: Request, d: Any = None) -> None:
    """ap_set_accept_ranges: "none" when MaxRanges none turns ranges off (``d``: the
    request's merged core config when the caller has it)."""
    if d is None:
        d = r.module_config(CORE)
    r.headers_out.set("Accept-Ranges", "none" if d.max_ranges == 0 else "bytes")


# The standard methods in number order for Allow (Apache walks its method hash, whose
# order changes from one start to the next; HEAD shares GET's number and follows it).
_METHOD_NAMES = tuple(sorted(METHODS, key=lambda m: (METHODS[m], m != "GET")))


def allow_methods(r: Request, reset: bool, *numbers: int) -> None:
    """ap_allow_standard_methods: add (or, with reset, set) methods to r.allowed."""
    mask = 0 if reset else r.allowed
    if reset:
        r.allowed_xmethods = []
    for n in numbers:
        mask |= 1 << n
    r.allowed = mask


def make_allow(r: Request) -> str:
    """The Allow field-value for OPTIONS and 405/501 (make_allow): TRACE per server."""
    mask = r.allowed
    names = [m for m in _METHOD_NAMES if mask & (1 << METHODS[m])]
    registered = r.process.main_server.module_config[CORE].methods if r.process else {}
    names += [m for m, n in registered.items() if mask & (1 << n)]
    if r.server.module_config[CORE].trace_enable in ("on", "extended"):
        names.append("TRACE")
    if mask & (1 << M_INVALID) and r.allowed_xmethods:
        names += r.allowed_xmethods
    return ",".join(names)


_NEEDCSET = re.compile(r"text/plain|text/html", re.I)


def make_content_type(r: Request, ctype: Optional[str]) -> Optional[str]:
    """ap_make_content_type: AddDefaultCharset adds "; charset=..." to a text/plain or
    text/html type (anywhere in the value, case-insensitively) without a charset."""
    if not ctype:
        return None
    d = r.module_config(CORE)
    if not d.add_default_charset or r.notes.get("suppress-charset"):
        return ctype
    low = ctype.lower()
    if "charset=" in low or not _NEEDCSET.search(ctype):
        return ctype
    return f"{ctype}; charset={d.add_default_charset_name}"


# -- the keep-alive decision (ap_set_keepalive) ---------------------------------------------

def _policy_of(r: Request) -> KeepAlive:
    http = r.server.module_config.get(HTTP)
    return http.policy if http is not None else KEEPALIVE_DEFAULTS


def _plainly_kept_alive(r: Request) -> bool:
    """ap_set_keepalive's common case, read only (the response's own framing fields
    aside): an HTTP/1.1 request with no Connection or Via field and no 100-continue on
    a connection not closing, a status that keeps it, keep-alive on with requests
    left, no ``nokeepalive``, the MPM not stopping."""
    in_keys = r.headers_in._keys
    if (r.proto_num < 1001 or "connection" in in_keys or "via" in in_keys
            or r.expecting_100 or r.status in STATUS_DROPS):
        return False
    conn = r.conn
    http = r.server.module_config.get(HTTP)             # _policy_of, inline (hot)
    policy = http.policy if http is not None else KEEPALIVE_DEFAULTS
    env = r.subprocess_env
    return (conn.keepalive is not False and policy.enabled and policy.timeout > 0
            and (policy.max_requests == 0 or policy.max_requests - conn.keepalives > 0)
            and (not env or table_get(env, "nokeepalive") is None)
            and not r.process.mpm_stopping)


def set_keepalive(r: Request) -> bool:
    """ap_set_keepalive at the header filter: the request record's view of
    httpd.protocol.set_keepalive (the one implementation, condition by condition as
    http_protocol.c), written back as Apache does: r.conn.keepalive, r.conn.keepalives
    (bumped here, as c->keepalives is), r.chunked (HTTP/1.1 without a length), the
    Keep-Alive field set and Connection merged (apr_table_mergen)."""
    conn = r.conn
    out = r.headers_out
    out_keys = out._keys
    # The common case answered without the general call: a response of known length
    # with no Connection or Transfer-Encoding field, and _plainly_kept_alive.  Every
    # condition of ap_set_keepalive below then holds the same way: kept alive, not
    # chunked, no field to add (no "Keep-Alive" asked for), one more keep-alive.
    if ("content-length" in out_keys and "connection" not in out_keys
            and "transfer-encoding" not in out_keys and _plainly_kept_alive(r)):
        conn.keepalive = True
        conn.keepalives += 1
        return True
    policy = _policy_of(r)
    headers_in = r.headers_in
    d = decide_keepalive(
        policy=policy, keepalives=conn.keepalives, proto_num=r.proto_num,
        request_connection=headers_in.get("Connection"), status=r.status,
        header_only=r.header_only,
        has_length="Content-Length" in out or is_chunked(out.get("Transfer-Encoding")),
        conn_close=conn.keepalive is False, expecting_100=r.expecting_100,
        response_close=find_token(out.get("Connection"), "close"),
        nokeepalive=table_get(r.subprocess_env, "nokeepalive") is not None,
        via="Via" in headers_in, stopping=r.process.mpm_stopping)
    if d.chunked:
        r.chunked = True        # "THIS CODE IS CORRECT": the test itself chooses chunking
    for name, value in d.headers:
        if name == "Connection":
            out.merge(name, value)
        else:
            out.set(name, value)
    conn.keepalive = d.keep_alive
    conn.keepalives = d.keepalives
    return d.keep_alive


# -- the content-length filter and the header filter ---------------------------------------

def body_length(body: Any) -> Optional[int]:
    """The length of a body description, or None when it is only known by sending it."""
    if body is None:
        return 0
    if isinstance(body, (bytes, bytearray, memoryview)):
        return len(body)
    if isinstance(body, FileRange):
        return body.length
    if isinstance(body, list):
        total = 0
        for piece in body:
            if isinstance(piece, Part):
                total += len(piece.header)
                piece = piece.body
            n = body_length(piece)
            if n is None:
                return None
            total += n
        return total
    return None


def _fix_vary(out) -> None:
    """fixup_vary: one Vary field, each token once (first spelling wins)."""
    values = out.get_all("Vary")
    if not values:
        return
    seen: list[str] = []
    low: set[str] = set()
    for v in values:
        for tok in re.split(r"[,\s]+", v):
            if tok and tok.lower() not in low:
                low.add(tok.lower())
                seen.append(tok)
    if seen:
        out.set("Vary", ",".join(seen))


def _validated_status_line(r: Request) -> str:
    """validate_status_line: a module's status_line only if it matches r.status."""
    status = r.status
    line = r.status_line
    default = get_status_line(status)
    if line:
        ok = (len(line) >= 3 and line[:3].isdigit() and int(line[:3]) == status
              and (len(line) == 3 or line[3].isspace()))
        if not ok:
            return default
        if len(line) == 3:
            line += " "
            return default if default[:3] == line[:3] else line
        return line
    return default


def finalize_headers(r: Request, keepalive: bool = True) -> tuple[str, list[tuple[str, str]]]:
    """The status line (``HTTP/1.1 200 OK``) and the header fields to send, in Apache's
    order.  Runs the content-length filter (Content-Length from a body of known
    length), merges err_headers_out, decides keep-alive and chunking (``r.chunked``,
    ``r.conn.keepalive``), and drops the framing fields of a 204/304; ``keepalive``
    False leaves the connection's decision as it is (a response that closes).  Then
    check_headers: raises BadResponseHeader for a response that must not be sent."""
    out = r.headers_out
    status = r.status
    header_only_status = status == 204 or status == 304
    # ap_content_length_filter (a HEAD or 304 without a body keeps the handler's length)
    n = body_length(r.body)
    if n is not None and (n or not (r.header_only or header_only_status)
                          or "Content-Length" not in out):
        out.set("Content-Length", str(n))
    # merge_response_headers: one table from here on (apr_table_overlay, then cleared)
    if len(r.err_headers_out):
        out = r.headers_out = type(out)(r.err_headers_out.items() + out.items())
        r.err_headers_out = type(out)()
    env = r.subprocess_env
    if env and env.get("force-no-vary") is not None:
        out.unset("Vary")
        r.proto_num = 1000
        env["force-response-1.0"] = "1"
    elif "vary" in out._keys:
        _fix_vary(out)
    if r.notes and r.notes.get("no-etag") is not None:
        out.unset("ETag")
    # basic_http_header_check
    line = _validated_status_line(r)
    r.status_line = line
    if env and r.proto_num > 1000 and env.get("downgrade-1.0") is not None:
        r.proto_num = 1000
    if env and r.proto_num == 1000 and env.get("force-response-1.0") is not None:
        protocol = "HTTP/1.0"
        r.conn.keepalive = False
    else:
        protocol = SERVER_PROTOCOL
    if keepalive:
        set_keepalive(r)
    if header_only_status:
        out.unset("Transfer-Encoding")
        out.unset("Content-Length")
        r.content_type = r.content_encoding = None
        r.content_languages = []
        r.chunked = False
    elif r.chunked:
        out.merge("Transfer-Encoding", "chunked")
        out.unset("Content-Length")
    ctype = make_content_type(r, r.content_type)
    if ctype:
        out.set("Content-Type", ctype)
    if r.content_encoding:
        out.set("Content-Encoding", r.content_encoding)
    if r.content_languages:
        langs = list(r.content_languages)
        low = {x.lower() for x in langs}
        for field in out.get_all("Content-Language")[:1]:
            for tok in (t.strip() for t in field.split(",")):
                if tok and tok.lower() not in low:
                    low.add(tok.lower())
                    langs.append(tok)
        out.set("Content-Language", ",".join(langs))
    date = ap_http_date(r.request_time)
    if r.no_cache and "Expires" not in out:
        out.add("Expires", date)
    if r.header_only and out.get("Content-Length") == "0":
        out.unset("Content-Length")
    # ap_http_header_filter checks the merged fields after the keep-alive decision
    check_headers(r)
    out = r.headers_out
    # basic_http_header: Date and Server first, never twice
    items = out._items
    keys = out._keys
    if "date" in keys or "server" in keys:
        items = [kv for k, kv in zip(keys, items) if k != "date" and k != "server"]
    return f"{protocol} {line}", [("Date", date), ("Server", banner_of(r)), *items]


# -- the Server field by server record (the usual head's: httpd/http/usual_head.py) --------

# the Server field's value by server record (ServerTokens is the main server's, per
# generation; emptied when the version components change)
_BANNER_OF: dict = {}


def _banner_of_server(r: Request) -> str:
    banner = banner_of(r)
    if len(_BANNER_OF) >= 256:
        _BANNER_OF.clear()
    _BANNER_OF[r.server] = banner
    return banner


def response_head(status_line: str, fields: list[tuple[str, str]]) -> bytes:
    """The bytes of a response head: status line, fields, blank line."""
    try:
        text = "\r\n".join([status_line, *map(": ".join, fields), "\r\n"])
    except TypeError:          # a module set a value that is not a str
        text = "\r\n".join([status_line, *(f"{k}: {v}" for k, v in fields), "\r\n"])
    return text.encode("latin-1", "replace")
