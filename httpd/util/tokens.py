"""HTTP token lists in field values: ap_find_token and ap_is_chunked (server/util.c).

Field values are latin-1 strings here, one character per byte, as Apache sees them.
"""
from __future__ import annotations

import re
from typing import Optional

# A token runs until a T_HTTP_TOKEN_STOP character (server/gen_test_char.c, 2.4.25 and
# later): anything but an alphanumeric or one of !#$%&'*+-.^_`|~ stops it, so CTLs,
# separators and every byte >= 0x80 (obs-text) end a token.
_TOKEN_RUN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# ap_find_token is called with a handful of distinct field values (Connection: close,
# keep-alive, ...): their token lists are kept, in a bounded table.
_TOKENS: dict = {}
_TOKENS_MAX = 256


def _tokens(line: str) -> tuple:
    found = _TOKENS.get(line)
    if found is None:
        found = tuple(t.lower() for t in _TOKEN_RUN.findall(line))
        if len(_TOKENS) >= _TOKENS_MAX:
            _TOKENS.clear()
        _TOKENS[line] = found
    return found


def find_token(line: Optional[str], tok: str) -> bool:
    """ap_find_token: does a token of ``line`` match ``tok``, case-insensitively?

    As in Apache, which compares ``strlen(token)`` characters (ap_cstr_casecmpn), a
    token matches when it is a prefix of ``tok``: ``keep`` finds ``keep-alive`` and
    ``c`` finds ``close``, while ``closed`` does not find ``close``.  A byte >= 0x80
    ends a token, so ``clos\\xe9`` holds the token ``clos`` and finds ``close``.
    """
    if not line:
        return False
    tok = tok.lower()
    for t in _tokens(line):
        if tok.startswith(t):
            return True
    return False


def is_chunked(line: Optional[str]) -> bool:
    """ap_is_chunked: is ``chunked`` the last coding of a Transfer-Encoding value?

    ``chunked`` alone (any case), or at the very end after white space or a comma
    (find_last_token), where the first character before it that is not a space must
    be ``,`` or a space: ``gzip, chunked`` and ``gzip ,chunked`` are chunked, while
    ``chunked, gzip``, ``gzip chunked`` and ``gzip,\\tchunked`` are not.
    """
    if not line:
        return False
    if line.lower() == "chunked":
        return True
    i = len(line) - 7
    if i < 0 or line[i:].lower() != "chunked":
        return False
    if i > 0 and not (line[i - 1] in " \t\n\v\f\r" or line[i - 1] == ","):
        return False
    j = i - 1                       # eat spaces right to left to see what precedes it
    while j > 0 and line[j] == " ":
        j -= 1
    return line[j] == "," or line[j] == " "


def getword(text: str, stop: str) -> tuple[str, str]:
    """ap_getword: (the text before the first ``stop``, what follows the run of
    ``stop`` characters there); without one, (the whole text, "")."""
    word, found, rest = text.partition(stop)
    return word, rest.lstrip(stop) if found else ""


_C_SPACE = " \t\n\v\f\r"


def get_token(line: str, pos: int = 0, accept_white: bool = False) -> tuple[str, int]:
    """ap_get_token: the token of ``line`` from ``pos`` (leading white space skipped)
    up to ``;`` or ``,`` (or white space unless ``accept_white``), a quoted string kept
    whole; returns (token, position of the next non-white character)."""
    n = len(line)
    while pos < n and line[pos] in _C_SPACE:
        pos += 1
    start = pos
    while pos < n and (accept_white or line[pos] not in _C_SPACE) and line[pos] not in ";,":
        c = line[pos]
        pos += 1
        if c == '"':
            while pos < n:
                pos += 1
                if line[pos - 1] == '"':
                    break
    token = line[start:pos]
    while pos < n and line[pos] in _C_SPACE:
        pos += 1
    return token, pos


def field_noparam(intype: str) -> str:
    """ap_field_noparam: a field value up to its first ';', without the white space
    before it (``text/html; charset=utf-8`` -> ``text/html``)."""
    semi = intype.find(";")
    if semi < 0:
        return intype
    return intype[:semi].rstrip(" \t\n\v\f\r")
