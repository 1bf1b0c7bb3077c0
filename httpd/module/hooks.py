"""Hooks: declared with their signatures (AP_DECLARE_HOOK), joined by modules, run by the
core from one table per config generation.

A hook is declared once, by whoever runs it: :func:`declare` with a :class:`HookSpec`
(its name, how it runs, its parameters, who declares it).  The core declares its hooks
below; a module that runs a hook of its own declares it when it is imported (mod_status's
``status_hook``, Apache's APR_DECLARE_EXTERNAL_HOOK), and a module joining that hook
imports the declaring module first, as a C module includes ``mod_status.h``.

A module joins a hook by naming it in ``Module.hooks``: ``{"translate_name": fn}`` or
``{"translate_name": (fn, FIRST)}``, or a list of such entries to join one hook twice
(mod_rewrite's two fixups, FIRST and LAST).  Building the :class:`~httpd.module.Module` checks
every entry against the declarations: an unknown name, a malformed entry or a function
that cannot take the hook's parameters raises ``ValueError`` at import time (a misspelt
``"fixup"`` would otherwise never run).  Hooks run in (order, module load order), like
Apache's APR_HOOK_* ordering.

How a hook runs (``Kind``), as Apache's AP_IMPLEMENT_HOOK_*:

- RUN_FIRST: the first answer other than DECLINED wins (translate_name, handler, ...).
- RUN_ALL: every function runs, until one fails: for request hooks anything but ``OK``
  or ``DECLINED`` (``DONE``, an HTTP status); for the process hooks of this server also
  ``False`` (post_config) or a message string (check-style hooks).
- VOID: every function runs; results are ignored.

Return codes are Apache's: ``OK``, ``DECLINED``, ``DONE`` or an HTTP status >= 100.

The core computes the hook lists once per config generation (:class:`HookTable`,
``process.registry.hooks``), so the request path does no lookups by name.

A hook that raises is a bug in its module; C has no such thing, so the runner gives it
Apache's answer for a broken module: the exception and where it was raised go to the
error log (``hook_failed``) and the hook counts as having returned 500
(HTTP_INTERNAL_SERVER_ERROR), so the request ends with the error page and the client
is never left without an answer.  A log_transaction hook that raises is logged and
skipped: the other loggers still run.
"""
from __future__ import annotations

import enum
import inspect
from typing import Any, Callable, Iterable

import attrs

OK = 0
DECLINED = -1
DONE = -2

REALLY_FIRST = -10
FIRST = 0
MIDDLE = 10
LAST = 20
REALLY_LAST = 30


class Kind(enum.Enum):
    RUN_FIRST = "run-first"
    RUN_ALL = "run-all"
    VOID = "void"


@attrs.frozen
class HookSpec:
    """One declared hook: ``params`` name what its functions are called with."""

    name: str
    kind: Kind
    params: tuple[str, ...]
    # not part of the declaration's identity: a module that joins another module's
    # hook may repeat the declaration (a C module including that module's header)
    doc: str = attrs.field(default="", eq=False)
    declared_by: str = "core"          # a module identifier for a module's own hook


HOOKS: dict[str, HookSpec] = {}


def declare(spec: HookSpec) -> HookSpec:
    """AP_DECLARE_HOOK: once per name.  Declaring the same spec again is a no-op (a
    module imported twice); a different spec under a declared name raises."""
    old = HOOKS.get(spec.name)
    if old is not None and old != spec:
        raise ValueError(f"hook {spec.name!r} is already declared by {old.declared_by}")
    HOOKS[spec.name] = spec
    return spec


def _core(name: str, kind: Kind, params: tuple[str, ...], doc: str) -> HookSpec:
    return declare(HookSpec(name, kind, params, doc))


# -- the core's hooks, in the order a server meets them ----------------------------------

RF, RA, V = Kind.RUN_FIRST, Kind.RUN_ALL, Kind.VOID
_core("pre_config", RA, ("process",),
      "After the read pass (LoadModule done), before the walk: a module resets its state "
      "for the new generation or sets defaults the directives may override.")
