"""mod_rewrite's engine at request time (mod_rewrite.c): the rewrite log, the URI
helpers, variables and maps, do_expand, and apply_rewrite_cond / _rule / _list.

Ported function by function; each keeps its C name.  Strings are latin-1 text, one
character per byte, as the request record holds them.
"""
from __future__ import annotations

import os
import pwd
import grp
import random
import stat
import time
from typing import Optional

from directives.mod_rewrite import (
    CONDFLAG_NOCASE, CONDFLAG_NOTMATCH, CONDFLAG_NOVARY, CONDFLAG_ORNEXT, CONDPAT_AP_EXPR,
    CONDPAT_FILE_DIR, CONDPAT_FILE_EXISTS, CONDPAT_FILE_LINK, CONDPAT_FILE_SIZE,
    CONDPAT_FILE_XBIT, CONDPAT_INT_EQ, CONDPAT_INT_GE, CONDPAT_INT_GT, CONDPAT_INT_LE,
    CONDPAT_INT_LT, CONDPAT_LU_FILE, CONDPAT_LU_URL, CONDPAT_STR_EQ, CONDPAT_STR_GE,
    CONDPAT_STR_GT, CONDPAT_STR_LE, CONDPAT_STR_LT, INTERNAL_MAPS, MAPTYPE_INT, MAPTYPE_PRG,
    MAPTYPE_RND, MODULE_NAME,
    OPTION_LEGACY_PREFIX_DOCROOT, RULEFLAG_CHAIN, RULEFLAG_DISCARDPATHINFO, RULEFLAG_END,
    RULEFLAG_ESCAPEBACKREF, RULEFLAG_ESCAPECTLS, RULEFLAG_ESCAPENOPLUS,
    RULEFLAG_FORCEREDIRECT, RULEFLAG_IGNOREONSUBREQ, RULEFLAG_LASTRULE, RULEFLAG_NEWROUND,
    RULEFLAG_NOESCAPE, RULEFLAG_NOSUB, RULEFLAG_NOTMATCH, RULEFLAG_PASSTHROUGH,
    RULEFLAG_PROXY, RULEFLAG_QSAPPEND, RULEFLAG_QSDISCARD, RULEFLAG_QSLAST,
    RULEFLAG_QSNONE, RULEFLAG_STATUS, RULEFLAG_UNC, RULEFLAG_UNSAFE_ALLOW3F,
    RULEFLAG_UNSAFE_PREFIX_STAT)
from httpd.core.runtime import document_root
from httpd.http.header_filter import banner_of
from httpd.http.request import generation, log_rerror
from httpd.request.process import expr_context
from httpd.log.errorlog import configured_level
from httpd.protocol import M_CONNECT
from httpd.request import subrequest
from httpd.request.context import context_document_root, context_prefix
from httpd.request.server_name import (default_port, get_server_name,
                                       get_server_name_for_url, get_server_port,
                                       http_scheme)
from httpd.util.table import table_get
from httpd.util.uri import escape_uri

DEBUG = 7
HTTP_FORBIDDEN, HTTP_INTERNAL_SERVER_ERROR = 403, 500

ACTION_NORMAL, ACTION_NOESCAPE, ACTION_STATUS, ACTION_STATUS_SET = 1, 2, 3, 4
RULE_RC_NOMATCH, RULE_RC_MATCH, RULE_RC_NOSUB, RULE_RC_STATUS_SET = 0, 1, 2, 3

REWRITE_FORCED_MIMETYPE_NOTEVAR = "rewrite-forced-mimetype"
REWRITE_FORCED_HANDLER_NOTEVAR = "rewrite-forced-handler"
REWRITE_MAX_TXT_MAP_LINE = 1023
MODULE_MAGIC = "20120211:140"          # MODULE_MAGIC_NUMBER_MAJOR:MINOR of 2.4.71
END_KEY = "rewrite_really_last"


# -- the rewrite log -----------------------------------------------------------------

def trace_level(r) -> int:
    """How many of the trace1..trace8 levels LogLevel opens for mod_rewrite (0: none)."""
    return configured_level(r.server, "rewrite", r) - DEBUG


def rewritelog(r, level: int, perdir: Optional[str], text: str) -> None:
    """do_rewritelog: the line Apache writes at trace``level``."""
    redir = 0
    req = r
    while req.prev is not None:
        redir += 1
        req = req.prev
    user = "-" if r.user is None else (r.user or '""')
    line = (f"{r.conn.client_ip or 'UNKNOWN-HOST'} - {user} "
            f"[{get_server_name(r)}/sid#{id(r.server):x}][rid#{id(r):x}/"
            f"{'subreq' if r.main is not None else 'initial'}"
            f"{f'/redir#{redir}' if redir else ''}] "
            f"{f'[perdir {perdir}] ' if perdir else ''}{text}")
    log_rerror(r, "rewrite", f"trace{level}", line)


class Ctx:
    """rewrite_ctx: the request, the per-dir prefix, the uri being matched, the two
    back-reference sources (the rule's match, the last condition's) and the Vary names."""

    __slots__ = ("r", "perdir", "uri", "rr", "rc", "vary", "vary_this", "lv")

    def __init__(self, r, perdir: Optional[str]):
        self.r, self.perdir = r, perdir
        self.uri = None
        self.rr = self.rc = None        # re.Match, or None
        self.vary = self.vary_this = None
        self.lv = trace_level(r)

    def log(self, level: int, text: str) -> None:
        rewritelog(self.r, level, self.perdir, text)

    def log_r(self, level: int, text: str) -> None:
        """A line Apache writes with no per-dir prefix (rewritelog(r, n, NULL, ...)):
        those of the helpers that get only the request (splitout_queryargs,
        reduce_uri, prefix_stat, subst_prefix_path, lookup_map, the env and -U/-F)."""
        rewritelog(self.r, level, None, text)


