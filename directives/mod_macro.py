"""mod_macro (mod_macro.c): <Macro>, Use, UndefMacro -- all run while the file is read.

``<Macro name $a $b>`` stores the body's logical lines (comment lines dropped); ``Use
name x y`` substitutes the arguments and reads the result as a config source named
``macro 'name' (defined on line N of "F") used on line M of "G"``, so every later error
points into the macro by that name, as Apache's do.  Messages, warnings and the
substitution rules (longest name first, ``@`` arguments quoted, an 8 KiB line limit)
follow mod_macro.c.

Macros are global to a config generation (kept per process, reset in pre_config).
"""
from __future__ import annotations

import weakref
from typing import Optional

import attrs

from httpd.config.grammar import getword_conf
from httpd.config.lines import LineTooLong
from httpd.module import EXEC_ON_READ, OR_ALL, Args, Module, directive

BEGIN_MACRO = "<Macro"
END_MACRO = "</Macro>"
USE_MACRO = "Use"
UNDEF_MACRO = "UndefMacro"
IGNORE_FLAGS = (("/IgnoreEmptyArgs", "ignore_empty"),
                ("/IgnoreBadNesting", "ignore_bad_nesting"))
ARG_PREFIX = "$%@"      # argument names should start with one of these
ESCAPE_ARG = "@"        # ... and those starting with @ are substituted quoted
MAX_STRING_LEN = 8192   # Apache's line buffer: longer lines end a body or a substitution


@attrs.define
class Macro:
    """``name`` lower-cased; ``location`` is ``defined on line N of "FILE"``."""

    name: str
    arguments: list[str] = attrs.field(factory=list)
    contents: list[str] = attrs.field(factory=list)
    location: str = ""
    ignore_empty: bool = False
    ignore_bad_nesting: bool = False

    @property
    def where(self) -> str:
        return f"macro '{self.name}' ({self.location})"


@attrs.define
class MacroState:
    """``macros`` stays None until the first <Macro, which some messages depend on."""

    macros: Optional[dict[str, Macro]] = None
    ignore_empty: bool = False
    ignore_bad_nesting: bool = False


_STATE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def state(process) -> MacroState:
    st = _STATE.get(process)
    if st is None:
        st = _STATE[process] = MacroState()
    return st


def pre_config(process) -> None:
    _STATE.pop(process, None)


def _warn(cmd, msg: str) -> None:
    cmd.log.error("macro", "warn", msg)


# -- parsing ----------------------------------------------------------------------------

def get_arguments(line: str) -> list[str]:
    """Every word of ``line`` (quotes as in config lines; ``""`` is an empty argument)."""
    args = []
    pos = len(line) - len(line.lstrip(" \t"))
    while pos < len(line):
        word, pos = getword_conf(line, pos)
        args.append(word)
        pos += len(line[pos:]) - len(line[pos:].lstrip(" \t"))
    return args


def _warn_if_non_blank(cmd, what: str, rest: str, cfg) -> None:
    for c in rest:
        if c == "#":
            break
        if c not in " \t":
            _warn(cmd, f"AH02989: {what} on line {cfg.line_number} of {cfg.name}: {rest}")
            break


def _lines_till_end_token(cmd, cfg, where: str, ignore_nesting: bool):
    """The body up to the matching ``</Macro>`` (nested <Macro counted); (lines, error)."""
    lines: list[str] = []
    macro_nesting = any_nesting = 1
    start = cfg.line_number
    while True:
        try:
            line = cfg.getline()
        except LineTooLong:
            line = None
        if line is None or len(line) >= MAX_STRING_LEN - 1:
            return None, f"expected token not found: {END_MACRO}"
        if line.startswith("#"):
            continue
        first, _ = getword_conf(line)
        if first.startswith("</"):
            any_nesting -= 1
            if not ignore_nesting and any_nesting < 0:
                _warn(cmd, f"AH02793: bad (negative) nesting on line "
                           f"{cfg.line_number - start} of {where}")
        elif first.startswith("<"):
            any_nesting += 1
        if first.lower() == END_MACRO.lower():
            endp = line.rfind(">")
            _warn_if_non_blank(cmd, "AH02794: non blank chars found after directive closing",
                               line[endp + 1:], cfg)
            macro_nesting -= 1
            if macro_nesting == 0:
                if not ignore_nesting and any_nesting:
                    _warn(cmd, f"AH02795: bad cumulated nesting ({any_nesting:+d}) in {where}")
                return lines, None
        elif first.lower() == BEGIN_MACRO.lower():
            macro_nesting += 1
        lines.append(line)


