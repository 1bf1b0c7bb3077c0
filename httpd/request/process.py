"""The request core of server/request.c: ap_process_request_internal (from the URI to
the fixups), the URI path rules (ap_normalize_path, ap_unescape_url_ex, ap_parse_uri),
the generation's hook table and walk caches, ap_log_rerror for requests, and the
expression helpers the phases use.  The HTTP module (httpd/http/request.py) runs it for a
request; subrequests (subrequest.py) run it for theirs."""
from __future__ import annotations

import operator
import os
import re
import weakref
from typing import Optional

import attrs

from httpd.log import errorlog as _errorlog
from httpd.request.expr_context import RequestExprContext
from httpd.module.hooks import DECLINED, OK, HookTable
from httpd.request.record import Request
from httpd.request.directory_walk import Walker
from httpd.util.fspath import fs_path
from httpd.request.section_walks import if_walk, location_walk
from httpd.module import CORE_MODULE as CORE

HTTP_OK = 200
HTTP_MOVED_TEMPORARILY = 302
HTTP_BAD_REQUEST = 400
HTTP_INTERNAL_SERVER_ERROR = 500
DEFAULT_MAX_INTERNAL_REDIRECTS = DEFAULT_MAX_SUBREQ_DEPTH = 10
HTTP_UNAUTHORIZED = 401
SATISFY_ALL, SATISFY_ANY, SATISFY_NOSPEC = 0, 1, 2
# the provider group of Apache's APR_OPTIONAL_FN: a module offers a function by name
# (``providers={"optional_fn": {"authn_ap_auth_type": fn}}``), the core finds it only
# while that module is loaded
OPTIONAL_FN = "optional_fn"


class Generation:
    """What a config generation computes once for every request."""

    def __init__(self, process):
        self.process = process
        self.hooks = process.registry.hooks
        self.walker = Walker(process)
        # per-module memo tables that must not outlive the generation (mod_mime's types
        # by file name...), by module name
        self.caches: dict[str, dict] = {}
        # APR_OPTIONAL_FN: what the loaded modules offer the core (ap_auth_type,
        # ap_auth_name, ap_satisfies), or None
        optional = process.registry.provider
        self.auth_type_fn = optional(OPTIONAL_FN, "authn_ap_auth_type")
        self.auth_name_fn = optional(OPTIONAL_FN, "authn_ap_auth_name")
        self.satisfies_fn = optional(OPTIONAL_FN, "access_compat_ap_satisfies")
        # the pipeline memo (see _replay): on while every function of the phases is
        # declared determined and no module stats for the directory walk
        whens = self.hooks.determined(MEMO_PHASES)
        self.memo_whens = whens
        self.memo: Optional[dict] = (
            {} if whens is not None and not self.walker.stat_hooks else None)
        self.checked = None         # (subrequest, the config its access check saw)


_GENERATIONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def generation(process) -> Generation:
    try:
        return process.http_generation     # one attribute read on the request path
    except AttributeError:
        pass
    gen = _GENERATIONS.get(process)
    if gen is None:
        gen = _GENERATIONS[process] = Generation(process)
    try:
        process.http_generation = gen
    except AttributeError:                  # a slotted stand-in (tests)
        pass
    return gen


def hook_table(process) -> HookTable:
    """The generation's hook table, for ``process_request(r, hook_table(process))``."""
    return generation(process).hooks


def log_rerror(r, module: str, level: str, msg: str, status=None) -> None:
    """ap_log_rerror (httpd.log.errorlog: filtered by the request's LogLevel); ``status``
    an errno or OSError for the ``(13)Permission denied:`` prefix."""
    _errorlog.log_rerror(r, module, level, msg, status=status)


_LEVELS = {"emerg": 0, "alert": 1, "crit": 2, "error": 3, "warn": 4, "notice": 5, "info": 6,
           "debug": 7}


