"""The usual response's head: finalize_head, finalize_headers and response_head in
one for the common response (a 200, a 304, an error page or a redirect that keeps the
connection, of known length, with no field the header filter would fold, replace or
drop), with the same outcome; any other goes by the general header filter
(httpd/http/header_filter.py, the reference: tests/http/test_usual_head.py compares
both)."""
from __future__ import annotations

from typing import Optional

from httpd.http.conditional import ap_http_date
from httpd.http.header_filter import (_BANNER_OF, _banner_of_server, _plainly_kept_alive,
                                      body_length, finalize_headers, make_content_type,
                                      response_head)
from httpd.http.headers_check import PASSED as _PASSED
from httpd.http.status import get_status_line
from httpd.module import CORE_MODULE as CORE
from httpd.request.record import FileRange, Request

# fields whose presence takes finalize_headers off the usual path (a Vary to fold, framing
# fields of the handler's, Date/Server to replace, a Content-Type to overwrite in place)
_UNUSUAL_FIELDS = frozenset(("vary", "transfer-encoding", "connection", "date", "server",
                             "content-type"))
# the head after its Date value, by (banner, content type, fields): bounded, exact (the
# bytes are a function of the key alone)
_HEADS: dict = {}
_HEADS_MAX = 1024
_USUAL_LINE = "200 OK"
_USUAL_START = [-1, b""]    # the status line and Date of the current second
# the other statuses the usual path takes (an error page: a 404, a 403, a redirect's
# body; never one of STATUS_DROPS, which close the connection): status -> [the second,
# the status line and Date of that second, the default status line]
_USUAL_OTHER = {status: [-1, b"", get_status_line(status)]
                for status in (301, 302, 303, 307, 308, 401, 403, 404, 405, 410)}
def finalize_head(r: Request) -> bytes:
    """finalize_headers and response_head in one: the bytes of the response head.

    The usual response takes a shortcut with the same outcome: a 200 with its default
    status line, a body of known length, no err_headers_out, none of the environment
    variables or notes the header filter obeys, no field it would fold, replace or
    drop, every field (and the Content-Type) one that already passed check_headers,
    and an HTTP/1.1 request that ap_set_keepalive keeps alive without a field to add.
    Every condition is read before anything changes; when one fails, the general
    finalize_headers runs (the reference: tests/http/test_usual_head.py compares both)."""
    head = _usual_head(r)
    if head is None:
        head = response_head(*finalize_headers(r))
    return head


def _left_alone(r: Request, keys: list) -> bool:
    """The usual paths' common conditions: no field the header filter would fold,
    replace or drop (``keys``: headers_out's lowered names), none of the environment
    variables or notes it obeys, and kept alive without a field to add."""
    if not _UNUSUAL_FIELDS.isdisjoint(keys):
        return False
    env = r.subprocess_env
    if env and (env.get("force-no-vary") is not None or env.get("downgrade-1.0") is not None
                or env.get("force-response-1.0") is not None):
        return False
    notes = r.notes
    if notes and notes.get("no-etag") is not None:
        return False
    return _plainly_kept_alive(r)


def _usual_head(r: Request) -> Optional[bytes]:
    status = r.status
    if status != 200:
        if status == 304:
            return _usual_304(r)
        other = _USUAL_OTHER.get(status)
        if other is None:
            return None
        usual_line = other[2]
    else:
        other = None
        usual_line = _USUAL_LINE
    if (r.chunked or r.header_only or r.no_cache or r.content_encoding
            or r.content_languages or r.err_headers_out._items):
        return None
    line = r.status_line
    if line and line != usual_line:
        return None
    body = r.body
    kind = type(body)
    if kind is bytes:
        n = len(body)
    elif kind is FileRange:
        n = body.length
    elif kind is list and len(body) == 1 and body[0].__class__ is bytes:
        n = len(body[0])            # an application's one piece (mod_wsgi, CGI)
    else:
        n = body_length(body)
        if n is None:
            return None
    out = r.headers_out
    keys = out._keys
    if not _left_alone(r, keys):
        return None
    ctype = r.content_type
    if ctype:
        d = r.per_dir_config.get(CORE)          # r.module_config(CORE), inline (hot)
        if d is None:
            d = r.server.lookup_defaults.get(CORE)
        if d.add_default_charset:               # else it stays as it is
            ctype = make_content_type(r, ctype)
    banner = _BANNER_OF.get(r.server)
    if banner is None:
        banner = _banner_of_server(r)
    items = out._items
    # the head after Date by everything it is made of: a key seen before passed the
    # checks below (they are a function of the key alone), so a hit skips them
    key = (n, banner, ctype, *items)
    entry = _HEADS.get(key)
    if entry is None:
        entry = _usual_tail(key, keys, items)
        if entry is None:
            return None
    tail, length = entry
    # every condition holds: what finalize_headers would do, done
    if length is not None:
        out.add("Content-Length", length)
    if ctype:
        out._items.append(("Content-Type", ctype))      # Headers.add, inline
        keys.append("content-type")
    r.status_line = usual_line
    conn = r.conn
    conn.keepalive = True
    conn.keepalives += 1
    sec = int(r.request_time)
    start = _USUAL_START if other is None else other
    if start[0] != sec:
        start[:2] = [sec, f"HTTP/1.1 {usual_line}\r\nDate: {ap_http_date(sec)}".encode(
            "ascii")]
    return start[1] + tail


