"""mod_speling (modules/mappers/mod_speling.c): a request for a file that is not there
gets the one its name was probably meant to be.

``CheckSpelling On`` (OR_OPTIONS; a section's settings replace its parent's whole, as
the module has no merge): at fixups (LAST), for a GET of a main request whose file does
not exist, the last name of the file is compared with every entry of its directory
(``.`` and ``..`` included, in readdir order, as apr_dir_read gives them): a different
capitalisation, then -- unless ``CheckCaseOnly On`` -- one transposition, missing,
extra or mistyped character (spdist, from tcsh), then -- unless ``CheckBasenameMatch
Off`` -- the same name before the first dot.  One best candidate (not a base-name one)
is a 301 to it (the rest of the path and the query kept); otherwise a 300 whose page
lists them all (the ``variant-list`` note, as mod_negotiation's) and the ``VARIANTS``
variable.  A request for an entry that is there under exactly that name (a broken
symlink) is left alone.
"""
from __future__ import annotations


import attrs

from httpd.http.request import log_rerror
from httpd.module import OR_OPTIONS, Args, Module, directive, flag_slot
from httpd.module.hooks import DECLINED, LAST, OK, determined
from httpd.protocol import M_GET
from httpd.request.server_name import construct_url
from httpd.util.cparse import ascii_lower
from httpd.util.escape import escape_html
from httpd.util.fspath import listdir
from httpd.util.uri import escape_uri

MODULE_NAME = "speling_module"
HTTP_MOVED_PERMANENTLY, HTTP_MULTIPLE_CHOICES = 301, 300

(SP_IDENTICAL, SP_MISCAPITALIZED, SP_TRANSPOSITION, SP_MISSINGCHAR, SP_EXTRACHAR,
 SP_SIMPLETYPO, SP_VERYDIFFERENT) = range(7)
SP_REASON = ("identical", "miscapitalized", "transposed characters", "character missing",
             "extra character", "mistyped character", "common basename")


@attrs.define
class SpelingConfig:
    enabled: bool = False
    check_case_only: bool = False
    check_basename_match: bool = True


def create_config(_) -> SpelingConfig:
    return SpelingConfig()


check_spelling = directive("CheckSpelling", Args.FLAG, OR_OPTIONS,
                           "whether or not to fix miscapitalized/misspelled requests"
                           )(flag_slot("enabled"))
check_case_only = directive("CheckCaseOnly", Args.FLAG, OR_OPTIONS,
                            "whether or not to fix only miscapitalized requests"
                            )(flag_slot("check_case_only"))
check_basename_match = directive("CheckBasenameMatch", Args.FLAG, OR_OPTIONS,
                                 "whether or not to fix files with the same base name"
                                 )(flag_slot("check_basename_match"))


def spdist(s: str, t: str) -> int:
    """spdist: how ``s`` (the request) differs from ``t`` (an entry), case aside."""
    ls, lt = ascii_lower(s), ascii_lower(t)
    i = 0
    while i < len(ls) and i < len(lt) and ls[i] == lt[i]:
        i += 1
    if i == len(ls) == len(lt):
        return SP_MISCAPITALIZED
    s, t = ls[i:], lt[i:]
    if s:
        if t:
            if len(s) > 1 and len(t) > 1 and s[0] == t[1] and t[0] == s[1] \
                    and s[2:] == t[2:]:
                return SP_TRANSPOSITION
            if s[1:] == t[1:]:
                return SP_SIMPLETYPO
        if s[1:] == t:
            return SP_EXTRACHAR
    if t and s == t[1:]:
        return SP_MISSINGCHAR
    return SP_VERYDIFFERENT


def _entries(path: str) -> list:
    """apr_dir_read's names: "." and ".." first, then readdir's order."""
    return [".", "..", *listdir(path)]


