"""apr_base64_decode (apr-util's apr_base64.c) as ap_pbase64decode uses it.

APR's decoder is lenient: it reads the longest prefix of characters of the standard
alphabet (``A-Za-z0-9+/``), stops at the first other one (``=`` included) and ignores
a last group of a single character.  Text is latin-1 (one character per byte); like
the C string it returns, the result ends at its first NUL.
"""
from __future__ import annotations

import base64
import re

_PREFIX = re.compile(r"[A-Za-z0-9+/]*")


def pbase64decode(text: str) -> str:
    """ap_pbase64decode: the decoded bytes as a latin-1 string, cut at a NUL."""
    digits = _PREFIX.match(text).group(0)
    if len(digits) % 4 == 1:
        digits = digits[:-1]
    data = base64.b64decode(digits + "=" * (-len(digits) % 4))
    return data.decode("latin-1").split("\0", 1)[0]


def pbase64encode(text: str) -> str:
    """ap_pbase64encode of a latin-1 string."""
    return base64.b64encode(text.encode("latin-1")).decode("ascii")
