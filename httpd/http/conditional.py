"""Validators and conditional requests: ETag (http_etag.c), HTTP dates (apr_date.c) and
ap_meets_conditions with its ap_condition_if_* helpers (http_protocol.c).

Comparisons are in whole seconds, as Apache makes them; a date that does not parse is
APR_DATE_BAD (0), with Apache's consequences (an unparsable If-Modified-Since never
matches, an unparsable If-Unmodified-Since is ignored).
"""
from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from typing import Any, Optional

from httpd.request.record import Request
from httpd.protocol import M_GET
from httpd.module import CORE_MODULE as CORE
from httpd.util.fspath import fs_path

# ap_condition_e
CONDITION_NONE, CONDITION_NOMATCH, CONDITION_WEAK, CONDITION_STRONG = 0, 1, 2, 3

# FileETag bits (http_core.h), as httpd.core.config stores them
ETAG_UNSET, ETAG_NONE, ETAG_MTIME, ETAG_INODE, ETAG_SIZE, ETAG_DIGEST = 0, 1, 2, 4, 8, 16
ETAG_BACKWARD = ETAG_MTIME | ETAG_SIZE

# -- apr_date_parse_http --------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"))}
_DAYOFFSET = (306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275)


def _checkmask(data: str, mask: str) -> bool:
    """apr_date_checkmask: @ upper, $ lower, # digit, ~ digit or space, * rest."""
    n = len(data)
    for i, m in enumerate(mask):
        if m == "*":
            return True
        if i >= n:
            return False
        d = data[i]
        if m == "@":
            if not ("A" <= d <= "Z"):
                return False
        elif m == "$":
            if not ("a" <= d <= "z"):
                return False
        elif m == "#":
            if not ("0" <= d <= "9"):
                return False
        elif m == "~":
            if d != " " and not ("0" <= d <= "9"):
                return False
        elif m != d:
            return False
    return len(data) == len(mask)


_parsed_dates: dict[str, int] = {}


def parse_http_date(date: Optional[str]) -> int:
    """apr_date_parse_http in whole seconds: RFC 1123, RFC 850 or asctime, ignoring the
    weekday and anything after the time; 0 (APR_DATE_BAD) when it does not parse.

    Answers are kept by the text (a function of it alone; bounded): a revalidating
    browser sends back the Last-Modified it was given, and the conditions parse it
    beside that same Last-Modified."""
    if not date:
        return 0
    t = _parsed_dates.get(date)
    if t is None:
        t = _parse_http_date(date)
        if len(_parsed_dates) >= 4096:
            _parsed_dates.clear()
        _parsed_dates[date] = t
    return t


def _parse_http_date(date: str) -> int:
    """parse_http_date's work for a text not yet kept."""
    date = date.lstrip(" \t\n\r\v\f")
    sp = date.find(" ")
    if not date or sp < 0:
        return 0
    d = date[sp + 1:]
    if _checkmask(d, "## @$$ #### ##:##:## *"):
        year = (int(d[7:9]) - 19) * 100
        if year < 0:
            return 0
        year += int(d[9:11])
        mday, mon, tim = int(d[0:2]), d[3:6], d[12:20]
    elif _checkmask(d, "##-@$$-## ##:##:## *"):
        year = int(d[7:9])
        if year < 70:
            year += 100
        mday, mon, tim = int(d[0:2]), d[3:6], d[10:18]
    elif _checkmask(d, "@$$ ~# ##:##:## ####*"):
        year = (int(d[16:18]) - 19) * 100
        if year < 0:
            return 0
        year += int(d[18:20])
        mday = (0 if d[4] == " " else int(d[4]) * 10) + int(d[5])
        mon, tim = d[0:3], d[7:15]
    elif _checkmask(d, "# @$$ #### ##:##:## *"):
        year = (int(d[6:8]) - 19) * 100
        if year < 0:
            return 0
        year += int(d[8:10])
        mday, mon, tim = int(d[0]), d[2:5], d[11:19]
    else:
        return 0
    if mday <= 0 or mday > 31:
        return 0
    hour, minute, sec = int(tim[0:2]), int(tim[3:5]), int(tim[6:8])
    if hour > 23 or minute > 59 or sec > 61:
        return 0
    m = _MONTHS.get(mon)
    if m is None:
        return 0
    if mday == 31 and m in (3, 5, 8, 10):
        return 0
    if m == 1 and (mday > 29 or (mday == 29 and (year & 3 or (year % 100 == 0
                                                               and year % 400 != 100)))):
        return 0
    # apr_time_exp_get (tm_year counts from 1900; days from 1 March 1900)
    y = year - 1 if m < 2 else year
    days = y * 365 + y // 4 - y // 100 + (y // 100 + 3) // 4
    days += _DAYOFFSET[m] + mday - 1 - 25508
    t = ((days * 24 + hour) * 60 + minute) * 60 + sec
    return t if t >= 0 else 0


