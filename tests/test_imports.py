"""The import structure: every module imports alone, the core names no module.

- Every module of httpd/, directives/ and mpms/ imports in a fresh interpreter, on its
  own (an import circle shows up as "partially initialized module").
- httpd/ imports nothing from directives/ or mpms/, not even inside a function, and holds
  no string naming one of their modules; mpms/ and directives/ do not import each other.
- No code in httpd/ spells another module's identifier ("xxx_module"): the core knows
  its own (CORE_MODULE in httpd.module, re-exported by httpd.core; HTTP_MODULE in
  httpd.http.core; each spelt once) and reaches the others through hooks, providers and
  the catalogues.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("httpd", "directives", "mpms")
# importing it starts a server
NOT_ALONE = {"httpd.__main__"}
# the core's own identifiers, each defined once
OWN_NAMES = {("httpd/module/__init__.py", "core_module"), ("httpd/http/core.py", "http_module")}
MODULE_ID = re.compile(r"[a-z0-9_]+_module")
PACKAGE_PATH = re.compile(r"(directives|mpms)(\.\w+)*")


def _files(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> list[str]:
    return [n for pkg in PACKAGES for n in map(_name, _files(pkg)) if n not in NOT_ALONE]


# One interpreter that has imported none of ours forks once per module: each child
# imports its module into a clean state, as `python -c "import m"` would, without paying
# for an interpreter start each time.
DRIVER = r"""
import os, sys, traceback
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            __import__(name)
        except BaseException:
            sys.stderr.write(f"{name}: {traceback.format_exc().splitlines()[-1]}\n")
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append(name)
print("\n".join(failed))
"""


def test_every_module_imports_alone():
    modules = _modules()
    assert len(modules) > 100
    done = subprocess.run([sys.executable, "-c", DRIVER, *modules], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], done.stderr


def _imports(tree: ast.AST):
    for node in ast.walk(tree):                  # function-local imports included
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _strings(tree: ast.AST):
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings:
            yield node.lineno, node.value


def _found(package: str, test) -> list[str]:
    out = []
    for path in _files(package):
        tree = ast.parse(path.read_text(), str(path))
        rel = str(path.relative_to(ROOT))
        out += [f"{rel}:{line}: {what}" for line, what in test(rel, tree)]
    return out


def test_the_core_imports_no_module():
    def bad(rel, tree):
        return [(line, m) for line, m in _imports(tree) if m.split(".")[0] in ("directives", "mpms")]
    assert _found("httpd", bad) == []
    # the same as the shell check: grep -rnE '^\s*(from|import) (directives|mpms)' httpd/
    done = subprocess.run(["grep", "-rnE", r"^\s*(from|import) (directives|mpms)", "httpd/",
                           "--include=*.py"], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout == ""


def test_mpms_and_modules_do_not_import_each_other():
    def names(top):
        return lambda rel, tree: [(line, m) for line, m in _imports(tree)
                                  if m.split(".")[0] == top]
    assert _found("mpms", names("directives")) == []
    assert _found("directives", names("mpms")) == []


def test_the_core_spells_no_other_modules_name():
    def bad(rel, tree):
        out = []
        for line, s in _strings(tree):
            if MODULE_ID.fullmatch(s) and (rel, s) not in OWN_NAMES:
                out.append((line, repr(s)))
            elif PACKAGE_PATH.fullmatch(s):
                out.append((line, repr(s)))
        return out
    assert _found("httpd", bad) == []


def test_the_cores_names_are_spelt_once():
    seen = {}
    for rel, name in OWN_NAMES:
        seen[name] = _found("httpd", lambda r, tree, n=name: [
            (line, s) for line, s in _strings(tree) if s == n])
    assert {n: len(v) for n, v in seen.items()} == {"core_module": 1, "http_module": 1}, seen


def _module_level_imports(tree: ast.Module):
    """Imports run when the module is imported: top level, and under top-level if/try."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo += node.orelse                         # for type checkers only
        elif isinstance(node, (ast.If, ast.Try)):
            todo += node.body + node.orelse + getattr(node, "finalbody", [])
            for h in getattr(node, "handlers", []):
                todo += h.body


def test_no_module_level_import_circle():
    known = set(_modules()) | NOT_ALONE
    graph: dict[str, set[str]] = {}
    for pkg in PACKAGES:
        for path in _files(pkg):
            me = _name(path)
            edges = graph.setdefault(me, set())
            for target in _module_level_imports(ast.parse(path.read_text())):
                parts = target.split(".")
                for i in range(1, len(parts) + 1):      # importing a.b.c runs a, a.b too
                    t = ".".join(parts[:i])
                    if t in known and t != me and not me.startswith(t + "."):
                        edges.add(t)
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert circles == []