def check_speling(r) -> int:
    """check_speling (fixups, LAST)."""
    cfg: SpelingConfig = r.module_config(MODULE_NAME)
    if cfg is None or not cfg.enabled or r.method_number != M_GET or r.finfo is not None \
            or not r.filename or r.main is not None:
        return DECLINED
    filename = r.filename
    filoc = filename.rfind("/")
    if filoc < 0 or r.uri == "/":
        return DECLINED
    good, bad = filename[:filoc], filename[filoc + 1:]
    postgood = bad + (r.path_info or "")
    if not r.uri.endswith(postgood):
        return DECLINED
    url = r.uri[:len(r.uri) - len(postgood)]
    try:
        names = _entries(good)
    except (OSError, ValueError):
        return DECLINED
    dot = bad.find(".")
    dotloc = dot if dot >= 0 else len(bad)
    low_bad = ascii_lower(bad)
    candidates = []
    for name in names:
        if name == bad:
            return OK               # a broken symlink or some such: no loop
        if ascii_lower(name) == low_bad:
            candidates.append((name, SP_MISCAPITALIZED))
            continue
        if not cfg.check_case_only:
            q = spdist(bad, name)
            if q != SP_VERYDIFFERENT:
                candidates.append((name, q))
                continue
        if cfg.check_basename_match:
            e = name.find(".")
            entloc = e if e >= 0 else len(name)
            if dotloc == entloc and ascii_lower(bad[:dotloc]) == ascii_lower(name[:dotloc]):
                candidates.append((name, SP_VERYDIFFERENT))
    if not candidates:
        return OK
    candidates.sort(key=lambda c: c[1])
    ref = r.headers_in.get("Referer")
    path_info = r.path_info or ""
    best = candidates[0][1]
    if best != SP_VERYDIFFERENT and (len(candidates) == 1 or best != candidates[1][1]):
        nuri = escape_uri(url + candidates[0][0] + path_info)
        if r.args is not None:
            nuri = f"{nuri}?{r.args}"
        r.headers_out.set("Location", construct_url(r, nuri))
        if ref:
            log_rerror(r, "speling", "info", f"AH03224: Fixed spelling: {r.uri} to {nuri} "
                       f"from {ref}")
        else:
            log_rerror(r, "speling", "info", f"AH03225: Fixed spelling: {r.uri} to {nuri}")
        return HTTP_MOVED_PERMANENTLY
    page = ["The document name you requested (<code>", escape_html(r.uri),
            "</code>) could not be found on this server.\nHowever, we found documents "
            "with names similar to the one you requested.<p>Available documents:\n<ul>\n"]
    variants = []
    query = f"?{r.args}" if r.args is not None else ""
    for i, (name, quality) in enumerate(candidates):
        reason = SP_REASON[quality]
        vuri = url + name + path_info + query
        variants.append(f'"{escape_uri(vuri)}";"{reason}"')
        page += ['<li><a href="', escape_uri(vuri), '">', escape_html(vuri), "</a> (",
                 reason, ")\n"]
        if 0 < i < len(candidates) - 1 and quality != SP_VERYDIFFERENT \
                and candidates[i + 1][1] == SP_VERYDIFFERENT:
            page.append("</ul>\nFurthermore, the following related documents were "
                        "found:\n<ul>\n")
    page.append("</ul>\n")
    if ref is not None:
        page += ["Please consider informing the owner of the referring page <tt>",
                 escape_html(ref), "</tt> about the broken link.\n"]
    r.notes["variant-list"] = "".join(page)
    old = r.subprocess_env.get("VARIANTS")
    joined = ",".join(variants)
    r.subprocess_env["VARIANTS"] = joined if old is None else f"{old}, {joined}"
    if ref:
        log_rerror(r, "speling", "info", f"AH03226: Spelling fix: {r.uri}: "
                   f"{len(candidates)} candidates from {ref}")
    else:
        log_rerror(r, "speling", "info", f"AH03227: Spelling fix: {r.uri}: "
                   f"{len(candidates)} candidates")
    return HTTP_MULTIPLE_CHOICES


def _no_lookup(r) -> bool:
    """Only a GET of a file that is not there, where CheckSpelling is on, reads a
    directory (hooks.determined)."""
    cfg = r.module_config(MODULE_NAME)
    return cfg is None or not cfg.enabled or r.finfo is not None or r.method_number != M_GET


MODULE = Module(
    MODULE_NAME, "mod_speling.c", (check_spelling, check_case_only, check_basename_match),
    create_dir_config=create_config,
    create_server_config=create_config,
    hooks={"fixups": (determined(check_speling, _no_lookup), LAST)},
    doc="Attempts to correct mistaken URLs that users might have entered by ignoring "
        "capitalization and by allowing up to one misspelling",
)
