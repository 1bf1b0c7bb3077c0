"""ap_pbase64decode: APR's lenient decoder (httpd/util/b64.py)."""
from __future__ import annotations

import pytest

from httpd.util.b64 import pbase64decode, pbase64encode


@pytest.mark.parametrize("text,decoded", [
    ("YmM6c2VjcmV0", "bc:secret"),
    ("YmM6c2VjcmV0===", "bc:secret"),          # stops at '='
    ("YmM6c2VjcmV0!junk", "bc:secret"),        # stops at the first other character
    ("YmM6c2Vj cmV0", "bc:sec"),               # a space ends it too
    ("YmM6c2VjcmV0a", "bc:secret"),            # a last lone character is dropped
    ("!!!YmM6", ""),
    ("", ""),
    ("YQBi", "a"),                             # a NUL ends the C string
    ("-_-_", ""),                              # the URL alphabet is not APR's
])
def test_pbase64decode(text, decoded):
    assert pbase64decode(text) == decoded


def test_round_trip_latin1():
    assert pbase64decode(pbase64encode("\xe9t\xe9:x")) == "\xe9t\xe9:x"