def _check_macro_arguments(cmd, macro: Macro) -> Optional[str]:
    tab = macro.arguments
    for i, a in enumerate(tab):
        if not a:
            return f"{macro.where}: empty argument #{i + 1} name"
        if a[0] not in ARG_PREFIX:
            _warn(cmd, f"AH02796: {macro.where} argument name '{a}' (#{i + 1}) without "
                       f"expected prefix, better prefix argument names with one of "
                       f"'{ARG_PREFIX}'.")
        if a.startswith("${"):
            _warn(cmd, f"AH02805: {macro.where} argument name '{a}' (#{i + 1}) clashes with "
                       "'Define' syntax '${...}', better use '$(...)'.")
        for j in range(i + 1, len(tab)):
            b = tab[j]
            if a == b:
                return (f"argument name conflict in macro '{macro.name}' ({macro.location}): "
                        f"argument '{a}': #{i + 1} and #{j + 1}, change argument names!")
            if b and (a.startswith(b) or b.startswith(a)):
                _warn(cmd, f"AH02797: {macro.where}: argument name prefix conflict ({a} "
                           f"#{i + 1} and {b} #{j + 1}), be careful about your macro "
                           "definition!")
    return None


# -- substitution -----------------------------------------------------------------------

def _next_substitution(buf: str, start: int, names: list[str]) -> tuple[int, int]:
    """The first occurrence of any name at or after ``start``; the longest name wins a
    tie.  Returns (position, which) or (-1, -1)."""
    chosen, length, which = -1, 0, -1
    for i, name in enumerate(names):
        found = buf.find(name, start)
        if found >= 0 and (chosen < 0 or found < chosen
                           or (found == chosen and length < len(name))):
            chosen, length, which = found, len(name), i
    return chosen, which


def _substitute_macro_args(buf: str, macro: Macro, replacements: list[str],
                           used: Optional[list[bool]]) -> tuple[str, Optional[str]]:
    names = macro.arguments
    ptr = 0
    while True:
        pos, which = _next_substitution(buf, ptr, names)
        if pos < 0:
            return buf, None
        name, repl = names[which], replacements[which]
        if name != repl:
            if name[0] == ESCAPE_ARG:
                repl_text = '"' + "".join("\\" + c if c in '"\\' else c for c in repl) + '"'
            else:
                repl_text = repl
            if len(buf) - len(name) + len(repl_text) >= MAX_STRING_LEN:
                return buf, "cannot substitute, buffer size too small"
            buf = buf[:pos] + repl_text + buf[pos + len(name):]
        # Apache moves on by the unquoted length, so it may look into a quoted value
        ptr = pos + len(repl)
        if used is not None:
            used[which] = True


def process_content(macro: Macro, replacements: list[str],
                    used: Optional[list[bool]] = None) -> tuple[Optional[list[str]], Optional[str]]:
    """The body with arguments substituted, line by line; or an error message."""
    result = []
    for i, line in enumerate(macro.contents):
        # Apache keeps each body line with its newline, which counts towards the limit
        text, err = _substitute_macro_args(line + "\n", macro, replacements, used)
        if err:
            return None, f"while processing line {i + 1} of {macro.where} {err}"
        result.append(text[:-1] if text.endswith("\n") else text)
    return result, None


def _check_macro_contents(cmd, macro: Macro) -> Optional[str]:
    if not macro.contents:
        _warn(cmd, f"AH02799: {macro.where}: empty contents!")
        return None
    used = [False] * len(macro.arguments)
    _, err = process_content(macro, macro.arguments, used)
    if err:
        return err
    for i, name in enumerate(macro.arguments):
        if not used[i]:
            _warn(cmd, f"AH02800: {macro.where}: argument '{name}' (#{i + 1}) never used")
    return None


# -- directives -------------------------------------------------------------------------

def _parse_flags(cmd, macro: Macro, arg: str) -> str:
    """``/IgnoreEmptyArgs`` and ``/IgnoreBadNesting`` after the name, as mod_macro's
    pointer walk reads them; returns the text left for the argument names."""
    k = 0
    while k < len(arg) and arg[k] == "/":
        stop = False
        for flag, attr in IGNORE_FLAGS:
            if arg[k:k + len(flag)].lower() == flag.lower():
                setattr(macro, attr, True)
                k += len(flag)
                if k >= len(arg):
                    stop = True
                    break
        if stop:
            break
        if arg[k:k + 1] != " ":
            space = arg.find(" ", k)
            _warn(cmd, f"AH02804: {macro.where}: unknown flag "
                       f"'{arg[k:] if space < 0 else arg[k:space]}'")
            if space >= 0:
                k = space
        k += 1
    return arg[k:]


@directive(BEGIN_MACRO, Args.RAW_ARGS, EXEC_ON_READ | OR_ALL,
           "Beginning of a macro definition section.")
