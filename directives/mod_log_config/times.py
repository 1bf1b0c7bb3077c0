"""mod_log_config's time items: %t and %{format}t (begin:/end:, sec, msec, usec,
the fractions, strftime), %T, %{UNIT}T and %D, as Apache formats them."""
from __future__ import annotations

import time
from typing import Callable


# -- times ----------------------------------------------------------------------------

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
          "Dec")


def usec(t: float) -> int:
    """An apr_time_t (microseconds) from time.time()."""
    return round(t * 1_000_000)


def end_time(r) -> float:
    """get_request_end_time: taken once, the first time an item asks."""
    if not r.request_time_end:
        r.request_time_end = time.time()
    return r.request_time_end


_clf_cache: tuple[int, str] = (-1, "")


def clf_time(sec: int) -> str:
    """``[10/Oct/2000:13:55:36 -0700]`` for a second, cached (Apache keeps four)."""
    global _clf_cache
    cached = _clf_cache
    if cached[0] == sec:
        return cached[1]
    tm = time.localtime(sec)
    off = tm.tm_gmtoff
    sign = "-" if off < 0 else "+"
    off = abs(off)
    text = (f"[{tm.tm_mday:02d}/{MONTHS[tm.tm_mon - 1]}/{tm.tm_year}:{tm.tm_hour:02d}:"
            f"{tm.tm_min:02d}:{tm.tm_sec:02d} {sign}{off // 3600:02d}{off % 3600 // 60:02d}]")
    _clf_cache = (sec, text)
    return text


def _strftime(fmt: str, sec: int) -> str:
    try:
        return time.strftime(fmt, time.localtime(sec))
    except (ValueError, UnicodeError):
        return ""


def _time_parts(a: str) -> tuple[bool, str, str]:
    """log_request_time's reading of ``%{a}t``: (end time?, kind, strftime format).

    ``kind`` is clf, sec, msec, usec, msec_frac, usec_frac or custom.  Done once, when
    the format is compiled."""
    if not a:
        return False, "clf", ""
    end, fmt, strf = False, a, a
    if fmt.startswith("begin"):
        fmt = fmt[5:]
        if not fmt:
            return False, "clf", ""
        if fmt[0] == ":":
            fmt = strf = fmt[1:]
    elif fmt.startswith("end"):
        fmt = fmt[3:]
        if not fmt:
            return True, "clf", ""
        if fmt[0] == ":":
            end, fmt = True, fmt[1:]
            strf = fmt
    if fmt.startswith("msec"):
        rest = fmt[4:]
        if not rest:
            return end, "msec", ""
        if rest == "_frac":
            return end, "msec_frac", ""
    elif fmt.startswith("usec"):
        rest = fmt[4:]
        if not rest:
            return end, "usec", ""
        if rest == "_frac":
            return end, "usec_frac", ""
    elif fmt == "sec":
        return end, "sec", ""
    elif not fmt:
        return end, "clf", ""
    return end, "custom", strf


def make_time_item(a: str) -> Callable:
    """The ``%{a}t`` item, specialised for its argument at compile time."""
    end, kind, strf = _time_parts(a)

    def when(r) -> int:
        return usec(end_time(r) if end else r.request_time)

    if kind == "clf":
        return lambda r, _: clf_time(when(r) // 1_000_000)
    if kind == "sec":
        return lambda r, _: str(when(r) // 1_000_000)
    if kind == "msec":
        return lambda r, _: str(when(r) // 1000)
    if kind == "usec":
        return lambda r, _: str(when(r))
    if kind == "msec_frac":
        return lambda r, _: "%03d" % (when(r) // 1000 % 1000)
    if kind == "usec_frac":
        return lambda r, _: "%06d" % (when(r) % 1_000_000)
    return lambda r, _: _strftime(strf, when(r) // 1_000_000)


def log_request_time(r, a):
    return make_time_item(a)(r, a)


def duration(r) -> int:
    return usec(end_time(r)) - usec(r.request_time)


def log_request_duration_microseconds(r, a):
    return str(duration(r))


def log_request_duration_scaled(r, a):
    unit = a.lower()
    if unit in ("", "s"):
        return str(duration(r) // 1_000_000)
    if unit == "ms":
        return str(duration(r) // 1000)
    if unit == "us":
        return str(duration(r))
    return a                                    # bogus unit: printed as given
