"""Escaping for HTML and for log files: ap_escape_html, ap_escape_logitem and
ap_escape_errorlog_item (server/util.c).

Text from the wire and from config files is held as latin-1 strings (one character per
byte), so a ``\\xhh`` escape names the byte Apache saw.
"""
from __future__ import annotations

from typing import Optional


def escape_html(s: str) -> str:
    """ap_escape_html (ap_escape_html2 without toasc): ``<``, ``>``, ``&`` and ``"``."""
    if "<" not in s and ">" not in s and "&" not in s and '"' not in s:
        return s
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


# T_ESCAPE_LOGITEM (server/gen_test_char.c): not apr_isprint, or '"' or '\\'; the C
# escapes for \b \n \r \t \v, a backslash before '"' and '\\', \xhh for the rest
_NAMED = {"\b": "\\b", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\",
          '"': '\\"'}
_LOGITEM = {i: _NAMED.get(chr(i), "\\x%02x" % i)
            for i in range(256) if not 0x20 <= i < 0x7F or chr(i) in '\\"'}
# ap_escape_errorlog_item: the same table, but '"' goes through ("no need for this in
# error log")
_ERRORLOG_ITEM = {i: v for i, v in _LOGITEM.items() if i != ord('"')}


def _escape(s: str, table: dict) -> str:
    out = s.translate(table)
    if not out.isascii():       # text that did not come from bytes: escape its UTF-8
        out = "".join(c if c.isascii() else "".join("\\x%02x" % b for b in c.encode())
                      for c in out)
    return out


def escape_logitem(s: Optional[str]) -> Optional[str]:
    """ap_escape_logitem, for access-log items: ``\\"``, ``\\\\``, ``\\n`` and the other
    C escapes, ``\\xhh`` for other controls and bytes >= 0x7f.  None stays None (the
    item then prints ``-``)."""
    if s is None:
        return None
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return s
    return _escape(s, _LOGITEM)


def escape_errorlog_item(s: str) -> str:
    """ap_escape_errorlog_item, for error-log messages: as ap_escape_logitem, but a
    double quote is left as it is."""
    if s.isascii() and s.isprintable() and "\\" not in s:
        return s
    return _escape(s, _ERRORLOG_ITEM)


def escape_quotes(s: str) -> str:
    """ap_escape_quotes: a backslash before every ``"`` that has none; a backslash that
    is not the last character escapes the next one, which is copied as it is."""
    if '"' not in s:
        return s
    out = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == '"':
            out.append('\\')
        elif c == "\\" and i + 1 < n:
            out.append(c)
            i += 1
            c = s[i]
        out.append(c)
        i += 1
    return "".join(out)


# T_ESCAPE_SHELL_CMD (server/gen_test_char.c, Unix): a backslash goes before each
_SHELL = {ord(c): "\\" + c for c in "&;`'\"|*?~<>^()[]{}$\\\n"}


def escape_shell_cmd(s: str) -> str:
    """ap_escape_shell_cmd: a backslash before each of ``&;`'"|*?~<>^()[]{}$\\`` and
    newline (mod_cgi's ISINDEX arguments; the script is exec'd, never given to a
    shell, so this is Apache's output, not a safeguard)."""
    return s.translate(_SHELL)
