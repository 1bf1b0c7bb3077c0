"""Evaluating ap_expr trees (server/util_expr_eval.c): variables, functions, operators.

The tables here are core's expr_lookup providers; the parser (:mod:`.expr`) resolves
names against them at parse time, as Apache does, so an unknown name fails at start-up.
"""
from __future__ import annotations

import base64
import fnmatch
import ipaddress
import os
import re
import socket
import stat
import time
from typing import TYPE_CHECKING, Optional

from httpd.util.b64 import pbase64decode
from httpd.util.ipsubnet import InvalidSubnet, ipsubnet_create
from httpd.util.uri import escape_uri
from httpd.util.fspath import fs_path

if TYPE_CHECKING:  # the parser's node type, only for annotations
    from httpd.expr import Node

API_VERSION = "20120211"   # MODULE_MAGIC_NUMBER_MAJOR of httpd 2.4

MISC_VARS = ("TIME_YEAR", "TIME_MON", "TIME_DAY", "TIME_HOUR", "TIME_MIN", "TIME_SEC",
             "TIME_WDAY", "TIME", "SERVER_SOFTWARE", "API_VERSION")
REQ_HEADER_VARS = {"HTTP_USER_AGENT": "User-Agent", "HTTP_PROXY_CONNECTION": "Proxy-Connection",
                   "HTTP_REFERER": "Referer", "HTTP_COOKIE": "Cookie",
                   "HTTP_FORWARDED": "Forwarded", "HTTP_HOST": "Host", "HTTP_ACCEPT": "Accept"}
REQUEST_VARS = ("REQUEST_METHOD", "REQUEST_SCHEME", "REQUEST_URI", "REQUEST_FILENAME",
                "REMOTE_HOST", "REMOTE_IDENT", "REMOTE_USER", "SERVER_ADMIN", "SERVER_NAME",
                "SERVER_PORT", "SERVER_PROTOCOL", "SCRIPT_FILENAME", "PATH_INFO",
                "QUERY_STRING", "IS_SUBREQ", "DOCUMENT_ROOT", "AUTH_TYPE", "THE_REQUEST",
                "CONTENT_TYPE", "HANDLER", "REQUEST_LOG_ID", "SCRIPT_USER", "SCRIPT_GROUP",
                "DOCUMENT_URI", "LAST_MODIFIED", "CONTEXT_PREFIX", "CONTEXT_DOCUMENT_ROOT",
                "REQUEST_STATUS", "REMOTE_ADDR", "REMOTE_PORT", "HTTP2")
CONN_VARS = ("HTTPS", "IPV6", "CONN_LOG_ID", "CONN_REMOTE_ADDR")
_ALL_VARS = {n.upper(): n for n in MISC_VARS + tuple(REQ_HEADER_VARS) + REQUEST_VARS + CONN_VARS}
# name -> restricted (file access is refused in restricted contexts)
STRING_FUNCS = {"osenv": 0, "env": 0, "resp": 0, "req": 0, "http": 0, "note": 0, "reqenv": 0,
                "req_novary": 0, "tolower": 0, "toupper": 0, "escape": 0, "unescape": 0,
                "file": 1, "filesize": 1, "base64": 0, "unbase64": 0, "sha1": 0, "md5": 0,
                "ldap": 0}
UNARY_OPS = {"n": 0, "z": 0, "R": 0, "T": 0, "d": 1, "e": 1, "f": 1, "s": 1, "L": 1, "h": 1,
             "x": 1, "F": 0, "U": 0, "A": 0}
BINARY_OPS = {"ipmatch": 0, "fnmatch": 0, "strmatch": 0, "strcmatch": 0}
LIST_FUNCS: dict = {}


def parse_subnet(arg: str):
    """apr_ipsubnet_create for ``addr[/bits|/mask]`` (None when APR refuses it)."""
    addr, slash, mask = arg.partition("/")
    try:
        return ipsubnet_create(addr, mask if slash else None)
    except InvalidSubnet:
        return None


class EvalContext:
    """What an expression can see.  The request layer overrides the hooks; the defaults
    answer as Apache does when there is no request (empty strings)."""

    MAX_RECURSION = 20

    def __init__(self):
        self.err: Optional[str] = None
        self.depth = 0
        self.re_source: Optional[str] = None     # subject of the last capturing match
        self.re_match: Optional[re.Match] = None
        # the last capturing regex failed (Apache's *re_source set to NULL): a caller
        # substituting $0..$9 then leaves them as written (mod_setenvif)
        self.re_failed = False
        self.vary: list[str] = []                # header names the result depended on
        self.server_banner = "Apache"

    # hooks for the request layer
    def request_var(self, name: str) -> Optional[str]:
        """A request or connection variable by its Apache name (REQUEST_URI, HTTPS...)."""
        return ""

    def table(self, which: str, key: str) -> Optional[str]:
        """``which`` is headers_in, headers_out, notes or subprocess_env."""
        return None

    def subrequest_ok(self, kind: str, arg: str) -> bool:
        """-U/-A (URI subrequest status < 400), -F (file subrequest < 300 and exists)."""
        return False

    def useragent_ip(self) -> Optional[str]:
        return None

    def add_vary(self, name: str) -> None:
        self.vary.append(name)


