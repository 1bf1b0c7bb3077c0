"""mod_rewrite (modules/mappers/mod_rewrite.c): rule-based URL rewriting.

The declarations, the config records and their merges, and the directive handlers,
ported from mod_rewrite.c 2.4 (its own argument line parser, its flag lexer, the
condition pattern types).  Regexes go through the core's ap_pregcomp with the server's
RegexDefaultOptions, as Apache's ap_pregcomp does.  The request-time side is
``engine.py`` (expansion, variables, maps, the rule engine) and ``runtime.py`` (the
hooks: translate_name for per-server rules, fixups for per-directory ones with the
"redirect:" internal redirect and its handler, the T= and H= fixup).

Refused at config time, never accepted and ignored: the map type dbm (and dbd and
fastdbd, which need mod_dbd, as in Apache).  prg: maps run their program from
post_config, as Apache does, one lookup at a time across the server's processes, their
stderr the main error log.  [P] is accepted as Apache accepts it without mod_proxy
loaded: the request is then refused with 403 and AH00669 (AH10160 per directory;
mod_proxy is not offered).
"""
from __future__ import annotations

import os
import re
from typing import Any, Optional

import attrs

from httpd import expr as ap_expr
from httpd.core.sections import parse_expr, regex_cflags
from httpd.http.status import index_of_response
from httpd.log.piped import tokenize_to_argv
from httpd.module import OR_FILEINFO, RSRC_CONF, Args, Module, directive
from httpd.module.hooks import FIRST, LAST, MIDDLE
from httpd.util.regex import AP_REG_ICASE

MODULE_NAME = "rewrite_module"

ENGINE_DISABLED, ENGINE_ENABLED = 1, 2

# RewriteOptions (mod_rewrite.c OPTION_*)
OPTION_NONE = 0
OPTION_INHERIT = 1 << 1
OPTION_INHERIT_BEFORE = 1 << 2
OPTION_NOSLASH = 1 << 3
OPTION_ANYURI = 1 << 4
OPTION_MERGEBASE = 1 << 5
OPTION_INHERIT_DOWN = 1 << 6
OPTION_INHERIT_DOWN_BEFORE = 1 << 7
OPTION_IGNORE_INHERIT = 1 << 8
OPTION_IGNORE_CONTEXT_INFO = 1 << 9
OPTION_LEGACY_PREFIX_DOCROOT = 1 << 10
OPTION_UNSAFE_PREFIX_STAT = 1 << 11

_OPTIONS = {"inherit": OPTION_INHERIT, "inheritbefore": OPTION_INHERIT_BEFORE,
            "inheritdown": OPTION_INHERIT_DOWN,
            "inheritdownbefore": OPTION_INHERIT_DOWN_BEFORE,
            "ignoreinherit": OPTION_IGNORE_INHERIT, "allownoslash": OPTION_NOSLASH,
            "allowanyuri": OPTION_ANYURI, "mergebase": OPTION_MERGEBASE,
            "ignorecontextinfo": OPTION_IGNORE_CONTEXT_INFO,
            "legacyprefixdocroot": OPTION_LEGACY_PREFIX_DOCROOT,
            "unsafeprefixstat": OPTION_UNSAFE_PREFIX_STAT}

# RewriteRule flags (RULEFLAG_*)
RULEFLAG_FORCEREDIRECT = 1 << 1
RULEFLAG_LASTRULE = 1 << 2
RULEFLAG_NEWROUND = 1 << 3
RULEFLAG_CHAIN = 1 << 4
RULEFLAG_IGNOREONSUBREQ = 1 << 5
RULEFLAG_NOTMATCH = 1 << 6
RULEFLAG_PROXY = 1 << 7
RULEFLAG_PASSTHROUGH = 1 << 8
RULEFLAG_QSAPPEND = 1 << 9
RULEFLAG_NOCASE = 1 << 10
RULEFLAG_NOESCAPE = 1 << 11
RULEFLAG_NOSUB = 1 << 12
RULEFLAG_STATUS = 1 << 13
RULEFLAG_ESCAPEBACKREF = 1 << 14
RULEFLAG_DISCARDPATHINFO = 1 << 15
RULEFLAG_QSDISCARD = 1 << 16
RULEFLAG_END = 1 << 17
RULEFLAG_ESCAPENOPLUS = 1 << 18
RULEFLAG_QSLAST = 1 << 19
RULEFLAG_QSNONE = 1 << 20
RULEFLAG_ESCAPECTLS = 1 << 21
RULEFLAG_UNSAFE_PREFIX_STAT = 1 << 22
RULEFLAG_UNSAFE_ALLOW3F = 1 << 23
RULEFLAG_UNC = 1 << 24