_core("test_config", V, ("process", "server"),
      "httpd -t and its -D DUMP_* modes, after the checks: a module prints what it has "
      "to say to stdout (mod_unixd's User and Group lines for DUMP_RUN_CFG).")
_core("post_config", RA, ("process", "server"),
      "The server really starts (not under -t): open logs, load files.  False fails "
      "start-up (AH00016).")
_core("monitor", V, ("process", "server"),
      "The parent of a forking MPM, once a second (ap_run_monitor): a module watches "
      "a process of its own (mod_cgid restarts its daemon).")
_core("drop_privileges", RA, ("process", "server"),
      "A process about to serve (an MPM child, or -X) gives up root.  OK or DECLINED; an "
      "error line fails the child (APEXIT_CHILDFATAL).  Nothing joins it: nothing is "
      "dropped.")
_core("child_init", V, ("process", "server"),
      "A process about to serve, after drop_privileges (close the parent's piped-log ends).")
_core("child_stopping", V, ("process", "graceful"),
      "A child starts to stop (it takes no new connection).")
_core("child_stopped", V, ("process", "graceful"),
      "A child has served its last request and leaves: what it buffered must go out now "
      "(mod_log_config's BufferedLogs).")
_core("read_deadlines", RF, ("server",),
      "The (header, body) read stages of connections on a base server "
      "(httpd.io.channel.Stage); asked once per server and generation.  Declined: the "
      "core's defaults.")
_core("process_connection", RF, ("serving", "sock", "addr", "listener", "score"),
      "An accepted connection, before the core reads from it: a function that serves "
      "it (or has it served elsewhere) answers OK, and the core leaves it alone "
      "(mpm-itk forks a process per connection here).  Declined: the core serves it.")
_core("generate_log_id", RF, ("c", "r"),
      "The id of a connection (``r`` None) or request in the error log (``%L``): a "
      "string, or DECLINED for the core's (ap_run_generate_log_id).")
_core("pre_connection", RA, ("conn",),
      "A new connection, before its first request is read (ap_run_pre_connection): "
      "``conn`` is httpd.io.connection.Conn, its channel ``conn.ch``, its addresses "
      "``conn.info``.  A module may read what comes in front of HTTP (mod_remoteip's "
      "PROXY header) and give back the bytes after it with "
      "``conn.hconn.receive_data``.  Anything but OK or DECLINED closes the connection "
      "unanswered (c->aborted).  Not run again for a connection handed to another "
      "process.")
# the request, from ap_read_request to the log
_core("post_read_request", RA, ("r",), "The request line and headers are read.")
_core("quick_handler", RF, ("r",), "Serve before any mapping (a cache).")
_core("translate_name", RF, ("r",), "The URI becomes a file name.")
_core("map_to_storage", RF, ("r",), "The per-directory config of the file.")
_core("dirwalk_stat", RF, ("r", "path", "follow"),
      "The directory walk's stat of ``path`` (``follow``: stat, else lstat): an "
      "os.stat_result, or raise OSError.  Declined: the core's own (ap_run_dirwalk_stat; "
      "mpm-itk ends a connection whose process may no longer read a path).")
_core("post_perdir_config", RA, ("r",),
      "The per-directory config is merged (after the second Location walk), before "
      "header_parser: act on it (mpm-itk changes the process's user here).")
_core("header_parser", RA, ("r",), "Look at the headers with the directory's config.")
_core("access_checker", RA, ("r",), "Host-based access (Satisfy All).")
_core("access_checker_ex", RF, ("r",), "Access without a user (mod_authz_core).")
_core("force_authn", RF, ("r",),
      "access_checker_ex granted the request: OK makes authentication run all the same "
      "(ap_run_force_authn).")
_core("check_user_id", RF, ("r",), "Authentication.")
_core("auth_checker", RF, ("r",), "Authorization of the user.")
_core("note_auth_failure", RF, ("r", "auth_type"),
      "ap_note_auth_failure: the module of the request's AuthType adds its challenge "
      "(WWW-Authenticate) to ``r.err_headers_out``.")