def root_request(r):
    """The request whose pool r shares (Apache's r->pool): internal redirects share
    their first request's, a subrequest has its own."""
    while r.prev is not None:
        r = r.prev
    return r


def ended(r) -> bool:
    return root_request(r).request_config.get(END_KEY) is not None


# -- URI and path functions -----------------------------------------------------------

_SCHEMES = (  # (prefix, length incl. '://', supports a query string)
    ("ajp://", 6, True), ("balancer://", 11, True), ("ftp://", 6, False),
    ("fcgi://", 7, True), ("gopher://", 9, False), ("http://", 7, True),
    ("https://", 8, True), ("h2://", 5, True), ("h2c://", 6, True), ("ldap://", 7, False),
    ("mailto:", 7, True), ("news:", 5, False), ("nntp://", 7, False),
    ("scgi://", 7, True), ("ws://", 5, True), ("wss://", 6, True))


def is_absolute_uri(uri: str) -> tuple[int, bool]:
    """(length of the scheme part, does it take a query string); (0, False) if none."""
    if not uri or uri[0] == "/" or len(uri) <= 5:
        return 0, False
    low = uri[:12].lower()
    for prefix, n, sqs in _SCHEMES:
        if low.startswith(prefix):
            return n, sqs
    if low.startswith("unix:"):
        return (7 if uri[5:7] == "//" else 5), True
    return 0, False


def _c2x(c: str) -> str:
    return "%" + format(ord(c), "02x")


def _is_vchar_obstext(c: str) -> bool:
    o = ord(c)
    return 0x21 <= o <= 0x7e or o >= 0x80


def has_ctl_or_space(s: str) -> bool:
    """*ap_scan_vchar_obstext(s): a character that is neither VCHAR nor obs-text."""
    return any(not _is_vchar_obstext(c) for c in s)


def escape_backref(path: str, escapeme: Optional[str], noescapeme: Optional[str],
                   flags: int) -> str:
    noplus = flags & RULEFLAG_ESCAPENOPLUS
    ctls = flags & RULEFLAG_ESCAPECTLS
    out = []
    for c in path:
        if (((not _is_vchar_obstext(c)) if ctls else not escapeme)
                or (escapeme and c in escapeme)) and (not noescapeme or c not in noescapeme):
            if c.isascii() and (c.isalnum() or c == "_"):
                out.append(c)
            elif c == " " and not noplus:
                out.append("+")
            else:
                out.append(_c2x(c))
        else:
            out.append(c)
    return "".join(out)


def escape_absolute_uri(uri: str, scheme: int) -> Optional[str]:
    if not scheme or len(uri) < scheme:
        return None
    cp = scheme
    if uri[cp - 1] == "/":
        n = len(uri)
        while cp < n and uri[cp] != "/":
            cp += 1
        if cp >= n or cp + 1 >= n:
            return uri
        cp += 1
        scheme = cp
        if uri[:4].lower() == "ldap":
            tokens = uri[cp:].split("?", 4)
            return uri[:scheme] + "?".join(escape_uri(t) for t in tokens)
    return uri[:scheme] + escape_uri(uri[scheme:])


def splitout_queryargs(ctx: Ctx, flags: int) -> None:
    r = ctx.r
    if flags & RULEFLAG_QSNONE:
        if ctx.lv >= 2:
            ctx.log_r(2, "discarding query string, no parse from substitution")
        r.args = None
        return
    skip, split = is_absolute_uri(r.filename)
    if skip and not split:
        r.args = None
        return
    if flags & RULEFLAG_QSDISCARD:
        r.args = None
        if ctx.lv >= 2:
            ctx.log_r(2, "discarding query string")
    fn = r.filename
    q = fn.rfind("?", skip) if flags & RULEFLAG_QSLAST else fn.find("?", skip)
    if q >= 0:
        olduri = fn
        r.filename, query = fn[:q], fn[q + 1:]
        if flags & RULEFLAG_QSAPPEND:
            if query:
                r.args = f"{query}&{r.args}" if r.args is not None else f"{query}&"
        else:
            r.args = query
        if r.args is not None:
            if not r.args:
                r.args = None
            elif r.args.endswith("&"):
                r.args = r.args[:-1]
        if ctx.lv >= 3:
            ctx.log_r(3, f"split uri={olduri} -> uri={r.filename}, args="
                    f"{r.args if r.args is not None else '<none>'}")


def matches_request_vhost(r, host: str, port: int) -> bool:
    """ap_matches_request_vhost: the <VirtualHost> names with their ports, then (on the
    server's own port) ServerName and ServerAlias."""
    from httpd.module import CORE_MODULE
    import fnmatch
    s = r.server
    lhost = host.lower()
    for addr in getattr(s, "addrs", None) or ():
        virthost = getattr(addr, "virthost", None)
        if virthost and (addr.host_port == 0 or port == addr.host_port) \
                and lhost == virthost.lower():
            return True
    core = s.module_config[CORE_MODULE]
    if port != core.port:
        return False
    if core.server_hostname and lhost == core.server_hostname.lower():
        return True
    if any(lhost == n.lower() for n in core.names or ()):
        return True
    return any(fnmatch.fnmatchcase(lhost, w.lower()) for w in core.wild_names or ())


def reduce_uri(ctx: Ctx) -> None:
    """Strip ``http[s]://ourhost[:port]`` from r.filename when it names this server."""
    r = ctx.r
    scheme = http_scheme(r)
    n = len(scheme)
    fn = r.filename
    if not (len(fn) > n + 3 and fn[:n].lower() == scheme and fn[n:n + 3] == "://"):
        return
    rest = fn[n + 3:]
    i = 0
    while i < len(rest) and rest[i] not in "/:":
        i += 1
    host = rest[:i]
    if i < len(rest) and rest[i] == ":":
        j = i + 1
        while j < len(rest) and rest[j] != "/":
            j += 1
        from httpd.util.cparse import atoi
        port = atoi(rest[i + 1:j]) & 0xffff
        url = rest[j:] or "/"
    elif i < len(rest):
        port = default_port(r)
        url = rest[i:]
    else:
        port = default_port(r)
        url = "/"
    if matches_request_vhost(r, host, port):
        if ctx.lv >= 3:
            ctx.log_r(3, f"reduce {fn} -> {url}")
        r.filename = url
        conf = r.server_config(MODULE_NAME)
        if not conf.options & OPTION_LEGACY_PREFIX_DOCROOT:
            r.notes["mod_rewrite_uri_reduced"] = "true"


