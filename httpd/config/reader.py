"""The read pass: config files to a directive tree, running execute-on-read directives.

This mirrors Apache's config.c (ap_build_config, ap_build_cont_config,
ap_soak_end_container) and the Include machinery (ap_process_fnmatch_configs), so that
the same input fails with the same message at the same line.  Each file, and each true
conditional body, keeps its own section stack.
"""
from __future__ import annotations

import errno
import os
import stat
from fnmatch import fnmatchcase
from typing import Optional

from httpd.config.errors import ConfigError, ReadError
from httpd.config.grammar import first_word, getword_conf
from httpd.config.lines import ConfigFile, LineTooLong
from httpd.config.tree import Node
from httpd.config.walk import CmdParms, invoke_cmd
from httpd.util.fspath import fs_path, listdir

MAX_INCLUDE_DEPTH = 128
MAX_INCLUDE_DIR_DEPTH = 128


def _attach(nodes: list[Node], parent: Optional[Node], into: list[Node]) -> None:
    for n in nodes:
        n.parent = parent
    into.extend(nodes)


def build_config_sub(parms: CmdParms, line: str, stack: list[Node], top: list[Node]) -> None:
    """One logical line: store it, or run it now if it is execute-on-read."""
    if not line or line[0] == "#":
        return
    process = parms.process
    args = process.resolve_env(line) if "${" in line else line
    cmd_name, pos = first_word(args)
    if not cmd_name:
        return
    rest = args[pos:]
    first = cmd_name[0]
    if cmd_name[1:2] != "/":
        if cmd_name[-1] == ">":
            cmd_name = cmd_name[:-1]
        if first == "<" and not rest:
            rest = ">"
    cfg = parms.cfg
    parent = stack[-1] if stack else None
    node = Node(cmd_name, rest, cfg.name, cfg.line_number, None, parent)
    target = parent.children if parent is not None else top

    found = process.registry.commands.get(cmd_name.lower())
    if found is not None and found[1].exec_on_read:
        sub_tree: list[Node] = []
        p = parms.copy(directive=node)
        try:
            err = invoke_cmd(found[1], p, sub_tree, rest)
        except ConfigError as e:
            raise ReadError(e.msg, e.node or node) from None
        if err is not None:
            raise ReadError(err, node)
        _attach(sub_tree, parent, target)
        return

    if first != "<":
        target.append(node)
    elif cmd_name[1:2] != "/":
        node.children = []
        target.append(node)
        stack.append(node)
    elif parent is None:
        raise ReadError(f"{cmd_name} without matching <{cmd_name[2:]} section", node)
    else:
        if not cmd_name.endswith(">"):
            raise ReadError(f"{cmd_name}> directive missing closing '>'", node)
        if cmd_name[2:-1].lower() != parent.name[1:].lower():
            raise ReadError(f"Expected </{parent.name[1:]}> but saw {cmd_name[:-1]}>", node)
        stack.pop()


def _getline(cfg: ConfigFile) -> Optional[str]:
    try:
        return cfg.getline()
    except LineTooLong as e:
        raise ReadError(f"Error reading {cfg.name} at line {e.line_number}: Line too long") from None


def build_config(parms: CmdParms, top: list[Node]) -> None:
    """Read every line of ``parms.cfg`` into ``top``; unclosed sections are an error."""
    stack: list[Node] = []
    cfg = parms.cfg
    getline = cfg.getline
    try:
        while (line := getline()) is not None:
            build_config_sub(parms, line, stack, top)
    except LineTooLong as e:
        raise ReadError(f"Error reading {cfg.name} at line {e.line_number}: Line too long") from None
    if stack:
        msgs = [f"{n.filename}:{n.line}: {n.name}> was not closed." for n in reversed(stack)]
        raise ReadError("\n".join(msgs), stack[0])


def build_cont_config(parms: CmdParms, orig_directive: str) -> list[Node]:
    """The body of a true conditional, up to a line that is exactly ``</Name>``.

    End of file inside the body is accepted silently (as Apache does).
    """
    bracket = (orig_directive[1:] + ">").lower()
    top: list[Node] = []
    stack: list[Node] = []
    cfg = parms.cfg
    while (line := _getline(cfg)) is not None:
        if line[:2] == "</" and line[2:].lower() == bracket and not stack:
            break
        build_config_sub(parms, line, stack, top)
    return top


def soak_end_container(parms: CmdParms, directive: str) -> None:
    """Skip a false conditional body, balancing tags by their first word only."""
    cfg = parms.cfg
    while (line := _getline(cfg)) is not None:
        cmd_name, pos = getword_conf(line)
        if cmd_name[:1] != "<":
            continue
        if cmd_name[1:2] == "/":
            cmd_name = cmd_name[:-1]
            if cmd_name[2:].lower() != directive[1:].lower():
                raise ConfigError(f"Expected </{directive[1:]}> but saw {cmd_name}>")
            return
        if pos >= len(line) and cmd_name.endswith(">"):
            cmd_name = cmd_name[:-1]
        soak_end_container(parms, cmd_name)
    raise ConfigError(f"Expected </{directive[1:]}> before end of configuration")