_core("type_checker", RF, ("r",), "The content type, language, encoding, handler.")
_core("fixups", RA, ("r",), "The last changes before the handler.")
_core("insert_filter", V, ("r",),
      "Before the handler: add output filters (``r.output_filters``), callables f(r) run "
      "on the response just before its head is written.")
_core("insert_error_filter", V, ("r",),
      "An error response (ap_send_error_response) replaces the filters: add the ones "
      "that apply to it.")
_core("handler", RF, ("r",), "Make the response.")
_core("log_transaction", RA, ("r",), "The response is sent: log it.")
del RF, RA, V


def _entries(hooks: dict):
    """(name, entry) of a module's hooks; a list joins the hook once per entry (a module
    registering two functions on one hook, as mod_rewrite's two fixups)."""
    for name, entry in hooks.items():
        if isinstance(entry, list):
            for one in entry:
                yield name, one
        else:
            yield name, entry


def check_hooks(module_name: str, hooks: dict) -> None:
    """A module's ``hooks`` against the declarations (raises ValueError)."""
    for name, entry in _entries(hooks):
        spec = HOOKS.get(name)
        if spec is None:
            raise ValueError(f"{module_name}: no hook {name!r} is declared "
                             f"(declared: {', '.join(sorted(HOOKS))})")
        if isinstance(entry, tuple):
            if len(entry) != 2 or not isinstance(entry[1], int) or isinstance(entry[1], bool):
                raise ValueError(f"{module_name}: hook {name!r} wants fn or (fn, order), "
                                 f"not {entry!r}")
            fn = entry[0]
        else:
            fn = entry
        if not callable(fn):
            raise ValueError(f"{module_name}: hook {name!r}: {fn!r} is not callable")
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):     # a builtin without a signature: trust it
            continue
        try:
            sig.bind(*spec.params)
        except TypeError:
            raise ValueError(f"{module_name}: hook {name!r} calls its functions with "
                             f"({', '.join(spec.params)}); {getattr(fn, '__qualname__', fn)}"
                             f"{sig} cannot take that") from None


def failed(rv: Any) -> bool:
    """RUN_ALL's stop: anything but OK, DECLINED, None or True (so False fails, and so
    does an error string).  ``failed(table.run(name, ...))`` says whether a RUN_ALL hook
    failed."""
    return rv is False or not (rv is None or rv is True or rv == OK or rv == DECLINED)


class _Lists(dict):
    """name -> functions; a hook declared after the table was built has none."""

    def __missing__(self, name: str) -> tuple:
        if name in HOOKS:
            return ()
        raise KeyError(f"no hook {name!r} is declared")


def compile_chain(name: str, kind: Kind, fns: tuple) -> Any:
    """A request hook's chain as one callable ``runner(r)`` answering what ``run_first``
    (RUN_FIRST), ``run_all`` (RUN_ALL) or ``run_void`` (VOID) would, or None when no
    function joined it (the caller skips the phase: DECLINED, OK or nothing).  A chain
    of one function is called directly, with the same guard (hook_failed)."""
    if not fns:
        return None
    if len(fns) == 1:
        fn = fns[0]
        if kind is Kind.RUN_FIRST:
            def run_one_first(r: Any) -> int:
                try:
                    rv = fn(r)
                except Exception as e:
                    rv = hook_failed(r, name, fn, e)
                return rv if rv != DECLINED else DECLINED
            return run_one_first
        if kind is Kind.RUN_ALL:
            def run_one_all(r: Any) -> int:
                try:
                    rv = fn(r)
                except Exception as e:
                    rv = hook_failed(r, name, fn, e)
                return rv if rv != OK and rv != DECLINED else OK
            return run_one_all

        def run_one_void(r: Any) -> None:
            try:
                fn(r)
            except Exception as e:
                hook_failed(r, name, fn, e)
        return run_one_void
    if len(fns) == 2 and kind is not Kind.VOID:
        return _compile_two(name, kind, fns[0], fns[1])
    if kind is Kind.RUN_FIRST:
        def run_first(r: Any) -> int:
            for fn in fns:
                try:
                    rv = fn(r)
                except Exception as e:
                    rv = hook_failed(r, name, fn, e)
                if rv != DECLINED:
                    return rv
            return DECLINED
        return run_first
    if kind is Kind.RUN_ALL:
        def run_all(r: Any) -> int:
            for fn in fns:
                try:
                    rv = fn(r)
                except Exception as e:
                    rv = hook_failed(r, name, fn, e)
                if rv != OK and rv != DECLINED:
                    return rv
            return OK
        return run_all

    def run_void(r: Any) -> None:
        for fn in fns:
            try:
                fn(r)
            except Exception as e:
                hook_failed(r, name, fn, e)
    return run_void


