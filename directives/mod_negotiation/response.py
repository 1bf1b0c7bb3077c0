"""The negotiated response: Alternates, Vary and TCN (set_neg_headers), the variant
list of a 300 or 406, the choice response, and do_negotiation, which ties the
choosing and the answering together."""
from __future__ import annotations

from typing import Optional

from httpd.http.request import log_rerror
from httpd.module.hooks import OK
from httpd.protocol import M_GET
from httpd.request.subrequest import sub_req_lookup_file
from httpd.util.escape import escape_html
from httpd.util.uri import escape_path_segment
from .config import (HTTP_MULTIPLE_CHOICES, HTTP_NOT_ACCEPTABLE, HTTP_VARIANT_ALSO_VARIES,
                     MODULE_NAME)
from .records import maybe_add_default_accepts, Negotiation, parse_negotiate_header, Variant
from .quality import best_match, find_content_length


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
