"""Generate docs/directives.md from the module tables (the same data as `httpd -L`).

    python -m httpd.main.docgen > docs/directives.md
"""
from __future__ import annotations

import sys

from httpd.main.info import allowed_text
from httpd.module import Args
from httpd.module.registry import catalogue, import_module_decl

ARITY = {
    Args.RAW_ARGS: "free-form", Args.TAKE_ARGV: "any words", Args.NO_ARGS: "none",
    Args.TAKE1: "1", Args.TAKE2: "2", Args.TAKE12: "1-2", Args.TAKE3: "3",
    Args.TAKE23: "2-3", Args.TAKE123: "1-3", Args.TAKE13: "1 or 3",
    Args.ITERATE: "1 or more", Args.ITERATE2: "2 or more", Args.FLAG: "On/Off",
}


def render() -> str:
    out = ["# Directive reference", "",
           "Generated from the module tables by `python -m httpd.main.docgen` (the data behind "
           "`httpd -L`). Built-in modules are always present; the others are loaded with "
           "`LoadModule NAME_module modules/mod_NAME.so` (the directory part is ignored).", ""]
    cat = catalogue()
    builtin = cat.prelinked
    names = list(builtin) + [n for n in cat.modules if n not in builtin]
    for name in names:
        m = import_module_decl(name, cat)
        kind = "built-in" if name in builtin else "loadable"
        out += [f"## {m.name} ({m.source}, {kind})", ""]
        if m.doc:
            out += [m.doc, ""]
        if not m.directives:
            out += ["No directives.", ""]
            continue
        out += ["| directive | arguments | context | description |", "|---|---|---|---|"]
        for d in m.directives:
            ctx = allowed_text(d, m).replace("\tAllowed in ", "").replace("\n\t", " ")
            help_ = (d.help or "").replace("|", "\\|").replace("\n", " ")
            name_ = d.name + (">" if d.is_section else "")
            out.append(f"| `{name_}` | {ARITY[d.args]} | {ctx} | {help_} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(render())
