"""mod_negotiation's records (accept_rec, var_rec, negotiation_state) and the
parsing of the Accept* and Negotiate fields into them (get_entry, atoq: q values to
three decimals, compared in single precision as Apache's are)."""
from __future__ import annotations

import os
import struct
from typing import Optional

import attrs

from httpd.http.conditional import make_etag
from httpd.http.header_filter import update_mtime
from httpd.util.cparse import atoi
from httpd.util.tokens import get_token
from httpd.util.uri import make_dirstr_parent
from httpd.util.fspath import fs_path
from .config import (SPACE, CGI_MAGIC_TYPE, INCLUDES_MAGIC_TYPE, INCLUDES_MAGIC_TYPE3,
                     MODULE_NAME, NegDirConfig)


@attrs.define
class Accept:
    """accept_rec."""

    name: str
    quality: float = 1.0
    level: float = 0.0
    charset: str = ""


@attrs.define(eq=False)
class Variant:
    """var_rec (clean_var_rec's defaults)."""

    sub_req: object = None
    mime_type: str = ""
    file_name: str = ""
    body: int = 0
    content_encoding: Optional[str] = None
    content_languages: Optional[list] = None
    content_charset: str = ""
    description: str = ""
    lang_quality: float = 1.0
    encoding_quality: float = 1.0
    charset_quality: float = 1.0
    mime_type_quality: float = 1.0
    source_quality: float = 0.0
    level: float = 0.0
    bytes: int = -1
    lang_index: int = -1
    is_pseudo_html: bool = False
    level_matched: float = 0.0
    mime_stars: int = 0
    definite: bool = True


@attrs.define(eq=False)
class Negotiation:
    """negotiation_state."""

    r: object
    conf: NegDirConfig
    dir_name: str
    accepts: Optional[list]
    accept_encodings: Optional[list]
    accept_langs: Optional[list]
    accept_charsets: Optional[list]
    accept_q: bool = False
    default_lang_quality: float = 1.0
    avail_vars: list = attrs.field(factory=list)
    count_multiviews_variants: int = 0
    is_transparent: bool = False
    dont_fiddle_headers: bool = False
    ua_supports_trans: bool = False
    send_alternates: bool = False
    may_choose: bool = True
    use_rvsa: bool = False
    map_path: Optional[str] = None        # the type map whose Body: a variant may be


_FLOAT = struct.Struct("f")


def c_float(x: float) -> float:
    """C's float: qualities are compared in single precision, as Apache's are."""
    return _FLOAT.unpack(_FLOAT.pack(x))[0]


Q_0_0001, Q_0_001, Q_0_01, Q_0_02 = (c_float(x) for x in (0.0001, 0.001, 0.01, 0.02))


def atoq(s: Optional[str]) -> float:
    """atoq: a q value to three decimals (anything not 0.xxx is 1)."""
    if not s:
        return 1.0
    s = s.lstrip(SPACE)
    if s[:1] != ".":
        if s[:1] != "0":
            return 1.0
        s = s[1:]
    if s[:1] == ".":
        s = s[1:]
        n = 0
        if s[:1].isdigit():
            n += int(s[0]) * 100
            if s[1:2].isdigit():
                n += int(s[1]) * 10
                if s[2:3].isdigit() and s[2] != "0":
                    n += int(s[2])
        return c_float(n / 1000.0)
    return 0.0


def get_entry(line: str, pos: int = 0) -> tuple[Accept, int]:
    """get_entry: one item of an Accept* field, with q, level and charset."""
    name, pos = get_token(line, pos, False)
    result = Accept(name.lower())
    if result.name == "text/html" or result.name == INCLUDES_MAGIC_TYPE:
        result.level = 2.0
    elif result.name == INCLUDES_MAGIC_TYPE3:
        result.level = 3.0
    n = len(line)
    while pos < n and line[pos] == ";":
        pos += 1
        parm, pos = get_token(line, pos, True)
        cp = 0
        while cp < len(parm) and parm[cp] not in SPACE and parm[cp] != "=":
            cp += 1
        if cp >= len(parm):
            continue                 # no '=': ignored
        pname = parm[:cp].lower()    # lower-cased as scanned; "*cp++ = '\0'" ends it
        cp += 1
        while cp < len(parm) and (parm[cp] in SPACE or parm[cp] == "="):
            cp += 1
        if parm[cp:cp + 1] == '"':
            cp += 1
            end = cp
            while end < len(parm) and parm[end] not in '\n\r"':
                end += 1
        else:
            end = cp
            while end < len(parm) and parm[end] not in SPACE:
                end += 1
        value = parm[cp:end].lower()
        if pname == "q" or pname == "qs":
            result.quality = atoq(value)
        elif pname == "level":
            result.level = float(atoi(value))
        elif pname == "charset":
            result.charset = value
    if pos < n and line[pos] == ",":
        pos += 1
    return result, pos


