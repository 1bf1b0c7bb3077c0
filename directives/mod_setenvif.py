"""mod_setenvif (mod_setenvif.c): SetEnvIf, SetEnvIfNoCase, SetEnvIfExpr, BrowserMatch,
BrowserMatchNoCase.

Lines at server level go to the server config and run in post_read_request (before the
URI is mapped); lines inside sections go to the per-directory config and run in
header_parser.  The same hook function serves both phases, as in Apache: the first call
for a request takes the server list and leaves a mark in ``r.request_config``, the
second takes the directory list.

Everything that can be settled at start-up is: the attribute a line tests (one of
Apache's special names, a header, or a regex over header names), the compiled regex or
the literal that a regex without metacharacters reduces to (apr_strmatch), and the
variables to set (``name``, ``name=value`` with ``$1``..``$9``, ``!name``).
"""
from __future__ import annotations

import re
from typing import Optional

import attrs

from httpd import expr as ap_expr
from httpd.module.hooks import DECLINED, MIDDLE, determined
from httpd.module import OR_FILEINFO, Args, Module, directive
from httpd.config.grammar import getword_conf

from httpd.core.sections import expr_parse_cmd, regex_cflags
from httpd.request.expr_context import exec_expr
from httpd.http.request import log_rerror
from httpd.util.regsub import pregsub
from httpd.util.table import table_get

MODULE_NAME = "setenvif_module"
HTTP_INTERNAL_SERVER_ERROR = 500

# The attributes that are not request headers (strcasecmp in add_setenvif_core).
SPECIAL_NOT = 0
SPECIAL_REMOTE_ADDR = 1
SPECIAL_REMOTE_HOST = 2
SPECIAL_REQUEST_URI = 3
SPECIAL_REQUEST_METHOD = 4
SPECIAL_REQUEST_PROTOCOL = 5
SPECIAL_SERVER_ADDR = 6
SPECIALS = {"remote_addr": SPECIAL_REMOTE_ADDR, "remote_host": SPECIAL_REMOTE_HOST,
            "request_uri": SPECIAL_REQUEST_URI, "request_method": SPECIAL_REQUEST_METHOD,
            "request_protocol": SPECIAL_REQUEST_PROTOCOL, "server_addr": SPECIAL_SERVER_ADDR}

# A header name made of anything but these characters is a regex over header names.
_PLAIN_HEADER = re.compile(r"[-A-Za-z0-9_]*\Z")
_REGEX_META = frozenset("^.$|()[]*+?{}")
UNSET = "!"          # a feature whose value is "!" unsets the variable


@attrs.define(eq=False)
class SeiEntry:
    """One condition (Apache's sei_entry) and the variables it sets.

    ``name`` is the attribute as written (None for SetEnvIfExpr); entries testing the
    same attribute share one ``name`` object so the hook can skip re-reading it.
    ``pattern`` is the literal of a regex without metacharacters (matched as a
    substring), ``preg`` the compiled regex otherwise, ``expr`` a SetEnvIfExpr
    condition.  ``features`` maps variable -> value ("!" to unset), in order.
    """

    name: Optional[str]
    regex: Optional[str]
    icase: bool = False
    pattern: Optional[str] = None
    preg: Optional[re.Pattern] = None
    expr: object = None
    special_type: int = SPECIAL_NOT
    pnamereg: Optional[re.Pattern] = None
    features: dict = attrs.field(factory=dict)


@attrs.define
class SeiConfig:
    conditionals: list[SeiEntry] = attrs.field(factory=list)


def create_config(_arg=None) -> SeiConfig:
    return SeiConfig()


def merge_config(base: SeiConfig, add: SeiConfig) -> SeiConfig:
    return SeiConfig(base.conditionals + add.conditionals)


def non_regex_pattern(s: str) -> Optional[str]:
    """The literal a regex stands for when it uses no metacharacter (escapes removed),
    or None when it is a real regex."""
    out = []
    in_escape = False
    for c in s:
        if c in _REGEX_META:
            if not in_escape:
                return None
            in_escape = False
            out.append(c)
        elif c == "\\":
            if in_escape:
                out.append(c)
            in_escape = not in_escape
        else:
            if in_escape:
                return None
            out.append(c)
    return "".join(out)