def log_enabled(r, module: str, level: str) -> bool:
    """Would LogLevel (per directory, else per server) let ``level`` through for
    ``module`` (an identifier such as "authz_core_module")?  Lets a hot path skip
    building a debug message."""
    d = r.per_dir_config.get(CORE)           # r.module_config(CORE), inline
    if d is None:
        d = r.server.lookup_defaults.get(CORE)
    lc = d.log if d is not None else None
    n = lc.level_for(module) if lc is not None else None
    if n is None:
        n = r.server.module_config[CORE].log.level_for(module)
    return (4 if n is None else n) >= _LEVELS[level]


def expr_context(r):
    """An ap_expr evaluation context over the request."""
    return RequestExprContext(r)


def evaluate(r, expr) -> bool:
    """ap_expr_exec (raises ExprError on an evaluation error)."""
    return expr.exec(expr_context(r))


def evaluate_str(r, expr) -> str:
    """ap_expr_str_exec (raises ExprError on an evaluation error)."""
    return expr.str_exec(expr_context(r))


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_BAD_PCT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _decode_unreserved(m: re.Match) -> str:
    c = chr(int(m.group(1), 16))
    return c if c in _UNRESERVED else m.group(0)


def normalize_path(path: str, merge_slashes: bool = True, decode: bool = True,
                   clamp: bool = False) -> Optional[str]:
    """ap_normalize_path(NOT_ABOVE_ROOT | DECODE_UNRESERVED [| MERGE_SLASHES]): decode
    the escapes of unreserved characters, then remove dot segments (RFC 3986 5.2.4).
    None when the path is not absolute, holds an invalid escape or climbs above '/';
    with ``clamp`` a '..' at the root is dropped instead, and ``decode`` False leaves
    escapes alone (a second pass must never decode twice)."""
    if not path.startswith("/"):
        return path if path == "*" else None
    if decode and "%" in path:
        if _BAD_PCT.search(path):
            return None
        path = _PCT.sub(_decode_unreserved, path)
    if "/." not in path and not (merge_slashes and "//" in path):
        return path
    parts = path.split("/")
    last = len(parts) - 1
    out: list[str] = []
    for i in range(1, last + 1):
        seg = parts[i]
        if seg == "." or seg == "..":
            if seg == "..":
                if out:
                    out.pop()
                elif not clamp:
                    return None
            if i == last:
                out.append("")
            continue
        if not seg and merge_slashes and i != last:
            continue
        out.append(seg)
    return "/" + "/".join(out)


def unescape_path(path: str, allow_slashes: bool, decode_slashes: bool) -> tuple[int, str]:
    """ap_unescape_url_ex after normalisation: (0, decoded), or 400 for an invalid
    escape, or 404 for an escaped NUL or (AllowEncodedSlashes Off) '/'."""
    if "%" not in path:
        return 0, path
    return _unescape_escapes(path, allow_slashes, decode_slashes)


def _unescape_escapes(path: str, allow_slashes: bool, decode_slashes: bool) -> tuple[int, str]:
    """unescape_path's work when there is a '%' (its own function: the closure cell it
    needs would otherwise be made on every call, escapes or not)."""
    if _BAD_PCT.search(path):
        return HTTP_BAD_REQUEST, path
    bad = False

    def repl(m: re.Match) -> str:
        nonlocal bad
        c = chr(int(m.group(1), 16))
        if c == "\0" or (c == "/" and not allow_slashes):
            bad = True
            return m.group(0)
        if c == "/" and not decode_slashes:
            return m.group(0)
        return c

    out = _PCT.sub(repl, path)
    return (404, path) if bad else (0, out)


def parse_uri(r: Request, uri: str) -> None:
    """ap_parse_uri for a local URI: path and query (a fragment is dropped)."""
    r.unparsed_uri = uri
    while uri.startswith("//"):
        uri = uri[1:]
    uri = uri.partition("#")[0]
    path, q, query = uri.partition("?")
    r.args = query if q else None
    r.uri = path or "/"


def _decl_die(r, status: int, phase: str) -> int:
    if status == DECLINED:
        log_rerror(r, "core", "crit", f"AH00025: configuration error:  couldn't {phase}: "
                   f"{r.uri}")
        return HTTP_INTERNAL_SERVER_ERROR
    return status


