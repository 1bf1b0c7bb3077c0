"""The output filter chain (server/util_filter.c): filters registered by name, added to a
request by type, and run over every handler's body before the protocol filters.

Apache's shape, said with Python generators instead of bucket brigades:

* A module registers a filter once, at import (``register_output_filter(name, func,
  ftype)``; names are case-insensitive, as ap_register_output_filter's are).  The core
  names no filter and no module: SetOutputFilter, mod_mime's AddOutputFilter and
  mod_filter's chains all go through ``add_output_filter`` by name.
* ``add_output_filter(name, ctx, r)`` puts a ``Filter`` into ``r.filters``, kept in
  ftype order (AP_FTYPE_RESOURCE < CONTENT_SET < PROTOCOL ...), insertion order within
  a type, as add_any_filter_handle inserts.  An unknown name logs AH00082 and adds
  nothing.
* A filter's ``func(f, src)`` is a generator: ``src`` is the stream from the filter
  before it (an iterator of ``bytes``, each one what Apache passes in one
  ap_pass_brigade; ``src.total`` is the whole length when the handler's body is
  complete and of known length, the "brigade ends with EOS" test), and each piece it
  yields is one pass to the next filter.  It may change the response's header fields
  before its first yield (the head is written after the chain's first pass); a plain
  function that decides at once and returns a generator is the usual shape.  A filter
  that declines (ap_remove_output_filter) returns ``src`` itself.
* ``run(r)``, called by the response writer only when ``r.filters`` is not empty (a
  request without a filter pays one attribute test), runs the chain up to its first
  two passes.  When the whole output came in that one pass (Apache: the brigade that
  reaches the protocol filters holds the EOS) the body is those bytes: the
  content-length filter gives it a Content-Length and the byterange filter
  (httpd.http.byterange, which the default handler leaves to the chain when a filter
  applies) cuts the ranges from the filtered output.  Otherwise the body streams
  (no Content-Length: chunked on HTTP/1.1) and ranges are ignored, as
  ap_byterange_filter ignores a brigade without EOS.  A HEAD stops there too.

Input filters, the same way round (ap_register_input_filter, ap_add_input_filter): a
filter registered by name with ``register_input_filter(name, func, ftype)``, added to
``r.input_filters`` by SetInputFilter (the core's insert_filter) and mod_mime's
AddInputFilter.  ``func(f, src)`` is a generator over the request body as the client
sends it (``src``: an iterator of ``bytes``) yielding the body the handler reads; a
filter that declines returns ``src``; one that fails raises ``InputFilterError``
with the status the handler answers (ap_map_http_request_error: 413 for APR_ENOSPC,
otherwise 400).  The body reader (httpd.io.request_body) runs the chain at the
handler's first read, so the filters see the request as the handler does.
"""
from __future__ import annotations

import itertools
import os
from typing import Any, Callable, Iterator, Optional

import attrs

from httpd.log import errorlog
from httpd.http.header_filter import body_length
from httpd.request.record import FLUSH, FileRange, Part, Request
from httpd.util.fspath import fs_path

AP_FTYPE_RESOURCE = 10
AP_FTYPE_CONTENT_SET = 20
AP_FTYPE_PROTOCOL = 30
AP_FTYPE_TRANSCODE = 40
AP_FTYPE_CONNECTION = 50
AP_FTYPE_NETWORK = 60

# proto_flags (util_filter.h)
AP_FILTER_PROTO_CHANGE = 0x1
AP_FILTER_PROTO_CHANGE_LENGTH = 0x2
AP_FILTER_PROTO_NO_BYTERANGE = 0x4
AP_FILTER_PROTO_NO_PROXY = 0x8
AP_FILTER_PROTO_NO_CACHE = 0x10
AP_FILTER_PROTO_TRANSFORM = 0x20

READ_BLOCK = 65536          # a file body is fed to the chain in blocks of this size


