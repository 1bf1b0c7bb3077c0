"""mod_authz_user (mod_authz_user.c): the ``user`` and ``valid-user`` authorization
providers.

``Require user a b ...`` is a string expression; its words are the users granted.
A line without ``%``, ``$`` or ``\\`` is constant: its words are split once, when the
config is read.  Without an authenticated user both answer "denied, no user yet", so
mod_authz_core runs authentication first.
"""
from __future__ import annotations

from typing import Any, Optional

import attrs

from directives.mod_authz_core import AuthzProvider, parse_expr
from directives.mod_authz_core.runtime import (AUTHZ_DENIED, AUTHZ_DENIED_NO_USER,
                                               AUTHZ_GRANTED)
from httpd.config.grammar import getword_conf
from httpd.http.request import evaluate_str, log_enabled, log_rerror
from httpd.module import Module


@attrs.frozen
class RequireWords:
    """A Require line's string expression; ``words`` when it is constant."""

    expr: Any
    words: Optional[frozenset] = None


def conf_words(text: str) -> list[str]:
    """The words of a line as ap_getword_conf splits them."""
    out = []
    pos = 0
    while True:
        w, pos = getword_conf(text, pos)
        if not w:
            return out
        out.append(w)


def parse_require_words(cmd, require_line: str):
    """user_parse_config / groupfile_parse_config."""
    expr, err = parse_expr(cmd, require_line, string=True)
    if err:
        return None, f"Cannot parse expression in require line: {err}"
    constant = not any(c in require_line for c in "%$\\")
    return RequireWords(expr, frozenset(conf_words(require_line)) if constant else None), None


def require_words(r, parsed: RequireWords, code: str, who: str):
    """The words of the line for this request, None when it cannot be evaluated."""
    if parsed.words is not None:
        return parsed.words
    try:
        return conf_words(evaluate_str(r, parsed.expr))
    except Exception as e:
        log_rerror(r, who, "error", f"{code}: {who} authorize: require "
                   f"{'user' if who == 'authz_user' else 'group'}: Can't evaluate require "
                   f"expression: {e}")
        return None


def user_check(r, require_line: str, parsed: RequireWords) -> int:
    if r.user is None:
        return AUTHZ_DENIED_NO_USER
    words = require_words(r, parsed, "AH02594", "authz_user")
    if words is None:
        return AUTHZ_DENIED
    if r.user in words:
        return AUTHZ_GRANTED
    if log_enabled(r, "authz_user_module", "debug"):
        log_rerror(r, "authz_user", "debug", f"AH01663: access to {r.uri} failed, reason: "
                   f"user '{r.user}' does not meet 'require'ments for user to be allowed "
                   "access")
    return AUTHZ_DENIED


def validuser_check(r, require_line: str, parsed) -> int:
    return AUTHZ_DENIED_NO_USER if r.user is None else AUTHZ_GRANTED


MODULE = Module(
    "authz_user_module", "mod_authz_user.c", (),
    providers={"authz": {"user": AuthzProvider("user", parse_require_words, user_check),
                         "valid-user": AuthzProvider("valid-user", None, validuser_check)}},
    doc="User Authorization",
)
