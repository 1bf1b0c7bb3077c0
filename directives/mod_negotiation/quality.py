"""Choosing a variant: every quality as Apache computes it (media type, language,
charset, encoding), then is_variant_better or RVSA/1.0 (best_match)."""
from __future__ import annotations

import os
from httpd.util.fspath import fs_path
from typing import Optional

from .config import (DISCARD_ALL_BUT_HTML, DISCARD_ALL_ENCODINGS, FLP_DEFAULT, FLP_FALLBACK,
                     FLP_PREFER, INCLUDES_MAGIC_TYPE, INCLUDES_MAGIC_TYPE3)
from .records import Accept, c_float, Negotiation, Q_0_0001, Q_0_001, Q_0_01, Q_0_02, Variant


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
                variant.bytes = os.stat(fs_path(neg.dir_name + variant.file_name)).st_size
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
    q = c_float(c_float(c_float(variant.mime_type_quality * variant.source_quality)
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
    q = c_float(variant.mime_type_quality * variant.source_quality)
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