def fully_qualify_uri(r) -> None:
    if r.method_number == M_CONNECT:
        return
    if not is_absolute_uri(r.filename)[0]:
        port = get_server_port(r)
        thisport = "" if port == default_port(r) else f":{port}"
        sep = "" if r.filename.startswith("/") else "/"
        r.filename = (f"{http_scheme(r)}://{get_server_name_for_url(r)}{thisport}"
                      f"{sep}{r.filename}")


def prefix_stat(ctx: Ctx, path: str, lastsub) -> bool:
    """Does the first segment of ``path`` exist (and may it be taken as a file-system
    path: the last substitution began with it, or the path is under a document root)?"""
    r = ctx.r
    curpath = path.lstrip("/")
    seg = curpath.split("/", 1)[0]
    if seg == "..":
        return False
    statpath = "/" if seg in ("", ".") else "/" + seg
    try:
        os.stat(fs_path(statpath))
    except (OSError, ValueError):
        return False
    if lastsub is None:
        if ctx.lv >= 3:
            ctx.log_r(3, f"prefix_stat no lastsub subst prefix {statpath}")
        return True
    if ctx.lv >= 3:
        ctx.log_r(3, f"prefix_stat compare statpath {statpath} and lastsub output "
                f"{lastsub.output} STATOK {lastsub.flags & RULEFLAG_UNSAFE_PREFIX_STAT} ")
    if lastsub.flags & RULEFLAG_UNSAFE_PREFIX_STAT:
        return True
    docroot = document_root(r)
    cdocroot = context_document_root(r)
    return (_starts_with(ctx, lastsub.output, statpath) or _starts_with(ctx, path, docroot)
            or (cdocroot != docroot and _starts_with(ctx, path, cdocroot)))


def _starts_with(ctx: Ctx, haystack: str, needle: str) -> bool:
    """startsWith (prefix_stat's helper), with its trace5 line."""
    rc = haystack.startswith(needle)
    if ctx.lv >= 5:
        ctx.log_r(5, f"prefix_stat startsWith({haystack}, {needle}) {int(rc)}")
    return rc


def subst_prefix_path(ctx: Ctx, inp: str, match: str, subst: str) -> str:
    """RewriteBase: ``match`` (a directory) at the start of ``inp`` becomes ``subst``."""
    n = len(match)
    if n and match.endswith("/"):
        n -= 1
    if inp.startswith(match[:n]) and inp[n:n + 1] == "/":
        rest = inp[n + 1:]
        if ctx.lv >= 5:
            ctx.log_r(5, f"strip matching prefix: {inp} -> {rest}")
        out = (subst if subst.endswith("/") or not subst else subst + "/") + rest
        if ctx.lv >= 4:
            ctx.log_r(4, f"add subst prefix: {rest} -> {out}")
        return out
    return inp


def expand_tildepaths(uri: str) -> str:
    if uri.startswith("/~"):
        p = uri.find("/", 2)
        user = uri[2:] if p < 0 else uri[2:p]
        if user:
            try:
                home = pwd.getpwnam(user).pw_dir
            except (KeyError, ValueError):
                return uri
            if p >= 0:
                if home.endswith("/"):
                    home = home[:-1]
                return home + uri[p:]
            return home
    return uri


# -- maps ------------------------------------------------------------------------------

def _txt_table(r, path: str, st) -> dict:
    """The whole text map as a dict, read again when the file changes (a generation's
    cache, bounded by the map file itself): key -> the first value of its first line
    that has one, as lookup_map_txtfile finds it line by line."""
    caches = generation(r.process).caches.setdefault(MODULE_NAME, {})
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    hit = caches.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    table: dict = {}
    try:
        with open(path, "rb") as f:
            data = f.read().decode("latin-1")
    except OSError as e:
        log_rerror(r, "rewrite", "error", f"AH00655: mod_rewrite: can't open text "
                   f"RewriteMap file {path}", status=e)
        return table
    for line in data.splitlines(keepends=True):
        # apr_file_gets with a 1024-byte buffer reads a long line in pieces
        for i in range(0, len(line), REWRITE_MAX_TXT_MAP_LINE):
            piece = line[i:i + REWRITE_MAX_TXT_MAP_LINE]
            if not piece or piece[0] == "#" or piece[0] in " \t\n\v\f\r":
                continue
            words = piece.split(None, 2)
            if len(words) < 2 or words[0] in table:
                continue
            if not piece[len(words[0]):][:1].isspace():
                continue
            table[words[0]] = words[1]
    caches[path] = (stamp, table)
    return table


# the internal maps that change their key in place and return it (the logged key is
# the value): rewrite_mapfunc_toupper, _tolower and _unescape
_INPLACE_MAPS = (INTERNAL_MAPS["tolower"], INTERNAL_MAPS["toupper"], INTERNAL_MAPS["unescape"])
_TRACED_KEYS_MAX = 4096


