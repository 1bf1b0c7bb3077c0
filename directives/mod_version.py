"""mod_version: ``<IfVersion [[!]op] version>``, evaluated while the config is read.

It compares against the Apache release this server follows (APACHE_COMPAT_VERSION),
since configs written for Apache test Apache's version numbers.
"""
from __future__ import annotations

import re

from httpd import APACHE_COMPAT_VERSION
from httpd.config import reader
from httpd.module import EXEC_ON_READ, OR_ALL, Args, Module, directive

_VERSION = re.compile(r"^(\d+)(?:\.(\d+)(?:\.(\d+))?)?$")
_BAD_VERSION = ("Version appears to be invalid. It must have the format "
                "major[.minor[.patch]] where major, minor and patch are numbers.")
HTTPD = tuple(int(x) for x in APACHE_COMPAT_VERSION.split("."))


def _compare(text: str) -> tuple[int, str | None]:
    m = _VERSION.match(text)
    if not m:
        return 0, _BAD_VERSION
    v = tuple(int(g or 0) for g in m.groups())
    return (HTTPD > v) - (HTTPD < v), None


def _regex(pattern: str) -> tuple[bool, str | None]:
    try:
        return re.search(pattern, APACHE_COMPAT_VERSION) is not None, None
    except re.error:
        return False, "Unable to compile regular expression"


@directive("<IfVersion", Args.TAKE123, OR_ALL | EXEC_ON_READ,
           "a comparison operator, a version (and a delimiter)")
def if_version(cmd, sub_tree, arg1, arg2, arg3):
    name = cmd.cmd.name
    if arg2 is None:                      # one word: equality
        arg1, arg2 = "=", arg1
    if arg3 is None and arg2 == ">":      # '<IfVersion "2.4" >' style
        arg1, arg2, arg3 = "=", arg1, ">"
    closed_by_arg3 = arg3 == ">"
    if not arg2 or (not closed_by_arg3 and not arg2.endswith(">")):
        return f"{name}> directive missing closing '>'"
    if not closed_by_arg3:
        arg2 = arg2[:-1]
    op = arg1
    reverse = False
    if op.startswith("!"):
        reverse = True
        if len(op) > 1:
            op = op[1:]
    c, p = op[:1], op[1:]
    match = False
    compare = -1
    error = None
    if p == "" or (p == "=" and c != "~"):
        if c == "=" and not arg2.startswith("/"):
            compare, error = _compare(arg2)
            compare = 1 if compare == 0 else -1
        elif c == "=" or c == "~":
            pattern = arg2
            if c == "=":
                if len(arg2) < 2 or not arg2.endswith("/"):
                    return "Missing delimiting / of regular expression."
                pattern = arg2[1:-1]
            match, error = _regex(pattern)
        elif c in "<>":
            cmpv, error = _compare(arg2)
            if c == "<":
                ok = cmpv < 0 or (p == "=" and cmpv == 0)
            else:
                ok = cmpv > 0 or (p == "=" and cmpv == 0)
            compare = 1 if ok else -1
        else:
            return f"unrecognized operator '{arg1}'"
    else:
        return f"unrecognized operator '{arg1}'"
    if error:
        return error
    result = match or compare > 0
    reader.conditional(cmd, sub_tree, result != reverse)
    return None


MODULE = Module("version_module", "mod_version.c", (if_version,),
                doc="Version dependent configuration")
