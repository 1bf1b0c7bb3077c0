"""The bytes of small static files, kept per process and checked against the stat that
the directory walk makes for every request anyway.

Apache opens and reads (or maps) a file for every response.  Here a file of at most
``SMALL_FILE`` bytes that was opened and read once is served from memory while its
identity and times are unchanged: device, inode, size, mtime and ctime (in ns) of the
request's own ``stat``.  Any write, truncation, rename over it, chmod or chown changes
one of them (ctime cannot be set from user space), so the answer is the one a fresh
open would give, without the open, read and close.  A failed open is never cached.
The cache holds at most ``MAX_BYTES`` (4 MB) per process and is emptied when full.
"""
from __future__ import annotations

import os
from typing import Optional

from httpd.request.record import SMALL_FILE, FileRange

MAX_BYTES = 4 << 20
MAX_FILE = SMALL_FILE


def _identity(st: os.stat_result) -> tuple:
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class SmallFileCache:
    __slots__ = ("_files", "_bytes", "max_bytes")

    def __init__(self, max_bytes: int = MAX_BYTES):
        self._files: dict[str, tuple[tuple, FileRange]] = {}   # the body holds the bytes
        self._bytes = 0
        self.max_bytes = max_bytes

    def get(self, path: str, st: os.stat_result) -> Optional[bytes]:
        """The file's bytes when what was read is still what the stat describes."""
        body = self.whole(path, st)
        return body.data if body is not None else None

    def whole(self, path: str, st: os.stat_result) -> Optional[FileRange]:
        """The whole file as a response body (a FileRange holding its bytes: immutable,
        so one serves every response) when what was read is still what the stat
        describes."""
        entry = self._files.get(path)
        if entry is not None and entry[0] == (st.st_ino, st.st_dev, st.st_size,
                                              st.st_mtime_ns, st.st_ctime_ns):
            return entry[1]
        return None

    def put(self, path: str, st: os.stat_result, data: bytes) -> None:
        if len(data) != st.st_size or len(data) > MAX_FILE:
            return                       # it changed while we read it: do not keep it
        if self._bytes + len(data) > self.max_bytes:
            self._files.clear()
            self._bytes = 0
        old = self._files.get(path)
        if old is not None:
            self._bytes -= old[1].length
        self._files[path] = (_identity(st), FileRange(path, 0, len(data), data))
        self._bytes += len(data)

    def __len__(self) -> int:
        return len(self._files)


CACHE = SmallFileCache()