def _cache_lookup(ctx: Ctx, m, st, key: str, value: Optional[str]) -> bool:
    """The trace lines of Apache's per-process map cache (get_cache_value): a key this
    process already looked up in this version of the file logs "cache lookup OK"
    (True); a new one "cache lookup FAILED" (then the map lookup line).  The whole
    table is read at once here, so the keys are only remembered while tracing at 5,
    at most _TRACED_KEYS_MAX of them (then forgotten together)."""
    caches = generation(ctx.r.process).caches.setdefault(MODULE_NAME, {})
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    seen = caches.get(("keys", m.name, m.datafile))
    if seen is None or seen[0] != stamp or len(seen[1]) >= _TRACED_KEYS_MAX:
        seen = caches[("keys", m.name, m.datafile)] = (stamp, set())
    if key in seen[1]:
        ctx.log_r(5, f"cache lookup OK: map={m.name}[txt] key={key} -> val={value or ''}")
        return True
    seen[1].add(key)
    ctx.log_r(6, "cache lookup FAILED, forcing new map lookup")
    return False


def lookup_map(ctx: Ctx, name: str, key: str) -> Optional[str]:
    r = ctx.r
    conf = r.server_config(MODULE_NAME)
    m = conf.maps.get(name) if conf is not None else None
    if m is None:
        return None
    if m.type == MAPTYPE_PRG:
        from directives.mod_rewrite.runtime import lookup_map_program
        value = lookup_map_program(m, key)
        if ctx.lv >= 5:
            ctx.log_r(5, f"map lookup FAILED: map={name} key={key}" if value is None else
                      f"map lookup OK: map={name} key={key} -> val={value}")
        return value
    if m.type == MAPTYPE_INT:
        value = m.func(r, key)
        if ctx.lv >= 5:
            if m.func in _INPLACE_MAPS:
                key = value
            ctx.log_r(5, f"map lookup OK: map={name} key={key} -> val={value}")
        return value
    try:
        st = os.stat(m.datafile)
    except OSError as e:
        log_rerror(r, "rewrite", "error", f"AH00661: mod_rewrite: can't access text "
                   f"RewriteMap file {m.datafile}", status=e)
        return None
    value = _txt_table(r, m.datafile, st).get(key)
    if ctx.lv >= 5 and not _cache_lookup(ctx, m, st, key, value):
        ctx.log_r(5, f"map lookup FAILED: map={name}[txt] key={key}" if value is None else
                  f"map lookup OK: map={name}[txt] key={key} -> val={value}")
    if value is None:
        return None
    if m.type == MAPTYPE_RND and value:
        parts = value.split("|")
        value = parts[random.randrange(len(parts))]
        if ctx.lv >= 5:
            ctx.log_r(5, f"randomly chosen the subvalue `{value}'")
    return value or None


# -- variables -------------------------------------------------------------------------

def lookup_header(name: str, ctx: Ctx) -> Optional[str]:
    val = ctx.r.headers_in.get(name)
    if val is not None and name.lower() != "host":
        ctx.vary_this = f"{ctx.vary_this}, {name}" if ctx.vary_this else name
    return val


def subreq_ok(r) -> bool:
    return r.main is None or bool(r.main.uri and r.uri and r.main.uri != r.uri)


def la_u(ctx: Ctx) -> str:
    if ctx.uri.startswith("/"):
        return ctx.uri
    conf = ctx.r.module_config(MODULE_NAME)
    return (conf.baseurl or conf.directory or "") + ctx.uri


def _now():
    return time.localtime()


def _script_user(r) -> str:
    if r.finfo is None:
        return "<unknown>"
    try:
        return pwd.getpwuid(r.finfo.st_uid).pw_name
    except KeyError:
        return str(r.finfo.st_uid)


def _script_group(r) -> str:
    if r.finfo is None:
        return "<unknown>"
    try:
        return grp.getgrgid(r.finfo.st_gid).gr_name
    except KeyError:
        return str(r.finfo.st_gid)


def _ipv6(r) -> str:
    ip = r.useragent_ip or ""
    return "on" if ":" in ip and not ip.lower().startswith("::ffff:") else "off"


def _server_admin(r) -> Optional[str]:
    from httpd.module import CORE_MODULE
    return r.server.module_config[CORE_MODULE].server_admin


# the variables of lookup_variable's switch, by upper-cased name: fn(ctx) -> str or None
_VARIABLES = {
    "TIME": lambda c: time.strftime("%Y%m%d%H%M%S", _now()),
    "IPV6": lambda c: _ipv6(c.r),
    "HTTPS": lambda c: "off",
    "TIME_DAY": lambda c: time.strftime("%d", _now()),
    "TIME_SEC": lambda c: time.strftime("%S", _now()),
    "TIME_MIN": lambda c: time.strftime("%M", _now()),
    "TIME_MON": lambda c: time.strftime("%m", _now()),
    "TIME_WDAY": lambda c: str((_now().tm_wday + 1) % 7),
    "TIME_YEAR": lambda c: time.strftime("%Y", _now()),
    "TIME_HOUR": lambda c: time.strftime("%H", _now()),
    "IS_SUBREQ": lambda c: "true" if c.r.main is not None else "false",
    "PATH_INFO": lambda c: c.r.path_info,
    "AUTH_TYPE": lambda c: c.r.ap_auth_type,
    "HTTP_HOST": lambda c: lookup_header("Host", c),
    "SERVER_NAME": lambda c: get_server_name_for_url(c.r),
    "REMOTE_ADDR": lambda c: c.r.useragent_ip,
    "SERVER_ADDR": lambda c: c.r.conn.local_ip,
    "HTTP_ACCEPT": lambda c: lookup_header("Accept", c),
    "THE_REQUEST": lambda c: c.r.the_request,
    "API_VERSION": lambda c: MODULE_MAGIC,
    "HTTP_COOKIE": lambda c: lookup_header("Cookie", c),
    "SERVER_PORT": lambda c: str(get_server_port(c.r)),
    "REMOTE_HOST": lambda c: c.r.useragent_host(),
    "REMOTE_PORT": lambda c: str(c.r.useragent_port),
    "REMOTE_USER": lambda c: c.r.user,
    "SCRIPT_USER": lambda c: _script_user(c.r),
    "REQUEST_URI": lambda c: c.r.uri,
    "SCRIPT_GROUP": lambda c: _script_group(c.r),
    "REMOTE_IDENT": lambda c: None,
    "HTTP_REFERER": lambda c: lookup_header("Referer", c),
    "QUERY_STRING": lambda c: c.r.args,
    "SERVER_ADMIN": lambda c: _server_admin(c.r),
    "DOCUMENT_ROOT": lambda c: document_root(c.r),
    "HTTP_FORWARDED": lambda c: lookup_header("Forwarded", c),
    "CONTEXT_PREFIX": lambda c: context_prefix(c.r),
    "REQUEST_METHOD": lambda c: c.r.method,
    "REQUEST_SCHEME": lambda c: http_scheme(c.r),
    "HTTP_USER_AGENT": lambda c: lookup_header("User-Agent", c),
    "SCRIPT_FILENAME": lambda c: c.r.filename,
    "SERVER_PROTOCOL": lambda c: c.r.protocol,
    "SERVER_SOFTWARE": lambda c: banner_of(c.r),
    "CONN_REMOTE_ADDR": lambda c: c.r.conn.client_ip,
    "REQUEST_FILENAME": lambda c: c.r.filename,
    "HTTP_PROXY_CONNECTION": lambda c: lookup_header("Proxy-Connection", c),
    "CONTEXT_DOCUMENT_ROOT": lambda c: context_document_root(c.r),
}