@attrs.define(eq=False)
class FilterRec:
    """ap_filter_rec_t: a registered (or, for mod_filter, declared) filter."""

    name: str
    func: Callable[..., Iterator[bytes]]
    ftype: int = AP_FTYPE_RESOURCE
    proto_flags: int = 0
    data: Any = None             # what the registering module keeps with it (mod_filter)
    module: Optional[str] = None   # who registered it: usable only where it is loaded


@attrs.define(eq=False, slots=True)
class Filter:
    """ap_filter_t: one filter of one request, with its context."""

    frec: FilterRec
    r: Request
    ctx: Any = None


class Stream:
    """The pieces a filter reads; ``total`` is the whole length when known up front."""

    __slots__ = ("it", "total")

    def __init__(self, it, total: Optional[int] = None):
        self.it, self.total = iter(it), total

    def __iter__(self):
        return self.it

    def __next__(self):
        return next(self.it)


_OUTPUT: dict[str, FilterRec] = {}


def register_output_filter(name: str, func, ftype: int = AP_FTYPE_RESOURCE,
                           proto_flags: int = 0, module: Optional[str] = None) -> FilterRec:
    """ap_register_output_filter(_protocol): a later registration of a name replaces an
    earlier one.  Apache registers a module's filters when the module is loaded; here
    a module registers at import and names itself (``module``), and the filter is known
    only to a generation that loads that module."""
    frec = FilterRec(name, func, ftype, proto_flags, module=module)
    _OUTPUT[name.lower()] = frec
    return frec


def _handle(table: dict, name: str, process: Any) -> Optional[FilterRec]:
    """get_filter_handle: ``name`` in ``table``, if its module is loaded in the
    generation of ``process`` (when given)."""
    frec = table.get(name.lower())
    if frec is not None and frec.module is not None and process is not None:
        registry = getattr(process, "registry", None)
        if registry is not None and not registry.is_loaded(frec.module):
            return None
    return frec


def _placed(filters: tuple, f: Filter) -> tuple:
    """add_any_filter_handle's place: after every filter of a type not above its own."""
    i = len(filters)
    while i and filters[i - 1].frec.ftype > f.frec.ftype:
        i -= 1
    return filters[:i] + (f,) + filters[i:]


def _unknown(r: Request, name: str) -> None:
    errorlog.log_rerror(r, "core", "error", f"AH00082: an unknown filter was not added: "
                        f"{name}")


def get_output_filter_handle(name: str, process: Any = None) -> Optional[FilterRec]:
    """ap_get_output_filter_handle (for the generation of ``process`` when given)."""
    return _handle(_OUTPUT, name, process)


def add_output_filter_handle(frec: FilterRec, ctx: Any, r: Request) -> Filter:
    """ap_add_output_filter_handle."""
    f = Filter(frec, r, ctx)
    r.filters = _placed(r.filters, f)
    return f


def add_output_filter(name: str, ctx: Any, r: Request) -> Optional[Filter]:
    """ap_add_output_filter: by name; AH00082 for a name nobody registered."""
    frec = get_output_filter_handle(name, r.process)
    if frec is None:
        _unknown(r, name)
        return None
    return add_output_filter_handle(frec, ctx, r)


def _add_names(names: str, add, r: Request) -> None:
    """A ``;``-separated list of filter names, each added in order (ap_getword)."""
    for name in names.split(";"):
        if name:
            add(name, None, r)


def add_output_filters(names: str, r: Request) -> None:
    """SetOutputFilter's and AddOutputFilter's list."""
    _add_names(names, add_output_filter, r)


# -- input filters --------------------------------------------------------------------------

_INPUT: dict[str, FilterRec] = {}


class InputFilterError(Exception):
    """An input filter could not give the body: the handler's read fails with
    ``status`` (ap_map_http_request_error)."""

    def __init__(self, status: int, reason: str = ""):
        super().__init__(reason or f"input filter error {status}")
        self.status = status


