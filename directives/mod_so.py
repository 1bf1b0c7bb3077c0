"""mod_so: LoadModule and LoadFile, run while the config is read.

Modules are found by identifier; the file part only decides Apache's error texts
(see httpd.module.registry.Registry.load).  LoadFile loads a shared library into the process,
which a Python server can do truthfully with ctypes.
"""
from __future__ import annotations

import ctypes

from httpd.module import EXEC_ON_READ, RSRC_CONF, Args, Module, directive

READ = RSRC_CONF | EXEC_ON_READ


@directive("LoadModule", Args.TAKE2, READ,
           "a module name and the name of a shared object file to load it from")
def load_module(cmd, sub_tree, name, filename):
    return cmd.registry.load(cmd.process, name, filename)


@directive("LoadFile", Args.ITERATE, READ,
           "shared object file or library to load into the server at runtime")
def load_file(cmd, sub_tree, filename):
    path = cmd.server_root_relative(filename)
    try:
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    except OSError as e:
        return f"Cannot load {filename} into server: {e}"
    cmd.log.error("so", "debug", f"AH01576: loaded file {path}")
    return None


MODULE = Module("so_module", "mod_so.c", (load_module, load_file),
                doc="Loading of modules and libraries at start-up")
