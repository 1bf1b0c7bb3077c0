"""What a directory allows: Options (with +/-), AllowOverride and AllowOverrideList,
as core.c's set_options, set_override, set_allow_opts and set_override_list."""
from __future__ import annotations

from httpd.config.grammar import getword_conf
from httpd.module import (ACCESS_CONF, NOT_IN_FILES, NOT_IN_HTACCESS, NOT_IN_LOCATION,
                          OR_ALL, OR_AUTHCFG, OR_FILEINFO, OR_INDEXES, OR_LIMIT, OR_NONE,
                          OR_OPTIONS, OR_UNSET)

from .config import (NONFATAL_ALL, NONFATAL_OVERRIDE, NONFATAL_UNKNOWN, OPT_ALL, OPT_EXECCGI,
                     OPT_INC_WITH_EXEC, OPT_INCLUDES, OPT_INDEXES, OPT_MULTI, OPT_NONE,
                     OPT_SYM_LINKS, OPT_SYM_OWNER, OPT_UNSET)
from .directives_server import log_server

# the override_opts of the main config files (ap_process_config_tree); .htaccess files
# get AllowOverride Options=...
DEFAULT_OVERRIDE_OPTS = OPT_ALL | OPT_SYM_OWNER | OPT_MULTI


_OPTIONS = {"indexes": OPT_INDEXES, "includes": OPT_INCLUDES | OPT_INC_WITH_EXEC,
            "includesnoexec": OPT_INCLUDES, "followsymlinks": OPT_SYM_LINKS,
            "symlinksifownermatch": OPT_SYM_OWNER, "execcgi": OPT_EXECCGI,
            "multiviews": OPT_MULTI, "runscripts": OPT_MULTI | OPT_EXECCGI,
            "none": OPT_NONE, "all": OPT_ALL}


def set_allow_opts(value: str):
    """set_allow_opts: ``Options=a,b`` of AllowOverride; (bits, error)."""
    opts = None
    for w in (w for w in value.split(",") if w):
        opt = _OPTIONS.get(w.lower())
        if opt is None:
            return None, f"Illegal option {w}"
        opts = (opts or OPT_NONE) | opt
    return opts, None


def set_override(cmd, d, line):
    if cmd.check_context(NOT_IN_LOCATION | NOT_IN_FILES):
        node = cmd.directive
        log_server(cmd, "warn", f"AH00114: Useless use of AllowOverride in line {node.line} "
                     f"of {node.filename}.")
    err = cmd.check_context(NOT_IN_HTACCESS)
    if err:
        return err
    d.override, pos = OR_NONE, 0
    while pos < len(line):
        w, pos = getword_conf(line, pos)
        k, eq, v = w.partition("=")
        key = k.lower()
        if key == "limit":
            d.override |= OR_LIMIT
        elif key == "options":
            d.override |= OR_OPTIONS
            if eq:
                opts, err = set_allow_opts(v)
                if err:
                    return err
                if opts is not None:
                    d.override_opts = opts
                d.override_opts &= ~OPT_UNSET
            else:
                d.override_opts = OPT_ALL
        elif key == "fileinfo":
            d.override |= OR_FILEINFO
        elif key == "authconfig":
            d.override |= OR_AUTHCFG
        elif key == "indexes":
            d.override |= OR_INDEXES
        elif key == "nonfatal":
            if not eq:
                return "=Override, =Unknown or =All expected after Nonfatal"
            d.override |= {"override": NONFATAL_OVERRIDE, "unknown": NONFATAL_UNKNOWN,
                           "all": NONFATAL_ALL}.get(v.lower(), 0)
        elif key == "none":
            d.override = OR_NONE
        elif key == "all":
            d.override = OR_ALL
        else:
            return f"Illegal override option {w}"
        d.override &= ~OR_UNSET
    return None


def set_override_list(cmd, d, argv):
    node = cmd.directive
    if cmd.check_context(NOT_IN_LOCATION | NOT_IN_FILES):
        log_server(cmd, "warn", f"AH00115: Useless use of AllowOverrideList at "
                     f"{node.filename}:{node.line}")
    err = cmd.check_context(NOT_IN_HTACCESS)
    if err:
        return err
    allowed = set()
    d.override_list = frozenset()
    for name in argv:
        if name.lower() == "none":
            if len(argv) != 1:
                return "'None' not allowed with other directives in AllowOverrideList"
            return None
        found = cmd.registry.find_command(name)
        if found is None:
            log_server(cmd, "warn", f"AH00116: Discarding unrecognized directive `{name}' "
                         f"in AllowOverrideList at {node.filename}:{node.line}")
        elif not found[1].req_override & (OR_ALL | ACCESS_CONF):
            log_server(cmd, "warn", f"AH02304: Discarding directive `{name}' not allowed "
                         f"in AllowOverrideList at {node.filename}:{node.line}")
        else:
            allowed.add(name.lower())
            d.override_list = frozenset(allowed)
    return None


def set_options(cmd, d, line):
    override_opts = cmd.override_opts
    if override_opts is None:
        override_opts = DEFAULT_OVERRIDE_OPTS
    first, merge, all_none, pos = True, False, False, 0
    mixed = "Either all Options must start with + or -, or no Option may."
    while pos < len(line):
        w, pos = getword_conf(line, pos)
        action = ""
        if w[:1] in ("+", "-"):
            action, w = w[0], w[1:]
            if not merge and not first and not all_none:
                return mixed
            merge = True
        elif first:
            d.opts = OPT_NONE
        elif merge:
            return mixed
        opt = _OPTIONS.get(w.lower())
        if opt is None:
            return f"Illegal option {w}"
        if w.lower() in ("none", "all"):
            word = "None" if w.lower() == "none" else "All"
            if not first:
                return f"'Options {word}' must be the first " + \
                    ("Option given." if word == "None" else "option given.")
            if merge:
                return f"You may not use 'Options +{word}' or 'Options -{word}'."
            all_none = True
        if override_opts & opt != opt:
            return f"Option {w} not allowed here"
        if action == "-":
            d.opts_remove |= opt
            d.opts_add &= ~opt
            d.opts &= ~opt
        elif action == "+":
            d.opts_add |= opt
            d.opts_remove &= ~opt
            d.opts |= opt
        else:
            d.opts |= opt
        first = False
    return None
