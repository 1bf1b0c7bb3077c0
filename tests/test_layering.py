"""The dependency rule of docs/architecture.md, read from the imports themselves.

Every ``import`` and ``from ... import`` in httpd/, directives/ and mpms/ (module level and
inside functions alike: a lazy import is still a dependency) is checked against the layers
below.  A module may import its own layer and the layers beneath it, never one above.
``directives`` and ``mpms`` sit above the whole core and do not import each other: a module
and an MPM meet only through hooks and the MPM query interface.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Low to high.  A module belongs to the longest prefix that names it.
LAYERS = (
    "httpd",               # the package itself: version strings, nothing else
    "httpd.util",          # util.c and friends: one copy of each Apache routine
    "httpd.module",        # Module/Directive declarations, hooks, registry, build
    "httpd.log",           # log.c: error log, its format, sinks, piped logs
    "httpd.config",        # config.c: grammar, read and walk passes, process and server records
    "httpd.protocol",      # sans-I/O HTTP/1.1
    "httpd.core.config",   # core_dir_config / core_server_config (http_core.h)
    "httpd.expr",          # ap_expr
    "httpd.request",       # request.c, vhost.c: record, walks, subrequests, vhosts
    "httpd.http",          # modules/http: request processing, header filter, errors
    "httpd.core",          # core.c: the core module's directives, handler and hooks
    "httpd.io",            # connection.c, core_filters.c
    "httpd.mpm",           # what every MPM shares
    "httpd.main",          # main.c: the command line
    "httpd.__main__",      # python -m httpd
)
TOP = ("directives", "mpms")   # above every layer of httpd; never import each other
RANK = {}
for _i, _layer in enumerate(LAYERS):
    for _name in (_layer if isinstance(_layer, tuple) else (_layer,)):
        RANK[_name] = _i


def layer_of(module: str) -> str | None:
    best = None
    for name in tuple(RANK) + TOP:
        if module == name or module.startswith(name + "."):
            if best is None or len(name) > len(best):
                best = name
    return best


def rank(layer: str) -> int:
    return len(LAYERS) if layer in TOP else RANK[layer]


def imports_of(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, imported module) for every import statement in ``source``."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not node.level and target in ("httpd", "directives", "mpms"):
                out += [(node.lineno, f"{target}.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, target))
    return out


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    here = layer_of(module)
    if here is None:
        return []
    found = []
    for line, target in imports_of(source, module, is_package):
        there = layer_of(target)
        if there is None or there == here or (here not in TOP and there not in TOP
                                               and rank(there) == rank(here)):
            continue
        if here in TOP and there in TOP:
            found.append(f"{module}:{line} imports {target} ({here} and {there} meet only "
                         "through hooks)")
        elif rank(there) > rank(here):
            found.append(f"{module}:{line} imports {target}: {here} is below {there}")
    return found


def modules():
    for top in ("httpd", "directives", "mpms"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            yield ".".join(parts), path


def test_every_import_respects_the_layers():
    found = []
    for module, path in modules():
        found += violations(path.read_text(), module, path.name == "__init__.py")
    assert not found, "\n".join(found)


def test_the_core_imports_no_module_and_no_mpm():
    """The acceptance grep of issue B1, as a test."""
    import re
    pattern = re.compile(r"^\s*(from|import) (directives|mpms)\b", re.M)
    offenders = [f"{p.relative_to(ROOT)}: {m.group(0).strip()}"
                 for _, p in modules() if p.relative_to(ROOT).parts[0] == "httpd"
                 for m in pattern.finditer(p.read_text())]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("module,source", [
    ("httpd.protocol._head", "from httpd.io.connection import Connection\n"),
    ("httpd.util.escape", "def f():\n    from httpd.http import request\n"),
    ("httpd.request.vhost", "import directives.mod_alias\n"),
    ("httpd.log.errorlog", "from httpd import main\n"),
    ("mpms.prefork", "from directives.mod_unixd import setup_child\n"),
    ("httpd.core.config", "from httpd.core import handler\n"),
])
def test_a_forbidden_import_is_caught(module, source):
    """The checker fails when an import climbs a layer (here added on purpose)."""
    assert violations(source, module)


@pytest.mark.parametrize("module,source", [
    ("httpd.http.request", "from httpd.request.record import Request\n"),
    ("directives.mod_alias", "from httpd.core.sections import parse_expr\n"),
    ("mpms.worker", "from httpd.mpm.common import MPM\n"),
    ("httpd.core.handler", "from httpd.core.config import CoreDirConfig\n"),
    ("httpd.protocol._head", "from ._events import Limits\n"),
])
def test_an_allowed_import_passes(module, source):
    assert not violations(source, module)