# RewriteCond flags and pattern types
CONDFLAG_NOCASE = 1 << 1
CONDFLAG_NOTMATCH = 1 << 2
CONDFLAG_ORNEXT = 1 << 3
CONDFLAG_NOVARY = 1 << 4

(CONDPAT_REGEX, CONDPAT_FILE_EXISTS, CONDPAT_FILE_SIZE, CONDPAT_FILE_LINK,
 CONDPAT_FILE_DIR, CONDPAT_FILE_XBIT, CONDPAT_LU_URL, CONDPAT_LU_FILE,
 CONDPAT_STR_LT, CONDPAT_STR_LE, CONDPAT_STR_EQ, CONDPAT_STR_GT, CONDPAT_STR_GE,
 CONDPAT_INT_LT, CONDPAT_INT_LE, CONDPAT_INT_EQ, CONDPAT_INT_GT, CONDPAT_INT_GE,
 CONDPAT_AP_EXPR) = range(19)

MAPTYPE_TXT, MAPTYPE_RND, MAPTYPE_INT, MAPTYPE_PRG = 1, 2, 3, 4

REWRITE_MAX_ROUNDS = 10000
HTTP_MOVED_PERMANENTLY, HTTP_MOVED_TEMPORARILY, HTTP_SEE_OTHER = 301, 302, 303
HTTP_FORBIDDEN, HTTP_GONE, HTTP_INTERNAL_SERVER_ERROR = 403, 410, 500


@attrs.define(eq=False)
class RewriteCond:
    input: str
    pattern: str                    # after the operator (as mod_rewrite keeps it)
    source: str                     # the pattern as written, for the log
    ptype: int = CONDPAT_REGEX
    flags: int = 0
    regexp: Optional[re.Pattern] = None
    expr: Any = None
    int_pattern: int = 0            # atoi(pattern) of the integer comparisons, once


@attrs.define(eq=False)
class RewriteRule:
    pattern: str
    regexp: re.Pattern
    output: str
    flags: int = 0
    conds: tuple = ()
    forced_mimetype: Optional[str] = None
    forced_handler: Optional[str] = None
    forced_responsecode: int = HTTP_MOVED_TEMPORARILY
    env: list = attrs.field(factory=list)
    cookie: list = attrs.field(factory=list)
    skip: int = 0
    maxrounds: int = REWRITE_MAX_ROUNDS
    escapes: Optional[str] = None
    noescapes: Optional[str] = None


@attrs.define(eq=False)
class RewriteMap:
    name: str
    type: int
    datafile: Optional[str] = None
    func: Any = None                # an int: map
    argv: Optional[list] = None     # a prg: map: the program and its arguments
    user: Optional[str] = None
    group: Optional[str] = None
    proc: Any = None                # the running program (post_config)


@attrs.define(eq=False)
class RewriteServerConfig:
    state: int = ENGINE_DISABLED
    state_set: bool = False
    options: int = OPTION_NONE
    options_set: bool = False
    maps: dict = attrs.field(factory=dict)
    conds: list = attrs.field(factory=list)       # RewriteConds waiting for their rule
    rules: list = attrs.field(factory=list)
    server: Any = None


@attrs.define(eq=False)
class RewriteDirConfig:
    state: int = ENGINE_DISABLED
    state_set: bool = False
    options: int = OPTION_NONE
    options_set: bool = False
    baseurl: Optional[str] = None
    baseurl_set: bool = False
    conds: list = attrs.field(factory=list)
    rules: list = attrs.field(factory=list)
    directory: Optional[str] = None


def create_server_config(server) -> RewriteServerConfig:
    return RewriteServerConfig(server=server)


