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
            rv = fn(r)
            if rv != DECLINED:
                return rv
        return DECLINED

    def run_all(self, name: str, r: Any) -> int:
        for fn in self.hooks[name]:
            rv = fn(r)
            if rv != OK and rv != DECLINED:
                return rv
        return OK
