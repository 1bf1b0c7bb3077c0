"""URLs and paths in them: ap_is_url and ap_os_escape_path / ap_escape_uri
(server/util.c)."""
from __future__ import annotations

import functools

_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-.")


def is_url(u: str) -> bool:
    """ap_is_url: a non-empty scheme of ASCII letters, digits, ``+ - .`` before a ``:``
    (apr_isalnum in the C locale: ``\\xe9:x`` is no URL)."""
    colon = u.find(":")
    if colon <= 0:
        return False
    chars = _SCHEME_CHARS
    for c in u[:colon]:
        if c not in chars:
            return False
    return True


# what ap_os_escape_path leaves alone: not T_OS_ESCAPE_PATH (server/gen_test_char.c)
_PATH_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                       "$-_.+!*'(),:;@&=/~")


def _c2x(c: str) -> str:
    """c2x: ``%`` and two lower-case hex digits (c2x_table) per byte; a character that
    is no byte (text that did not come from the wire) is escaped as its UTF-8 bytes."""
    n = ord(c)
    if n < 256:
        return "%%%02x" % n
    return "".join("%%%02x" % b for b in c.encode("utf-8"))


@functools.lru_cache(maxsize=4096)
def os_escape_path(path: str, partial: bool = False) -> str:
    """ap_os_escape_path: ``%xx`` (lower-case hex) for every character but ASCII letters,
    digits and ``$-_.+!*'(),:;@&=/~`` (so ``;`` stays); unless ``partial``, a path whose
    first ``:`` comes before any ``/`` gets ``./`` in front, so it is not read as a
    scheme."""
    prefix = ""
    if not partial:
        colon = path.find(":")
        if colon >= 0:
            slash = path.find("/")
            if slash < 0 or colon < slash:
                prefix = "./"
    safe = _PATH_SAFE
    for c in path:
        if c not in safe:
            break
    else:
        return prefix + path
    return prefix + "".join(c if c in safe else _c2x(c) for c in path)


def escape_uri(path: str) -> str:
    """ap_escape_uri: ap_os_escape_path(path, 1) (httpd.h), no ``./`` prefix."""
    return os_escape_path(path, True)


def alias_matches(uri: str, fake: str) -> int:
    """mod_alias's alias_matches (also mod_wsgi's wsgi_alias_matches): how many
    characters of ``uri`` the alias ``fake`` matches (0: no match).

    Runs of ``/`` in either match each other; the last alias component must match a
    whole URI component.
    """
    a = u = 0
    while a < len(fake):
        if fake[a] == "/":
            if u >= len(uri) or uri[u] != "/":
                return 0
            while a < len(fake) and fake[a] == "/":
                a += 1
            while u < len(uri) and uri[u] == "/":
                u += 1
        else:
            if u >= len(uri) or uri[u] != fake[a]:
                return 0
            a += 1
            u += 1
    if fake[-1:] != "/" and u < len(uri) and uri[u] != "/":
        return 0
    return u


_SEGMENT_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                          "$-_.+!*'(),:@&=~")


def escape_path_segment(segment: str) -> str:
    """ap_escape_path_segment: every character but alphanumerics and
    ``$-_.+!*'(),:@&=~`` as %xx (so ``/``, ``;``, ``?`` and ``#`` are escaped)."""
    for c in segment:
        if c not in _SEGMENT_SAFE:
            return "".join(c if c in _SEGMENT_SAFE else _c2x(c) for c in segment)
    return segment


_HEX = "0123456789abcdefABCDEF"


def unescape_url(s: str) -> str:
    """ap_unescape_url as a caller that ignores its status sees the result: every valid
    ``%hh`` decoded (``%2F`` too), a bad escape left as it is, and the string cut at
    a decoded NUL (a C string ends there)."""
    if "%" not in s:
        return s
    out, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if c == "%" and i + 2 < n and s[i + 1] in _HEX and s[i + 2] in _HEX:
            ch = chr(int(s[i + 1:i + 3], 16))
            if ch == "\0":
                break
            out.append(ch)
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


def no2slash(name: str) -> str:
    """ap_no2slash: every run of slashes as one slash."""
    if "//" not in name:
        return name
    out = []
    prev = ""
    for c in name:
        if not (c == "/" and prev == "/"):
            out.append(c)
        prev = c
    return "".join(out)


def make_dirstr_parent(path: str) -> str:
    """ap_make_dirstr_parent: ``path`` up to and including its last '/' ("" without one)."""
    return path[:path.rfind("/") + 1]