def _compile_two(name: str, kind: Kind, fn1: Callable, fn2: Callable) -> Any:
    """compile_chain's runner for a chain of two functions, unrolled (a handler and
    the default handler, two loggers, two fixups: the common case of a chain)."""
    if kind is Kind.RUN_FIRST:
        def run_two_first(r: Any) -> int:
            try:
                rv = fn1(r)
            except Exception as e:
                rv = hook_failed(r, name, fn1, e)
            if rv != DECLINED:
                return rv
            try:
                rv = fn2(r)
            except Exception as e:
                rv = hook_failed(r, name, fn2, e)
            return rv if rv != DECLINED else DECLINED
        return run_two_first

    def run_two_all(r: Any) -> int:
        try:
            rv = fn1(r)
        except Exception as e:
            rv = hook_failed(r, name, fn1, e)
        if rv != OK and rv != DECLINED:
            return rv
        try:
            rv = fn2(r)
        except Exception as e:
            rv = hook_failed(r, name, fn2, e)
        return rv if rv != OK and rv != DECLINED else OK
    return run_two_all


_UNSET = object()


class _Runners(dict):
    """name -> compile_chain's runner, made on first use (a request hook's kind says
    how it runs)."""

    def __init__(self, table: "HookTable"):
        super().__init__()
        self.table = table

    def __missing__(self, name: str) -> Any:
        runner = self[name] = compile_chain(name, HOOKS[name].kind, self.table.hooks[name])
        return runner