def _walk_location_and_if(r, walker: Walker) -> int:
    """ap_location_walk then ap_if_walk; each only when there is something to match (a
    <Location> in the server, an <If> in the config so far)."""
    if walker.sections_of(r.server).locations:
        status = location_walk(r, walker)
        if status:
            return status
    dconf = r.per_dir_config.get(CORE)
    if dconf is not None and dconf.sec_if:
        walker.if_walks += 1            # an expression's answer: no memo (_record)
        return if_walk(r, walker, evaluate, log_rerror)
    return OK


def process_request_internal(r: Request, gen: Optional[Generation] = None) -> int:
    """ap_process_request_internal: from the URI to the fixups; OK or a status.

    The pipeline memo: a fresh request (no file name, type, handler or finfo yet, the
    server's default config, not an internal redirect) to a (server, URI path, method
    number, main or subrequest) whose run was kept (_record) replays that run after
    one stat of its file: the same mode, inode and device, and for a subrequest the
    same answer to "is the config its access check saw its parent's?".  Any other
    request, or a replay whose stat differs, runs the phases (_pipeline), which may
    keep the run for the next one."""
    gen = gen or generation(r.process)
    memo = gen.memo
    if (memo is not None and r.prev is None and r.filename is None and r.finfo is None
            and r.handler is None and r.content_type is None and not r.path_info
            and r.per_dir_config is r.server.lookup_defaults):
        main = r.main
        key = (r.server, r.uri, r.method_number, main is None)
        entry = memo.get(key)
        if entry is None:
            return _probe(r, gen, memo, key)
        if entry is _NEVER:
            return _pipeline(r, gen)
        if entry is not _CANDIDATE:
            st = memo_holds(entry, main)
            if st is not None:
                entry[4](r, st, entry[5])               # replay(r, st, values)
                if main is not None and entry[6][1]:    # the parent's access decision
                    r.user, r.ap_auth_type = main.user, main.ap_auth_type
                return OK
        return _record(r, gen, memo, key)
    return _pipeline(r, gen)


def memo_holds(entry: tuple, main: Optional[Request]):
    """The replay's tests of a kept run (a memo entry: path, mode, inode, device,
    replay, values, checked, missing) for a record whose main request is ``main``: the
    stat of its file (returned) when it has the same mode, inode and device and, for a
    subrequest, the config its access check saw is its parent's as it was; else None
    (process_request_internal's replay, and lookup_uri_path's kept answers).

    A negative entry (``missing`` set: a run whose file does not exist) names the
    deepest existing directory of the walk instead of the file, and also asks that
    its missing component (``missing``, that directory's child) still gives ENOENT to
    lstat: see _record for why those two tests are the walk's whole answer."""
    path, mode, ino, dev, _, _, checked, missing = entry
    try:
        st = os.stat(fs_path(path))
    except OSError:
        return None
    if (st.st_mode == mode and st.st_ino == ino and st.st_dev == dev
            and (main is None or (checked[0] is main.per_dir_config) is checked[1])):
        if missing is None:
            return st
        try:                    # a negative entry: the missing component still is
            os.lstat(fs_path(missing))
        except FileNotFoundError:
            return st
    return None


# the phases the memo replays (those of _pipeline for a main request), and the
# per-request fields it leaves out of its snapshot: the connection's and the
# protocol's, and those it treats on their own (finfo is stat'ed again; notes, the
# environment and the module state are diffed; the tables must be left as they were)
MEMO_PHASES = ("translate_name", "map_to_storage", "post_perdir_config", "header_parser",
               "access_checker", "access_checker_ex", "force_authn", "check_user_id",
               "auth_checker", "type_checker", "fixups")
_MEMO_APART = frozenset(("conn", "server", "process", "headers_in", "finfo", "notes",
                         "subprocess_env", "request_config", "headers_out",
                         "err_headers_out", "trailers_in", "trailers_out"))
_MEMO_KEEP = frozenset(("filters", "input_filters", "output_filters"))
_MEMO_FIELDS = tuple(a.name for a in attrs.fields(Request) if a.name not in _MEMO_APART)
_memo_snapshot = operator.attrgetter(*_MEMO_FIELDS)
MAX_MEMO = 4096
_NOTICE = 5