def do_header_line(line: Optional[str]) -> Optional[list]:
    if line is None:
        return None
    recs, pos = [], 0
    while pos < len(line):
        rec, new = get_entry(line, pos)
        recs.append(rec)
        if new == pos:          # nothing consumed: a stray separator
            new += 1
        pos = new
    return recs


def do_languages_line(line: str) -> list:
    langs, pos = [], 0
    while pos < len(line):
        tok, pos = get_token(line, pos, False)
        langs.append(tok.lower())
        if pos < len(line) and line[pos] in ",;":
            pos += 1
        elif pos < len(line) and not tok:
            pos += 1
    return langs


def parse_accept_headers(r) -> Negotiation:
    hin = r.headers_in
    neg = Negotiation(r, r.module_config(MODULE_NAME) or NegDirConfig(),
                      make_dirstr_parent(r.filename or ""),
                      do_header_line(hin.get("Accept")),
                      do_header_line(hin.get("Accept-Encoding")),
                      do_header_line(hin.get("Accept-Language")),
                      do_header_line(hin.get("Accept-Charset")))
    if neg.accepts:
        neg.accept_q = any(a.quality < 1.0 for a in neg.accepts)
    return neg


def parse_negotiate_header(r, neg: Negotiation) -> None:
    negotiate = r.headers_in.get("Negotiate")
    neg.ua_supports_trans = neg.send_alternates = False
    neg.may_choose, neg.use_rvsa, neg.dont_fiddle_headers = True, False, False
    if negotiate is None:
        return
    if negotiate == "trans":
        ua = r.headers_in.get("User-Agent")
        if ua and ua.startswith("Lynx"):
            return
    neg.may_choose = False
    for tok in (t.strip().lower() for t in negotiate.split(",")):
        if not tok:
            continue
        if tok in ("trans", "vlist", "guess-small", "*") or tok[0].isdigit():
            neg.ua_supports_trans = neg.send_alternates = True
            if tok == "1.0":
                neg.may_choose = neg.use_rvsa = neg.dont_fiddle_headers = True
            elif tok[0] == "*":
                neg.may_choose = neg.dont_fiddle_headers = True


def maybe_add_default_accepts(neg: Negotiation, prefer_scripts: bool) -> None:
    if neg.accepts is None:
        neg.accepts = [Accept("*/*")]
    q = 0.0 if neg.use_rvsa else (2.0 if prefer_scripts else Q_0_001)
    neg.accepts.append(Accept(CGI_MAGIC_TYPE, q))


def set_mime_fields(var: Variant, info: Accept) -> None:
    var.mime_type = info.name
    var.source_quality = info.quality
    var.level = info.level
    var.content_charset = info.charset
    var.is_pseudo_html = info.name in ("text/html", INCLUDES_MAGIC_TYPE, INCLUDES_MAGIC_TYPE3)


def set_vlist_validator(r, vlistr, dir_name: Optional[str] = None) -> None:
    """The variant list's validator: the type map's ETag, or for MultiViews (no file:
    Apache's r->finfo is then the directory's stat, marked NOFILE) ``"mtime"`` of the
    directory."""
    if vlistr.finfo is not None:
        update_mtime(vlistr, vlistr.finfo.st_mtime)
        r.vlist_validator = make_etag(vlistr, False)
        return
    try:
        mtime_us = os.stat(fs_path(dir_name)).st_mtime_ns // 1000 if dir_name else 0
    except OSError:
        mtime_us = 0
    weak = "W/" if int(r.request_time * 1_000_000) - mtime_us < 1_000_000 else ""
    r.vlist_validator = f'{weak}"{mtime_us:x}"'
