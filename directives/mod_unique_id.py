"""mod_unique_id (modules/metadata/mod_unique_id.c): ``UNIQUE_ID``, a token no other
request gets.

As 2.4's: 20 bytes -- the request's second (big-endian), 10 random bytes drawn once per
serving process (child_init), a 16-bit counter (from a random start, modulo 65535) and
the connection's id -- written in base64's URL alphabet, 27 characters.  Set in
post_read_request; an internal redirect keeps its request's (``REDIRECT_UNIQUE_ID``),
and a request that already logged an error line keeps the id that line printed.  The
module also answers generate_log_id, so the error log's ``%L`` is the request's
UNIQUE_ID (a connection's lines keep the core's ids).
"""
from __future__ import annotations

import base64
import itertools
import os
import struct

from httpd.module import Module
from httpd.module.hooks import DECLINED, MIDDLE

MODULE_NAME = "unique_id_module"
ROOT_SIZE = 10
_RECORD = struct.Struct(">I10sHI")     # stamp, root, counter, thread_index (no padding)

_root = os.urandom(ROOT_SIZE)
_counter = itertools.count(int.from_bytes(os.urandom(4), "big"))


def child_init(process, server) -> None:
    """unique_id_child_init: this process's root and counter start."""
    global _root, _counter
    _root = os.urandom(ROOT_SIZE)
    _counter = itertools.count(int.from_bytes(os.urandom(4), "big"))


def gen_unique_id(r) -> str:
    # itertools.count's next() is one call under the GIL: no two threads get one value
    counter = (next(_counter) & 0xFFFFFFFF) % 0xFFFF
    raw = _RECORD.pack(int(r.request_time) & 0xFFFFFFFF, _root, counter,
                       r.conn.id & 0xFFFFFFFF)
    return base64.urlsafe_b64encode(raw).decode("ascii")[:27]


def set_unique_id(r) -> int:
    """set_unique_id (post_read_request, MIDDLE)."""
    uid = r.subprocess_env.get("REDIRECT_UNIQUE_ID") if r.prev is not None else None
    if not uid:
        uid = r.log_id or gen_unique_id(r)
    r.subprocess_env["UNIQUE_ID"] = uid
    return DECLINED


def generate_log_id(c, r):
    """generate_log_id: a request's UNIQUE_ID (made now when it has none yet)."""
    if r is None:
        return DECLINED
    return r.subprocess_env.get("UNIQUE_ID") or gen_unique_id(r)


MODULE = Module(
    MODULE_NAME, "mod_unique_id.c", (),
    hooks={"child_init": (child_init, MIDDLE), "post_read_request": (set_unique_id, MIDDLE),
           "generate_log_id": (generate_log_id, MIDDLE)},
    doc=('Provides a magic token for each request which is guaranteed to be unique '
         'across "all" requests under very specific conditions.'),
)
