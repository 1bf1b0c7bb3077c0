"""ap_pregsub (httpd/util/regsub.py), as server/util.c regsub_core substitutes."""
from __future__ import annotations

import re

import pytest

from httpd.util.regsub import AP_PREGSUB_MAXLEN, pregsub

M = re.search(r"^/(a)(b)?(c*)", "/a")


@pytest.mark.parametrize("template,result", [
    ("x$1$2$9y", "xay"),                 # unset ($2) and absent ($9) groups are empty
    ("&$0\\$1\\\\", "&/a$1\\"),           # & is ordinary; \\x is a literal x
    ("$3|", "|"),                        # an empty match adds nothing
    ("$", "$"), ("a\\", "a\\"),          # a lone $ or a trailing backslash stay
    ("[$\xb2$1]", "[$\xb2a]"),           # apr_isdigit is ASCII: "$" + 0xB2 stays
    ("[$\u0663$1]", "[$\u0663a]"),
    ("plain", "plain"),
])
def test_substitution(template, result):
    assert pregsub(template, M) == result


def test_no_match_leaves_every_reference_empty():
    """An ap_expr condition without a regex: no captures."""
    assert pregsub("<$0$1>\\$", None) == "<>$"


def test_the_length_cap():
    """NULL when the result is AP_PREGSUB_MAXLEN (64 KiB) or longer, references or not."""
    m = re.search("(.*)", "a" * 8000)
    assert pregsub("$1" * 9, m) is None
    assert pregsub("$1" * 8, m) == "a" * 64000
    assert pregsub("v" * AP_PREGSUB_MAXLEN, m) is None
    assert pregsub("v" * (AP_PREGSUB_MAXLEN - 1), m) == "v" * (AP_PREGSUB_MAXLEN - 1)
    assert pregsub("$1" * 9, m, maxlen=0) == "a" * 72000
