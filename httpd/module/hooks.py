"""Request hooks: names, return codes, order, and the runner.

A module joins a hook by naming it in ``Module.hooks``: ``{"translate_name": fn}`` or
``{"translate_name": (fn, FIRST)}``.  Hooks run in (order, module load order), like
Apache's APR_HOOK_* ordering.  Return codes are Apache's: ``OK`` (done, for run-first
hooks: handled), ``DECLINED`` (not mine), ``DONE`` (the request is finished), or an HTTP
status >= 100 (stop and answer with that error).

Run-first hooks (the first non-DECLINED answer wins): translate_name, map_to_storage,
type_checker, handler, check_user_id.  Run-all hooks (every one runs until one returns
something other than OK/DECLINED): post_read_request, header_parser, access_checker,
auth_checker, fixups, log_transaction, insert_error_filter.

The core computes the hook lists once per config generation (``HookTable``), so the
request path does no lookups by name.

A hook that raises is a bug in its module; C has no such thing, so the runner gives it
Apache's answer for a broken module: the exception and where it was raised go to the
error log (``hook_failed``) and the hook counts as having returned 500
(HTTP_INTERNAL_SERVER_ERROR), so the request ends with the error page and the client
is never left without an answer.  A log_transaction hook that raises is logged and
skipped: the other loggers still run.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

OK = 0
DECLINED = -1
DONE = -2

REALLY_FIRST = -10
FIRST = 0
MIDDLE = 10
LAST = 20
REALLY_LAST = 30

RUN_FIRST = ("translate_name", "map_to_storage", "type_checker", "handler", "check_user_id",
             "quick_handler")
RUN_ALL = ("post_read_request", "header_parser", "access_checker", "access_checker_ex",
           "auth_checker", "fixups", "log_transaction", "insert_error_filter")
REQUEST_HOOKS = RUN_FIRST + RUN_ALL


class HookTable:
    """Every request hook of a module list, sorted once."""

    def __init__(self, modules: Iterable[Any]):
        found: dict[str, list[tuple[int, int, Callable]]] = {n: [] for n in REQUEST_HOOKS}
        for index, m in enumerate(modules):
            for name, entry in m.hooks.items():
                if name not in found:
                    continue       # start-up hooks (pre_config, ...) are not request hooks
                fn, order = entry if isinstance(entry, tuple) else (entry, MIDDLE)
                found[name].append((order, index, fn))
        self.hooks: dict[str, tuple[Callable, ...]] = {
            name: tuple(fn for _, _, fn in sorted(entries, key=lambda e: (e[0], e[1])))
            for name, entries in found.items()}

    def run_first(self, name: str, r: Any) -> int:
        for fn in self.hooks[name]:
            try:
                rv = fn(r)
            except Exception as e:
                rv = hook_failed(r, name, fn, e)
            if rv != DECLINED:
                return rv
        return DECLINED

    def run_all(self, name: str, r: Any) -> int:
        for fn in self.hooks[name]:
            try:
                rv = fn(r)
            except Exception as e:
                rv = hook_failed(r, name, fn, e)
            if rv != OK and rv != DECLINED:
                return rv
        return OK


HTTP_INTERNAL_SERVER_ERROR = 500


def where_raised(e: BaseException) -> str:
    """``file:line`` of the innermost frame of ``e``'s traceback ("" if none)."""
    tb = e.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"


def hook_failed(r: Any, name: str, fn: Callable, e: Exception) -> int:
    """A hook raised: log it (error level, core) and answer what the hook now returns:
    500, or DECLINED for log_transaction (the next logger runs)."""
    try:
        from httpd.log.errorlog import log_rerror
        log_rerror(r, "core", "error", f"AH00000: {name} hook {fn.__module__}."
                   f"{getattr(fn, '__qualname__', fn)} failed: {e!r} at {where_raised(e)}")
    except Exception:
        pass
    return DECLINED if name == "log_transaction" else HTTP_INTERNAL_SERVER_ERROR
