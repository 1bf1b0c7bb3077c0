"""mod_negotiation (modules/mappers/mod_negotiation.c): content negotiation.

Two ways in, as in Apache: ``Options MultiViews`` (the type_checker, FIRST: a request
for a file that does not exist looks at ``name.*`` in its directory, each candidate
run through the phases as a subrequest, so mod_mime gives its type, language and
encoding; a candidate with an extension nobody claims is dropped, and a type map
among them is used instead) and the ``type-map`` handler (a ``.var`` file: records of
URI, Content-Type with qs/level/charset, Content-Language, Content-Encoding,
Content-Length, Description and inline Body, separated by blank lines).

The variant is chosen by Apache's own algorithm (is_variant_better: media type and
source quality, language quality, then LanguagePriority / Accept-Language order,
level, charset, encoding, length) or, when a client asks for it with ``Negotiate:
1.0``, RVSA/1.0; every quality is computed as Apache computes it, fiddles included
(wildcards at 0.01/0.02 without explicit q values, 0.0001 for a variant without a
language when some have one, iso-8859-1 implied for text, x- encodings).  A GET is
transparently negotiable (TCN): the response carries ``TCN: choice``,
``Content-Location`` and ``Vary: negotiate, accept, accept-language, ...`` (the
dimensions in which the variants differ); a client that supports TCN and gets no
choice receives 300 with ``Alternates`` and the variant list, any other 406 with the
same list as the page.  HTTP/1.0 responses are not cacheable unless
CacheNegotiatedDocs is on.  ``no-gzip``, ``gzip-only-text/html`` and
``prefer-language`` in the environment work as in Apache, and fix_encoding (fixups)
names the encoding with the spelling the client used (gzip or x-gzip).
"""
from __future__ import annotations

from httpd.core.config import OPT_MULTI
from httpd.http.conditional import meets_conditions
from httpd.http.header_filter import allow_methods, set_accept_ranges, set_content_length
from httpd.http.request import internal_redirect
from httpd.module import CORE_MODULE as CORE, Module
from httpd.module.hooks import DECLINED, determined, FIRST, MIDDLE, OK
from httpd.protocol import M_GET, M_OPTIONS, M_POST
from httpd.request.record import FileRange
from httpd.request.subrequest import internal_fast_redirect, sub_req_lookup_file
from httpd.util.uri import escape_uri, make_dirstr_parent
from .config import (cache_negotiated_docs, create_dir_config, create_server_config,
                     MAP_FILE_MAGIC_TYPE, merge_dir_config, merge_server_config,
                     MODULE_NAME, set_force_priority, set_language_priority)
from .records import do_header_line, parse_accept_headers
from .variants import read_type_map, read_types_multi
from .response import do_negotiation


def handle_map_file(r) -> int:
    """The type-map handler."""
    if r.handler not in (MAP_FILE_MAGIC_TYPE, "type-map"):
        return DECLINED
    neg = parse_accept_headers(r)
    res = read_type_map(neg, r)
    if res:
        return res
    res, best = do_negotiation(r, neg, False)
    if res:
        return res
    if best.body:
        allow_methods(r, True, M_GET, M_OPTIONS, M_POST)
        if r.method_number not in (M_GET, M_POST):
            return 405
        set_accept_ranges(r)
        set_content_length(r, best.bytes)
        if best.mime_type:
            r.content_type = (f"{best.mime_type}; charset={best.content_charset}"
                              if best.content_charset else best.mime_type)
        if best.content_languages:
            r.content_languages = list(best.content_languages)
        if best.content_encoding:
            r.content_encoding = best.content_encoding
        res = meets_conditions(r)
        if res != OK:
            return res
        from httpd.core.handler import discard_request_body
        res = discard_request_body(r)
        if res != OK:
            return res
        r.body = FileRange(neg.map_path, best.body, best.bytes)
        return OK
    uri = r.uri
    if r.path_info and uri.endswith(r.path_info):
        uri = uri[:len(uri) - len(r.path_info)]
    udir = escape_uri(make_dirstr_parent(uri))
    if r.args:
        new = f"{udir}{best.file_name}{r.path_info or ''}?{r.args}"
    else:
        new = f"{udir}{best.file_name}{r.path_info or ''}"
    internal_redirect(new, r)
    return OK


def handle_multi(r) -> int:
    """type_checker (FIRST): MultiViews for a file that does not exist."""
    if r.finfo is not None:
        return DECLINED
    d = r.module_config(CORE)
    if d is None or not d.opts & OPT_MULTI:
        return DECLINED
    neg = parse_accept_headers(r)
    res = read_types_multi(neg)
    if res:
        return res
    if not neg.avail_vars:
        return DECLINED
    res, best = do_negotiation(r, neg, r.method_number != M_GET or bool(r.args)
                               or bool(r.path_info))
    if res:
        return res
    sub = best.sub_req
    if sub is None:
        sub = sub_req_lookup_file(best.file_name, r)
        if sub.status != 200:
            return sub.status
    if sub.args is None:
        sub.args = r.args
    internal_fast_redirect(sub, r)
    r.mtime = 0
    return OK


def fix_encoding(r) -> int:
    """fixups: the encoding as the client spelled it (gzip or x-gzip)."""
    enc = r.content_encoding
    if not enc:
        return DECLINED
    if enc.startswith("x-"):
        enc = enc[2:]
    accepts = do_header_line(r.headers_in.get("Accept-Encoding"))
    if accepts is None:
        return DECLINED
    x_enc = None
    for acc in accepts:
        if acc.name == enc:
            r.content_encoding = acc.name
            return OK
        if acc.name.startswith("x-") and acc.name[2:] == enc:
            x_enc = acc.name
    if x_enc:
        r.content_encoding = x_enc
        return OK
    return DECLINED


def _file_exists(r) -> bool:
    """MultiViews looks only for a file that does not exist, and only where it is on
    (hooks.determined)."""
    if r.finfo is not None:
        return True
    d = r.module_config(CORE)
    return d is None or not d.opts & OPT_MULTI


def _no_encoding(r) -> bool:
    """fix_encoding reads Accept-Encoding only for a response with an encoding."""
    return not r.content_encoding


MODULE = Module(
    MODULE_NAME, "mod_negotiation.c",
    (cache_negotiated_docs, set_language_priority, set_force_priority),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    hooks={"fixups": (determined(fix_encoding, _no_encoding), MIDDLE),
           "type_checker": (determined(handle_multi, _file_exists), FIRST),
           "handler": (handle_map_file, MIDDLE)},
    doc="Provides for content negotiation",
)
