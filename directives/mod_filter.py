"""mod_filter (modules/filters/mod_filter.c): smart filters, chosen per response.

``FilterDeclare name [type]`` declares a filter (a harness, ftype RESOURCE unless
CONTENT_SET, PROTOCOL, CONNECTION or NETWORK is named); ``FilterProvider name provider
expr`` gives it a provider (a registered filter such as DEFLATE) under an ap_expr
condition, declaring the filter with the provider's type when it was not declared;
``FilterChain [+=-@!]name...`` builds the per-directory chain the insert_filter hook
adds; ``FilterProtocol`` sets the protocol flags (change=yes|no|1:1, byteranges=no,
proxy=no|transform, cache=no); ``FilterTrace`` the trace level (1 logs each pass at
debug, AH01375/AH01376).  ``AddOutputFilterByType NAME[;NAME] type...`` is a provider
matching the response's content type (without parameters) on the filter
``BYTYPE:NAME``, chained once.

When the first data reaches the harness (after the handler: the type is known) it
removes itself from a response that is not a 200 (unless ``filter-errordocs`` is in
the environment), then tries the providers, the last configured first, and runs the
first that matches, after the protocol fix-ups of its flags.
"""
from __future__ import annotations

import weakref
from typing import Optional

import attrs

from httpd import expr as ap_expr
from httpd.core.sections import expr_parse_cmd
from httpd.http.filter import (AP_FILTER_PROTO_CHANGE, AP_FILTER_PROTO_CHANGE_LENGTH,
                               AP_FILTER_PROTO_NO_BYTERANGE, AP_FILTER_PROTO_NO_CACHE,
                               AP_FILTER_PROTO_NO_PROXY, AP_FILTER_PROTO_TRANSFORM,
                               AP_FTYPE_CONNECTION, AP_FTYPE_CONTENT_SET, AP_FTYPE_NETWORK,
                               AP_FTYPE_PROTOCOL, AP_FTYPE_RESOURCE, Filter, FilterRec,
                               add_output_filter_handle, get_output_filter_handle)
from httpd.http.request import evaluate, log_rerror
from httpd.module import ACCESS_CONF, OR_FILEINFO, OR_OPTIONS, RSRC_CONF, Args, Module, directive

MODULE_NAME = "filter_module"
_PLACES = {"content_set": AP_FTYPE_CONTENT_SET, "protocol": AP_FTYPE_PROTOCOL,
           "connection": AP_FTYPE_CONNECTION, "network": AP_FTYPE_NETWORK}


@attrs.define(eq=False)
class Provider:
    """ap_filter_provider_t: a registered filter and when it applies."""

    frec: FilterRec
    expr: Optional[ap_expr.Expr] = None
    types: tuple = ()


@attrs.define(eq=False)
class Smart:
    """What a declared filter's FilterRec carries (``FilterRec.data``)."""

    providers: list = attrs.field(factory=list)     # the last configured first
    debug: int = 0


@attrs.define
class FilterConfig:
    """mod_filter_cfg: the declared filters (name -> FilterRec) and the chain (names;
    None marks a reset, ``!`` and ``=``, that a merge does not look past)."""

    live_filters: dict = attrs.field(factory=dict)
    chain: Optional[list] = None


def create_dir_config(path) -> FilterConfig:
    return FilterConfig()


def merge_dir_config(base: FilterConfig, add: FilterConfig) -> FilterConfig:
    """filter_merge: declarations overlaid; chains joined, starting at the last reset."""
    live = {**base.live_filters, **add.live_filters}
    if base.chain and add.chain:
        chain: Optional[list] = []
        for name in base.chain + add.chain:
            if name is None:
                chain = [None]
            else:
                chain.append(name)
    else:
        chain = add.chain if add.chain else base.chain
    return FilterConfig(live, chain)


# -- directives ----------------------------------------------------------------------------

def _declare(cfg: FilterConfig, fname: str, place: Optional[str]) -> FilterRec:
    ftype = AP_FTYPE_RESOURCE
    if place:
        ftype = _PLACES.get(place.lower(), AP_FTYPE_RESOURCE)
    frec = FilterRec(fname, filter_harness, ftype, data=Smart())
    cfg.live_filters[fname] = frec
    return frec


@directive("FilterDeclare", Args.TAKE12, OR_OPTIONS, "filter-name [filter-type]")
def filter_declare(cmd, cfg: FilterConfig, fname, place=None):
    _declare(cfg, fname, place)
    return None