def _quiet(conf) -> bool:
    """Does the LogLevel of a core config let nothing below notice through (so a
    replay, which logs nothing, misses no info or debug line of the phases)?"""
    lc = conf.log if conf is not None else None
    if lc is None:
        return True
    if lc.level is not None and lc.level > _NOTICE:
        return False
    return not lc.module_levels or max(lc.module_levels.values()) <= _NOTICE


# an entry for a key whose last run could have been kept: the next request for it
# records its run (_record); a key seen once and never storable (a 404, a walk that
# reads .htaccess) costs only _probe's few tests on top of the phases
_CANDIDATE = object()
# a key whose run passed _storable but changed what a replay cannot give (a filter
# chain, a response field, a removed note): the phases run, nothing is recorded
_NEVER = object()


def _storable(r: Request, gen: Generation, status: int, if_walks: int):
    """_record's tests that need no snapshot (see there): None when the run cannot be
    kept, else the subrequest's (config its access check saw, was it the parent's),
    or () for a main request."""
    walker = gen.walker
    if status != OK or walker.if_walks != if_walks or r.filename is None:
        return None
    if r.finfo is None:
        m = walker.missing
        if m is None or m[0] is not r:
            return None
    elif walker.fast_for is not r:
        return None
    checked = ()
    main = r.main
    if main is not None:
        # a subrequest's access phases are skipped when it lands in its parent's
        # config: keep the config the check saw, and whether it was the parent's
        if gen.checked is None or gen.checked[0] is not r:
            return None
        checked = (gen.checked[1], gen.checked[1] is main.per_dir_config)
    server = r.server
    if not (_quiet(server.module_config[CORE]) and _quiet(server.lookup_defaults.get(CORE))
            and _quiet(r.per_dir_config.get(CORE))):
        return None
    for when in gen.memo_whens:
        if not when(r):
            return None
    return checked


def _probe(r: Request, gen: Generation, memo: dict, key: tuple) -> int:
    """The phases for a key not in the memo; if the run could be kept, the key becomes
    a candidate, so the next request for it records (without a snapshot of the record:
    most runs that cannot be kept are never asked to pay for one)."""
    walker = gen.walker
    walker.fast_for = walker.missing = None
    if_walks = walker.if_walks
    gen.checked = None
    status = _pipeline(r, gen)
    if _storable(r, gen, status, if_walks) is not None:
        if len(memo) >= MAX_MEMO:
            memo.clear()
        memo[key] = _CANDIDATE
    return status