def _sconf(cmd, mconfig: SeiConfig) -> SeiConfig:
    """Server level lines go to the server config, section lines to the section."""
    return mconfig if cmd.path is not None else cmd.server.module_config[MODULE_NAME]


def _add_envvars(cmd, args: str, entry: SeiEntry) -> Optional[str]:
    pos, seen = 0, False
    while True:
        feature, pos = getword_conf(args, pos)
        if not feature:
            break
        seen = True
        var, eq, value = feature.partition("=")
        if value:
            _set_feature(entry.features, var, value)
        elif var.startswith("!"):
            _set_feature(entry.features, var[1:], UNSET)
        else:
            _set_feature(entry.features, var, "1")
    if not seen:
        return f"Missing envariable expression for {cmd.cmd.name}"
    return None


def _set_feature(features: dict, name: str, value: str) -> None:
    """apr_table_setn: a name already listed (in any case) keeps its place and spelling."""
    low = name.lower()
    key = next((k for k in features if k.lower() == low), name)
    features[key] = value


def add_setenvif_core(cmd, mconfig: SeiConfig, fname: str, args: str) -> Optional[str]:
    sconf = _sconf(cmd, mconfig)
    entries = sconf.conditionals
    regex, pos = getword_conf(args)
    if not regex:
        return f"Missing regular expression for {cmd.cmd.name}"
    args = args[pos:]
    # Entries on the same attribute share the name object, so that the request hook
    # can compare names by identity (Apache compares the pointers).
    for e in entries:
        if e.name is not None and e.name.lower() == fname.lower():
            fname = e.name
            break
    icase = cmd.cmd.name.lower().endswith("nocase")
    last = entries[-1] if entries else None
    if last is not None and last.name is fname and last.icase == icase \
            and last.regex == regex:
        return _add_envvars(cmd, args, last)         # same test: more variables
    entry = SeiEntry(fname, regex, icase)
    entries.append(entry)
    simple = non_regex_pattern(regex)
    if simple is not None:
        entry.pattern = simple.lower() if icase else simple
    else:
        flags = regex_cflags(cmd) | (ap_expr.AP_REG_ICASE if icase else 0)
        entry.preg = ap_expr.pregcomp(regex, flags)
        if entry.preg is None:
            return f"{cmd.cmd.name} regex could not be compiled."
    entry.special_type = SPECIALS.get(fname.lower(), SPECIAL_NOT)
    if entry.special_type == SPECIAL_NOT and not _PLAIN_HEADER.match(fname):
        flags = regex_cflags(cmd) | (ap_expr.AP_REG_ICASE if icase else 0)
        entry.pnamereg = ap_expr.pregcomp(fname, flags)
        if entry.pnamereg is None:
            return f"{cmd.cmd.name}Header name regex could not be compiled."
    return _add_envvars(cmd, args, entry)


@directive("SetEnvIf", Args.RAW_ARGS, OR_FILEINFO,
           "A header-name, regex and a list of variables.")
def add_setenvif(cmd, mconfig: SeiConfig, args: str):
    fname, pos = getword_conf(args)
    if not fname:
        return f"Missing header-field name for {cmd.cmd.name}"
    return add_setenvif_core(cmd, mconfig, fname, args[pos:])


add_setenvif_nocase = attrs.evolve(add_setenvif, name="SetEnvIfNoCase",
                                   help="a header-name, regex and a list of variables.")


@directive("SetEnvIfExpr", Args.RAW_ARGS, OR_FILEINFO,
           "an expression and a list of variables.")
def add_setenvifexpr(cmd, mconfig: SeiConfig, args: str):
    sconf = _sconf(cmd, mconfig)
    text, pos = getword_conf(args)
    if not text:
        return f"Missing expression for {cmd.cmd.name}"
    entry = SeiEntry(None, None)
    sconf.conditionals.append(entry)
    try:
        entry.expr = expr_parse_cmd(cmd, text)
    except ap_expr.ExprError as e:
        return f'Could not parse expression "{text}": {e}'
    return _add_envvars(cmd, args[pos:], entry)


@directive("BrowserMatch", Args.RAW_ARGS, OR_FILEINFO,
           "A browser regex and a list of variables.")
def add_browser(cmd, mconfig: SeiConfig, args: str):
    return add_setenvif_core(cmd, mconfig, "User-Agent", args)


add_browser_nocase = attrs.evolve(add_browser, name="BrowserMatchNoCase")