class HookTable:
    """Every hook of a module list, sorted once (apr_hook_sort_all)."""

    def __init__(self, modules: Iterable[Any]):
        found: dict[str, list[tuple[int, int, Callable]]] = {n: [] for n in HOOKS}
        for index, m in enumerate(modules):
            optional = getattr(m, "optional_hooks", None) or {}
            if optional:     # APR_OPTIONAL_HOOK: only those whose declarer is loaded
                optional = {n: e for n, e in optional.items() if n in HOOKS}
                check_hooks(m.name, optional)
            for name, entry in (*_entries(m.hooks), *optional.items()):
                fn, order = entry if isinstance(entry, tuple) else (entry, MIDDLE)
                found.setdefault(name, []).append((order, index, fn))
        self.hooks: dict[str, tuple[Callable, ...]] = _Lists(
            (name, tuple(fn for _, _, fn in sorted(entries, key=lambda e: (e[0], e[1]))))
            for name, entries in found.items())
        # the request hooks compiled once (see compile_chain): name -> runner, or None
        # for a chain with nothing to run
        self.runners: dict[str, Any] = _Runners(self)
        self._first: dict[str, Any] = {}        # run_first's chains, and so on
        self._all: dict[str, Any] = {}
        self._void: dict[str, Any] = {}

    def determined(self, names: Iterable[str]) -> Any:
        """The ``when`` predicates of every function joined to the hooks ``names`` (the
        unconditional ones left out), or None when one of them is not declared
        :func:`determined`."""
        whens = []
        for name in names:
            for fn in self.hooks[name]:
                if fn not in DETERMINED:
                    return None
                when = DETERMINED[fn]
                if when is not None and when not in whens:
                    whens.append(when)
        return tuple(whens)

    def functions(self, name: str) -> tuple[Callable, ...]:
        """The functions joined to ``name``, in run order."""
        return self.hooks[name]

    # the request path: one argument, no dispatch on the kind; the chain compiled once
    # for the way it is run (compile_chain), as ``runners`` holds it for its declared kind
    def run_first(self, name: str, r: Any) -> int:
        fn = self._first.get(name, _UNSET)
        if fn is _UNSET:
            fn = self._first[name] = compile_chain(name, Kind.RUN_FIRST, self.hooks[name])
        return fn(r) if fn is not None else DECLINED

    def run_all(self, name: str, r: Any) -> int:
        fn = self._all.get(name, _UNSET)
        if fn is _UNSET:
            fn = self._all[name] = compile_chain(name, Kind.RUN_ALL, self.hooks[name])
        return fn(r) if fn is not None else OK

    def run_void(self, name: str, r: Any) -> None:
        fn = self._void.get(name, _UNSET)
        if fn is _UNSET:
            fn = self._void[name] = compile_chain(name, Kind.VOID, self.hooks[name])
        if fn is not None:
            fn(r)

    def run(self, name: str, *args: Any) -> Any:
        """Any hook, as its declaration says it runs: VOID returns None; RUN_FIRST the
        first answer that is not DECLINED (or None), else DECLINED; RUN_ALL the first
        failure (see the module doc), else OK."""
        kind = HOOKS[name].kind
        if kind is Kind.VOID:
            for fn in self.hooks[name]:
                fn(*args)
            return None
        if kind is Kind.RUN_FIRST:
            for fn in self.hooks[name]:
                rv = fn(*args)
                if rv is not None and rv != DECLINED:
                    return rv
            return DECLINED
        for fn in self.hooks[name]:
            rv = fn(*args)
            if failed(rv):
                return rv
        return OK


# -- "determined by the URI": what lets the core replay a pipeline it ran before --------

# fn -> None (always) or when(r) -> bool (asked after the phases ran, on the record they
# left): see determined()
DETERMINED: dict = {}


def determined(fn: Callable, when: Callable[[Any], bool] = None) -> Callable:
    """Declare a request-phase hook function *determined*: given the same server, URI
    path and method number, on a fresh main request whose file has the same type, it
    answers the same, makes the same changes to the record (fields set, notes and
    environment entries added) and reads nothing else (no request header, client
    address, time or earlier note), and logs nothing on an ``OK`` path that an
    effective LogLevel of notice would let through.  ``when(r)``, if given, says on the
    record the phases left whether this request's run was such a one (mod_authz_core:
    only for a Require tree of ``all``/``method``).  The core replays the phases from
    translate_name to the fixups (httpd/request/process.py's memo) only while every
    function joined to them is declared.  Returns ``fn`` (usable as a decorator, or
    inline in ``Module.hooks``)."""
    DETERMINED[fn] = when
    return fn


HTTP_INTERNAL_SERVER_ERROR = 500


def where_raised(e: BaseException) -> str:
    """``file:line`` of the innermost frame of ``e``'s traceback ("" if none)."""
    tb = e.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"


def _no_report(r: Any, msg: str) -> None:
    pass


# Where hook_failed reports: the error log installs its ap_log_rerror here when it is
# imported (it sits above this layer, so this module does not import it).
report_failure: Callable[[Any, str], None] = _no_report


def hook_failed(r: Any, name: str, fn: Callable, e: Exception) -> int:
    """A hook raised: log it (error level, core) and answer what the hook now returns:
    500, or DECLINED for log_transaction (the next logger runs)."""
    try:
        report_failure(r, f"AH00000: {name} hook {fn.__module__}."
                          f"{getattr(fn, '__qualname__', fn)} failed: {e!r} at "
                          f"{where_raised(e)}")
    except Exception:
        pass
    return DECLINED if name == "log_transaction" else HTTP_INTERNAL_SERVER_ERROR
