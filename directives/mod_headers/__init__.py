"""mod_headers (mod_headers.c): Header and RequestHeader, the directives.

Every line becomes a :class:`HeaderEntry` compiled at start-up: the action, the header
name (cut at a colon), the value as a tuple of format tags (or a string expression for
``expr=...`` values), the edit regex, and the condition (``env=[!]var``, ``expr=...`` or
``early``).  Lines go to three lists as in Apache: ``fixup_in`` (RequestHeader),
``fixup_out`` (Header, onsuccess) and ``fixup_err`` (Header always); a section's lists
are appended to its parent's.  The request side is in :mod:`.mod_headers_runtime`.
"""
from __future__ import annotations

import re
from typing import Callable, Optional

import attrs

from httpd import expr as ap_expr
from httpd.config.grammar import getword_conf
from httpd.module.hooks import FIRST, LAST, determined
from httpd.module import OR_FILEINFO, Args, Module, directive

from httpd.core.sections import parse_expr, regex_cflags
from directives.mod_headers import runtime

MODULE_NAME = "headers_module"

# The actions (hdr_actions) by keyword.
ACTIONS = {"set": "set", "setifempty": "setifempty", "add": "add", "append": "append",
           "merge": "merge", "unset": "unset", "echo": "echo", "edit": "edit",
           "edit*": "edit*", "note": "note"}
BAD_ACTION = ("first argument must be 'add', 'set', 'setifempty', 'append', 'merge', "
              "'unset', 'echo', 'note', 'edit', or 'edit*'.")

HDR_IN, HDR_OUT_ONSUCCESS, HDR_OUT_ALWAYS = "in", "onsuccess", "always"
CONDITION_EARLY = "early"     # a condition_var that means "run in post_read_request"


@attrs.frozen(eq=False)
class HeaderEntry:
    """One Header/RequestHeader line (Apache's header_entry).

    ``tags`` is the value as (function, argument) pairs; a function of None is literal
    text.  ``expr_out`` replaces them for an ``expr=`` value.  ``condition_var`` is the
    variable of ``env=`` (with its ``!``) or :data:`CONDITION_EARLY`; ``expr`` the
    condition of ``expr=``.  ``regex`` is the echo pattern or the edit match and
    ``is_content_type`` says the header is Content-Type (which also sets the
    request's content type).
    """

    action: str
    header: str
    tags: tuple = ()
    regex: Optional[re.Pattern] = None
    condition_var: Optional[str] = None
    expr: Optional[ap_expr.Expr] = None
    expr_out: Optional[ap_expr.Expr] = None
    is_content_type: bool = False

    @property
    def early(self) -> bool:
        return self.condition_var is CONDITION_EARLY


@attrs.define
class HeadersConfig:
    """The three lists; ``early`` entries are kept apart (``early_*``) so that each
    phase walks only its own entries, in config order as Apache does."""

    fixup_in: list[HeaderEntry] = attrs.field(factory=list)
    fixup_out: list[HeaderEntry] = attrs.field(factory=list)
    fixup_err: list[HeaderEntry] = attrs.field(factory=list)
    early_in: list[HeaderEntry] = attrs.field(factory=list)
    early_out: list[HeaderEntry] = attrs.field(factory=list)
    early_err: list[HeaderEntry] = attrs.field(factory=list)


def create_dir_config(path: Optional[str]) -> HeadersConfig:
    return HeadersConfig()


def merge_dir_config(base: HeadersConfig, add: HeadersConfig) -> HeadersConfig:
    return HeadersConfig(*(getattr(base, f.name) + getattr(add, f.name)
                           for f in attrs.fields(HeadersConfig)))


# -- value format strings ------------------------------------------------------------------

# format_tag_hash: the % letters a value may use, with the function producing each.
FORMAT_TAGS: dict[str, Callable] = {
    "D": runtime.header_request_duration, "t": runtime.header_request_time,
    "e": runtime.header_request_env_var, "s": runtime.header_request_ssl_var,
    "l": runtime.header_request_loadavg, "i": runtime.header_request_idle,
    "b": runtime.header_request_busy,
}

_ESCAPES = {"\\": "\\", "r": "\r", "n": "\n", "t": "\t"}