def container_arg(parms: CmdParms, arg: str) -> tuple[bool, str]:
    """Split ``[!]word ... >`` of a conditional section into (negated, word)."""
    name = parms.cmd.name
    endp = arg.rfind(">")
    if endp < 0:
        raise ConfigError(f"{name}> directive missing closing '>'")
    arg = arg[:endp]
    negate = arg.startswith("!")
    if negate:
        arg = arg[1:]
    word, _ = getword_conf(arg)
    if not word:
        raise ConfigError(f"{name}> directive requires additional arguments")
    return negate, word


def conditional(parms: CmdParms, sub_tree: list[Node], condition: bool) -> None:
    """Read a conditional body: parse it when true, skip it when false."""
    name = parms.cmd.name
    if condition:
        sub_tree.extend(build_cont_config(parms, name))
    else:
        soak_end_container(parms, name)


# -- files ------------------------------------------------------------------------------

def open_config(process, fname: str) -> ConfigFile:
    try:
        st = os.stat(fs_path(fname))
        if not stat.S_ISREG(st.st_mode):
            process.log.error("core", "error", f"AH00554: Access to file {fname} denied by "
                              "server: not a regular file")
            raise ConfigError(f"Could not open configuration file {fname}: Bad file descriptor")
        with open(fs_path(fname), "rb") as f:
            data = f.read()
    except OSError as e:
        raise ConfigError(f"Could not open configuration file {fname}: "
                          f"{os.strerror(e.errno or errno.EIO)}") from None
    return ConfigFile(fname, data.decode("latin-1"))


def process_resource_config(process, fname: str, top: list[Node]) -> None:
    """Read one file into ``top``; errors come back prefixed with its file and line."""
    cfg = open_config(process, fname)
    process.dump_include(fname)
    parms = CmdParms(process, process.main_server, cfg=cfg)
    try:
        build_config(parms, top)
    except ConfigError as e:
        where = e.node
        line, name = (where.line, where.filename) if where else (cfg.line_number, cfg.name)
        raise ConfigError(f"Syntax error on line {line} of {name}: {e.msg}") from None


def _nofnmatch(process, fname: str, top: list[Node], depth: int, optional: bool) -> None:
    if depth > MAX_INCLUDE_DIR_DEPTH:
        raise ConfigError(f"Directory {fname} exceeds the maximum include directory nesting "
                          f"level of {MAX_INCLUDE_DIR_DEPTH}. You have probably a recursion "
                          "somewhere.")
    if os.path.isdir(fs_path(fname)):
        try:
            names = sorted(listdir(fname))       # byte order: latin-1 strings
        except OSError as e:
            raise ConfigError(f"Could not open config directory {fname}: "
                              f"{os.strerror(e.errno)}") from None
        for n in names:
            _nofnmatch(process, os.path.join(fname, n), top, depth + 1, optional)
        return
    if optional and not os.path.exists(fs_path(fname)):
        return
    process_resource_config(process, fname, top)


def _is_wild(s: str) -> bool:
    return any(c in s for c in "*?[")


def _fnmatch(process, path: str, fname: str, top: list[Node], optional: bool) -> None:
    first, sep, rest = fname.partition("/")
    if not _is_wild(first):
        path = os.path.join(path, first) if path else first
        if not sep:
            _nofnmatch(process, path, top, 0, optional)
        else:
            _fnmatch(process, path, rest, top, optional)
        return
    try:
        p = fs_path(path)
        entries = list(os.scandir(p if isinstance(p, bytes) else p.encode("ascii")))
    except OSError as e:
        if e.errno == errno.ENOENT and optional:
            return
        raise ConfigError(f"Include/IncludeOptional: Could not open directory {path}: "
                          f"{os.strerror(e.errno)}") from None
    found = []
    for ent in entries:
        n = ent.name.decode("latin-1")
        if n.startswith(".") and not first.startswith("."):
            continue  # APR_FNM_PERIOD: a wildcard never matches a leading dot
        if not fnmatchcase(n, first):
            continue
        if sep and not ent.is_dir():
            continue
        found.append(os.path.join(path, n))
    if not found:
        if not optional:
            raise ConfigError(f"Include/IncludeOptional: No matches for the wildcard '{first}' "
                              f"in '{path}', failing")
        return
    found.sort()                 # byte order: latin-1 strings
    for full in found:
        if sep:
            _fnmatch(process, full, rest, top, optional)
        else:
            _nofnmatch(process, full, top, 0, optional)


def process_fnmatch_configs(process, fname: str, top: list[Node], optional: bool) -> None:
    """Include ``fname`` (absolute): a file, a directory, or a pattern with wildcards."""
    if not _is_wild(fname):
        _nofnmatch(process, fname, top, 0, optional)
        return
    root = "/" if fname.startswith("/") else ""
    _fnmatch(process, root, fname[len(root):], top, optional)


def process_command_config(process, lines: list[str], top: list[Node]) -> None:
    """-C / -c directives: one pseudo-file, one line per argument."""
    if not lines:
        return
    cfg = ConfigFile.from_lines("-c/-C directives", lines)
    parms = CmdParms(process, process.main_server, cfg=cfg)
    try:
        build_config(parms, top)
    except ConfigError as e:
        raise ConfigError(f"Syntax error in -C/-c directive: {e.msg}") from None