_USUAL_304 = "304 Not Modified"
_START_304 = [-1, b""]      # its status line and Date of the current second


def _usual_304(r: Request) -> Optional[bytes]:
    """_usual_head for a 304 (a browser's revalidation): what finalize_headers does to
    one, done when the same conditions hold (the default status line, a body of known
    length, no err_headers_out, Expires to add, environment or note the filter obeys,
    no field it would fold or replace, every field one that passed check_headers, kept
    alive without a field to add).  The framing fields and the content type, encoding
    and languages are dropped, as there; the head after Date is kept by (banner,
    fields) in _HEADS, as the 200's."""
    if r.no_cache or r.err_headers_out._items:
        return None
    line = r.status_line
    if line and line != _USUAL_304:
        return None
    body = r.body
    if body.__class__ is not bytes and body_length(body) is None:
        return None
    out = r.headers_out
    keys = out._keys
    if not _left_alone(r, keys):
        return None
    banner = _BANNER_OF.get(r.server)
    if banner is None:
        banner = _banner_of_server(r)
    items = out._items
    length = "content-length" in keys
    if length:          # dropped, as the general path drops it (unchecked)
        items = [kv for k, kv in zip(keys, items) if k != "content-length"]
    key = (_USUAL_304, banner, *items)
    tail = _HEADS.get(key)
    if tail is None:
        if not _PASSED.issuperset(items):
            return None
        tail = ("".join([f"\r\nServer: {banner}", *[f"\r\n{k}: {v}" for k, v in items]])
                + "\r\n\r\n").encode("latin-1", "replace")
        if len(_HEADS) >= _HEADS_MAX:
            _HEADS.clear()
        _HEADS[key] = tail
    if length:          # Headers.unset, inline: the fields kept above
        out._items = items
        out._keys = [k for k in keys if k != "content-length"]
    r.content_type = r.content_encoding = None
    r.content_languages = []
    r.chunked = False
    r.status_line = _USUAL_304
    conn = r.conn
    conn.keepalive = True
    conn.keepalives += 1
    sec = int(r.request_time)
    start = _START_304
    if start[0] != sec:
        start[:] = [sec, b"HTTP/1.1 304 Not Modified\r\nDate: "
                    + ap_http_date(sec).encode("ascii")]
    return start[1] + tail


def _usual_tail(key: tuple, keys: list, items: list) -> Optional[tuple]:
    """_usual_head's checks on a key not yet seen (a Content-Length the body's length,
    only once; every field, and the Content-Type, one that passed check_headers), and
    the head after Date they allow, with the Content-Length to add (None when the
    handler set it), kept in _HEADS; None: the general path."""
    n, banner, ctype = key[0], key[1], key[2]
    length = str(n)
    if "content-length" in keys:
        i = keys.index("content-length")
        if items[i][1] != length or keys.count("content-length") > 1:
            return None
        fields = [("Server", banner), *items]
        added = None
    else:
        fields = [("Server", banner), *items, ("Content-Length", length)]
        added = length
    passed = _PASSED
    if not passed.issuperset(fields[1:]) or (ctype and ("Content-Type", ctype) not in passed):
        return None
    if ctype:
        fields.append(("Content-Type", ctype))
    tail = ("".join([f"\r\n{k}: {v}" for k, v in fields]) + "\r\n\r\n").encode(
        "latin-1", "replace")
    if len(_HEADS) >= _HEADS_MAX:
        _HEADS.clear()
    entry = _HEADS[key] = (tail, added)
    return entry