def lookup_variable(var: str, ctx: Ctx) -> str:
    r = ctx.r
    if len(var) < 4:
        return ""
    result = None
    if var[3] == ":":
        if len(var) > 4 and var[:3].upper() == "ENV":
            name = var[4:]
            result = table_get(r.notes, name)
            if result is None:
                result = table_get(r.subprocess_env, name)
            if result is None:
                result = os.environ.get(name)
        # SSL:... needs mod_ssl, which is not offered: "" as without mod_ssl
    elif var[4] == ":":
        if len(var) > 5:
            kind = var[:4].upper()
            if kind == "HTTP":
                result = lookup_header(var[5:], ctx)
            elif kind in ("LA-U", "LA-F") and ctx.uri and subreq_ok(r):
                path = ctx.uri
                if kind == "LA-U":
                    if ctx.perdir:
                        path = la_u(ctx)
                    rr = subrequest.sub_req_lookup_uri(path, r)
                elif ctx.perdir and path.startswith("/"):
                    rr = subrequest.sub_req_lookup_uri(path, r)
                else:
                    if ctx.perdir:
                        path = (r.module_config(MODULE_NAME).directory or "") + path
                    rr = subrequest.sub_req_lookup_file(path, r)
                ctx.r = rr
                try:
                    result = lookup_variable(var[5:], ctx)
                finally:
                    ctx.r = r
                if ctx.lv >= 5:
                    ctx.log(5, f"lookahead: path={path} var={var[5:]} -> val={result}")
                return result
    else:
        fn = _VARIABLES.get(var.upper())
        if fn is not None:
            result = fn(ctx)
            name = var.upper()
            if name == "TIME" and ctx.lv >= 1:
                ctx.log(1, f"RESULT='{result}'")
            elif name == "IPV6" and ctx.lv >= 1:
                ctx.log(1, f"IPV6='{result}'")
    return result if result is not None else ""


# -- expansion -------------------------------------------------------------------------

def _find_closing_curly(s: str, i: int) -> int:
    depth = 1
    n = len(s)
    while i < n:
        c = s[i]
        if c == "}":
            depth -= 1
            if depth == 0:
                return i
        elif c == "{":
            depth += 1
        i += 1
    return -1


def _find_char_in_curlies(s: str, i: int, ch: str) -> int:
    depth = 1
    n = len(s)
    while i < n:
        c = s[i]
        if c == ch and depth == 1:
            return i
        if c == "}":
            depth -= 1
            if depth == 0:
                return -1
        elif c == "{":
            depth += 1
        i += 1
    return -1


def _next_special(s: str, i: int) -> int:
    n = len(s)
    while i < n and s[i] not in "\\$%":
        i += 1
    return i


def do_expand(inp: str, ctx: Ctx, entry=None) -> str:
    """One pass over ``inp``: ``\\c``, ``%{VAR}``, ``${map:key|default}``, ``$N`` (the
    rule's groups), ``%N`` (the last matched condition's); what an expansion yields is
    never expanded again."""
    n = len(inp)
    i = _next_special(inp, 0)
    if i == n:
        return inp
    out = [inp[:i]]
    while i < n:
        c = inp[i]
        if c == "\\":
            if i + 1 >= n:
                out.append("\\")
                break
            out.append(inp[i + 1])
            i += 2
        elif i + 1 < n and inp[i + 1] == "{":
            end = _find_closing_curly(inp, i + 2)
            if end < 0:
                out.append(inp[i:i + 2])
                i += 2
            elif c == "%":
                out.append(lookup_variable(inp[i + 2:end], ctx))
                i = end + 1
            else:
                k = _find_char_in_curlies(inp, i + 2, ":")
                if k < 0:
                    out.append(inp[i:i + 2])
                    i += 2
                else:
                    body = inp[i + 2:end]
                    k -= i + 2
                    name, keytext = body[:k], body[k + 1:]
                    d = _find_char_in_curlies(keytext, 0, "|")
                    dflt = None
                    if d >= 0:
                        keytext, dflt = keytext[:d], keytext[d + 1:]
                    value = lookup_map(ctx, name, do_expand(keytext, ctx, entry))
                    if value is None and dflt:
                        value = do_expand(dflt, ctx, entry)
                    if value:
                        out.append(value)
                    i = end + 1
        elif i + 1 < n and "0" <= inp[i + 1] <= "9":
            no = ord(inp[i + 1]) - 48
            m = ctx.rr if c == "$" else ctx.rc
            if m is not None and no <= m.re.groups:
                s, e = m.span(no)
                if e > s:
                    text = m.string[s:e]
                    if entry is not None and entry.flags & RULEFLAG_ESCAPEBACKREF:
                        escaped = escape_backref(text, entry.escapes, entry.noescapes,
                                                 entry.flags)
                        if ctx.lv >= 5:
                            ctx.log(5, f"escaping backreference '{text}' to '{escaped}'")
                        text = escaped
                    out.append(text)
            i += 2
        else:
            out.append(c)
            i += 1
        j = _next_special(inp, i)
        if j > i:
            out.append(inp[i:j])
            i = j
    return "".join(out)