def _inherit(a_options: int, base_options: int) -> int:
    """Which way a merge inherits: 1 after (Inherit), 2 before (InheritBefore), 0 not."""
    if a_options & OPTION_INHERIT or (base_options & OPTION_INHERIT_DOWN
                                      and not a_options & OPTION_IGNORE_INHERIT):
        return 1
    if a_options & OPTION_INHERIT_BEFORE or (base_options & OPTION_INHERIT_DOWN_BEFORE
                                             and not a_options & OPTION_IGNORE_INHERIT):
        return 2
    return 0


def merge_server_config(base: RewriteServerConfig,
                        add: RewriteServerConfig) -> RewriteServerConfig:
    a = RewriteServerConfig(
        state=base.state if not add.state_set else add.state,
        state_set=add.state_set or base.state_set,
        options=base.options if not add.options_set else add.options,
        options_set=add.options_set or base.options_set, server=add.server)
    how = _inherit(a.options, base.options)
    if how == 1:
        a.maps = {**base.maps, **add.maps}
        a.conds = add.conds + base.conds
        a.rules = add.rules + base.rules
    elif how == 2:
        a.maps = {**add.maps, **base.maps}
        a.conds = base.conds + add.conds
        a.rules = base.rules + add.rules
    else:
        a.maps, a.conds, a.rules = add.maps, add.conds, add.rules
    return a


def create_dir_config(path: Optional[str]) -> RewriteDirConfig:
    directory = None
    if path is not None:
        directory = path if path.endswith("/") else path + "/"
    return RewriteDirConfig(directory=directory)


def merge_dir_config(base: RewriteDirConfig, add: RewriteDirConfig) -> RewriteDirConfig:
    a = RewriteDirConfig(
        state=base.state if not add.state_set else add.state,
        state_set=add.state_set or base.state_set,
        options=base.options if not add.options_set else add.options,
        options_set=add.options_set or base.options_set, directory=add.directory)
    if a.options & OPTION_MERGEBASE:
        a.baseurl = base.baseurl if not add.baseurl_set else add.baseurl
        a.baseurl_set = add.baseurl_set or base.baseurl_set
    else:
        a.baseurl = add.baseurl
    how = _inherit(a.options, base.options)
    if how == 1:
        a.conds, a.rules = add.conds + base.conds, add.rules + base.rules
    elif how == 2:
        a.conds, a.rules = base.conds + add.conds, base.rules + add.rules
    else:
        a.conds, a.rules = add.conds, add.rules
    return a


# -- directives --------------------------------------------------------------------------

def _sconf(cmd) -> RewriteServerConfig:
    return cmd.server.module_config[MODULE_NAME]


@directive("RewriteEngine", Args.FLAG, OR_FILEINFO,
           "On or Off to enable or disable (default) the whole rewriting engine")
def cmd_rewriteengine(cmd, dconf, flag):
    state = ENGINE_ENABLED if flag else ENGINE_DISABLED
    if cmd.path is None:
        sconf = _sconf(cmd)
        sconf.state, sconf.state_set = state, True
    dconf.state, dconf.state_set = state, True
    return None


@directive("RewriteOptions", Args.ITERATE, OR_FILEINFO, "List of option strings to set")
def cmd_rewriteoptions(cmd, dconf, word):
    lower = word.lower()
    options = 0
    if lower in _OPTIONS:
        options = _OPTIONS[lower]
    elif lower.startswith("maxredirects="):
        cmd.log.error("rewrite", "warn",
                      "AH00664: RewriteOptions: MaxRedirects option has been removed in "
                      "favor of the global LimitInternalRecursion directive and will be "
                      "ignored.")
    else:
        return f"RewriteOptions: unknown option '{word}'"
    if cmd.path is None:
        sconf = _sconf(cmd)
        sconf.options |= options
        sconf.options_set = True
    dconf.options |= options
    dconf.options_set = True
    return None


def _map_int_tolower(r, key: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in key)


def _map_int_toupper(r, key: str) -> str:
    return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in key)


def _map_int_escape(r, key: str) -> str:
    from httpd.util.uri import escape_uri
    return escape_uri(key)


def _map_int_unescape(r, key: str) -> str:
    from httpd.util.uri import unescape_url
    return unescape_url(key)