def _record(r: Request, gen: Generation, memo: dict, key: tuple) -> int:
    """The phases for a fresh request, and what they did to the record, kept for the
    next request to the same (server, URI path, method number, main or sub) when the
    run depended on nothing else: it ended OK; every function of the phases is
    declared determined (the generation's memo is off otherwise) and every ``when``
    of those declarations holds; the directory walk's answer depends on the config
    and the last file's stat alone (Walker.fast_for: no .htaccess looked up, links
    followed unconditionally, an existing file); no <If> was evaluated (in any
    thread meanwhile); the response tables and filter chains were left alone; notes,
    environment and module state only gained entries; no LogLevel above notice is in
    force (a replay logs nothing).  A subrequest's entry also keeps the config its
    access check saw and whether that was its parent's.

    A negative entry: a run that ended OK on a file that does not exist (r.finfo None;
    the handler answers 404, a PATH_TRANSLATED subrequest keeps its name) is kept only
    when the walk said so (Walker.missing): it stopped at an lstat giving ENOENT,
    read no .htaccess, and at every existing component it lstat'ed a link would have
    been followed unconditionally (FollowSymLinks without SymLinksIfOwnerMatch, and
    below a mapping root only by an explicit Options, so no owner or link-leaving-the-
    root test could answer).  Then its answer is a function of the config and of the
    path strings alone, given that (a) the deepest existing directory D still resolves
    to a directory -- so does every component above it, each then being a directory
    or a link to one, each of which the walk passes -- and (b) D's child the walk
    stopped at still gives ENOENT.  The replay tests (memo_holds) check more than
    that: D's stat has the mode, inode and device the walk saw (the stat it made,
    not one made here: no race), and lstat of the missing component is ENOENT.  A
    file or directory created there, a link put there (even a dangling one), D
    replaced or removed, a component above it made unreachable: each fails a test."""
    walker = gen.walker
    walker.fast_for = walker.missing = None
    if_walks = walker.if_walks
    gen.checked = None
    before = _memo_snapshot(r)
    lists = {i: list(v) for i, v in enumerate(before) if v.__class__ is list}
    notes, env, rconf = dict(r.notes), dict(r.subprocess_env), dict(r.request_config)
    out_items, err_items = r.headers_out.items(), r.err_headers_out.items()
    status = _pipeline(r, gen)
    checked = _storable(r, gen, status, if_walks)
    if checked is None:
        memo.pop(key, None)     # a stale entry or candidate: the next run probes
        return status
    memo[key] = _NEVER          # until the run is kept below
    if r.headers_out.items() != out_items or r.err_headers_out.items() != err_items:
        return status
    fields = []
    for i, (name, old, new) in enumerate(zip(_MEMO_FIELDS, before, _memo_snapshot(r))):
        if new is old and (i not in lists or new == lists[i]):
            continue
        cls = new.__class__
        if name in _MEMO_KEEP:
            return status               # a filter chain (its records may hold state)
        if cls is list:
            fields.append((name, tuple(new), True))
        elif cls is dict and name != "per_dir_config" or cls is set:
            return status               # a container the replay could not copy
        else:
            fields.append((name, new, False))
    added_notes = _added(notes, r.notes)
    added_env = _added(env, r.subprocess_env)
    added_rconf = _added(rconf, r.request_config)
    if added_notes is None or added_env is None or added_rconf is None:
        return status
    st = r.finfo
    missing = None
    if st is None:                     # a negative entry (_storable: the walk's word)
        m = walker.missing              # (read once: another thread may walk)
        if m is None or m[0] is not r:
            memo.pop(key, None)         # another walk meanwhile: the next run probes
            return status
        _, path, st, missing = m
        if st is None:
            try:
                st = os.stat(fs_path(path))
            except OSError:
                memo.pop(key, None)
                return status
        missing = _bytes_path(missing)
    else:
        path = r.filename
    values = tuple(f[1] for f in fields)
    shape = (tuple((f[0], f[2]) for f in fields), bool(added_notes), bool(added_env),
             bool(added_rconf), missing is not None)
    values += tuple(d for d in (added_notes, added_env, added_rconf) if d)
    if len(memo) >= MAX_MEMO:
        memo.clear()
    memo[key] = (_bytes_path(path), st.st_mode, st.st_ino, st.st_dev, _replayer(shape),
                 values, checked, missing)
    return status


def _bytes_path(path: str) -> bytes:
    """A request path as bytes: the replay's stat encodes nothing."""
    path = fs_path(path)
    return os.fsencode(path) if path.__class__ is str else path


_REPLAYERS: dict = {}


def _replayer(shape: tuple):
    """``replay(r, st, values)`` for entries of one shape (the fields a run set, and
    whether it added notes, environment, module state): generated once per shape (a
    handful in a server), so a replay is a run of attribute stores, no loop."""
    fn = _REPLAYERS.get(shape)
    if fn is not None:
        return fn
    names, notes, env, rconf, negative = shape
    # a negative entry's record keeps finfo None (st is its directory's)
    lines = ["def replay(r, st, v):", "    pass" if negative else "    r.finfo = st"]
    i = 0
    for i, (name, is_list) in enumerate(names):
        lines.append(f"    r.{name} = list(v[{i}])" if is_list else f"    r.{name} = v[{i}]")
    i = len(names)
    for flag, table in ((notes, "notes"), (env, "subprocess_env"),
                        (rconf, "request_config")):
        if flag:
            lines.append(f"    r.{table}.update(v[{i}])")
            i += 1
    scope: dict = {}
    exec("\n".join(lines), scope)
    fn = _REPLAYERS[shape] = scope["replay"]
    return fn


