"""The walks after the directory walk: <Files>/<FilesMatch>, <Location>/<LocationMatch>
and <If>/<ElseIf>/<Else> (Apache's ap_file_walk, ap_location_walk, ap_if_walk), merged
onto the request's per-directory config in that order and cached like the directory
walk (see httpd/request/directory_walk.py)."""
from __future__ import annotations

import re

from httpd.core.config import CONDITION_ELSE, CONDITION_IF

from httpd.module.hooks import OK
from httpd.request.directory_walk import CORE, Walker, _match_env


# -- files, locations, <If> --------------------------------------------------------------

def file_walk(r, walker: Walker) -> int:
    """ap_file_walk: <Files> and <FilesMatch> against the last path component."""
    if r.filename is None:
        return OK
    dconf = r.per_dir_config.get(CORE)
    secs = dconf.sec_file if dconf is not None else None
    if not secs:
        return OK
    test = r.filename.rpartition("/")[2]
    matched = []
    for sec in secs:
        core = sec.core
        if core.r is not None:
            m = core.r.search(test)
            if m is None:
                continue
            _match_env(r, sec, m)
        elif not (walker.fnmatcher(core.d)(test) if core.d_is_fnmatch else test == core.d):
            continue
        matched.append(sec)
    if matched:
        r.per_dir_config = walker.merger.onto(r.per_dir_config, tuple(matched))
    return OK


_SLASHES = re.compile(r"//+")


def location_walk(r, walker: Walker) -> int:
    """ap_location_walk: <Location> (slashes merged, whole segments) and <LocationMatch>
    (against the URI as it is) in config order."""
    ss = walker.sections_of(r.server)
    if not ss.locations:
        return OK
    uri = r.uri
    entry = _SLASHES.sub("/", uri) if uri.startswith("/") and "//" in uri else uri
    matched = []
    for sec, length, fn in ss.locations:
        core = sec.core
        if core.r is not None:
            m = core.r.search(uri)
            if m is None:
                continue
            _match_env(r, sec, m)
        elif fn is not None:
            if not fn(entry):
                continue
        else:
            d = core.d
            if not entry.startswith(d):
                continue
            if length and d[-1] != "/" and len(entry) > length and entry[length] != "/":
                continue
        matched.append(sec)
    if matched:
        r.per_dir_config = walker.merger.onto(r.per_dir_config, tuple(matched))
    return OK


def if_walk(r, walker: Walker, evaluate, log) -> int:
    """ap_if_walk: the <If>/<ElseIf>/<Else> sections in force, then the ones nested in
    those that applied.  ``evaluate(r, expr)`` is True, False or raises."""
    dconf = r.per_dir_config.get(CORE)
    secs = dconf.sec_if if dconf is not None else None
    while secs:
        matched = []
        prev = -1
        for sec in secs:
            core = sec.core
            if core.condition_ifelse & CONDITION_ELSE and prev == 1:
                continue
            if core.condition_ifelse & CONDITION_IF:
                try:
                    ok = evaluate(r, core.condition)
                except Exception as e:  # an evaluation error is a false condition
                    log(r, "core", "error", f"AH00039: Failed to evaluate <If > condition: {e}")
                    ok = False
                if not ok:
                    prev = 0
                    continue
                prev = 1
            else:
                prev = -1
            matched.append(sec)
        if not matched:
            break
        now = tuple(matched)
        r.per_dir_config = walker.merger.onto(r.per_dir_config, now)
        nested = walker.merger.sections(now).get(CORE)
        secs = nested.sec_if if nested is not None else None
    return OK