INTERNAL_MAPS = {"tolower": _map_int_tolower, "toupper": _map_int_toupper,
                 "escape": _map_int_escape, "unescape": _map_int_unescape}


def _file_map(cmd, name: str, kind: str, path: str, maptype: int):
    fname = cmd.server_root_relative(path)
    if fname is None:
        return None, f"RewriteMap: bad path to {kind} map: {path}"
    return RewriteMap(name, maptype, fname), None


@directive("RewriteMap", Args.TAKE23, RSRC_CONF, "a mapname and a filename and options")
def cmd_rewritemap(cmd, dconf, a1, a2, a3):
    lower = a2.lower()
    newmap, err = None, None
    if lower.startswith("txt:"):
        newmap, err = _file_map(cmd, a1, "txt", a2[4:], MAPTYPE_TXT)
    elif lower.startswith("rnd:"):
        newmap, err = _file_map(cmd, a1, "rnd", a2[4:], MAPTYPE_RND)
    elif lower.startswith("dbm"):
        return (f"RewriteMap: map type dbm ('{a2}') is not available in this server; "
                "use a txt: map")
    elif lower.startswith("dbd:") or lower.startswith("fastdbd:"):
        return "RewriteMap types dbd and fastdbd require mod_dbd!"
    elif lower.startswith("prg:"):
        argv = tokenize_to_argv(a2[4:])
        if not argv:
            return f"RewriteMap: bad path to prg map: {a2[4:]}"
        argv[0] = cmd.server_root_relative(argv[0])
        user = group = None
        if a3:
            parts = [t for t in a3.split(":") if t]       # apr_strtok
            user = parts[0] if parts else None
            group = parts[1] if len(parts) > 1 else None
        newmap = RewriteMap(a1, MAPTYPE_PRG, argv=argv, user=user, group=group)
        try:
            os.stat(argv[0])
        except (OSError, ValueError):
            return f"RewriteMap: file for map {a1} not found:{argv[0]}"
    elif lower.startswith("int:"):
        func = INTERNAL_MAPS.get(a2[4:])
        if func is None:
            return f"RewriteMap: internal map not found:{a2[4:]}"
        newmap = RewriteMap(a1, MAPTYPE_INT, func=func)
    else:
        newmap, err = _file_map(cmd, a1, "txt", a2, MAPTYPE_TXT)
    if err:
        return err
    if newmap.datafile is not None:
        try:
            os.stat(newmap.datafile)
        except (OSError, ValueError):
            return f"RewriteMap: file for map {a1} not found:{newmap.datafile}"
    _sconf(cmd).maps[a1] = newmap
    return None


@directive("RewriteBase", Args.TAKE1, OR_FILEINFO,
           "the base URL of the per-directory context")
def cmd_rewritebase(cmd, dconf, a1):
    if cmd.path is None or dconf is None:
        return "RewriteBase: only valid in per-directory config files"
    if not a1:
        return "RewriteBase: empty URL not allowed"
    if a1[0] != "/":
        return "RewriteBase: argument is not a valid URL"
    dconf.baseurl, dconf.baseurl_set = a1, True
    return None


_SPACE = " \t\n\v\f\r"


def parseargline(s: str):
    """mod_rewrite's own argument line parser (parseargline): (a1, a2, a3) or None on
    error.  A quote opens only at a word's start and ends it anywhere; a backslash
    before a space keeps the space in the word (and the backslash too, as in C)."""
    i, n = 0, len(s)
    words = []
    for k in range(3):
        while i < n and s[i] in _SPACE:
            i += 1
        if k == 2 and i >= n:
            break
        quote = ""
        if i < n and s[i] in "\"'":
            quote = s[i]
            i += 1
        start = i
        while i < n:
            c = s[i]
            if (c in _SPACE and not quote) or (quote and c == quote):
                break
            if c == "\\" and i + 1 < n and s[i + 1] in _SPACE:
                i += 2
                continue
            i += 1
        words.append(s[start:i])
        if i >= n:
            if k == 0:
                return None
            break
        i += 1                     # the terminating space or quote
    while len(words) < 3:
        words.append(None)
    return tuple(words)