def _added(before: dict, after: dict) -> Optional[dict]:
    """The entries ``after`` gained or changed over ``before`` (None: one was removed,
    or holds a mutable container a replay would share)."""
    if len(after) < len(before) or any(k not in after for k in before):
        return None
    out = {k: v for k, v in after.items() if k not in before or before[k] is not v}
    for v in out.values():
        if v.__class__ in (list, dict, set):
            return None
    return out


def _pipeline(r: Request, gen: Generation) -> int:
    """The phases of ap_process_request_internal, as Apache runs them.  The hooks run
    through their compiled chains (HookTable.runners): a phase nothing joined costs a
    test, a phase of one function one guarded call."""
    table, walker = gen.hooks, gen.walker
    run = table.runners
    file_req = r.main is not None and r.filename is not None
    if not r.per_dir_config:
        r.per_dir_config = r.server.lookup_defaults
    if r.uri and not file_req:
        uri = r.uri
        sconf = r.server.module_config[CORE]
        merge = sconf.merge_slashes is not False
        if (uri[0] == "/" and "%" not in uri and "/." not in uri
                and not (merge and "//" in uri)):
            path = uri              # normalize_path's own first test: nothing to do
        else:
            path = normalize_path(uri, merge)
        if path is None:
            log_rerror(r, "core", "error", f"AH10244: invalid URI path ({r.unparsed_uri})")
            return HTTP_BAD_REQUEST
        if "%" in path:
            d = r.per_dir_config.get(CORE) or r.server.lookup_defaults[CORE]
            status, path = _unescape_escapes(path, bool(d.allow_encoded_slashes),
                                             bool(d.decode_encoded_slashes))
            if status:
                if status == 404 and not d.allow_encoded_slashes:
                    log_rerror(r, "core", "info", "AH00026: found %2f (encoded '/') in URI "
                               f"path ({r.unparsed_uri}), returning 404")
                return status
            if d.allow_encoded_slashes and d.decode_encoded_slashes:
                # decoded slashes may make new dot segments ("/.%2F/"): once more, as
                # Apache does, without decoding again and keeping to the root
                path = normalize_path(path, merge, decode=False, clamp=True)
        r.uri = path
    if not file_req:
        status = _walk_location_and_if(r, walker)
        if status:
            return status
        fn = run["translate_name"]
        status = fn(r) if fn is not None else DECLINED
        if status:
            return _decl_die(r, status, "translate")
    r.per_dir_config = r.server.lookup_defaults
    fn = run["map_to_storage"]
    if fn is not None:
        status = fn(r)
        if status:
            return status
    else:
        return DECLINED
    status = _walk_location_and_if(r, walker)
    if status:
        return status
    fn = run["post_perdir_config"]
    if fn is not None:
        status = fn(r)
        if status:
            return status
    if r.main is None:
        fn = run["header_parser"]
        if fn is not None:
            status = fn(r)
            if status:
                return status
    status = _check_access(r, run, gen)
    if status:
        return status
    fn = run["type_checker"]
    status = fn(r) if fn is not None else DECLINED
    if status != OK:
        return _decl_die(r, status, "find types")
    fn = run["fixups"]
    return fn(r) if fn is not None else OK


def stat_cached(r: Request, module: str, path: str, parse):
    """``parse(path)``, computed again only when the file's stat (inode, size,
    modification time) changed since the last call of this generation: a file a module
    reads at request time (AuthUserFile) costs a stat while it is unchanged.  Raises
    OSError."""
    cache = generation(r.process).caches.setdefault(module, {})
    st = os.stat(fs_path(path))
    key = (st.st_ino, st.st_size, st.st_mtime_ns)
    hit = cache.get(path)
    if hit is not None and hit[0] == key:
        return hit[1]
    value = parse(path)
    cache[path] = (key, value)
    return value


def auth_type(r: Request) -> Optional[str]:
    """ap_auth_type: the AuthType in force (mod_authn_core's), None without one."""
    fn = generation(r.process).auth_type_fn
    return fn(r) if fn is not None else None