def _add_filter(cmd, cfg: FilterConfig, fname: str, pname: str, expr: Optional[str],
                types: tuple) -> Optional[str]:
    provider_frec = get_output_filter_handle(pname, cmd.process)
    if provider_frec is None:
        return f"Unknown filter provider {pname}"
    frec = cfg.live_filters.get(fname)
    if frec is None:
        frec = _declare(cfg, fname, None)
        frec.ftype = provider_frec.ftype
    parsed = None
    if expr is not None:
        try:
            parsed = expr_parse_cmd(cmd, expr)
        except ap_expr.ExprError as e:
            return f"Error parsing FilterProvider expression:{e}"
    frec.data.providers.insert(0, Provider(provider_frec, parsed, types))
    return None


@directive("FilterProvider", Args.TAKE3, OR_OPTIONS,
           "filter-name provider-name match-expression")
def filter_provider(cmd, cfg: FilterConfig, fname, pname, expr):
    return _add_filter(cmd, cfg, fname, pname, expr, ())


def _chain(cfg: FilterConfig, arg: str) -> None:
    chain = cfg.chain
    first = arg[:1]
    if first == "+":
        cfg.chain = (chain or []) + [arg[1:]]
    elif first == "@":
        cfg.chain = [arg[1:]] + (chain or [])
    elif first == "-":
        if chain:
            name = arg[1:].lower()
            if chain[0] is not None and chain[0].lower() == name:
                cfg.chain = chain[1:]
            else:
                cfg.chain = chain[:1] + [n for n in chain[1:]
                                         if n is None or n.lower() != name]
    elif first == "!":
        cfg.chain = [None]
    elif first == "=":
        cfg.chain = [None, arg[1:]]
    else:
        cfg.chain = (chain or []) + [arg]


@directive("FilterChain", Args.ITERATE, OR_OPTIONS,
           "list of filter names with optional [+-=!@]")
def filter_chain(cmd, cfg: FilterConfig, arg):
    _chain(cfg, arg)
    return None


@directive("FilterTrace", Args.TAKE2, RSRC_CONF | ACCESS_CONF, "filter-name debug-level")
def filter_debug(cmd, cfg: FilterConfig, fname, level):
    frec = cfg.live_filters.get(fname)
    if frec is None:
        return f"Undeclared smart filter {fname}"
    from httpd.util.cparse import atoi
    frec.data.debug = atoi(level)
    return None


@directive("AddOutputFilterByType", Args.TAKE_ARGV, OR_FILEINFO,
           "output filter name followed by one or more content-types")
def filter_bytype(cmd, cfg: FilterConfig, argv):
    if len(argv) < 2:
        return "AddOutputFilterByType requires at least two arguments"
    types = tuple(argv[1:])
    for pname in (p for p in argv[0].split(";") if p):
        fname = "BYTYPE:" + pname
        seen = fname in cfg.live_filters
        err = _add_filter(cmd, cfg, fname, pname, None, types)
        if err:
            return err
        if not seen:
            _chain(cfg, fname)
    return None


@directive("FilterProtocol", Args.TAKE23, OR_OPTIONS,
           "filter-name [provider-name] protocol-args")
def filter_protocol(cmd, cfg: FilterConfig, fname, pname, proto=None):
    frec = cfg.live_filters.get(fname)
    if frec is None:
        return "FilterProtocol: No such filter"
    provider = None
    if proto is None:
        proto, pname = pname, None
    else:
        for p in frec.data.providers:
            if p.frec.name.lower() == pname.lower():
                provider = p
                break
        if provider is None:
            return "FilterProtocol: No such provider for this filter"
    flags = 0
    for arg in (a for a in _split(proto) if a):
        a = arg.lower()
        if a == "change=yes":
            flags |= AP_FILTER_PROTO_CHANGE | AP_FILTER_PROTO_CHANGE_LENGTH
        if a == "change=no":
            flags &= ~(AP_FILTER_PROTO_CHANGE | AP_FILTER_PROTO_CHANGE_LENGTH)
        elif a == "change=1:1":
            flags |= AP_FILTER_PROTO_CHANGE
        elif a == "byteranges=no":
            flags |= AP_FILTER_PROTO_NO_BYTERANGE
        elif a == "proxy=no":
            flags |= AP_FILTER_PROTO_NO_PROXY
        elif a == "proxy=transform":
            flags |= AP_FILTER_PROTO_TRANSFORM
        elif a == "cache=no":
            flags |= AP_FILTER_PROTO_NO_CACHE
    if provider is not None:
        # Apache sets the registered filter's flags (every provider of that filter, in
        # every section, sees them); here they are this generation's, not the process's
        _provider_flags(cmd.process)[provider.frec] = flags
    else:
        frec.proto_flags = flags
    return None