# -- request time -------------------------------------------------------------------------

def _attribute(r, entry: SeiEntry) -> Optional[str]:
    """The value a SetEnvIf line tests."""
    kind = entry.special_type
    if kind == SPECIAL_REMOTE_ADDR:
        return r.useragent_ip
    if kind == SPECIAL_SERVER_ADDR:
        return r.conn.local_ip
    if kind == SPECIAL_REMOTE_HOST:
        # ap_get_useragent_host(REMOTE_NAME): the name if looked up, else the address
        return r.useragent_host()
    if kind == SPECIAL_REQUEST_URI:
        return r.uri
    if kind == SPECIAL_REQUEST_METHOD:
        return r.method
    if kind == SPECIAL_REQUEST_PROTOCOL:
        return r.protocol
    if entry.pnamereg is not None:
        value = None
        for key, v in r.headers_in:            # the last matching header wins
            if entry.pnamereg.search(key):
                value = v
        return value
    value = r.headers_in.get(entry.name)
    if value is None:
        value = table_get(r.subprocess_env, entry.name)
    return value


def match_headers(r) -> int:
    """post_read_request (server list) and header_parser (directory list)."""
    if MODULE_NAME not in r.request_config:
        r.request_config[MODULE_NAME] = True
        sconf: SeiConfig = r.server.module_config.get(MODULE_NAME)
    else:
        sconf = r.module_config(MODULE_NAME)
    if sconf is None or not sconf.conditionals:
        return DECLINED
    env = r.subprocess_env
    last_name = None
    val: Optional[str] = None
    # The last capturing match stays for later lines, as Apache's regmatch array does:
    # a SetEnvIfExpr without a regex still substitutes $0..$9 from it.
    last: Optional[re.Match] = None
    for b in sconf.conditionals:
        if b.expr is None:
            if b.name is not last_name:
                last_name = b.name
                val = _attribute(r, b)
            if val is None:
                val = ""          # a missing attribute matches as "" (so ^$ works)
            if b.pattern is not None:
                if b.pattern not in (val.lower() if b.icase else val):
                    continue
            else:
                m = b.preg.search(val)
                if m is None:
                    continue
                last = m
        else:
            try:
                hit, ctx = exec_expr(r, b.expr)
            except ap_expr.ExprError as e:
                log_rerror(r, "setenvif", "error", f"Evaluation of expression from "
                           f"{b.expr.filename}:{b.expr.line} failed: {e}")
                continue
            if ctx.re_match is not None:
                last = ctx.re_match
            if not hit:
                continue
        # an expression true because its last capturing regex did not match (!~) left
        # no source: the values are set as written, $0..$9 and all
        substitute = b.pattern is None and (b.expr is None or not ctx.re_failed)
        for name, value in b.features.items():
            if value == UNSET:
                _env_unset(env, name)
            elif substitute:
                replaced = pregsub(value, last)
                if replaced is None:
                    log_rerror(r, "setenvif", "crit",
                               "AH01505: Regular expression replacement failed for "
                               f"'{name}', value too long?")
                    return HTTP_INTERNAL_SERVER_ERROR
                _env_set(env, name, replaced)
            else:
                _env_set(env, name, value)
    return DECLINED


def _env_set(env: dict, name: str, value: str) -> None:
    if name not in env:
        low = name.lower()
        for key in env:
            if key.lower() == low:
                name = key
                break
    env[name] = value


def _env_unset(env: dict, name: str) -> None:
    low = name.lower()
    for key in [k for k in env if k.lower() == low]:
        del env[key]


def no_section_lines(r) -> bool:
    """header_parser runs the sections' lines only (the server's ran in
    post_read_request, before the phases): without any it does nothing
    (hooks.determined)."""
    conf = r.module_config(MODULE_NAME)
    return conf is None or not conf.conditionals


MODULE = Module(
    MODULE_NAME, "mod_setenvif.c",
    (add_setenvif, add_setenvif_nocase, add_setenvifexpr, add_browser, add_browser_nocase),
    create_dir_config=create_config,
    merge_dir_config=merge_config,
    create_server_config=create_config,
    merge_server_config=merge_config,
    hooks={"header_parser": (determined(match_headers, no_section_lines), MIDDLE),
           "post_read_request": (match_headers, MIDDLE)},
    doc="Allows the setting of environment variables based on characteristics of the "
        "request",
)
