"""Physical lines to logical lines, as Apache's ap_cfg_getline does.

A line ends at LF (a CR before it is dropped).  A line whose last character is a
backslash continues: that one backslash goes and the next physical line is appended
as is (its leading whitespace kept).  The logical line is then trimmed of C
whitespace.  Line numbers count physical lines; a logical line reports its last one.
"""
from __future__ import annotations

from typing import Optional

from httpd.util.fspath import fs_path

WS = " \t\n\r\v\f"
MAX_LINE = 16 * 1024 * 1024


class LineTooLong(Exception):
    def __init__(self, line_number: int):
        super().__init__("Line too long")
        self.line_number = line_number


class ConfigFile:
    """A config source read line by line: a file's text or a list of lines (-C/-c)."""

    __slots__ = ("name", "_lines", "_pos", "line_number", "_outer")

    def __init__(self, name: str, text: str | None = None, lines: list[str] | None = None):
        self.name = name
        if lines is None:
            lines = text.split("\n")
            if lines and lines[-1] == "":
                lines.pop()  # the text ended with LF: no further line
        self._lines = lines
        self._pos = 0
        self.line_number = 0
        self._outer: list[tuple] = []   # sources to return to after a pushed one

    def push(self, name: str, lines: list[str]) -> None:
        """Read ``lines`` next, under their own name and line numbers, then carry on with
        the current source: how mod_macro splices an expansion into the file."""
        self._outer.append((self.name, self._lines, self._pos, self.line_number))
        self.name, self._lines, self._pos, self.line_number = name, lines, 0, 0

    @classmethod
    def from_lines(cls, name: str, lines: list[str]) -> "ConfigFile":
        # -C/-c: each argument is one line, never continued
        return cls(name, lines=[l.replace("\n", " ") for l in lines])

    def getline(self) -> Optional[str]:
        """The next logical line, trimmed (possibly empty), or None at end of file."""
        lines = self._lines
        pos = self._pos
        while pos >= len(lines):
            if not self._outer:
                return None
            self.name, self._lines, self._pos, self.line_number = self._outer.pop()
            lines, pos = self._lines, self._pos
        line = lines[pos]
        pos += 1
        if line.endswith("\r"):
            line = line[:-1]
        if line.endswith("\\"):
            parts = [line[:-1]]
            size = len(line)
            while pos < len(lines):
                nxt = lines[pos]
                pos += 1
                if nxt.endswith("\r"):
                    nxt = nxt[:-1]
                size += len(nxt)
                if size > MAX_LINE:
                    self._pos = self.line_number = pos
                    raise LineTooLong(pos)
                if nxt.endswith("\\"):
                    parts.append(nxt[:-1])
                    continue
                parts.append(nxt)
                break
            line = "".join(parts)
        elif len(line) > MAX_LINE:
            self._pos = self.line_number = pos
            raise LineTooLong(pos)
        self._pos = self.line_number = pos
        return line.strip(WS)


def pcfg_lines(path: str):
    """ap_pcfg_openfile and ap_cfg_getline over a text file a module reads at request
    time (htpasswd, group files): its logical lines, trimmed, without the empty ones
    and those starting with ``#``.  Raises OSError (the file cannot be read)."""
    with open(fs_path(path), "rb") as f:
        text = f.read().decode("latin-1")
    source = ConfigFile(path, text)
    while True:
        line = source.getline()
        if line is None:
            return
        if line and line[0] != "#":
            yield line