def parse_flag_field(field: str, setflag) -> Optional[str]:
    """cmd_parseflagfield: ``[k=v,k,...]``; ``setflag(key, val)`` per flag."""
    if not field or field[0] != "[" or field[-1] != "]":
        return "bad flag delimiters"
    body = field[1:-1] + ","
    i, n = 0, len(body)
    while i < n:
        while i < n and body[i] in _SPACE:
            i += 1
        if i >= n:
            break
        nextp = body.find(",", i)
        if nextp < 0:
            break
        item = body[i:nextp].rstrip(_SPACE)
        key, eq, val = item.partition("=")
        err = setflag(key, val if eq else "")
        if err:
            return err
        i = nextp + 1
    return None


def _cond_setflag(cond: RewriteCond):
    def setflag(key: str, val: str) -> Optional[str]:
        k = key.lower()
        if k in ("nocase", "nc"):
            cond.flags |= CONDFLAG_NOCASE
        elif k in ("ornext", "or"):
            cond.flags |= CONDFLAG_ORNEXT
        elif k in ("novary", "nv"):
            cond.flags |= CONDFLAG_NOVARY
        else:
            return f"unknown flag '{key}'"
        return None
    return setflag


_FILE_TESTS = {"f": CONDPAT_FILE_EXISTS, "s": CONDPAT_FILE_SIZE, "d": CONDPAT_FILE_DIR,
               "x": CONDPAT_FILE_XBIT, "h": CONDPAT_FILE_LINK, "L": CONDPAT_FILE_LINK,
               "l": CONDPAT_FILE_LINK, "U": CONDPAT_LU_URL, "F": CONDPAT_LU_FILE}
_INT_TESTS = {"lt": CONDPAT_INT_LT, "le": CONDPAT_INT_LE, "gt": CONDPAT_INT_GT,
              "ge": CONDPAT_INT_GE, "eq": CONDPAT_INT_EQ, "ne": CONDPAT_INT_EQ}


def _atoi(s: str) -> int:
    from httpd.util.cparse import atoi
    return atoi(s)


@directive("RewriteCond", Args.RAW_ARGS, OR_FILEINFO,
           "an input string and a to be applied regexp-pattern")
def cmd_rewritecond(cmd, dconf, in_str):
    parsed = parseargline(in_str)
    if parsed is None:
        return f"RewriteCond: bad argument line '{in_str}'"
    a1, a2, a3 = parsed
    cond = RewriteCond(a1, a2, a2)
    if a3 is not None:
        err = parse_flag_field(a3, _cond_setflag(cond))
        if err:
            return f"RewriteCond: {err}"
    if a2.startswith("!"):
        cond.flags |= CONDFLAG_NOTMATCH
        a2 = a2[1:]
    ptype = CONDPAT_REGEX
    if a1.lower() == "expr":
        ptype = CONDPAT_AP_EXPR
    elif len(a2) >= 2:
        if a2[0] == "-":
            if len(a2) == 2:
                ptype = _FILE_TESTS.get(a2[1], CONDPAT_REGEX)
            elif len(a2) > 3 and a2[1:3] in _INT_TESTS:
                ptype = _INT_TESTS[a2[1:3]]
                if a2[1:3] == "ne":          # !-ne is -eq
                    cond.flags ^= CONDFLAG_NOTMATCH
                a2 = a2[3:]
        elif a2[0] == ">":
            ptype, a2 = (CONDPAT_STR_GE, a2[2:]) if a2[1] == "=" else (CONDPAT_STR_GT, a2[1:])
        elif a2[0] == "<":
            ptype, a2 = (CONDPAT_STR_LE, a2[2:]) if a2[1] == "=" else (CONDPAT_STR_LT, a2[1:])
        elif a2[0] == "=":
            ptype, a2 = CONDPAT_STR_EQ, a2[1:]
            if a2 == '""':
                a2 = ""
    if (ptype != CONDPAT_REGEX and not CONDPAT_STR_LT <= ptype <= CONDPAT_STR_GE
            and cond.flags & CONDFLAG_NOCASE):
        node = cmd.directive
        cmd.log.error("rewrite", "warn",
                      f"AH00665: RewriteCond: NoCase option for non-regex pattern '{a2}' "
                      f"is not supported and will be ignored. ({node.filename}:"
                      f"{node.line})")
        cond.flags &= ~CONDFLAG_NOCASE
    cond.ptype, cond.pattern = ptype, a2
    if ptype == CONDPAT_REGEX:
        flags = regex_cflags(cmd) | (AP_REG_ICASE if cond.flags & CONDFLAG_NOCASE else 0)
        cond.regexp = ap_expr.pregcomp(a2, flags)
        if cond.regexp is None:
            return f"RewriteCond: cannot compile regular expression '{a2}'"
    elif ptype == CONDPAT_AP_EXPR:
        cond.expr, err = parse_expr(cmd, a2, string=False)
        if err:
            return f'RewriteCond: cannot compile expression "{a2}" {err}'
    elif CONDPAT_INT_LT <= ptype <= CONDPAT_INT_GE:
        cond.int_pattern = _atoi(a2)
    (_sconf(cmd).conds if cmd.path is None else dconf.conds).append(cond)
    return None


