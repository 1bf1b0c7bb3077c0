"""mod_expires (modules/metadata/mod_expires.c): Expires and Cache-Control: max-age.

``ExpiresActive On`` turns it on for a directory; ``ExpiresByType type code`` and
``ExpiresDefault code`` say when a response expires, as ``A<seconds>`` (after the
request's time) or ``M<seconds>`` (after the file's modification time), or in the long
form ``access|now|modification [plus] {<num> <type>}*`` (years of 365 days, months of
30), which check_code turns into the short one when the directive is read.

At run time, as Apache 2.4: the insert_filter and insert_error_filter hooks add the
MOD_EXPIRES filter to a main request that is not an error (a 3xx or a 304 from ap_die
included) where ExpiresActive is on and a code applies; the filter, which only sets
header fields, runs just before the head is written (Apache's runs at
AP_FTYPE_CONTENT_SET-2, before mod_headers' fixups: here it is in ``r.output_filters``
ahead of them, MIDDLE before LAST).  When neither table has an Expires field yet
(a CGI script's goes to err_headers_out), the response's type without parameters is
looked up (case-insensitively, as apr tables), then ``major/*`` when a section's own
ExpiresByType lines have one (Apache's merge keeps only the added section's wildcard
flag), then ExpiresDefault; the code found sets ``Expires`` and merges
``max-age=N`` into ``Cache-Control`` in the table that had the Expires (else
headers_out).  An ``M`` code for a response without a file sets nothing; a time before
the request's is the request's.
"""
from __future__ import annotations

from typing import Optional

import attrs

from httpd.config.grammar import getword_conf
from httpd.http.conditional import ap_http_date
from httpd.http.request import log_rerror
from httpd.module import OR_INDEXES, Args, Module, directive
from httpd.module.hooks import MIDDLE
from httpd.util.cparse import atoi, strncasecmp_eq, time_unit_seconds
from httpd.util.tokens import field_noparam

MODULE_NAME = "expires_module"
ACTIVE_OFF, ACTIVE_ON, ACTIVE_DONTCARE = 0, 1, 2


@attrs.define
class ExpiresDirConfig:
    active: int = ACTIVE_DONTCARE
    wildcards: bool = False
    default: Optional[str] = None           # a code in the short form
    by_type: dict = attrs.field(factory=dict)    # lowercased type -> code


def create_dir_config(path) -> ExpiresDirConfig:
    return ExpiresDirConfig()


def merge_dir_config(base: ExpiresDirConfig, add: ExpiresDirConfig) -> ExpiresDirConfig:
    """merge_expires_dir_configs: the added section's entries before the base's
    (apr_table_overlay), its wildcard flag alone."""
    return ExpiresDirConfig(
        base.active if add.active == ACTIVE_DONTCARE else add.active,
        add.wildcards,
        add.default if add.default is not None else base.default,
        {**base.by_type, **add.by_type})


def check_code(code: str) -> tuple[Optional[str], Optional[str]]:
    """check_code: (the code in the short form, None) or (None, the error)."""
    if code[:1] in ("A", "M"):          # 0.0.4 compatibility: taken as it is
        return code, None
    word, pos = getword_conf(code, 0)
    if strncasecmp_eq(word, "now", 1) or strncasecmp_eq(word, "access", 1):
        base = "A"
    elif strncasecmp_eq(word, "modification", 1):
        base = "M"
    else:
        return None, f"bad expires code, unrecognised <base> '{word}'"
    word, pos = getword_conf(code, pos)
    if strncasecmp_eq(word, "plus", 1):
        word, pos = getword_conf(code, pos)
    modifier = 0
    while word:
        if not word[0].isdigit() or not word[0].isascii():
            return None, f"bad expires code, numeric value expected <num> '{word}'"
        num = atoi(word)
        word, pos = getword_conf(code, pos)
        if not word:
            return None, "bad expires code, missing <type>"
        factor = time_unit_seconds(word)
        if factor is None:
            return None, f"bad expires code, unrecognised <type>'{word}'"
        modifier = _int32(modifier + factor * num)
        word, pos = getword_conf(code, pos)
    return f"{base}{modifier}", None