def _table_unset(table: dict, name: str) -> None:
    """apr_table_unset on a dict: every key equal to ``name`` ignoring case."""
    low = name.lower()
    for k in [k for k in table if k.lower() == low]:
        del table[k]


def do_expand_env(env: list, ctx: Ctx) -> None:
    for data in env:
        name = do_expand(data, ctx)
        env_table = ctx.r.subprocess_env
        if name.startswith("!"):
            name = name[1:]
            _table_unset(env_table, name)
            if ctx.lv >= 5:
                ctx.log_r(5, f"unsetting env variable '{name}'")
        else:
            name, _, val = name.partition(":")
            _table_unset(env_table, name)
            env_table[name] = val
            if ctx.lv >= 5:
                ctx.log_r(5, f"setting env variable '{name}' to '{val}'")


_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
           "Dec")


def add_cookie(ctx: Ctx, s: str) -> None:
    r = ctx.r
    sep = ":"
    if s.startswith(";"):
        sep, s = ";", s[1:]
    toks = [t for t in s.split(sep) if t]       # apr_strtok skips empty tokens
    if len(toks) < 3:
        return
    var, val, domain = toks[0], toks[1], toks[2]
    rmain = r
    while rmain.main is not None:
        rmain = rmain.main
    seen = root_request(rmain).request_config.setdefault("rewrite_cookies", set())
    if var in seen:
        if ctx.lv >= 5:
            rewritelog(rmain, 5, None, f"skipping already set cookie '{var}'")
        return
    expires = toks[3] if len(toks) > 3 else None
    path = toks[4] if len(toks) > 4 else None
    secure = toks[5] if len(toks) > 5 else None
    httponly = toks[6] if len(toks) > 6 else None
    samesite = toks[7] if len(toks) > 7 else None
    cookie = f"{var}={val}; path={path or '/'}; domain={domain}"
    if expires is not None:
        from httpd.util.cparse import atoi
        minutes = atoi(expires)
        if minutes:
            t = time.gmtime(r.request_time + 60 * minutes)
            cookie += (f"; expires={_DAYS[(t.tm_wday + 1) % 7]}, {t.tm_mday:02d}-"
                       f"{_MONTHS[t.tm_mon - 1]}-{t.tm_year:04d} {t.tm_hour:02d}:"
                       f"{t.tm_min:02d}:{t.tm_sec:02d} GMT")
    if secure and (secure.lower() in ("true", "secure") or secure == "1"):
        cookie += "; secure"
    if httponly and (httponly.lower() in ("true", "httponly") or httponly == "1"):
        cookie += "; HttpOnly"
    if samesite and samesite != "0" and samesite.lower() != "false":
        cookie += f"; SameSite={samesite}"
    rmain.err_headers_out.add("Set-Cookie", cookie)
    seen.add(var)
    if ctx.lv >= 5:
        rewritelog(rmain, 5, None, f"setting cookie '{cookie}'")


# -- conditions and rules ------------------------------------------------------------

def _stat(path: str, follow: bool = True):
    try:
        return os.stat(fs_path(path)) if follow else os.lstat(fs_path(path))
    except (OSError, ValueError):
        return None


def _compare(a: str, b: str) -> int:
    """compare_lexicography: the longer string is greater; equal lengths byte by byte."""
    if len(a) != len(b):
        return 1 if len(a) > len(b) else -1
    return 0 if a == b else (1 if a > b else -1)


def _casecmp(a: str, b: str) -> int:
    a, b = a.lower(), b.lower()
    return 0 if a == b else (1 if a > b else -1)


