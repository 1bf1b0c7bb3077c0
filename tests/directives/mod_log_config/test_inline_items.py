"""The items compile_format writes inline (no call: %h %l %u %t %r %s %b %B) give what
their functions give, over values that take each function's other branches (a masked
request line, escaping, no user, an empty user, status 0, no body)."""
from __future__ import annotations

import pytest

from directives import mod_log_config as lc
from directives.mod_log_config.items import _INLINE, compile_format, render
from tests.log.helpers import FUNCTIONS, HANDLERS, make_request

FORMAT = '%h %l %u %t "%r" %>s %<s %b %B %400,501s %!200r'

CASES = [
    {},
    {"user": None}, {"user": ""}, {"user": 'a"b\\c\x01é'},
    {"the_request": "GET http://u:pw@host/x HTTP/1.1", "unparsed_uri": "http://u:pw@host/x"},
    {"the_request": 'GET /a"b\\c HTTP/1.1'}, {"the_request": "GET /\x7f\xe9 HTTP/1.1"},
    {"the_request": "GET /a b"}, {"the_request": ""},
    {"status": 0}, {"status": 400}, {"status": -1}, {"sent_bodyct": False},
    {"bytes_sent": 0}, {"request_time": 1795691513.9999996},
]


def _called(items):
    """``items`` compiled with every item a call (no inline expression)."""
    plain = {tag: (lambda fn: lambda r, a: fn(r, a))(fn) for tag, fn in FUNCTIONS.items()}
    return compile_format(items, plain)


@pytest.mark.parametrize("kw", CASES, ids=[str(c) for c in CASES])
def test_inline_items_agree_with_their_functions(kw):
    items, err = lc.parse_log_string(FORMAT, HANDLERS)
    assert err is None
    fast = compile_format(items, FUNCTIONS)
    assert "f0(" not in fast.source            # %h went inline
    r = make_request(**kw)
    assert render(fast, r, r) == render(_called(items), r, r)


def test_every_inline_tag_is_an_item():
    assert set(_INLINE) <= set(FUNCTIONS)