def _misc_string(s: str, i: int) -> tuple[str, int]:
    """parse_misc_string: literal text up to the next ``%``, with \\\\ \\r \\n \\t."""
    out = []
    n = len(s)
    while i < n and s[i] != "%":
        c = s[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        e = s[i] if i < n else ""
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 1
        else:
            out.append("\\")          # copied verbatim; the next character is read normally
    return "".join(out), i


def parse_format_string(s: str) -> tuple[Optional[tuple], Optional[str]]:
    """parse_format_string: (tags, None) or (None, error message)."""
    tags = []
    i, n = 0, len(s)
    while i < n:
        if s[i] != "%":
            text, i = _misc_string(s, i)
            tags.append((None, text))
            continue
        i += 1
        if i >= n or s[i] == "%":          # "%%" and a trailing "%" are a literal %
            tags.append((None, "%"))
            i += 1
            continue
        arg = ""
        if s[i] == "{":
            end = s.find("}", i + 1)       # ap_getword: to the '}' or the end
            arg, i = (s[i + 1:], n) if end < 0 else (s[i + 1:end], end + 1)
        letter = s[i] if i < n else ""
        fn = FORMAT_TAGS.get(letter)
        if fn is None:
            return None, f"Unrecognized header format %{letter}"
        tags.append((fn, arg))
        i += 1
    # adjacent literals fold into one, so a constant value is a single string
    folded: list = []
    for fn, arg in tags:
        if fn is None and folded and folded[-1][0] is None:
            folded[-1] = (None, folded[-1][1] + arg)
        else:
            folded.append((fn, arg))
    return tuple(folded), None


_parse_expr = parse_expr


# -- the directives ------------------------------------------------------------------------

def header_inout_cmd(cmd, conf: HeadersConfig, inout: str, action: str, hdr: str,
                     value: Optional[str], subs: Optional[str],
                     envclause: Optional[str]) -> Optional[str]:
    kind = ACTIONS.get(action.lower())
    if kind is None:
        return BAD_ACTION
    regex = None
    if kind in ("edit", "edit*"):
        if subs is None:
            return "Header edit requires a match and a substitution"
        regex = ap_expr.pregcomp(value, regex_cflags(cmd))
        if regex is None:
            return "Header edit regex could not be compiled"
    else:
        # there is no substitution, so the fourth word is really the condition
        if envclause is not None:
            return "Too many arguments to directive"
        envclause, subs = subs, None
    if kind == "unset":
        if value is not None:
            if envclause is not None:
                return "header unset takes two arguments"
            envclause, value = value, None
    elif kind == "echo":
        if value is not None:
            if envclause is not None:
                return "Header echo takes two arguments"
            envclause, value = value, None
        if inout == HDR_IN:
            return "Header echo only valid on Header directives"
        regex = ap_expr.pregcomp(hdr, regex_cflags(cmd))
        if regex is None:
            return "Header echo regex could not be compiled"
    elif value is None:
        return "Header requires three arguments"

    condition_var = expr = None
    if envclause is not None:
        low = envclause.lower()
        if low == "early":
            condition_var = CONDITION_EARLY
        elif low.startswith("env="):
            if envclause[4:] in ("", "!"):
                return ("error: missing environment variable name. envclause should be in "
                        "the form env=envar ")
            condition_var = envclause[4:]
        elif low.startswith("expr="):
            expr, err = _parse_expr(cmd, envclause[5:], string=False)
            if err:
                return f"Can't parse envclause/expression: {err}"
        else:
            return f"Unknown parameter: {envclause}"

    header = hdr.split(":", 1)[0]
    tags: tuple = ()
    expr_out = None
    if kind not in ("unset", "echo"):
        text = subs if kind in ("edit", "edit*") else value
        if text.startswith("expr="):
            expr_out, err = _parse_expr(cmd, text[5:], string=True)
            if err:
                return f"Can't parse value expression : {err}"
        else:
            tags, err = parse_format_string(text)
            if err:
                return err
    entry = HeaderEntry(kind, header, tags, regex, condition_var, expr, expr_out,
                        header.lower() == "content-type")
    lists = (conf.early_in, conf.early_err, conf.early_out) if entry.early \
        else (conf.fixup_in, conf.fixup_err, conf.fixup_out)
    lists[(HDR_IN, HDR_OUT_ALWAYS, HDR_OUT_ONSUCCESS).index(inout)].append(entry)
    return None


def _header_cmd(inout: str):
    def header_cmd(cmd, conf: HeadersConfig, args: str):
        action, pos = getword_conf(args)
        where = inout
        if where == HDR_OUT_ONSUCCESS:
            if action.lower() == "always":
                where = HDR_OUT_ALWAYS
                action, pos = getword_conf(args, pos)
            elif action.lower() == "onsuccess":
                action, pos = getword_conf(args, pos)
        hdr, pos = getword_conf(args, pos)
        words: list[Optional[str]] = []
        for _ in range(3):                  # value, substitution, condition
            if pos < len(args):
                w, pos = getword_conf(args, pos)
                words.append(w)
            else:
                words.append(None)
        if pos < len(args):
            return f"{cmd.cmd.name} has too many arguments"
        return header_inout_cmd(cmd, conf, where, action, hdr, *words)
    return header_cmd


header_cmd = directive(
    "Header", Args.RAW_ARGS, OR_FILEINFO,
    "an optional condition, an action, header and value followed by optional env clause",
)(_header_cmd(HDR_OUT_ONSUCCESS))

request_header_cmd = directive(
    "RequestHeader", Args.RAW_ARGS, OR_FILEINFO,
    "an action, header and value followed by optional env clause",
)(_header_cmd(HDR_IN))


# The response side: the filters the insert hooks add (FIXUP_HEADERS_OUT and
# FIXUP_HEADERS_ERR) run this just before the status line and headers are written.
apply_response_headers = runtime.apply_response_headers

MODULE = Module(
    MODULE_NAME, "mod_headers.c", (header_cmd, request_header_cmd),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    hooks={"fixups": (determined(runtime.headers_fixup, runtime.no_request_edits), LAST),
           "post_read_request": (runtime.headers_early, FIRST),
           "insert_filter": (runtime.insert_output_filter, LAST),
           "insert_error_filter": (runtime.insert_error_filter, LAST)},
    doc="Customization of HTTP request and response headers",
)
