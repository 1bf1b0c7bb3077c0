"""apr_parse_addr_port (httpd/util/addr.py), the one parser of Listen, <VirtualHost> and
Host addresses."""
from __future__ import annotations

import pytest

from httpd.util.addr import AddrError, parse_addr_port


@pytest.mark.parametrize("text,parsed", [
    ("80", (None, None, 80)), ("65535", (None, None, 65535)),
    ("4294967376", (None, None, 80)),           # atoi keeps the low 32 bits, as APR's
    ("*:80", ("*", None, 80)), ("*:abc", ("*:abc", None, 0)),
    ("host:81", ("host", None, 81)), ("127.0.0.1:08080", ("127.0.0.1", None, 8080)),
    ("host:4294967376", ("host", None, 80)),
    ("[::1]:8080", ("::1", None, 8080)), ("[::1]", ("::1", None, 0)),
    ("[fe80::1%eth0]", ("fe80::1", "eth0", 0)), ("[fe80::1%eth0]:80", ("fe80::1", "eth0", 80)),
    ("::1", (":", None, 1)),                    # the last ':' splits off the port
    ("abc", ("abc", None, 0)), ("127.0.0.1:", ("127.0.0.1:", None, 0)),
    ("127.0.0.1:-1", ("127.0.0.1:-1", None, 0)),
    ("host:\u0663", ("host:\u0663", None, 0)),  # apr_isdigit is ASCII
])
def test_parses(text, parsed):
    assert parse_addr_port(text) == parsed


@pytest.mark.parametrize("text", ["", "0", "65536", ":80", "x:0", "x:65536",
                                  "99999999999999999999", "[zzz]:80", "[127.0.0.1]:80",
                                  "[fe80::1%]:80", "[::1]x:80", "[::1", "[zz]"])
def test_invalid(text):
    with pytest.raises(AddrError):
        parse_addr_port(text)