def _rule_setflag(rule: RewriteRule):
    def setflag(key: str, val: str) -> Optional[str]:
        first, rest = key[:1].lower(), key[1:]
        r = rest.lower()
        if first == "b":
            if not r or r == "ackrefescaping":
                rule.flags |= RULEFLAG_ESCAPEBACKREF
                if val:
                    rule.escapes = val
            elif r == "ne":
                if not val:
                    return "flag 'BNE' wants a list of characters (i.e. [BNE=...])"
                rule.noescapes = val
            elif r in ("np", "ackrefernoplus"):
                rule.flags |= RULEFLAG_ESCAPENOPLUS
            elif r == "ctls":
                rule.flags |= RULEFLAG_ESCAPECTLS | RULEFLAG_ESCAPEBACKREF
            else:
                return f"unknown flag '{key}'"
        elif first == "c":
            if not r or r == "hain":
                rule.flags |= RULEFLAG_CHAIN
            elif r in ("o", "ookie"):
                rule.cookie.append(val)
            else:
                return f"unknown flag '{key}'"
        elif first == "d":
            # mod_rewrite.c accepts any word starting with D here (no error branch)
            if not r or r in ("pi", "iscardpath"):
                rule.flags |= RULEFLAG_DISCARDPATHINFO
        elif first == "e":
            if not r or r == "nv":
                rule.env.append(val)
            elif r == "nd":
                rule.flags |= RULEFLAG_END
            else:
                return f"unknown flag '{key}'"
        elif first == "f":
            if not r or r == "orbidden":
                rule.flags |= RULEFLAG_STATUS | RULEFLAG_NOSUB
                rule.forced_responsecode = HTTP_FORBIDDEN
            else:
                return f"unknown flag '{key}'"
        elif first == "g":
            if not r or r == "one":
                rule.flags |= RULEFLAG_STATUS | RULEFLAG_NOSUB
                rule.forced_responsecode = HTTP_GONE
            else:
                return f"unknown flag '{key}'"
        elif first == "h":
            if not r or r == "andler":
                rule.forced_handler = val
            else:
                return f"unknown flag '{key}'"
        elif first == "l":
            if not r or r == "ast":
                rule.flags |= RULEFLAG_LASTRULE
            else:
                return f"unknown flag '{key}'"
        elif first == "n":
            if r in ("e", "oescape"):
                rule.flags |= RULEFLAG_NOESCAPE
            elif not r or r == "ext":
                rule.flags |= RULEFLAG_NEWROUND
                if val:
                    rule.maxrounds = _atoi(val)
            elif r in ("s", "osubreq"):
                rule.flags |= RULEFLAG_IGNOREONSUBREQ
            elif r in ("c", "ocase"):
                rule.flags |= RULEFLAG_NOCASE
            else:
                return f"unknown flag '{key}'"
        elif first == "p":
            if not r or r == "roxy":
                rule.flags |= RULEFLAG_PROXY
            elif r in ("t", "assthrough"):
                rule.flags |= RULEFLAG_PASSTHROUGH
            else:
                return f"unknown flag '{key}'"
        elif first == "q":
            if r in ("sa", "sappend"):
                rule.flags |= RULEFLAG_QSAPPEND
            elif r in ("sd", "sdiscard"):
                rule.flags |= RULEFLAG_QSDISCARD
            elif r in ("sl", "slast"):
                rule.flags |= RULEFLAG_QSLAST
            else:
                return f"unknown flag '{key}'"
        elif first == "r":
            if not r or r == "edirect":
                rule.flags |= RULEFLAG_FORCEREDIRECT
                if val:
                    lv = val.lower()
                    status = 0
                    if lv == "permanent":
                        status = HTTP_MOVED_PERMANENTLY
                    elif lv == "temp":
                        status = HTTP_MOVED_TEMPORARILY
                    elif lv == "seeother":
                        status = HTTP_SEE_OTHER
                    elif "0" <= val[0] <= "9":
                        status = _atoi(val)
                        if status != HTTP_INTERNAL_SERVER_ERROR and \
                                index_of_response(status) == HTTP_INTERNAL_SERVER_ERROR:
                            return f"invalid HTTP response code '{val}' for flag 'R'"
                        if not 300 <= status <= 399:
                            rule.flags |= RULEFLAG_STATUS | RULEFLAG_NOSUB
                    rule.forced_responsecode = status
            else:
                return f"unknown flag '{key}'"
        elif first == "s":
            if not r or r == "kip":
                rule.skip = _atoi(val)
            else:
                return f"unknown flag '{key}'"
        elif first == "t":
            if not r or r == "ype":
                rule.forced_mimetype = val
            else:
                return f"unknown flag '{key}'"
        elif first == "u":
            if r == "nsafeprefixstat":
                rule.flags |= RULEFLAG_UNSAFE_PREFIX_STAT
            elif r == "nsafeallow3f":
                rule.flags |= RULEFLAG_UNSAFE_ALLOW3F
            elif r == "nc":
                rule.flags |= RULEFLAG_UNC
            else:
                return f"unknown flag '{key}'"
        else:
            return f"unknown flag '{key}'"
        return None
    return setflag