def _var(ctx: EvalContext, name: str) -> Optional[str]:
    if name in REQ_HEADER_VARS:
        header = REQ_HEADER_VARS[name]
        ctx.add_vary(header)
        return ctx.table("headers_in", header)
    if name in MISC_VARS:
        t = time.localtime()
        return {"TIME_YEAR": "%04d" % t.tm_year, "TIME_MON": "%02d" % t.tm_mon,
                "TIME_DAY": "%02d" % t.tm_mday, "TIME_HOUR": "%02d" % t.tm_hour,
                "TIME_MIN": "%02d" % t.tm_min, "TIME_SEC": "%02d" % t.tm_sec,
                "TIME_WDAY": str((t.tm_wday + 1) % 7),
                "TIME": time.strftime("%Y%m%d%H%M%S", t),
                "SERVER_SOFTWARE": ctx.server_banner, "API_VERSION": API_VERSION}[name]
    return ctx.request_var(name)


def _func(ctx: EvalContext, name: str, arg: str) -> Optional[str]:
    if name in ("req", "http"):
        ctx.add_vary(arg)
        return ctx.table("headers_in", arg)
    if name == "req_novary":
        return ctx.table("headers_in", arg)
    if name == "resp":
        v = ctx.table("headers_out", arg)
        return v if v is not None else ctx.table("err_headers_out", arg)
    if name in ("note", "reqenv"):
        return ctx.table("notes" if name == "note" else "subprocess_env", arg)
    if name == "env":
        for which in ("notes", "subprocess_env"):
            v = ctx.table(which, arg)
            if v is not None:
                return v
        return os.environ.get(arg)
    if name == "osenv":
        return os.environ.get(arg)
    if name in ("tolower", "toupper"):
        return arg.lower() if name == "tolower" else arg.upper()
    if name == "escape":
        return escape_uri(arg)
    if name == "unescape":
        return unescape_url_keep2f(arg)
    if name == "base64":
        return base64.b64encode(arg.encode("latin-1")).decode("ascii")
    if name == "unbase64":
        return pbase64decode(arg)
    if name in ("sha1", "md5"):
        import hashlib                 # only md5/sha1 in an expression need it
        return hashlib.new(name, arg.encode("latin-1")).hexdigest()
    if name == "ldap":  # RFC 4515 filter escaping, as apr_ldap_escape does
        return "".join("\\%02x" % ord(c) if c in "\\*()\0" else c for c in arg)
    if name == "filesize":
        try:
            st = os.stat(fs_path(arg))
        except (OSError, ValueError):
            return "0"
        return str(st.st_size) if stat.S_ISREG(st.st_mode) and st.st_size > 0 else "0"
    if name == "file":
        try:
            if os.path.getsize(fs_path(arg)) > 10 * 1024 * 1024:
                ctx.err = f"File {arg} too large"
                return ""
            with open(fs_path(arg), "rb") as f:
                return f.read().decode("latin-1")
        except OSError:
            ctx.err = f"Cannot open file {arg}"
            return ""
    return ""  # pragma: no cover - every registered name is handled above


_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _decode_keep2f(m: re.Match) -> str:
    c = chr(int(m.group(1), 16))
    return m.group(0) if c == "/" else c


def unescape_url_keep2f(text: str) -> str:
    """unescape(): ap_unescape_url_keep2f(s, 0) -- an encoded slash stays as written;
    a bad escape (400) or an encoded NUL (404) makes the result empty, as
    unescape_func answers any failure."""
    if "%" not in text:
        return text
    if re.search(r"%(?![0-9A-Fa-f]{2})", text) or re.search(r"%00", text):
        return ""
    return _ESCAPE.sub(_decode_keep2f, text)