def auth_name(r: Request) -> Optional[str]:
    """ap_auth_name: the AuthName in force, quotes escaped (mod_authn_core's)."""
    fn = generation(r.process).auth_name_fn
    return fn(r) if fn is not None else None


def satisfies(r: Request) -> int:
    """ap_satisfies: mod_access_compat's Satisfy, SATISFY_NOSPEC without it."""
    fn = generation(r.process).satisfies_fn
    return fn(r) if fn is not None else SATISFY_NOSPEC


def note_auth_failure(r: Request) -> None:
    """ap_note_auth_failure: the AuthType's module adds its challenge."""
    kind = auth_type(r)
    if kind:
        for fn in generation(r.process).hooks.functions("note_auth_failure"):
            if fn(r, kind) != DECLINED:
                return
    else:
        log_rerror(r, "core", "error", f"AH00571: need AuthType to note auth failure: "
                   f"{r.uri}")


def _check_access(r: Request, run, gen: Generation) -> int:
    """The authn/authz phases of ap_process_request_internal, by ap_satisfies; skipped
    when a redirect or a subrequest keeps its parent's config.  ``run``: the hook
    table's compiled chains (HookTable.runners)."""
    if r.prev is not None or r.main is not None:
        if r.prev is None:
            gen.checked = (r, r.per_dir_config)     # for the memo (_record)
        for prev in (r.prev, r.main):
            if prev is not None and prev.per_dir_config is r.per_dir_config:
                r.user, r.ap_auth_type = prev.user, prev.ap_auth_type
                return OK
    fn = gen.satisfies_fn
    checker = run["access_checker"]
    if fn is not None and fn(r) == SATISFY_ANY:
        if (checker(r) if checker is not None else OK) == OK:
            return OK
        unauth = "AH00028"
    else:
        status = checker(r) if checker is not None else OK
        if status != OK:
            return _decl_die(r, status, "check access (with Satisfy All)")
        unauth = "AH00027"
    fn = run["access_checker_ex"]
    status = fn(r) if fn is not None else DECLINED
    if status == OK:
        fn = run["force_authn"]
        if fn is None or fn(r) != OK:
            return OK
    elif status != DECLINED:
        return _decl_die(r, status, "check access")
    fn = run["check_user_id"]
    status = fn(r) if fn is not None else DECLINED
    if status != OK:
        return _decl_die(r, status, "check user")
    if r.user is None:
        log_rerror(r, "core", "error", f"{unauth}: No authentication done but request not "
                   f"allowed without authentication for {r.uri}. Authentication not "
                   "configured?")
        return HTTP_INTERNAL_SERVER_ERROR
    fn = run["auth_checker"]
    status = fn(r) if fn is not None else DECLINED
    if status != OK:
        return _decl_die(r, status, "check authorization")
    return OK


def recursion_limit_exceeded(r: Request) -> bool:
    """ap_is_recursion_limit_exceeded (LimitInternalRecursion)."""
    conf = r.server.module_config[CORE]
    rlimit = conf.redirect_limit or DEFAULT_MAX_INTERNAL_REDIRECTS
    slimit = conf.subreq_limit or DEFAULT_MAX_SUBREQ_DEPTH
    top, redirects, subreqs = r, 0, 0
    while top.prev is not None or top.main is not None:
        if top.prev is not None:
            redirects += 1
            if redirects >= rlimit:
                log_rerror(r, "core", "error", f"AH00124: Request exceeded the limit of "
                           f"{rlimit} internal redirects due to probable configuration "
                           "error. Use 'LimitInternalRecursion' to increase the limit if "
                           "necessary. Use 'LogLevel debug' to get a backtrace.")
                return True
            top = top.prev
        if top.prev is None and top.main is not None:
            subreqs += 1
            if subreqs >= slimit:
                log_rerror(r, "core", "error", f"AH00125: Request exceeded the limit of "
                           f"{slimit} subrequest nesting levels due to probable "
                           "configuration error. Use 'LimitInternalRecursion' to increase "
                           "the limit if necessary. Use 'LogLevel debug' to get a backtrace.")
                return True
            top = top.main
    return False