def register_input_filter(name: str, func, ftype: int = AP_FTYPE_RESOURCE,
                          module: Optional[str] = None) -> FilterRec:
    """ap_register_input_filter (see register_output_filter)."""
    frec = FilterRec(name, func, ftype, module=module)
    _INPUT[name.lower()] = frec
    return frec


def get_input_filter_handle(name: str, process: Any = None) -> Optional[FilterRec]:
    """ap_get_input_filter_handle (for the generation of ``process`` when given)."""
    return _handle(_INPUT, name, process)


def add_input_filter(name: str, ctx: Any, r: Request) -> Optional[Filter]:
    """ap_add_input_filter: by name; AH00082 for a name nobody registered."""
    frec = get_input_filter_handle(name, r.process)
    if frec is None:
        _unknown(r, name)
        return None
    f = Filter(frec, r, ctx)
    r.input_filters = _placed(r.input_filters, f)
    return f


def add_input_filters(names: str, r: Request) -> None:
    """SetInputFilter's and AddInputFilter's list."""
    _add_names(names, add_input_filter, r)


def run_input(r: Request, src: Iterator[bytes]) -> Iterator[bytes]:
    """The request body through ``r.input_filters`` (the body as the handler reads
    it)."""
    stream = src
    for f in r.input_filters:
        stream = f.frec.func(f, stream)
    return stream


def remove_output_filter(f: Filter) -> None:
    """ap_remove_output_filter (before the chain runs)."""
    r = f.r
    r.filters = tuple(x for x in r.filters if x is not f)


# -- running the chain ---------------------------------------------------------------------

def _file_blocks(fr: FileRange) -> Iterator[bytes]:
    if fr.data is not None:
        data = fr.data
        if fr.offset or fr.length != len(data):
            data = data[fr.offset:fr.offset + fr.length]
        yield data
        return
    fd = os.open(fs_path(fr.path), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        pos, end = fr.offset, fr.offset + fr.length
        while pos < end:
            block = os.pread(fd, min(READ_BLOCK, end - pos), pos)
            if not block:
                break
            pos += len(block)
            yield block
    finally:
        os.close(fd)


def body_pieces(body: Any) -> Iterator[bytes]:
    """The handler's body description as bytes, in order (a file read in blocks)."""
    if body is None:
        return
    if isinstance(body, (bytes, bytearray, memoryview)):
        if body:
            yield bytes(body)
        return
    if isinstance(body, FileRange):
        yield from _file_blocks(body)
        return
    for piece in body:
        if piece is FLUSH:     # a streaming handler's flush: the filters see bytes only
            continue
        if isinstance(piece, Part):
            yield piece.header
            piece = piece.body
        if isinstance(piece, FileRange):
            yield from _file_blocks(piece)
        elif piece:
            yield bytes(piece)


def run(r: Request) -> None:
    """Run ``r.filters`` over ``r.body`` (see the module's doc); leaves in ``r.body``
    the filtered body: bytes when the whole output came in one pass, else an iterator
    of its pieces."""
    from httpd.http.byterange import apply_byterange
    filters, r.filters = r.filters, ()
    body = r.body
    if r.main is not None or body is None:
        return
    stream = Stream(body_pieces(body), body_length(body))
    for f in filters:
        out = f.frec.func(f, stream)
        if out is not stream:          # a filter that declines returns its input
            stream = Stream(out)
    first = next(stream, None)
    if first is None:
        r.body = b""
        return
    second = next(stream, None)
    if second is None:
        # the whole output in one pass: its length is known; ranges apply to it
        r.body = first
        status = apply_byterange(r, first)
        if status != 0:
            # 416: send_416's error bucket, which the header filter hands to ap_die: the
            # ErrorDocument (text, URL, or a local one served as r.next) or the canned page
            from httpd.http.request import die
            die(status, r)
        return
    r.headers_out.unset("Content-Length")
    if r.header_only:
        r.body = (b"",)
        return
    r.body = itertools.chain((first, second), stream)
