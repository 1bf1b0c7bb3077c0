"""mod_negotiation (modules/mappers/mod_negotiation.c): content negotiation.

Two ways in, as in Apache: ``Options MultiViews`` (the type_checker, FIRST: a request
for a file that does not exist looks at ``name.*`` in its directory, each candidate
run through the phases as a subrequest, so mod_mime gives its type, language and
encoding; a candidate with an extension nobody claims is dropped, and a type map
among them is used instead) and the ``type-map`` handler (a ``.var`` file: records of
URI, Content-Type with qs/level/charset, Content-Language, Content-Encoding,
Content-Length, Description and inline Body, separated by blank lines).

The variant is chosen by Apache's own algorithm (is_variant_better: media type and
source quality, language quality, then LanguagePriority / Accept-Language order,
level, charset, encoding, length) or, when a client asks for it with ``Negotiate:
1.0``, RVSA/1.0; every quality is computed as Apache computes it, fiddles included
(wildcards at 0.01/0.02 without explicit q values, 0.0001 for a variant without a
language when some have one, iso-8859-1 implied for text, x- encodings).  A GET is
transparently negotiable (TCN): the response carries ``TCN: choice``,
``Content-Location`` and ``Vary: negotiate, accept, accept-language, ...`` (the
dimensions in which the variants differ); a client that supports TCN and gets no
choice receives 300 with ``Alternates`` and the variant list, any other 406 with the
same list as the page.  HTTP/1.0 responses are not cacheable unless
CacheNegotiatedDocs is on.  ``no-gzip``, ``gzip-only-text/html`` and
``prefer-language`` in the environment work as in Apache, and fix_encoding (fixups)
names the encoding with the spelling the client used (gzip or x-gzip).
"""
from __future__ import annotations

import os
import stat as _stat
import struct
from typing import Optional

import attrs

from httpd.core.config import OPT_MULTI
from httpd.http.conditional import make_etag, meets_conditions
from httpd.http.header_filter import (allow_methods, set_accept_ranges, set_content_length,
                                      update_mtime)
from httpd.http.request import internal_redirect, log_rerror
from httpd.module import CORE_MODULE as CORE
from httpd.module import OR_FILEINFO, RSRC_CONF, Args, Module, directive
from httpd.module.hooks import DECLINED, FIRST, MIDDLE, OK, determined
from httpd.protocol import M_GET, M_OPTIONS, M_POST
from httpd.request.record import FileRange
from httpd.request.subrequest import (internal_fast_redirect, sub_req_lookup_dirent,
                                      sub_req_lookup_file)
from httpd.util.escape import escape_html
from httpd.util.cparse import atoi
from httpd.util.tokens import get_token
from httpd.util.uri import escape_path_segment, escape_uri

MODULE_NAME = "negotiation_module"
MAP_FILE_MAGIC_TYPE = "application/x-type-map"
CGI_MAGIC_TYPE = "application/x-httpd-cgi"
INCLUDES_MAGIC_TYPE = "text/x-server-parsed-html"
INCLUDES_MAGIC_TYPE3 = "text/x-server-parsed-html3"
FLP_UNDEF, FLP_NONE, FLP_PREFER, FLP_FALLBACK = 0, 1, 2, 4
FLP_DEFAULT = FLP_PREFER
DISCARD_ALL_ENCODINGS, DISCARD_ALL_BUT_HTML = 1, 2
HTTP_MULTIPLE_CHOICES, HTTP_NOT_ACCEPTABLE, HTTP_VARIANT_ALSO_VARIES = 300, 406, 506
MAX_STRING_LEN = 8192
_SPACE = " \t\n\v\f\r"


# -- configuration ---------------------------------------------------------------------------

@attrs.define
class NegDirConfig:
    forcelangpriority: int = FLP_UNDEF
    language_priority: Optional[list] = None


def create_dir_config(path) -> NegDirConfig:
    return NegDirConfig()


def merge_dir_config(base: NegDirConfig, add: NegDirConfig) -> NegDirConfig:
    return NegDirConfig(
        add.forcelangpriority if add.forcelangpriority != FLP_UNDEF
        else base.forcelangpriority,
        add.language_priority if add.language_priority else base.language_priority)


@attrs.define
class NegServerConfig:
    cache: bool = False