# -- and printing them (apr_rfc822_date) ----------------------------------------------------

# apr_day_snames and apr_month_snames, in time.struct_time's order (Monday first)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_date_cache: dict[int, str] = {}


def ap_http_date(t: float) -> str:
    """RFC 1123 date in GMT (apr_rfc822_date): ``Thu, 02 Jan 2020 03:04:05 GMT``.

    Whole seconds, as APR prints them.  Answers are cached: every response asks for the
    current second (ap_recent_rfc822_date) and a static file's Last-Modified repeats."""
    sec = int(t // 1)
    text = _date_cache.get(sec)
    if text is not None:
        return text
    tm = time.gmtime(sec)
    text = (f"{WEEKDAYS[tm.tm_wday]}, {tm.tm_mday:02d} {MONTHS[tm.tm_mon - 1]} {tm.tm_year} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} GMT")
    if len(_date_cache) >= 4096:
        _date_cache.clear()
    _date_cache[sec] = text
    return text


# -- ETags (http_etag.c) --------------------------------------------------------------------

def etag_components(d) -> int:
    """ap_make_etag's components of a merged core directory config: the FileETag bits
    less those removed, plus those added; nothing at all (even after a lone
    ``FileETag -Size``) is 2.4's default, MTime Size (ETAG_BACKWARD)."""
    bits = (d.etag_bits & ~d.etag_remove) | d.etag_add
    return ETAG_BACKWARD if bits == ETAG_UNSET else bits


def etag_bits(r: Request) -> int:
    return etag_components(r.module_config(CORE))


_digest_cache: dict = {}
_digest_lock = threading.Lock()
_DIGEST_CACHE_MAX = 1024


def file_digest(path: str, st: os.stat_result) -> Optional[str]:
    """Base64 SHA-1 of a file's content (make_digest_etag), read in blocks, cached by
    (path, device, inode, size, mtime) so an unchanged file is read once."""
    key = (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    found = _digest_cache.get(key)
    if found is not None:
        return found
    h = hashlib.sha1()
    try:
        with open(fs_path(path), "rb") as f:
            for block in iter(lambda: f.read(65536), b""):
                h.update(block)
    except OSError:
        return None
    value = base64.b64encode(h.digest()).decode("ascii")
    with _digest_lock:
        if len(_digest_cache) >= _DIGEST_CACHE_MAX:
            _digest_cache.clear()
        _digest_cache[key] = value
    return value


def make_etag(r: Request, force_weak: bool = False, d: Any = None) -> str:
    """ap_make_etag: "" when FileETag None; else [W/]"inode-size-mtime" (per FileETag,
    lowercase hex, mtime in microseconds), weak when the file changed less than a second
    before the request; FileETag Digest gives a strong "base64(sha1)" of the content."""
    bits = etag_components(d if d is not None else r.module_config(CORE))
    st = r.finfo
    weak = "W/" if force_weak else ""
    if st is not None and bits & ETAG_DIGEST and r.filename and _is_reg(st):
        digest = file_digest(r.filename, st)
        return f'{weak}"{digest}"' if digest is not None else ""
    if bits & ETAG_NONE:
        return ""
    if st is not None:
        mtime_us = st.st_mtime_ns // 1000
    else:
        mtime_us = int((r.mtime or 0.0) * 1_000_000)
    if int(r.request_time * 1_000_000) - mtime_us < 1_000_000:
        weak = "W/"
    if st is None:
        return f'{weak}"{mtime_us:x}"'
    key = (st.st_ino, st.st_size, mtime_us, bits)
    tag = _etag_cache.get(key)
    if tag is None:
        parts = []
        if bits & ETAG_INODE:
            parts.append(f"{st.st_ino:x}")
        if bits & ETAG_SIZE:
            parts.append(f"{st.st_size:x}")
        if bits & ETAG_MTIME:
            parts.append(f"{mtime_us:x}")
        tag = f'"{"-".join(parts)}"'
        if len(_etag_cache) >= _ETAG_CACHE_MAX:
            _etag_cache.clear()
        _etag_cache[key] = tag
    return weak + tag if weak else tag


# "inode-size-mtime" strings by (inode, size, mtime, FileETag bits): a file's tag is
# the same from one response to the next
_etag_cache: dict = {}
_ETAG_CACHE_MAX = 4096


def _is_reg(st: os.stat_result) -> bool:
    return (st.st_mode & 0o170000) == 0o100000


def set_etag(r: Request, d: Any = None) -> None:
    """ap_set_etag: the ETag field, or the "no-etag" note the header filter obeys.  A
    negotiated response (``r.vlist_validator``) gets the structured tag
    ``"variant;list``, weak when the list's validator is -- without its closing quote:
    2.4's etag_end copies the validator with apr_cpystrn(next, vlv, vlv_len), which
    keeps vlv_len - 1 characters, and the quote is the one dropped."""
    etag = make_etag(r, False, d)
    vlv = getattr(r, "vlist_validator", None)   # stand-in records may lack it
    if vlv and etag and etag.endswith('"'):
        if vlv.startswith("W/"):
            vlv = vlv[3:]
            if not etag.startswith("W/"):
                etag = "W/" + etag
        else:
            vlv = vlv[1:]
        etag = f"{etag[:-1]};{vlv[:-1]}"
    if etag:
        r.headers_out.set("ETag", etag)
    else:
        r.notes["no-etag"] = "omit"


def find_etag(line: Optional[str], tok: Optional[str], strong: bool) -> bool:
    """ap_find_etag_strong / ap_find_etag_weak (util.c find_list_item): is ``tok`` one of
    the entity tags listed in ``line``?  Outside quotes, case and the white space around
    = / ; do not count.  A strong search stops at the first tag that is not quoted; a
    weak one drops W/ on both sides."""
    if not line or not tok:
        return False
    if line == tok and (tok[0] == '"' or (not strong and tok[:3] == 'W/"')):
        return True               # the usual case: the client sends the tag back as is
    if strong:
        if tok[0] != '"':
            return False
    else:
        if tok.startswith('W/"'):
            tok = tok[2:]
        elif tok[0] != '"':
            return False
    n, tn = len(line), len(tok)
    ptr = 0
    good = False
    addspace = 0
    in_qpair = in_qstr = False
    in_com = 0
    while True:
        while ptr < n and (line[ptr] == "," or line[ptr] in " \t\n\r\v\f"):
            ptr += 1
        c = line[ptr] if ptr < n else ""
        if strong and c != '"':
            break
        if not strong:
            if line.startswith('W/"', ptr):
                ptr += 2
            elif c != '"':
                break
        if ptr >= n:
            break
        good = True
        pos = 0

        while ptr < n and (in_qpair or in_qstr or in_com or line[ptr] != ","):
            ch = line[ptr]
            t = tok[pos] if pos < tn else ""
            if in_qpair:
                in_qpair = False
                if good:
                    good = t == ch
                    pos += 1
            elif ch == "\\" or ch == '"' or ch == "(":
                if ch == "\\":
                    in_qpair = True
                elif ch == '"':
                    if not in_com:
                        in_qstr = not in_qstr
                elif not in_qstr:
                    in_com += 1
                if addspace == 1:
                    if good:
                        good = t == " "
                        pos += 1
                        t = tok[pos] if pos < tn else ""
                if good:
                    good = t == ch
                    pos += 1
                addspace = 0
            elif ch == ")":
                if in_com:
                    in_com -= 1
                if good:
                    good = t == ch
                    pos += 1
                addspace = 0
            elif ch == " " or ch == "\t":
                if not (addspace or not good):
                    if in_com or in_qstr:
                        good = t == ch
                        pos += 1
                    else:
                        addspace = 1
            elif ch in "=/;":
                if not (in_com or in_qstr):
                    addspace = -1
                if good:
                    good = t == ch
                    pos += 1
            else:
                if good:
                    if addspace == 1:
                        good = t == " "
                        pos += 1
                        t = tok[pos] if pos < tn else ""
                    if in_com or in_qstr:
                        if good:
                            good = t == ch
                            pos += 1
                    elif good:
                        good = t.lower() == ch.lower() and t != ""
                        pos += 1
                    addspace = 0
            ptr += 1
        if good and pos < tn:
            good = False          # only a prefix matched
        if ptr >= n or good:
            break
    return good


# -- ap_condition_if_* and ap_meets_conditions ----------------------------------------------

def _times(r: Request, headers) -> tuple[int, int]:
    """(mtime, reqtime) in seconds: Last-Modified or r.mtime (or now), Date or the
    request time."""
    mtime = parse_http_date(headers.get("Last-Modified"))
    if mtime == 0:
        mtime = int(r.mtime if r.mtime else time.time())
    reqtime = parse_http_date(headers.get("Date"))
    if not reqtime:
        reqtime = int(r.request_time)
    return mtime, reqtime


def condition_if_match(r: Request, headers) -> int:
    if_match = r.headers_in.get("If-Match")
    if if_match is None:
        return CONDITION_NONE
    if if_match[:1] == "*" or find_etag(if_match, headers.get("ETag"), True):
        return CONDITION_STRONG
    return CONDITION_NOMATCH


def condition_if_unmodified_since(r: Request, headers) -> int:
    value = r.headers_in.get("If-Unmodified-Since")
    if value is None:
        return CONDITION_NONE
    ius = parse_http_date(value)
    mtime, reqtime = _times(r, headers)
    if ius != 0 and mtime > ius:
        if reqtime < mtime + 60:
            return CONDITION_NOMATCH if "Range" in r.headers_in else CONDITION_WEAK
        return CONDITION_STRONG
    return CONDITION_NOMATCH


def condition_if_none_match(r: Request, headers) -> int:
    value = r.headers_in.get("If-None-Match")
    if value is None:
        return CONDITION_NONE
    if value[:1] == "*":
        return CONDITION_STRONG
    etag = headers.get("ETag")
    if r.method_number == M_GET:
        if etag is not None:
            if "Range" in r.headers_in:
                if find_etag(value, etag, True):
                    return CONDITION_STRONG
            elif find_etag(value, etag, False):
                return CONDITION_WEAK
    elif etag is not None and find_etag(value, etag, True):
        return CONDITION_STRONG
    return CONDITION_NOMATCH


def condition_if_modified_since(r: Request, headers) -> int:
    value = r.headers_in.get("If-Modified-Since")
    if value is None:
        return CONDITION_NONE
    mtime, reqtime = _times(r, headers)
    ims = parse_http_date(value)
    if mtime <= ims <= reqtime:
        if reqtime < mtime + 60:
            return CONDITION_NOMATCH if "Range" in r.headers_in else CONDITION_WEAK
        return CONDITION_STRONG
    return CONDITION_NOMATCH


def condition_if_range(r: Request, headers) -> int:
    """If-Range with a Range: an entity tag must equal the ETag exactly (so a weak one
    never matches); a date must equal Last-Modified and be at least a minute old."""
    if_range = r.headers_in.get("If-Range")
    if if_range is None or "Range" not in r.headers_in:
        return CONDITION_NONE
    if if_range[:1] == '"':
        etag = headers.get("ETag")
        return CONDITION_STRONG if etag is not None and etag == if_range else CONDITION_NOMATCH
    mtime, reqtime = _times(r, headers)
    if parse_http_date(if_range) == mtime and reqtime >= mtime + 60:
        return CONDITION_STRONG
    return CONDITION_NOMATCH


HTTP_NOT_MODIFIED, HTTP_PRECONDITION_FAILED = 304, 412
OK = 0


# the fields that make a request conditional: ap_meets_conditions reads nothing else
CONDITIONAL_FIELDS = frozenset(("if-match", "if-unmodified-since", "if-none-match",
                                "if-modified-since"))


def meets_conditions(r: Request) -> int:
    """ap_meets_conditions: OK, 304 or 412 from the conditional request fields and the
    validators already in r.headers_out (set them first)."""
    if not 200 <= r.status < 300 or r.no_local_copy:
        return OK
    hin = r.headers_in
    keys = getattr(hin, "_keys", None)
    if keys is not None:          # the lower-cased names: no lower() per test
        if CONDITIONAL_FIELDS.isdisjoint(keys):
            return OK             # the common case: nothing to compare
    elif not ("If-Match" in hin or "If-Unmodified-Since" in hin or "If-None-Match" in hin
              or "If-Modified-Since" in hin):
        return OK
    out = r.headers_out
    not_modified = -1
    # each ap_condition_if_* answers CONDITION_NONE without its field: asked only for
    # the fields the request has (the lowered names, when the table keeps them)
    if keys is None:
        keys = [k.lower() for k, _ in hin.items()]
    if "if-match" in keys and condition_if_match(r, out) == CONDITION_NOMATCH:
        return HTTP_PRECONDITION_FAILED
    if "if-unmodified-since" in keys:
        cond = condition_if_unmodified_since(r, out)
        if cond == CONDITION_NOMATCH:
            not_modified = 0
        elif cond >= CONDITION_WEAK:
            return HTTP_PRECONDITION_FAILED
    if "if-none-match" in keys:
        cond = condition_if_none_match(r, out)
        if cond == CONDITION_NOMATCH:
            not_modified = 0
        elif cond >= CONDITION_WEAK:
            if r.method_number == M_GET:
                if not_modified:
                    not_modified = 1
            else:
                return HTTP_PRECONDITION_FAILED
    if "if-modified-since" in keys:
        cond = condition_if_modified_since(r, out)
        if cond == CONDITION_NOMATCH:
            not_modified = 0
        elif cond >= CONDITION_WEAK and r.method_number == M_GET and not_modified:
            not_modified = 1
    if "if-range" in keys and condition_if_range(r, out) > CONDITION_NONE:
        return OK
    return HTTP_NOT_MODIFIED if not_modified == 1 else OK