def apply_rewrite_cond(p, ctx: Ctx) -> bool:
    r = ctx.r
    inp = do_expand(p.input, ctx) if p.ptype != CONDPAT_AP_EXPR else None
    t = p.ptype
    rc = False
    if t == 0:                                   # CONDPAT_REGEX
        m = p.regexp.search(inp)
        rc = m is not None
        if rc and not p.flags & CONDFLAG_NOTMATCH:
            ctx.rc = m
    elif t == CONDPAT_FILE_EXISTS:
        st = _stat(inp)
        rc = st is not None and stat.S_ISREG(st.st_mode)
    elif t == CONDPAT_FILE_SIZE:
        st = _stat(inp)
        rc = st is not None and stat.S_ISREG(st.st_mode) and st.st_size > 0
    elif t == CONDPAT_FILE_LINK:
        st = _stat(inp, follow=False)
        rc = st is not None and stat.S_ISLNK(st.st_mode)
    elif t == CONDPAT_FILE_DIR:
        st = _stat(inp)
        rc = st is not None and stat.S_ISDIR(st.st_mode)
    elif t == CONDPAT_FILE_XBIT:
        st = _stat(inp)
        rc = st is not None and bool(st.st_mode & 0o111)
    elif t == CONDPAT_LU_URL:
        if inp and subreq_ok(r):
            rsub = subrequest.sub_req_lookup_uri(inp, r)
            rc = rsub.status < 400
            if ctx.lv >= 5:
                ctx.log_r(5, f"RewriteCond URI (-U check: path={inp} -> status={rsub.status}")
    elif t == CONDPAT_LU_FILE:
        if inp and subreq_ok(r):
            rsub = subrequest.sub_req_lookup_file(inp, r)
            rc = rsub.status < 300 and rsub.filename is not None and \
                _stat(rsub.filename) is not None
            if ctx.lv >= 5:
                ctx.log_r(5, f"RewriteCond file (-F check: path={inp} -> file="
                        f"{rsub.filename} status={rsub.status}")
    elif t in (CONDPAT_STR_GE, CONDPAT_STR_GT):
        cmp = _casecmp if p.flags & CONDFLAG_NOCASE else _compare
        rc = cmp(inp, p.pattern) >= (0 if t == CONDPAT_STR_GE else 1)
    elif t in (CONDPAT_STR_LE, CONDPAT_STR_LT):
        cmp = _casecmp if p.flags & CONDFLAG_NOCASE else _compare
        rc = cmp(inp, p.pattern) <= (0 if t == CONDPAT_STR_LE else -1)
    elif t == CONDPAT_STR_EQ:
        rc = (inp.lower() == p.pattern.lower() if p.flags & CONDFLAG_NOCASE
              else inp == p.pattern)
    elif CONDPAT_INT_LT <= t <= CONDPAT_INT_GE:
        from httpd.util.cparse import atoi
        a, b = atoi(inp), p.int_pattern
        rc = {CONDPAT_INT_LT: a < b, CONDPAT_INT_LE: a <= b, CONDPAT_INT_EQ: a == b,
              CONDPAT_INT_GT: a > b, CONDPAT_INT_GE: a >= b}[t]
    elif t == CONDPAT_AP_EXPR:
        ec = expr_context(r)
        try:
            rc = p.expr.exec(ec)
        except Exception as e:
            # ap_expr_exec's line (2.4: no AH number), as the module that parsed it
            log_rerror(r, "rewrite", "error", f"Evaluation of expression from "
                       f"{p.expr.filename}:{p.expr.line} failed: {e}")
            if ctx.lv >= 1:
                ctx.log(1, f"RewriteCond: expr='{p.source}' evaluation failed: {e}")
            rc = False
        else:
            if ctx.lv >= 4:
                log_rerror(r, "rewrite", "trace4", "Evaluation of expression from "
                           f"{p.expr.filename}:{p.expr.line} gave: {int(rc)}")
        if ec.vary and not p.flags & CONDFLAG_NOVARY:
            for name in ec.vary:
                r.headers_out.merge("Vary", name)
        if rc and not p.flags & CONDFLAG_NOTMATCH:
            ctx.rc = ec.re_match
    if p.flags & CONDFLAG_NOTMATCH:
        rc = not rc
    if ctx.lv >= 4:
        ctx.log(4, f"RewriteCond: input='{'(null)' if inp is None else inp}' "
                f"pattern='{p.source}'"
                f"{' [NC]' if p.flags & CONDFLAG_NOCASE else ''} => "
                f"{'matched' if rc else 'not-matched'}")
    return rc


def force_type_handler(p, ctx: Ctx) -> None:
    r = ctx.r
    if p.forced_mimetype:
        expanded = do_expand(p.forced_mimetype, ctx, p)
        if expanded:
            expanded = expanded.lower()
            if ctx.lv >= 2:
                ctx.log(2, f"remember {r.filename} to have MIME-type '{expanded}'")
            r.notes[REWRITE_FORCED_MIMETYPE_NOTEVAR] = expanded
    if p.forced_handler:
        expanded = do_expand(p.forced_handler, ctx, p)
        if expanded:
            expanded = expanded.lower()
            if ctx.lv >= 2:
                ctx.log(2, f"remember {r.filename} to have Content-handler '{expanded}'")
            r.notes[REWRITE_FORCED_HANDLER_NOTEVAR] = expanded


