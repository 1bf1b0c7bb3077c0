"""core's execute-on-read directives: they run while the file is read.

Include pulls files into the tree, Define/UnDefine change what later lines see, and the
conditional sections decide which lines are read at all.  They are evaluated where
they stand, so ``<IfModule alias_module>`` is false before ``LoadModule alias_module``.
"""
from __future__ import annotations

import os

from httpd.config import reader
from httpd.module import ACCESS_CONF, EXEC_ON_READ, OR_ALL, RSRC_CONF, Args, directive
from httpd.util.fspath import fs_path

ANYWHERE = RSRC_CONF | ACCESS_CONF | EXEC_ON_READ
COND = OR_ALL | EXEC_ON_READ


def _include(cmd, sub_tree, name: str, optional: bool):
    process = cmd.process
    process.include_depth += 1
    try:
        if process.include_depth > reader.MAX_INCLUDE_DEPTH:
            return (f"Exceeded maximum include depth of {reader.MAX_INCLUDE_DEPTH}, "
                    "There appears to be a recursion.")
        conffile = cmd.server_root_relative(name)
        process.include_lines.append(cmd.directive.line)
        try:
            reader.process_fnmatch_configs(process, conffile, sub_tree, optional)
        finally:
            process.include_lines.pop()
    finally:
        process.include_depth -= 1
    return None


@directive("Include", Args.TAKE1, ANYWHERE,
           "Name(s) of the config file(s) to be included; fails if the wildcard does not "
           "match at least one file")
def include(cmd, sub_tree, name):
    return _include(cmd, sub_tree, name, optional=False)


@directive("IncludeOptional", Args.TAKE1, ANYWHERE,
           "Name or pattern of the config file(s) to be included; ignored if the file does "
           "not exist or the pattern does not match any files")
def include_optional(cmd, sub_tree, name):
    return _include(cmd, sub_tree, name, optional=True)


@directive("Define", Args.TAKE12, ANYWHERE,
           "Define a variable, optionally to a value.  Same as passing -D to the command line.")
def define(cmd, sub_tree, name, value):
    if ":" in name:
        return "Variable name must not contain ':'"
    cmd.process.define(name, value)
    return None


@directive("UnDefine", Args.TAKE1, ANYWHERE,
           "Undefine the existence of a variable. Undo a Define.")
def undefine(cmd, sub_tree, name):
    if ":" in name:
        return "Variable name must not contain ':'"
    cmd.process.undefine(name)
    return None


@directive("ServerRoot", Args.TAKE1, RSRC_CONF | EXEC_ON_READ,
           "Common directory of server-related files (logs, confs, etc.)")
def server_root(cmd, sub_tree, path):
    # A relative ServerRoot is taken from the working directory, not the old root.
    full = os.path.abspath(path)
    if not os.path.isdir(fs_path(full)):
        return "ServerRoot must be a valid directory"
    cmd.process.server_root = os.path.normpath(full)
    return None


@directive("DefaultRuntimeDir", Args.TAKE1, RSRC_CONF | EXEC_ON_READ,
           "Common directory for run-time files (shared memory, locks, etc.)")
def default_runtime_dir(cmd, sub_tree, path):
    full = cmd.server_root_relative(path)
    if not os.path.isdir(fs_path(full)):
        return "DefaultRuntimeDir must be a valid directory, absolute or relative to ServerRoot"
    cmd.process.runtime_dir = full
    return None


def _cond(test):
    def handler(cmd, sub_tree, arg):
        negate, word = reader.container_arg(cmd, arg)
        reader.conditional(cmd, sub_tree, test(cmd, word) != negate)
        return None
    handler.__name__ = test.__name__
    return handler


def _if_module(cmd, word):
    return cmd.registry.is_loaded(word)


def _if_define(cmd, word):
    return cmd.process.is_defined(word)


def _if_file(cmd, word):
    return os.path.exists(fs_path(cmd.server_root_relative(word)))


def _if_directive(cmd, word):
    return cmd.registry.find_command(word) is not None


def _if_section(cmd, word):
    return cmd.registry.find_command("<" + word) is not None


def cond(name, test, help):
    from httpd.module import Directive
    return Directive(name, _cond(test), Args.RAW_ARGS, COND, help)


IF_MODULE = cond("<IfModule", _if_module,
                 "Container for directives based on existence of specified modules")
IF_DEFINE = cond("<IfDefine", _if_define,
                 "Container for directives based on existence of command line defines")
IF_FILE = cond("<IfFile", _if_file,
               "Container for directives based on existence of files on disk")
IF_DIRECTIVE = cond("<IfDirective", _if_directive,
                    "Container for directives based on existence of named directive")
IF_SECTION = cond("<IfSection", _if_section,
                  "Container for directives based on existence of named section")

DIRECTIVES = (IF_MODULE, IF_DEFINE, IF_FILE, IF_DIRECTIVE, IF_SECTION, define, undefine,
              server_root, default_runtime_dir, include, include_optional)
