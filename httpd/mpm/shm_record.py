"""Fixed-offset records in a shared buffer (the scoreboard's global, process and worker
scores): each field is packed with ``struct`` at its offset, so a child writes its own
slot in place, with no lock and no pickling, and every process reads the same bytes."""
from __future__ import annotations

import struct


class _Field:
    """One packed field of a record; reads and writes go straight to the mapping."""

    __slots__ = ("name", "offset", "st")

    def __init__(self, fmt: str, offset: int):
        self.st = struct.Struct("<" + fmt)
        self.offset = offset

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, view, owner=None):
        if view is None:
            return self
        return self.st.unpack_from(view._buf, view._base + self.offset)[0]

    def __set__(self, view, value):
        self.st.pack_into(view._buf, view._base + self.offset, value)


class _Text(_Field):
    """A NUL-padded byte string (Apache's fixed char arrays), read back as latin-1."""

    __slots__ = ("size",)

    def __init__(self, size: int, offset: int):
        super().__init__(f"{size}s", offset)
        self.size = size

    def __get__(self, view, owner=None):
        if view is None:
            return self
        raw = self.st.unpack_from(view._buf, view._base + self.offset)[0]
        return raw.split(b"\0", 1)[0].decode("latin-1")

    def __set__(self, view, value):
        if isinstance(value, str):
            value = value.encode("latin-1", "replace")
        # apr_cpystrn: at most size-1 bytes and always a terminating NUL
        self.st.pack_into(view._buf, view._base + self.offset, value[:self.size - 1])


class _Letter(_Field):
    def __init__(self, offset: int):
        super().__init__("c", offset)

    def __get__(self, view, owner=None):
        if view is None:
            return self
        return chr(view._buf[view._base + self.offset])

    def __set__(self, view, value):
        view._buf[view._base + self.offset] = ord(value)


def _layout(spec: list[tuple[str, str]]) -> tuple[dict[str, _Field], int]:
    """Fields at consecutive offsets (8-byte aligned record size)."""
    fields, off = {}, 0
    for name, fmt in spec:
        if fmt == "letter":
            f: _Field = _Letter(off)
        elif fmt.startswith("text"):
            f = _Text(int(fmt[4:]), off)
        else:
            f = _Field(fmt, off)
        fields[name] = f
        off += f.st.size
    return fields, (off + 7) & ~7


class _View:
    __slots__ = ("_base", "_buf")

    def __init__(self, buf, base: int):
        self._buf = buf
        self._base = base


def record(name: str, spec: list[tuple[str, str]], doc: str):
    fields, size = _layout(spec)
    cls = type(name, (_View,), {"__slots__": (), "__doc__": doc, "SIZE": size,
                                "FIELDS": tuple(fields), **fields})
    for fname, f in fields.items():
        f.__set_name__(cls, fname)
    return cls