def _int32(n: int) -> int:
    """C int arithmetic: wraps at 32 bits."""
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


@directive("ExpiresActive", Args.FLAG, OR_INDEXES, "Limited to 'on' or 'off'")
def set_expires_active(cmd, conf: ExpiresDirConfig, flag):
    conf.active = ACTIVE_ON if flag else ACTIVE_OFF
    return None


@directive("ExpiresByType", Args.TAKE2, OR_INDEXES,
           "a MIME type followed by an expiry date code")
def set_expires_by_type(cmd, conf: ExpiresDirConfig, mime, code):
    slash = mime.rfind("/")
    if slash < 0:
        return "Invalid mimetype: should contain a slash"
    if mime[slash + 1:] == "*":
        conf.wildcards = True
    real, err = check_code(code)
    if err is not None:
        return f"'ExpiresByType {mime} {code}': {err}"
    conf.by_type[mime.lower()] = real
    return None


@directive("ExpiresDefault", Args.TAKE1, OR_INDEXES, "an expiry date code")
def set_expires_default(cmd, conf: ExpiresDirConfig, code):
    real, err = check_code(code)
    if err is not None:
        return f"'ExpiresDefault {code}': {err}"
    conf.default = real
    return None


# -- the response --------------------------------------------------------------------

def set_expiration_fields(r, code: str, table) -> None:
    """set_expiration_fields: Expires and Cache-Control's max-age from ``code``, in
    apr_time_t microseconds as Apache counts them."""
    now = int(r.request_time * 1_000_000)
    kind = code[0]
    if kind == "M":
        if r.finfo is None:          # no file: nothing to count from (and nothing logged)
            return
        base = r.finfo.st_mtime_ns // 1000
    elif kind == "A":
        base = now
    else:
        log_rerror(r, "expires", "error",
                   f"AH01500: internal error: bad expires code: {r.filename}")
        return
    expires = max(base + atoi(code[1:]) * 1_000_000, now)
    table.merge("Cache-Control", f"max-age={(expires - now) // 1_000_000}")
    table.set("Expires", ap_http_date(expires // 1_000_000))


def expires_filter(r) -> None:
    """MOD_EXPIRES (expires_filter): the fields, unless an Expires is there already."""
    if 400 <= r.status < 600:
        return
    conf: ExpiresDirConfig = r.module_config(MODULE_NAME)
    table = r.err_headers_out
    expiry = table.get("Expires")
    if expiry is None:
        table = r.headers_out
        expiry = table.get("Expires")
    if expiry is not None:
        return
    ctype = r.content_type
    code = conf.by_type.get(field_noparam(ctype).lower()) if ctype is not None else None
    if code is None:
        use_default = True
        if conf.wildcards and ctype is not None and "/" in ctype:
            major, _, minor = ctype.partition("/")
            code = conf.by_type.get(f"{major}/*".lower())
            use_default = code is None
        if use_default:
            code = conf.default
    if code is not None:
        set_expiration_fields(r, code, table)


def insert_filter(r) -> None:
    """insert_filter and insert_error_filter (expires_insert_filter, MIDDLE)."""
    if 400 <= r.status < 600 or r.main is not None:
        return
    conf: Optional[ExpiresDirConfig] = r.module_config(MODULE_NAME)
    if conf is None or conf.active != ACTIVE_ON or (not conf.by_type and conf.default is None):
        return
    r.output_filters += (expires_filter,)


MODULE = Module(
    MODULE_NAME, "mod_expires.c",
    (set_expires_active, set_expires_by_type, set_expires_default),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    hooks={"insert_filter": (insert_filter, MIDDLE),
           "insert_error_filter": (insert_filter, MIDDLE)},
    doc="Expires header control",
)