def _unary(ctx: EvalContext, info, arg: str) -> bool:
    name, data = info
    if name in ("n", "z"):
        return (arg != "") == (name == "n")
    if name == "R":
        ip = ctx.useragent_ip()
        return _in_subnet(data, ip)
    if name == "T":
        low = arg.lower()
        return not (arg == "" or low in ("off", "no", "false") or arg == "0")
    if name in ("F", "U", "A"):
        return ctx.subrequest_ok(name, arg)
    try:   # -L -h and -x (APR_FINFO_LINK) look at a link itself, the others follow it
        st = os.lstat(fs_path(arg)) if name in ("L", "h", "x") else os.stat(fs_path(arg))
    except (OSError, ValueError):
        return False
    return {"d": stat.S_ISDIR(st.st_mode), "e": True, "f": stat.S_ISREG(st.st_mode),
            "s": stat.S_ISREG(st.st_mode) and st.st_size > 0,
            "L": stat.S_ISLNK(st.st_mode), "h": stat.S_ISLNK(st.st_mode),
            "x": bool(st.st_mode & 0o111)}[name]


def _in_subnet(net, ip: Optional[str]) -> bool:
    """apr_ipsubnet_test of ``ip`` (a name is looked up, as apr_sockaddr_info_get does)."""
    if not ip:
        return False
    try:
        ipaddress.ip_address(ip.split("%")[0])
    except ValueError:
        try:
            ip = socket.gethostbyname(ip)
        except (OSError, UnicodeError):
            return False
    return net.matches(ip)


def _binary(info, a: str, b: str) -> bool:
    name, data = info
    if name == "ipmatch":
        return _in_subnet(data, a)
    if name == "strcmatch":
        return fnmatch.fnmatchcase(a.lower(), b.lower())
    if name == "fnmatch":  # APR_FNM_PATHNAME: a wildcard never matches '/'
        return re.fullmatch(fnmatch.translate(b).replace(".*", "[^/]*")
                            .replace("(?s:.", "(?s:[^/]"), a, re.S) is not None
    return fnmatch.fnmatchcase(a, b)


def _atoi64(s: str) -> int:
    m = re.match(r"\s*([+-]?\d+)", s)
    return int(m.group(1)) if m else 0


def _word(ctx: EvalContext, node: Node) -> str:
    ctx.depth += 1
    try:
        if ctx.depth > ctx.MAX_RECURSION:
            ctx.err = "Recursion limit reached"
            return ""
        op = node.op
        if op in ("String", "Digit"):
            return node.a
        if op == "Concat":
            return _word(ctx, node.a) + _word(ctx, node.b)
        if op == "Var":
            return _var(ctx, node.a[0]) or ""
        if op == "Func":
            return _func(ctx, node.a[0], _word(ctx, node.b)) or ""
        if op == "Backref":
            m = ctx.re_match
            if m is None or not ctx.re_source or node.a > (m.re.groups or 0):
                return ""
            return m.group(node.a) or ""
        ctx.err = "Internal evaluation error: Unknown word expression node"
        return ""
    finally:
        ctx.depth -= 1


def _eval(ctx: EvalContext, node: Node) -> bool:
    ctx.depth += 1
    try:
        if ctx.depth > ctx.MAX_RECURSION:
            ctx.err = "Recursion limit reached"
            return False
        op = node.op
        if op in ("True", "False"):
            return op == "True"
        if op == "Not":
            return not _eval(ctx, node.a)
        if op == "Or":
            return _eval(ctx, node.a) or _eval(ctx, node.b)
        if op == "And":
            return _eval(ctx, node.a) and _eval(ctx, node.b)
        if op == "Unary":
            return _unary(ctx, node.a, _word(ctx, node.b))
        if op == "Binary":
            return _binary(node.a, _word(ctx, node.b), _word(ctx, node.c))
        if op in ("EQ", "NE", "LT", "LE", "GT", "GE"):
            a, b = _atoi64(_word(ctx, node.a)), _atoi64(_word(ctx, node.b))
            return _CMP[op](a, b)
        if op.startswith("STR_"):
            a, b = _word(ctx, node.a).encode("latin-1"), _word(ctx, node.b).encode("latin-1")
            return _CMP[op[4:]](a, b)
        if op == "IN":
            needle = _word(ctx, node.a)
            if node.b.op == "List":
                return any(needle == _word(ctx, w) for w in node.b.a)
            return False  # no list functions are registered by core
        if op in ("REG", "NRE"):
            subject = _word(ctx, node.a)
            m = node.b.search(subject)
            if node.b.groups:
                ctx.re_source, ctx.re_match = (subject, m) if m else (None, None)
                ctx.re_failed = m is None
            return (m is not None) == (op == "REG")
        ctx.err = "Internal evaluation error: Unknown expression node"
        return False
    finally:
        ctx.depth -= 1


_CMP = {"EQ": lambda a, b: a == b, "NE": lambda a, b: a != b, "LT": lambda a, b: a < b,
        "LE": lambda a, b: a <= b, "GT": lambda a, b: a > b, "GE": lambda a, b: a >= b}