def create_server_config(server) -> NegServerConfig:
    return NegServerConfig()


def merge_server_config(base: NegServerConfig, add: NegServerConfig) -> NegServerConfig:
    return add        # no merge in Apache: a virtual host starts from "off"


@directive("CacheNegotiatedDocs", Args.FLAG, RSRC_CONF, "Either 'on' or 'off' (default)")
def cache_negotiated_docs(cmd, d, flag):
    cmd.server.module_config[MODULE_NAME].cache = bool(flag)
    return None


@directive("LanguagePriority", Args.ITERATE, OR_FILEINFO,
           "space-delimited list of MIME language abbreviations")
def set_language_priority(cmd, n: NegDirConfig, lang):
    n.language_priority = (n.language_priority or []) + [lang]
    return None


@directive("ForceLanguagePriority", Args.ITERATE, OR_FILEINFO,
           "Force LanguagePriority elections, either None, or Fallback and/or Prefer")
def set_force_priority(cmd, n: NegDirConfig, w):
    lw = w.lower()
    if lw == "none":
        if n.forcelangpriority & ~FLP_NONE:
            return "Cannot combine ForceLanguagePriority options with None"
        n.forcelangpriority = FLP_NONE
    elif lw == "prefer":
        if n.forcelangpriority & FLP_NONE:
            return "Cannot combine ForceLanguagePriority options None and Prefer"
        n.forcelangpriority |= FLP_PREFER
    elif lw == "fallback":
        if n.forcelangpriority & FLP_NONE:
            return "Cannot combine ForceLanguagePriority options None and Fallback"
        n.forcelangpriority |= FLP_FALLBACK
    else:
        return f"Invalid ForceLanguagePriority option {w}"
    return None


# -- records -----------------------------------------------------------------------------------

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


def _f(x: float) -> float:
    """C's float: qualities are compared in single precision, as Apache's are."""
    return _FLOAT.unpack(_FLOAT.pack(x))[0]


Q_0_0001, Q_0_001, Q_0_01, Q_0_02 = (_f(x) for x in (0.0001, 0.001, 0.01, 0.02))


def atoq(s: Optional[str]) -> float:
    """atoq: a q value to three decimals (anything not 0.xxx is 1)."""
    if not s:
        return 1.0
    s = s.lstrip(_SPACE)
    i = 0
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
        return _f(n / 1000.0)
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
        while cp < len(parm) and parm[cp] not in _SPACE and parm[cp] != "=":
            cp += 1
        if cp >= len(parm):
            continue                 # no '=': ignored
        pname = parm[:cp].lower()    # lower-cased as scanned; "*cp++ = '\0'" ends it
        cp += 1
        while cp < len(parm) and (parm[cp] in _SPACE or parm[cp] == "="):
            cp += 1
        if parm[cp:cp + 1] == '"':
            cp += 1
            end = cp
            while end < len(parm) and parm[end] not in '\n\r"':
                end += 1
        else:
            end = cp
            while end < len(parm) and parm[end] not in _SPACE:
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


def _parent(path: str) -> str:
    """ap_make_dirstr_parent."""
    return path[:path.rfind("/") + 1]


