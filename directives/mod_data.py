"""mod_data (modules/filters/mod_data.c): the DATA output filter turns a response into
an RFC 2397 ``data:`` URL.

The body becomes ``data:<type><charset>;base64,<the body in base64>`` and the response
``text/plain``: ``<type>`` is the content type up to its first space and ``<charset>``
the word after it, as mod_data splits ``text/html; charset=utf-8`` (giving
``data:text/html;charset=utf-8;base64,``).  Main requests only (ap_is_initial_req);
the length is the encoded one.
"""
from __future__ import annotations

import base64

from httpd.http.filter import AP_FTYPE_RESOURCE, register_output_filter
from httpd.module import Module

MODULE_NAME = "data_module"
FILTER_NAME = "DATA"


def data_out_filter(f, src):
    r = f.r
    if r.main is not None or r.prev is not None:
        return src
    ctype = r.content_type
    head = ctype or ""
    charset = ""
    if ctype and " " in ctype:
        head, _, rest = ctype.partition(" ")
        charset = rest.partition(" ")[0]
    prefix = f"data:{head}{charset};base64,".encode("latin-1")
    r.content_type = "text/plain"
    return _encoded(prefix, src)


def _encoded(prefix: bytes, src):
    """The prefix, then the body in base64, 3-byte groups across the pieces."""
    out = [prefix]
    carry = b""
    for piece in src:
        data = carry + piece
        whole = len(data) - len(data) % 3
        carry = data[whole:]
        if whole:
            out.append(base64.b64encode(data[:whole]))
        if sum(map(len, out)) >= 65536:      # pass on what is ready
            yield b"".join(out)
            out = []
    if carry:
        out.append(base64.b64encode(carry))
    if out:
        yield b"".join(out)


register_output_filter(FILTER_NAME, data_out_filter, AP_FTYPE_RESOURCE, module=MODULE_NAME)

MODULE = Module(MODULE_NAME, "mod_data.c", (), doc="Convert response body into an RFC2397 "
                "data URL")