def apply_rewrite_rule(p, ctx: Ctx) -> int:
    r = ctx.r
    ctx.uri = r.filename
    perdir = ctx.perdir
    is_proxyreq = False
    if perdir:
        is_proxyreq = bool(getattr(r, "proxyreq", 0) and r.filename
                           and r.filename.startswith("proxy:"))
        if r.path_info:
            if ctx.lv >= 3:
                ctx.log(3, f"add path info postfix: {ctx.uri} -> {ctx.uri}{r.path_info}")
            ctx.uri = ctx.uri + r.path_info
        if not is_proxyreq and ctx.uri.startswith(perdir):
            if ctx.lv >= 3:
                ctx.log(3, f"strip per-dir prefix: {ctx.uri} -> {ctx.uri[len(perdir):]}")
            ctx.uri = ctx.uri[len(perdir):]
    if ctx.lv >= 3:
        ctx.log(3, f"applying pattern '{p.pattern}' to uri '{ctx.uri}'")
    m = p.regexp.search(ctx.uri)
    if (m is not None) == bool(p.flags & RULEFLAG_NOTMATCH):
        return RULE_RC_NOMATCH
    ctx.vary_this = None
    ctx.rc = None
    ctx.rr = None if p.flags & RULEFLAG_NOTMATCH else m
    conds = p.conds
    i, n = 0, len(conds)
    while i < n:
        c = conds[i]
        rc = apply_rewrite_cond(c, ctx)
        if c.flags & CONDFLAG_NOVARY:
            ctx.vary_this = None
        if c.flags & CONDFLAG_ORNEXT:
            if not rc:
                ctx.vary_this = None
                i += 1
                continue
            while i < n and conds[i].flags & CONDFLAG_ORNEXT:
                i += 1
        elif not rc:
            return RULE_RC_NOMATCH
        if ctx.vary_this:
            ctx.vary = f"{ctx.vary}, {ctx.vary_this}" if ctx.vary else ctx.vary_this
            ctx.vary_this = None
        i += 1
    newuri = None
    if not p.flags & RULEFLAG_NOSUB:
        newuri = do_expand(p.output, ctx, p)
        if ctx.lv >= 2:
            ctx.log(2, f"rewrite '{ctx.uri}' -> '{newuri}'")
        if not p.flags & RULEFLAG_UNSAFE_ALLOW3F and "%3f" in r.unparsed_uri.lower() \
                and "?" in newuri:
            log_rerror(r, "rewrite", "error", "AH10508: Unsafe URL with %3f URL rewritten "
                       "without UnsafeAllow3F")
            r.status = HTTP_FORBIDDEN
            return RULE_RC_STATUS_SET
    do_expand_env(p.env, ctx)
    for data in p.cookie:
        add_cookie(ctx, do_expand(data, ctx))
    if p.flags & RULEFLAG_NOSUB:
        force_type_handler(p, ctx)
        if p.flags & RULEFLAG_STATUS:
            if ctx.lv >= 2:
                ctx.log(2, f"forcing responsecode {p.forced_responsecode} for {r.filename}")
            r.status = p.forced_responsecode
        return RULE_RC_NOSUB
    if not is_proxyreq and not newuri.startswith("/") and not is_absolute_uri(newuri)[0]:
        if perdir:
            if ctx.lv >= 3:
                ctx.log(3, f"add per-dir prefix: {newuri} -> {perdir}{newuri}")
            newuri = perdir + newuri
        elif not p.flags & (RULEFLAG_PROXY | RULEFLAG_FORCEREDIRECT):
            if ctx.lv >= 3:
                ctx.log(3, f"add root prefix: {newuri} -> /{newuri}")
            newuri = "/" + newuri
    r.filename = newuri
    if perdir and p.flags & RULEFLAG_DISCARDPATHINFO:
        r.path_info = ""
    splitout_queryargs(ctx, p.flags)
    if p.flags & RULEFLAG_PROXY:
        fully_qualify_uri(r)
        if ctx.lv >= 2:
            ctx.log(2, f"forcing proxy-throughput with {r.filename}")
        r.filename = "proxy:" + r.filename
        return RULE_RC_MATCH
    if p.flags & RULEFLAG_FORCEREDIRECT:
        fully_qualify_uri(r)
        if ctx.lv >= 2:
            ctx.log(2, f"explicitly forcing redirect with {r.filename}")
        r.status = p.forced_responsecode
        return RULE_RC_MATCH
    reduce_uri(ctx)
    if is_absolute_uri(r.filename)[0]:
        if ctx.lv >= 2:
            # Apache's words, its unbalanced parenthesis included
            ctx.log(2, f"implicitly forcing redirect (rc={p.forced_responsecode} with "
                    f"{r.filename}")
        r.status = p.forced_responsecode
        return RULE_RC_MATCH
    if not p.flags & RULEFLAG_UNC:
        if not (p.output[:1] == "/" and p.output[1:2] == "/"):
            fn = r.filename
            k = 0
            while fn[k:k + 2] == "//":
                k += 1
            if k:
                r.filename = fn[k:]
    force_type_handler(p, ctx)
    return RULE_RC_MATCH


def apply_rewrite_list(r, rules, perdir: Optional[str]):
    """(the action, the last rule that substituted)."""
    ctx = Ctx(r, perdir)
    lastsub = None
    changed = 0
    rnd = 1
    n = len(rules)
    i = 0
    is_sub = r.main is not None
    while i < n:
        p = rules[i]
        if is_sub and p.flags & (RULEFLAG_IGNOREONSUBREQ | RULEFLAG_FORCEREDIRECT):
            i += 1
            continue
        ctx.vary = None
        rc = apply_rewrite_rule(p, ctx)
        if rc != RULE_RC_NOMATCH:
            if not p.flags & RULEFLAG_NOSUB:
                if ctx.lv >= 2:
                    ctx.log(2, f"setting lastsub to rule with output {p.output}")
                lastsub = p
            limit = 2 * r.server.module_config[_CORE].limit_req_line
            if len(r.filename or "") > limit:
                log_rerror(r, "rewrite", "error", f"RewriteRule '{p.pattern}' and URI "
                           f"'{r.uri}' exceeded maximum length ({limit})")
                r.status = HTTP_INTERNAL_SERVER_ERROR
                return ACTION_STATUS, lastsub
            if ctx.vary:
                r.headers_out.merge("Vary", ctx.vary)
            if rc == RULE_RC_STATUS_SET:
                return ACTION_STATUS_SET, lastsub
            if p.flags & RULEFLAG_STATUS:
                return ACTION_STATUS, lastsub
            if rc != RULE_RC_NOSUB:
                changed = ACTION_NOESCAPE if p.flags & RULEFLAG_NOESCAPE else ACTION_NORMAL
            if p.flags & RULEFLAG_PASSTHROUGH:
                if ctx.lv >= 2:
                    ctx.log(2, f"forcing '{r.filename}' to get passed through to next API "
                            "URI-to-filename handler")
                r.filename = "passthrough:" + r.filename
                changed = ACTION_NORMAL
                break
            if p.flags & RULEFLAG_END:
                if ctx.lv >= 8:
                    ctx.log(8, "Rule has END flag, no further rewriting for this request")
                root_request(r).request_config[END_KEY] = "1"
                break
            if p.flags & (RULEFLAG_PROXY | RULEFLAG_LASTRULE):
                break
            if p.flags & RULEFLAG_NEWROUND:
                rnd += 1
                if rnd >= p.maxrounds:
                    log_rerror(r, "rewrite", "error", f"AH02596: RewriteRule '{p.pattern}' "
                               f"and URI '{r.uri}' exceeded maximum number of rounds "
                               f"({p.maxrounds}) via the [N] flag")
                    r.status = HTTP_INTERNAL_SERVER_ERROR
                    return ACTION_STATUS, lastsub
                i = 0
                continue
            if p.skip > 0:
                i = min(i + p.skip, n)
        else:
            while i < n and rules[i].flags & RULEFLAG_CHAIN:
                i += 1
        i += 1
    return changed, lastsub


from httpd.module import CORE_MODULE as _CORE  # noqa: E402
from httpd.util.fspath import fs_path
