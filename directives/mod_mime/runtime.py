"""mod_mime at request time: find_ct, the type checker.

Every extension of the file name counts, in any order ("index.html.fr" is HTML in
French, "x.tar.gz" a tar file encoded with gzip): the last type found wins, languages
accumulate, encodings join with ", ", AddHandler sets the handler and AddCharset adds
a charset parameter to the type.  A directory gets the magic type mod_dir looks for.

What an (extension config, file name) pair yields never changes within a config
generation, so it is computed once and remembered in the generation's caches.
"""
from __future__ import annotations

from typing import Optional

from httpd.module.hooks import DECLINED, OK
from httpd.http.filter import add_input_filters, add_output_filters
from httpd.http.request import generation

MODULE_NAME = "mime_module"
DIR_MAGIC_TYPE = "httpd/unix-directory"
MULTIMATCH_ANY, MULTIMATCH_HANDLERS, MULTIMATCH_FILTERS = 1, 4, 8
MAX_CACHE = 20000
_NO_TYPES: dict = {}        # one empty table (its identity is part of find_ct's key)


def analyze_ct(ctype: str) -> Optional[tuple[str, list[tuple[str, str]]]]:
    """analyze_ct, loosely: (type/subtype, [(attribute, value)...]) or None."""
    base, _, rest = ctype.partition(";")
    base = base.strip()
    kind, slash, sub = base.partition("/")
    if not slash or not kind.strip() or not sub.strip():
        return None
    params = []
    for piece in rest.split(";") if rest else ():
        attr, eq, val = piece.partition("=")
        attr = attr.strip()
        if not attr or not eq:
            return None
        params.append((attr, val.strip()))
    return f"{kind.strip()}/{sub.strip()}", params


def _find(conf, types: dict, name: str) -> tuple:
    """(content type, charset, languages, encoding, handler, found metadata) for a
    file name under one mod_mime config."""
    mappings = conf.extension_mappings or {}
    multimatch = conf.multimatch
    ctype = charset = encoding = handler = filters = in_filters = None
    languages: list[str] = []
    found_metadata = False
    start = 0
    while start < len(name) and name[start] == ".":
        start += 1
    dot = name.find(".", start)
    exts = name[dot + 1:].split(".") if dot >= 0 else []
    # the parts no extension claims, the base name first (ap-mime-exceptions-list)
    exceptions = [name[:dot] if dot >= 0 else name]
    for extcase in exts:
        if not extcase:
            continue                  # "bad..html"
        ext = extcase.lower()
        info = mappings.get(ext)
        found = False
        if info is None or info.forced_type is None:
            t = types.get(ext)
            if t:
                ctype, found = t, True
        if info is not None:
            if info.forced_type:       # "" is RemoveType: hides the types file too
                ctype, found = info.forced_type, True
            if info.charset_type:
                charset, found = info.charset_type, True
            if info.language_type:
                languages.append(info.language_type)
                found = True
            if info.encoding_type:
                encoding = info.encoding_type if encoding is None \
                    else f"{encoding}, {info.encoding_type}"
                found = True
            if info.input_filters:     # (added by name in find_ct, as ap_add_input_filter)
                in_filters = info.input_filters if in_filters is None \
                    else f"{in_filters};{info.input_filters}"
                if multimatch & MULTIMATCH_FILTERS:
                    found = True
            if info.output_filters:
                filters = info.output_filters if filters is None \
                    else f"{filters};{info.output_filters}"
                if multimatch & MULTIMATCH_FILTERS:
                    found = True
            if info.handler:
                handler = info.handler
                if multimatch & MULTIMATCH_HANDLERS:
                    found = True
        if found or multimatch & MULTIMATCH_ANY:
            found_metadata = True
        else:
            exceptions.append(extcase)
    if ctype:
        parsed = analyze_ct(ctype)
        if parsed is not None:
            base, params = parsed
            out, override = base, False
            for attr, val in params:
                if charset and attr == "charset":
                    if not override:
                        out += f"; charset={charset}"
                        override = True
                else:
                    out += f"; {attr}={val}"
            if charset and not override:
                out += f"; charset={charset}"
            ctype = out
    if not languages and conf.default_language:
        languages = [conf.default_language]
    return (ctype, tuple(languages), encoding, handler,
            tuple(exceptions) if found_metadata else None, filters, in_filters)


def find_ct(r) -> int:
    """The type_checker hook."""
    st = r.finfo
    if st is not None and (st.st_mode & 0o170000) == 0o040000:
        r.content_type = DIR_MAGIC_TYPE
        return OK
    if r.filename is None:
        return DECLINED
    conf = r.per_dir_config.get(MODULE_NAME)            # r.module_config, inline
    if conf is None:
        conf = r.server.lookup_defaults.get(MODULE_NAME)
    sconf = r.server.module_config.get(MODULE_NAME)
    types = (sconf.types if sconf is not None else None) or _NO_TYPES
    resource = r.filename + r.path_info if conf.use_path_info else r.filename
    name = resource.rpartition("/")[2]
    caches = generation(r.process).caches
    cache = caches.get(MODULE_NAME)
    if cache is None:
        cache = caches[MODULE_NAME] = {}
    key = (id(conf), id(types), name)
    hit = cache.get(key)
    if hit is None or hit[0] is not conf or hit[1] is not types:
        if len(cache) >= MAX_CACHE:
            cache.clear()
        hit = cache[key] = (conf, types, _find(conf, types, name))
    ctype, languages, encoding, handler, exceptions, filters, in_filters = hit[2]
    if exceptions is not None:
        r.notes["ap-mime-exceptions-list"] = exceptions
    if ctype:
        r.content_type = ctype
    if languages:
        r.content_languages = list(r.content_languages) + list(languages)
    if encoding:
        r.content_encoding = encoding if not r.content_encoding \
            else f"{r.content_encoding}, {encoding}"
    if handler:
        r.handler = handler
    if filters:
        add_output_filters(filters, r)     # AddOutputFilter: into the chain by name
    if in_filters:                       # (no proxy requests in this server)
        add_input_filters(in_filters, r)   # AddInputFilter: by name
    if not r.content_type:
        return DECLINED
    return OK
