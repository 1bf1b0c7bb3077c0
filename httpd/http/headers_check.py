"""The response header checks (http_filters.c check_headers): a field that would split
the response or break HttpProtocolOptions Strict stops the request (AH02428-30)."""
from __future__ import annotations

import re

from httpd.request.record import Request
from httpd.module import CORE_MODULE as CORE
from httpd.util.tokens import is_chunked


# -- response header checks (check_headers, HttpProtocolOptions Strict) --------------------

class BadResponseHeader(ValueError):
    """A handler set a header field Apache would refuse to send (AH02428-AH02430): the
    caller answers 500 instead, as ap_http_header_filter does with ap_die."""


_TOKEN_CHARS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_TOKEN = re.compile(_TOKEN_CHARS + r"\Z")
_TOKENS_NUL = re.compile(f"{_TOKEN_CHARS}(?:\x00{_TOKEN_CHARS})*\\Z")   # names joined by NUL
_VCHAR_OBS = re.compile(r"[\x21-\x7e\x80-\xff]+\Z")
_BAD_VALUE = re.compile(r"[^\t\x20-\x7e\x80-\xff]")
_BAD_VALUE_NUL = re.compile(r"[^\t\x20-\x7e\x80-\xff\x00]")                 # values joined
_FOLD = re.compile(r"\r\n[ \t][ \t]*")


# fields that passed the strict check (valid under both rules): a static file's
# Last-Modified, ETag, Content-Length... repeat from one response to the next
_PASSED: set = set()
PASSED = _PASSED           # the same set, for the header filter's usual path (never rebound)
_PASSED_MAX = 4096


def _check_table(table, strict: bool) -> None:
    items = table._items
    if not items:
        return
    passed = _PASSED
    if passed.issuperset(items):
        return
    # the usual case in three regex calls: every name a token, no value with a CTL
    n = len(items) - 1
    names = "\x00".join([k for k, _ in items])
    values = "\x00".join([v for _, v in items])
    if (names.count("\x00") == n and values.count("\x00") == n
            and _TOKENS_NUL.match(names) and not _BAD_VALUE_NUL.search(values)):
        if len(passed) > _PASSED_MAX:
            passed.clear()
        passed.update(items)
        return

    name_ok = _TOKEN.match if strict else _VCHAR_OBS.match
    for i, (name, value) in enumerate(items):
        if not name:
            raise BadResponseHeader("AH02428: Empty response header name, aborting request")
        if not name_ok(name):
            raise BadResponseHeader(f"AH02429: Response header name '{name}' contains "
                                    "invalid characters, aborting request")
        if _BAD_VALUE.search(value):
            folded = _FOLD.sub(" ", value)          # obs-fold becomes one space
            if _BAD_VALUE.search(folded):
                raise BadResponseHeader(f"AH02430: Response header '{name}' value of "
                                        f"'{value}' contains invalid characters, "
                                        "aborting request")
            items[i] = (name, folded)


def check_headers(r: Request) -> None:
    """check_headers (http_filters.c): raise BadResponseHeader for a response that must
    not be sent as it is.  A Transfer-Encoding drops a Content-Length and the
    connection's keep-alive, and one whose last coding is not chunked refuses the
    response (without a log line); then every field is checked, names by the token rule
    (by VCHAR/obs-text under HttpProtocolOptions Unsafe), values for field content, an
    obs-fold becoming one space (AH02428, AH02429, AH02430: the exception's text)."""
    out = r.headers_out
    te = out.get("Transfer-Encoding")
    if te is not None:
        if "Content-Length" in out:
            out.unset("Content-Length")
            r.conn.keepalive = False
        if not is_chunked(te):
            r.conn.keepalive = False
            raise BadResponseHeader("")
    strict = r.server.module_config[CORE].http_conformance != 2     # not Unsafe
    _check_table(out, strict)
    _check_table(r.err_headers_out, strict)
