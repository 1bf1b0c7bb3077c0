"""URLs and paths in them: ap_is_url and ap_os_escape_path / ap_escape_uri
(server/util.c)."""
from __future__ import annotations

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