def parse_accept_headers(r) -> Negotiation:
    hin = r.headers_in
    neg = Negotiation(r, r.module_config(MODULE_NAME) or NegDirConfig(),
                      _parent(r.filename or ""),
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
        mtime_us = os.stat(dir_name).st_mtime_ns // 1000 if dir_name else 0
    except OSError:
        mtime_us = 0
    weak = "W/" if int(r.request_time * 1_000_000) - mtime_us < 1_000_000 else ""
    r.vlist_validator = f'{weak}"{mtime_us:x}"'


# -- type maps ----------------------------------------------------------------------------------

def _type_map_records(r, data: bytes):
    """The header blocks of a type map, with Apache's continuation lines, comments and
    Body: tags: yields (headers [(lower name, value)], body (offset, length) or None) or
    an error status."""
    text = data.decode("latin-1")
    lines = text.split("\n")
    i, n = 0, len(lines)
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    record: list = []
    body = None
    while i < n:
        line = lines[i]
        i += 1
        if line.startswith("#"):
            continue
        if not line.strip(_SPACE):
            yield record, body
            record, body = [], None
            continue
        if line[:5].lower() == "body:":
            tag = line[5:].strip(_SPACE)
            start = offsets[i] if i < n else len(text)
            # get_body reads MAX_STRING_LEN - 1 bytes and looks for the tag in them
            end = text.find(tag, start, start + MAX_STRING_LEN - 1) if tag else -1
            if end < 0:
                log_rerror(r, "negotiation", "error", f"AH00685: Syntax error in type map, "
                           f"no end tag '{tag}' found in {r.filename} for Body: content.")
                break
            body = (start, end - start)
            after = text.find("\n", end + len(tag))
            nxt = len(text) if after < 0 else after + 1
            while i < n and offsets[i] < nxt:
                i += 1
            record.append(("body:", tag))
            continue
        full = line
        while i < n:
            nxt = lines[i]
            if nxt.startswith("#"):
                i += 1
                continue
            if nxt[:1] and nxt[0] in " \t" and nxt.strip(_SPACE):
                full += " " + nxt.strip(_SPACE)
                i += 1
                continue
            break
        colon = full.find(":")
        if colon < 0:
            log_rerror(r, "negotiation", "error", f"AH00681: Syntax error in type map, no "
                       f"':' in {r.filename} for header {full}")
            yield 500, None
            return
        value = full[colon + 1:].lstrip(_SPACE)
        if not value:
            log_rerror(r, "negotiation", "error", f"AH00682: Syntax error in type map --- "
                       f"no header body: {r.filename} for {full}")
            yield 500, None
            return
        record.append((full[:colon + 1].lower(), _strip_paren_comments(value)))
    yield record, body


def _strip_paren_comments(hdr: str) -> str:
    """strip_paren_comments: (comments) become spaces.  Apache's strchr from the
    quote itself finds that quote, so a quoted string protects nothing."""
    out, i, n = list(hdr), 0, len(hdr)
    while i < n:
        if out[i] == '"':
            i += 1
        elif out[i] == "(":
            while i < n and out[i] != ")":
                out[i] = " "
                i += 1
            if i < n:
                out[i] = " "
                i += 1
        else:
            i += 1
    return "".join(out)


def read_type_map(neg: Negotiation, rr) -> int:
    r = neg.r
    neg.count_multiviews_variants = 0
    path = rr.filename
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        log_rerror(r, "negotiation", "error", f"({e.errno}){os.strerror(e.errno)}: AH00683: "
                   f"cannot access type map file: {path}")
        return 404 if isinstance(e, (FileNotFoundError, NotADirectoryError)) else 403
    neg.map_path = path
    for record, body in _type_map_records(r, data):
        if record == 500:
            return 500
        var = Variant()
        has_content = False
        for name, value in record:
            if name == "uri:":
                var.file_name = get_token(value, 0, False)[0]
            elif name == "content-type:":
                info, _ = get_entry(value)
                set_mime_fields(var, info)
                has_content = True
            elif name == "content-length:":
                tok = get_token(value, 0, False)[0]
                if not tok.isdigit():
                    log_rerror(r, "negotiation", "error", f"AH00684: Parse error in type "
                               f"map, Content-Length: '{tok}' in {r.filename} is invalid.")
                    break
                var.bytes = int(tok)
                has_content = True
            elif name == "content-language:":
                var.content_languages = do_languages_line(value)
                has_content = True
            elif name == "content-encoding:":
                var.content_encoding = get_token(value, 0, False)[0]
                has_content = True
            elif name == "description:":
                var.description = value.rstrip("\n")
            elif name == "body:" and body is not None:
                var.body, var.bytes = body
                var.file_name = os.path.basename(path)
        if var.file_name and has_content:
            neg.avail_vars.append(var)
    set_vlist_validator(r, rr)
    return OK


# -- MultiViews ----------------------------------------------------------------------------

def read_types_multi(neg: Negotiation) -> int:
    r = neg.r
    if not r.filename or not r.filename.startswith("/"):
        return DECLINED
    filp = r.filename.rpartition("/")[2]
    prefix_len = len(filp)
    try:
        names = os.listdir(neg.dir_name)
    except OSError as e:
        log_rerror(r, "negotiation", "error", f"({e.errno}){os.strerror(e.errno)}: AH00686: "
                   f"cannot read directory for multi: {neg.dir_name}")
        return 403
    anymatch = False
    for name in names:
        if not name.startswith(filp) or name[prefix_len:prefix_len + 1] != ".":
            continue
        try:
            if _stat.S_ISDIR(os.lstat(neg.dir_name + name).st_mode):
                continue
        except OSError:
            continue
        anymatch = True
        sub = sub_req_lookup_dirent(name, r, True)
        if sub.finfo is None or not _stat.S_ISREG(sub.finfo.st_mode):
            continue
        if sub.handler and not sub.content_type:
            sub.content_type = CGI_MAGIC_TYPE
        exceptions = sub.notes.get("ap-mime-exceptions-list")
        if exceptions is None:
            continue
        nexcept = len(exceptions)
        k = 0
        for seg in filp.split("."):
            if not nexcept:
                break
            if seg == exceptions[k]:
                nexcept -= 1
                k += 1
        if nexcept:
            continue
        if sub.status != 200 or not sub.content_type:
            continue
        if sub.content_type == MAP_FILE_MAGIC_TYPE or sub.handler == "type-map":
            neg.avail_vars = []
            return read_type_map(neg, sub)
        var = Variant(sub_req=sub, file_name=name)
        if sub.content_encoding:
            var.content_encoding = sub.content_encoding
        if sub.content_languages:
            var.content_languages = list(sub.content_languages)
        info, _ = get_entry(sub.content_type)
        set_mime_fields(var, info)
        neg.avail_vars.append(var)
        neg.count_multiviews_variants += 1
    if anymatch and not neg.avail_vars:
        log_rerror(r, "negotiation", "error", f"AH00687: Negotiation: discovered file(s) "
                   f"matching request: {r.filename} (None could be negotiated).")
        return 404
    set_vlist_validator(r, r, neg.dir_name)
    neg.avail_vars.sort(key=lambda v: (-v.source_quality, v.file_name.encode("latin-1",
                                                                             "replace")))
    return OK


# -- qualities --------------------------------------------------------------------------------

def mime_match(acc: Accept, avail: Variant) -> bool:
    at, vt = acc.name, avail.mime_type
    n = len(at)
    if at == "*" or at == "*/*":
        if avail.mime_stars < 1:
            avail.mime_stars = 1
        return True
    if n > 2 and at[-2:] == "/*" and vt[:n - 2] == at[:n - 2] and vt[n - 2:n - 1] == "/":
        if avail.mime_stars < 2:
            avail.mime_stars = 2
        return True
    if at == vt or (at == "text/html" and vt in (INCLUDES_MAGIC_TYPE, INCLUDES_MAGIC_TYPE3)):
        if acc.level >= avail.level:
            avail.level_matched = avail.level
            avail.mime_stars = 3
            return True
    return False


def level_cmp(v1: Variant, v2: Variant) -> int:
    if v1.is_pseudo_html and not v2.is_pseudo_html:
        return 0
    if not v1.is_pseudo_html and v1.mime_type != v2.mime_type:
        return 0
    if v1.level_matched > v2.level_matched:
        return 1
    if v1.level_matched < v2.level_matched:
        return -1
    if v1.level < v2.level:
        return 1
    if v1.level > v2.level:
        return -1
    return 0


def find_lang_index(accept_langs: Optional[list], lang: str) -> int:
    if not lang or not accept_langs:
        return -1
    for i, alang in enumerate(accept_langs):
        if lang.lower()[:len(alang)] == alang.lower():
            return i
    return -1


def set_default_lang_quality(neg: Negotiation) -> None:
    if not neg.dont_fiddle_headers:
        for v in neg.avail_vars:
            if v.content_languages:
                neg.default_lang_quality = Q_0_0001
                return
    neg.default_lang_quality = 1.0


def set_language_quality(neg: Negotiation, variant: Variant) -> None:
    force = neg.conf.forcelangpriority or FLP_DEFAULT
    if not variant.content_languages:
        if not neg.dont_fiddle_headers:
            variant.lang_quality = neg.default_lang_quality
        return
    if neg.accept_langs is None:
        variant.definite = False
    else:
        best = star = None
        fiddle_q = 0.0
        any_match_on_star = False
        for lang in variant.content_languages:
            bestthistag = None
            longest = 0
            for acc in neg.accept_langs:
                if acc.name == "*":
                    if star is None:
                        star = acc
                    continue
                alen = len(acc.name)
                if len(lang) >= alen and lang[:alen] == acc.name \
                        and (len(lang) == alen or lang[alen] == "-"):
                    if alen > longest:
                        longest = alen
                        bestthistag = acc
                if bestthistag is None and not neg.dont_fiddle_headers:
                    p = acc.name.find("-")
                    if p >= 0 and lang[:p] == acc.name[:p]:
                        fiddle_q = Q_0_001
            if best is None or (bestthistag is not None
                                and bestthistag.quality > best.quality):
                best = bestthistag
            if bestthistag is None and star is not None:
                any_match_on_star = True
        if any_match_on_star and (best is None or star.quality > best.quality):
            best = star
            variant.definite = False
        variant.lang_quality = best.quality if best is not None else fiddle_q
    if ((force & FLP_PREFER) and variant.lang_index < 0) \
            or ((force & FLP_FALLBACK) and not variant.lang_quality):
        bestidx = -1
        for lang in variant.content_languages:
            idx = find_lang_index(neg.conf.language_priority, lang)
            if idx >= 0 and (bestidx == -1 or idx < bestidx):
                bestidx = idx
        if bestidx >= 0:
            if variant.lang_quality:
                if force & FLP_PREFER:
                    variant.lang_index = bestidx
            elif force & FLP_FALLBACK:
                variant.lang_index = bestidx
                variant.lang_quality = Q_0_0001
                variant.definite = False


def find_content_length(neg: Negotiation, variant: Variant) -> int:
    if variant.bytes < 0:
        sub = variant.sub_req
        if sub is not None and sub.finfo is not None:
            variant.bytes = sub.finfo.st_size
        else:
            try:
                variant.bytes = os.stat(neg.dir_name + variant.file_name).st_size
            except OSError:
                pass
    return variant.bytes


def set_accept_quality(neg: Negotiation, variant: Variant) -> None:
    if neg.accepts is None:
        if variant.mime_type:
            variant.definite = False
        return
    q = 0.0
    q_definite = True
    for acc in neg.accepts:
        prev = variant.mime_stars
        if not mime_match(acc, variant):
            continue
        if prev == variant.mime_stars:
            continue
        if not neg.dont_fiddle_headers and not neg.accept_q and variant.mime_stars == 1:
            q = Q_0_01
        elif not neg.dont_fiddle_headers and not neg.accept_q and variant.mime_stars == 2:
            q = Q_0_02
        else:
            q = acc.quality
        q_definite = variant.mime_stars == 3
    variant.mime_type_quality = q
    variant.definite = variant.definite and q_definite


def set_charset_quality(neg: Negotiation, variant: Variant) -> None:
    charset = variant.content_charset
    if neg.accept_charsets is None:
        if charset:
            variant.definite = False
        return
    if not charset:
        if not (variant.mime_type.startswith("text/")
                or variant.mime_type in (INCLUDES_MAGIC_TYPE, INCLUDES_MAGIC_TYPE3)):
            return
        if neg.dont_fiddle_headers:
            return
        charset = "iso-8859-1"
    star = None
    for acc in neg.accept_charsets:
        if acc.name == charset:
            variant.charset_quality = acc.quality
            return
        if acc.name == "*":
            star = acc
    if star is not None:
        variant.charset_quality = star.quality
        variant.definite = False
        return
    variant.charset_quality = 1.0 if charset == "iso-8859-1" else 0.0


def is_identity_encoding(enc: Optional[str]) -> bool:
    return not enc or enc in ("7bit", "8bit", "binary")


def set_encoding_quality(neg: Negotiation, variant: Variant) -> None:
    enc = variant.content_encoding
    if neg.accept_encodings is None:
        variant.encoding_quality = 1.0 if is_identity_encoding(enc) else 0.5
        return
    value_if_not_found = 0.0
    if is_identity_encoding(enc):
        enc = "identity"
        value_if_not_found = Q_0_0001
    if enc.startswith("x-"):
        enc = enc[2:]
    star = None
    for acc in neg.accept_encodings:
        name = acc.name[2:] if acc.name.startswith("x-") else acc.name
        if name == enc:
            variant.encoding_quality = acc.quality
            return
        if name == "*":
            star = acc
    variant.encoding_quality = star.quality if star is not None else value_if_not_found


def is_variant_better_rvsa(neg, variant, best, bestq) -> Optional[float]:
    if variant.encoding_quality == 0.0:
        return None
    q = _f(_f(_f(variant.mime_type_quality * variant.source_quality)
              * variant.charset_quality) * variant.lang_quality)
    if q <= 0.0:
        return None
    if q > bestq:
        return q
    if q == bestq and variant.encoding_quality > best.encoding_quality:
        return q
    return None


def is_variant_better(neg, variant, best, bestq) -> Optional[float]:
    """is_variant_better: the new best q, or None when ``variant`` is not better."""
    if (variant.encoding_quality == 0.0 or variant.lang_quality == 0.0
            or variant.source_quality == 0.0 or variant.charset_quality == 0.0
            or variant.mime_type_quality == 0.0):
        return None
    q = _f(variant.mime_type_quality * variant.source_quality)
    if q == 0.0 or q < bestq:
        return None
    if q > bestq or best is None:
        return q
    if variant.lang_quality < best.lang_quality:
        return None
    if variant.lang_quality > best.lang_quality:
        return q
    if best.lang_index != -1 and (variant.lang_index == -1
                                  or variant.lang_index > best.lang_index):
        return None
    if variant.lang_index != -1 and (best.lang_index == -1
                                     or variant.lang_index < best.lang_index):
        return q
    levcmp = level_cmp(variant, best)
    if levcmp == -1:
        return None
    if levcmp == 1:
        return q
    if variant.charset_quality < best.charset_quality:
        return None
    if variant.charset_quality > best.charset_quality or (
            variant.content_charset and variant.content_charset != "iso-8859-1"
            and (not best.content_charset or best.content_charset == "iso-8859-1")):
        return q
    if variant.encoding_quality < best.encoding_quality:
        return None
    if variant.encoding_quality > best.encoding_quality:
        return q
    if find_content_length(neg, variant) >= find_content_length(neg, best):
        return None
    return q


def discard_variant_by_env(variant: Variant, discard: int) -> bool:
    enc = variant.content_encoding
    if is_identity_encoding(enc) or enc == "identity":
        return False
    return discard == DISCARD_ALL_ENCODINGS or (
        discard == DISCARD_ALL_BUT_HTML and not variant.mime_type.startswith("text/html"))


def best_match(neg: Negotiation) -> tuple[bool, Optional[Variant]]:
    """(a choice was made, the best variant)."""
    env = neg.r.subprocess_env
    preferred = env.get("prefer-language")
    may_discard = 0
    if env.get("no-gzip") is not None:
        may_discard = DISCARD_ALL_ENCODINGS
    elif env.get("gzip-only-text/html") == "1":
        may_discard = DISCARD_ALL_BUT_HTML
    set_default_lang_quality(neg)
    better = is_variant_better_rvsa if neg.use_rvsa else is_variant_better
    while True:
        best, bestq = None, 0.0
        for variant in neg.avail_vars:
            if may_discard and discard_variant_by_env(variant, may_discard):
                continue
            if preferred and preferred not in (variant.content_languages or ()):
                continue
            set_accept_quality(neg, variant)
            if preferred:
                variant.lang_quality, variant.definite = 1.0, True
            else:
                set_language_quality(neg, variant)
            set_encoding_quality(neg, variant)
            set_charset_quality(neg, variant)
            if neg.may_choose:
                q = better(neg, variant, best, bestq)
                if q is not None:
                    best, bestq = variant, q
        if neg.use_rvsa:
            choice = best is not None and best.definite and bestq > 0
        else:
            choice = bestq > 0
        if preferred and (best is None or not choice):
            preferred = None
            continue
        return choice, best


# -- the response ------------------------------------------------------------------------------

def _qstr(q: float) -> str:
    s = "%1.3f" % q
    if s[4] == "0":
        s = s[:4]
        if s[3] == "0":
            s = s[:3]
            if s[2] == "0":
                s = s[:1]
    return s


def set_neg_headers(r, neg: Negotiation, choice: bool) -> None:
    hdrs = r.err_headers_out
    alts = []
    vary = {"type": False, "language": False, "charset": False, "encoding": False}
    sample = None
    for variant in neg.avail_vars:
        lang = ",".join(variant.content_languages) if variant.content_languages else None
        me = (variant.mime_type or "", variant.content_charset or "", lang or "",
              variant.content_encoding or "")
        if sample is None:
            sample = me
        else:
            for key, a, b in zip(("type", "charset", "language", "encoding"), sample, me):
                if a != b:
                    vary[key] = True
        if not neg.send_alternates:
            continue
        a = f'{{"{escape_path_segment(variant.file_name)}" {_qstr(variant.source_quality)}'
        if variant.mime_type:
            a += f" {{type {variant.mime_type}}}"
        if variant.content_charset:
            a += f" {{charset {variant.content_charset}}}"
        if lang:
            a += f" {{language {lang}}}"
        if variant.content_encoding:
            a += f" {{encoding {variant.content_encoding}}}"
        if not (variant.sub_req is not None and variant.sub_req.handler):
            n = find_content_length(neg, variant)
            if n >= 0:
                a += f" {{length {n}}}"
        alts.append(a + "}")
    if neg.send_alternates and neg.avail_vars:
        hdrs.merge("Alternates", ", ".join(alts))
    if neg.is_transparent or any(vary.values()):
        parts = [p for p, on in ((", negotiate", neg.is_transparent),
                                 (", accept", vary["type"]),
                                 (", accept-language", vary["language"]),
                                 (", accept-charset", vary["charset"]),
                                 (", accept-encoding", vary["encoding"])) if on]
        hdrs.merge("Vary", "".join(parts)[2:])
    if neg.is_transparent:
        hdrs.set("TCN", "choice" if choice else "list")


def make_variant_list(neg: Negotiation) -> str:
    out = ["Available variants:\n<ul>\n"]
    for v in neg.avail_vars:
        name = v.file_name or ""
        out.append(f'<li><a href="{escape_path_segment(name)}">{escape_html(name)}</a> '
                   f"{v.description or ''}")
        if v.mime_type:
            out.append(f", type {v.mime_type}")
        if v.content_languages:
            out.append(f", language {','.join(v.content_languages)}")
        if v.content_charset:
            out.append(f", charset {v.content_charset}")
        if v.content_encoding:
            out.append(f", encoding {v.content_encoding}")
        out.append("</li>\n")
    out.append("</ul>\n")
    return "".join(out)


def store_variant_list(r, neg: Negotiation) -> None:
    target = r if r.main is None else r.main
    target.notes["variant-list"] = make_variant_list(neg)


def setup_choice_response(r, neg: Negotiation, variant: Variant) -> int:
    sub = variant.sub_req
    if sub is None:
        sub = sub_req_lookup_file(variant.file_name, r)
        if sub.status != 200 and sub.err_headers_out.get("TCN") is None:
            return sub.status
        variant.sub_req = sub
    if neg.is_transparent and sub.err_headers_out.get("TCN") is not None:
        return HTTP_VARIANT_ALSO_VARIES
    if sub.handler == "type-map":
        return HTTP_VARIANT_ALSO_VARIES
    sub_vary = sub.err_headers_out.get("Vary")
    if sub_vary is not None:
        r.err_headers_out.set("Variant-Vary", sub_vary)
        r.err_headers_out.set("Vary", sub_vary)
        sub.err_headers_out.unset("Vary")
    r.err_headers_out.set("Content-Location", escape_path_segment(variant.file_name))
    set_neg_headers(r, neg, True)
    return 0


def do_negotiation(r, neg: Negotiation, prefer_scripts: bool) -> tuple[int, Optional[Variant]]:
    if r.method_number == M_GET:
        neg.is_transparent = not r.path_info
        for v in neg.avail_vars:
            if "/" in v.file_name or v.body:
                neg.is_transparent = False
    if neg.is_transparent:
        parse_negotiate_header(r, neg)
    else:
        neg.may_choose = True
    maybe_add_default_accepts(neg, prefer_scripts)
    choice, best = best_match(neg)
    if not choice:
        neg.send_alternates = True
        set_neg_headers(r, neg, False)
        store_variant_list(r, neg)
        if neg.is_transparent and neg.ua_supports_trans:
            return HTTP_MULTIPLE_CHOICES, best
        if best is None:
            log_rerror(r, "negotiation", "error", f"AH00690: no acceptable variant: "
                       f"{r.filename}")
            return HTTP_NOT_ACCEPTABLE, best
    if neg.is_transparent:
        res = setup_choice_response(r, neg, best)
        if res:
            return res, best
    else:
        set_neg_headers(r, neg, choice)
    sconf = r.server_config(MODULE_NAME)
    if not (sconf is not None and sconf.cache) and r.proto_num < 1001 \
            and neg.count_multiviews_variants != 1:
        r.no_cache = True
    return OK, best


def handle_map_file(r) -> int:
    """The type-map handler."""
    if r.handler not in (MAP_FILE_MAGIC_TYPE, "type-map"):
        return DECLINED
    neg = parse_accept_headers(r)
    res = read_type_map(neg, r)
    if res:
        return res
    res, best = do_negotiation(r, neg, False)
    if res:
        return res
    if best.body:
        allow_methods(r, True, M_GET, M_OPTIONS, M_POST)
        if r.method_number not in (M_GET, M_POST):
            return 405
        set_accept_ranges(r)
        set_content_length(r, best.bytes)
        if best.mime_type:
            r.content_type = (f"{best.mime_type}; charset={best.content_charset}"
                              if best.content_charset else best.mime_type)
        if best.content_languages:
            r.content_languages = list(best.content_languages)
        if best.content_encoding:
            r.content_encoding = best.content_encoding
        res = meets_conditions(r)
        if res != OK:
            return res
        from httpd.core.handler import discard_request_body
        res = discard_request_body(r)
        if res != OK:
            return res
        r.body = FileRange(neg.map_path, best.body, best.bytes)
        return OK
    uri = r.uri
    if r.path_info and uri.endswith(r.path_info):
        uri = uri[:len(uri) - len(r.path_info)]
    udir = escape_uri(_parent(uri))
    if r.args:
        new = f"{udir}{best.file_name}{r.path_info or ''}?{r.args}"
    else:
        new = f"{udir}{best.file_name}{r.path_info or ''}"
    internal_redirect(new, r)
    return OK


def handle_multi(r) -> int:
    """type_checker (FIRST): MultiViews for a file that does not exist."""
    if r.finfo is not None:
        return DECLINED
    d = r.module_config(CORE)
    if d is None or not d.opts & OPT_MULTI:
        return DECLINED
    neg = parse_accept_headers(r)
    res = read_types_multi(neg)
    if res:
        return res
    if not neg.avail_vars:
        return DECLINED
    res, best = do_negotiation(r, neg, r.method_number != M_GET or bool(r.args)
                               or bool(r.path_info))
    if res:
        return res
    sub = best.sub_req
    if sub is None:
        sub = sub_req_lookup_file(best.file_name, r)
        if sub.status != 200:
            return sub.status
    if sub.args is None:
        sub.args = r.args
    internal_fast_redirect(sub, r)
    r.mtime = 0
    return OK


def fix_encoding(r) -> int:
    """fixups: the encoding as the client spelled it (gzip or x-gzip)."""
    enc = r.content_encoding
    if not enc:
        return DECLINED
    if enc.startswith("x-"):
        enc = enc[2:]
    accepts = do_header_line(r.headers_in.get("Accept-Encoding"))
    if accepts is None:
        return DECLINED
    x_enc = None
    for acc in accepts:
        if acc.name == enc:
            r.content_encoding = acc.name
            return OK
        if acc.name.startswith("x-") and acc.name[2:] == enc:
            x_enc = acc.name
    if x_enc:
        r.content_encoding = x_enc
        return OK
    return DECLINED


def _file_exists(r) -> bool:
    """MultiViews looks only for a file that does not exist, and only where it is on
    (hooks.determined)."""
    if r.finfo is not None:
        return True
    d = r.module_config(CORE)
    return d is None or not d.opts & OPT_MULTI


def _no_encoding(r) -> bool:
    """fix_encoding reads Accept-Encoding only for a response with an encoding."""
    return not r.content_encoding


MODULE = Module(
    MODULE_NAME, "mod_negotiation.c",
    (cache_negotiated_docs, set_language_priority, set_force_priority),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    hooks={"fixups": (determined(fix_encoding, _no_encoding), MIDDLE),
           "type_checker": (determined(handle_multi, _file_exists), FIRST),
           "handler": (handle_map_file, MIDDLE)},
    doc="Provides for content negotiation",
)
