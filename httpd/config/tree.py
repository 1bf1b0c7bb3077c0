"""The directive tree built by the read pass (Apache's ap_directive_t)."""
from __future__ import annotations

from typing import Optional


class Node:
    """One directive record: name as typed, raw argument text, file and line.

    Sections have ``children`` (a list, possibly empty); plain directives have None.
    """

    __slots__ = ("name", "args", "filename", "line", "children", "parent", "_chain")

    def __init__(self, name: str, args: str, filename: str, line: int,
                 children: Optional[list["Node"]] = None, parent: Optional["Node"] = None):
        self.name = name
        self.args = args
        self.filename = filename
        self.line = line
        self.children = children
        self.parent = parent
        self._chain: Optional[dict] = None

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        kids = "" if self.children is None else f" +{len(self.children)}"
        return f"<Node {self.name} {self.args!r} {self.filename}:{self.line}{kids}>"

    def chain(self) -> dict:
        """This node and its enclosing sections: lower-cased name -> nearest node.
        Computed once per section; the walk's context checks ask it for every child."""
        c = self._chain
        if c is None:
            c = dict(self.parent.chain()) if self.parent is not None else {}
            c[self.name.lower()] = self
            self._chain = c
        return c

    def walk(self):
        """This node and every node below it, in file order."""
        yield self
        for c in self.children or ():
            yield from c.walk()