_GENERATION_FLAGS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _provider_flags(process) -> dict:
    """FilterProtocol's flags for registered filters, per config generation."""
    flags = _GENERATION_FLAGS.get(process)
    if flags is None:
        flags = _GENERATION_FLAGS[process] = {}
    return flags


def _split(text: str):
    """apr_strtok on ";, \\t"."""
    word = ""
    for c in text:
        if c in ";, \t":
            yield word
            word = ""
        else:
            word += c
    yield word


# -- at request time -------------------------------------------------------------------------

def _matches(r, provider: Provider) -> bool:
    if provider.expr is not None:
        try:
            return bool(evaluate(r, provider.expr))
        except Exception as e:      # Apache logs and counts it as no match
            log_rerror(r, "filter", "error", f"AH01379: Error evaluating filter dispatch "
                       f"condition: {e}")
            return False
    ctype = r.content_type
    if not ctype:
        return False
    n = len(ctype)
    for i, ch in enumerate(ctype):
        if ch in "; \t":
            n = i
            break
    base = ctype[:n]
    return any(t == base for t in provider.types)


def _lookup(r, frec: FilterRec) -> Optional[Provider]:
    """filter_lookup: the first provider whose condition holds, after its protocol
    fix-ups."""
    for provider in frec.data.providers:
        if not _matches(r, provider):
            continue
        flags = provider.frec.proto_flags
        overrides = _GENERATION_FLAGS.get(r.process)
        if overrides:
            flags = overrides.get(provider.frec, flags)
        out = r.headers_out
        if flags & AP_FILTER_PROTO_CHANGE:
            out.unset("Content-MD5")
            out.unset("ETag")
            if flags & AP_FILTER_PROTO_CHANGE_LENGTH:
                out.unset("Content-Length")
        if flags & AP_FILTER_PROTO_NO_CACHE:
            out.unset("Last-Modified")
            out.add("Cache-Control", "no-cache")
        if flags & AP_FILTER_PROTO_NO_BYTERANGE:
            out.set("Accept-Ranges", "none")
        else:
            saved = r.request_config.get(MODULE_NAME)
            if saved:
                r.headers_in.set("Range", saved)
                r.request_config[MODULE_NAME] = None
        return provider
    return None


def filter_harness(f, src):
    """filter_harness: pass through, or run the provider that matches."""
    r = f.r
    if r.status != 200 and r.subprocess_env.get("filter-errordocs") is None:
        return src
    smart = f.frec.data
    if smart.debug >= 1:
        log_rerror(r, "filter", "debug", f"AH01375: {f.frec.name}")
    provider = _lookup(r, f.frec)
    if provider is None:
        return src
    return provider.frec.func(Filter(provider.frec, r, None), src)


def filter_insert(r) -> None:
    """filter_insert (insert_filter, MIDDLE): the chain's filters, in order; a Range
    is held back while a filter that changes the length may run (put back when its
    provider turns out not to)."""
    cfg = r.module_config(MODULE_NAME)
    if cfg is None or not cfg.chain:
        return
    ranges = True
    chain = cfg.chain
    if None in chain:            # what a reset (! or =) left before it is gone
        chain = chain[len(chain) - chain[::-1].index(None):]
    for name in chain:
        if name is None:
            continue
        frec = cfg.live_filters.get(name)
        if frec is None:
            log_rerror(r, "filter", "warn", f"AH01380: Unknown filter {name} not added")
            continue
        add_output_filter_handle(frec, None, r)
        if ranges and frec.proto_flags & (AP_FILTER_PROTO_NO_BYTERANGE
                                          | AP_FILTER_PROTO_CHANGE_LENGTH):
            r.request_config[MODULE_NAME] = r.headers_in.get("Range")
            r.headers_in.unset("Range")
            ranges = False


MODULE = Module(
    MODULE_NAME, "mod_filter.c",
    (filter_declare, filter_provider, filter_chain, filter_debug, filter_bytype,
     filter_protocol),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    hooks={"insert_filter": filter_insert},
    doc="Context-sensitive smart filter configuration module",
)