@directive("RewriteRule", Args.RAW_ARGS, OR_FILEINFO,
           "an URL-applied regexp-pattern and a substitution URL")
def cmd_rewriterule(cmd, dconf, in_str):
    parsed = parseargline(in_str)
    if parsed is None:
        return f"RewriteRule: bad argument line '{in_str}'"
    a1, a2, a3 = parsed
    rule = RewriteRule(a1, None, a2)
    if a3 is not None:
        err = parse_flag_field(a3, _rule_setflag(rule))
        if err:
            return f"RewriteRule: {err}"
    if a1.startswith("!"):
        rule.flags |= RULEFLAG_NOTMATCH
        a1 = a1[1:]
    flags = regex_cflags(cmd) | (AP_REG_ICASE if rule.flags & RULEFLAG_NOCASE else 0)
    rule.regexp = ap_expr.pregcomp(a1, flags)
    if rule.regexp is None:
        return f"RewriteRule: cannot compile regular expression '{a1}'"
    rule.pattern = a1
    if a2 == "-":
        rule.flags |= RULEFLAG_NOSUB
    if a2.endswith("?"):
        if rule.flags & RULEFLAG_QSAPPEND:
            rule.flags |= RULEFLAG_QSLAST
        else:
            rule.flags |= RULEFLAG_QSNONE
            rule.output = a2[:-1]
    elif rule.flags & RULEFLAG_QSDISCARD and "?" not in a2:
        rule.flags |= RULEFLAG_QSNONE
    holder = _sconf(cmd) if cmd.path is None else dconf
    rule.conds = tuple(holder.conds)
    holder.conds = []
    holder.rules.append(rule)
    return None


from directives.mod_rewrite import runtime  # noqa: E402  (the hooks need the constants)

MODULE = Module(
    MODULE_NAME, "mod_rewrite.c",
    (cmd_rewriteengine, cmd_rewriteoptions, cmd_rewritebase, cmd_rewritecond,
     cmd_rewriterule, cmd_rewritemap),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    hooks={"post_config": runtime.post_config,
           "handler": (runtime.handler_redirect, MIDDLE),
           "fixups": [(runtime.hook_fixup, FIRST), (runtime.hook_mimetype, LAST)],
           "translate_name": (runtime.hook_uri2file, FIRST)},
    doc="Provides a rule-based rewriting engine to rewrite requested URLs on the fly",
)
