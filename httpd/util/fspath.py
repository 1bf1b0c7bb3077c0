"""Paths between the server and the file system.

The server keeps a path as Apache keeps it, one character per byte: the config is read
as latin-1 and a request's URI is decoded to latin-1 characters, so ``/caf%C3%A9``
names the file whose name is the bytes ``caf\\xc3\\xa9``.  Python's os functions would
encode such a string as UTF-8 (``\\xc3\\x83\\xc2\\xa9``): every call that takes a path
from the config or the request goes through :func:`fs_path`, and names read from a
directory come back as their bytes' latin-1 strings (:func:`listdir`, or a bytes
scandir decoded so).
"""
from __future__ import annotations

import os
from typing import Union


def fs_path(path: str) -> Union[str, bytes]:
    """The path for an os function: as it is when ASCII (the usual case, no copy), else
    its bytes.  A character past latin-1 cannot come from the config or a request (a
    path made by Python itself, say): it is encoded the file system's way."""
    if path.isascii():
        return path
    try:
        return path.encode("latin-1")
    except UnicodeEncodeError:
        return os.fsencode(path)


def listdir(path: str) -> list:
    """os.listdir in the server's convention: every name as its bytes' latin-1 string."""
    p = fs_path(path)
    return [n.decode("latin-1") for n in os.listdir(p if isinstance(p, bytes)
                                                    else p.encode("ascii"))]