def macro_section(cmd, sub_tree, arg):
    st = state(cmd.process)
    if st.macros is None:
        st.macros = {}
    cfg = cmd.cfg
    endp = arg.rfind(">")
    if endp < 0:
        return f"{BEGIN_MACRO}> directive missing closing '>'"
    if endp == 0:
        return f"{BEGIN_MACRO} macro definition: empty name"
    _warn_if_non_blank(cmd, f"AH02801: non blank chars found after {BEGIN_MACRO} closing '>'",
                       arg[endp + 1:], cfg)
    arg = arg[:endp]
    name, pos = getword_conf(arg)
    if not name:
        return f"{BEGIN_MACRO} macro definition: name not found"
    name = name.lower()
    macro = st.macros.get(name)
    if macro is not None:
        _warn(cmd, f"AH02802: macro '{name}' multiply defined: {macro.location}, "
                   f"redefined on line {cfg.line_number} of \"{cfg.name}\"")
    else:
        macro = Macro(name)
    macro.location = f'defined on line {cfg.line_number} of "{cfg.name}"'
    where = macro.where
    if name[0] in ARG_PREFIX:
        _warn(cmd, f"AH02803: {where} better prefix a macro name with any of '{ARG_PREFIX}'")
    macro.arguments = get_arguments(_parse_flags(cmd, macro, arg[pos:]))
    err = _check_macro_arguments(cmd, macro)
    if err:
        return err
    lines, err = _lines_till_end_token(cmd, cfg, where,
                                       st.ignore_bad_nesting or macro.ignore_bad_nesting)
    if err:
        return f"{where}\n\tcontents error: {err}"
    macro.contents = lines
    err = _check_macro_contents(cmd, macro)
    if err:
        return f"{where}\n\tcontents checking error: {err}"
    st.macros[name] = macro
    return None


@directive(USE_MACRO, Args.RAW_ARGS, EXEC_ON_READ | OR_ALL, "Use of a macro.")
def use_macro(cmd, sub_tree, arg):
    st = state(cmd.process)
    if st.macros is None:
        return f"no macro defined before {USE_MACRO}"
    name, pos = getword_conf(arg)
    name = name.lower()
    if not name:
        return f"no macro name specified with {USE_MACRO}"
    macro = st.macros.get(name)
    if macro is None:
        return f"macro '{name}' undefined"
    cfg = cmd.cfg
    # the source name of an expansion says which macros are being expanded
    if f"macro '{macro.name}'" in cfg.name:
        return f"recursive use of macro '{macro.name}' is invalid"
    replacements = get_arguments(arg[pos:])
    if len(macro.arguments) != len(replacements):
        return (f"{macro.where} used with {len(replacements)} arguments instead of "
                f"{len(macro.arguments)}")
    where = f"{macro.where} used on line {cfg.line_number} of \"{cfg.name}\""
    if not st.ignore_empty and not macro.ignore_empty:
        for i, value in enumerate(replacements):
            if not value:
                _warn(cmd, f"AH02798: {where}: empty argument #{i + 1}")
    contents, err = process_content(macro, replacements)
    if err:
        return f"{where} error while substituting: {err}"
    # Spliced into the source being read, as Apache does: a section may open in the
    # macro and close after the Use line.
    cfg.push(where, [line.replace("\n", " ") for line in contents])
    return None


@directive(UNDEF_MACRO, Args.TAKE1, EXEC_ON_READ | OR_ALL, "Remove a macro definition.")
def undef_macro(cmd, sub_tree, arg):
    st = state(cmd.process)
    if st.macros is None:
        return f"no macro defined before {UNDEF_MACRO}"
    name = arg.lower()
    if name not in st.macros:
        return f"cannot remove undefined macro '{name}'"
    del st.macros[name]
    return None


# Apache 2.4.71 accepts (and ignores) words after these two, so they take the raw line.
@directive("MacroIgnoreEmptyArgs", Args.RAW_ARGS, EXEC_ON_READ | OR_ALL,
           "Globally ignore warnings about empty arguments.")
def macro_ignore_empty(cmd, sub_tree, arg):
    state(cmd.process).ignore_empty = True
    return None


@directive("MacroIgnoreBadNesting", Args.RAW_ARGS, EXEC_ON_READ | OR_ALL,
           "Globally ignore warnings about bad nesting.")
def macro_ignore_bad_nesting(cmd, sub_tree, arg):
    state(cmd.process).ignore_bad_nesting = True
    return None


MODULE = Module(
    "macro_module", "mod_macro.c",
    (macro_section, use_macro, undef_macro, macro_ignore_empty, macro_ignore_bad_nesting),
    hooks={"pre_config": pre_config},
    doc="Provides macros within Apache httpd runtime configuration files",
)
