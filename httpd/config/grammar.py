"""The word grammar of Apache config lines, in pyparsing.

The grammar knows no directive.  A logical line (see :mod:`httpd.config.lines`) is a
sequence of words, each either *quoted* (starts with ``"`` or ``'``, runs to the next
unescaped copy of that quote or to the end of the line; ``\\<quote>`` and ``\\\\`` are
escapes) or *bare* (a run of non-whitespace in which ``\\\\`` collapses to ``\\``).
Whitespace is C ``isspace``.  This is Apache's ``ap_getword_conf``.

The hot path (100,000-line configs) calls :func:`getword_conf`, which runs the regular
expressions that the pyparsing elements below compile to, so the grammar is declared
once and used at C-like granularity.
"""
from __future__ import annotations

import re

import pyparsing as pp

WHITESPACE = " \t\n\r\v\f"

# Quoted words: the escape rules are Apache's, not pyparsing's QuotedString defaults.
DQ_WORD = pp.Regex(r'"(?P<body>(?:\\["\\]|[^"])*)(?:"|\Z)').set_name("double-quoted word")
SQ_WORD = pp.Regex(r"'(?P<body>(?:\\['\\]|[^'])*)(?:'|\Z)").set_name("single-quoted word")
BARE_WORD = pp.Regex(r"(?P<body>[^ \t\n\r\v\f]+)").set_name("bare word")
WORD = (DQ_WORD | SQ_WORD | BARE_WORD).set_name("word")

for _el in (DQ_WORD, SQ_WORD, BARE_WORD, WORD):
    _el.set_whitespace_chars(" \t\n\r\v\f", copy_defaults=False)

_SPACE = re.compile(r"[ \t\n\r\v\f]*")
_WORD_RE = {
    '"': DQ_WORD.re,
    "'": SQ_WORD.re,
}
_BARE_RE = BARE_WORD.re
_UNESCAPE = {
    '"': re.compile(r'\\(["\\])'),
    "'": re.compile(r"\\(['\\])"),
    None: re.compile(r"\\(\\)"),
}


def _unescape(body: str, quote: str | None) -> str:
    if "\\" not in body:
        return body
    return _UNESCAPE[quote].sub(r"\1", body)


def _word_value(tok: str) -> str:
    q = tok[0]
    if q in "\"'":
        m = _WORD_RE[q].match(tok)
        return _unescape(m.group("body"), q)
    return _unescape(tok, None)


for _el in (DQ_WORD, SQ_WORD, BARE_WORD):
    _el.set_parse_action(lambda t: _word_value(t[0]))


_PLAIN = re.compile(r"[^ \t\n\r\v\f\"'\\]+\Z")


def single_word(text: str) -> str | None:
    """``text`` itself when it is one bare word with nothing to unescape (the common
    case of a one-argument directive), else None: then use getword_conf."""
    return text if _PLAIN.match(text) else None


def first_word(line: str) -> tuple[str, int]:
    """getword_conf for the first word of a line, fast when it is bare."""
    m = _FIRST.match(line)
    word = m.group(1)
    if "\\" in word or word[:1] in ("\"", "'"):
        return getword_conf(line)
    return word, m.end()


_FIRST = re.compile(r"[ \t\n\r\v\f]*([^ \t\n\r\v\f]*)[ \t\n\r\v\f]*")


def getword_conf(line: str, pos: int = 0) -> tuple[str, int]:
    """Return (word, new_pos) like ``ap_getword_conf``: skips leading and trailing space.

    An empty word means the line is exhausted (or the word was ``""``).
    """
    pos = _SPACE.match(line, pos).end()
    if pos >= len(line):
        return "", pos
    q = line[pos]
    if q == '"' or q == "'":
        m = _WORD_RE[q].match(line, pos)
        word = _unescape(m.group("body"), q)
    else:
        m = _BARE_RE.match(line, pos)
        word = _unescape(m.group("body"), None)
    return word, _SPACE.match(line, m.end()).end()


