"""Modules as declarations: directive tables, arity and context, config classes.

A module is data (like Apache's ``module`` struct and its ``command_rec`` table):
the walk pass checks arity and context generically from the table, ``httpd -L``
prints it, and the docs' directive reference is generated from it.
"""
from __future__ import annotations

import enum
from typing import Any, Callable, Optional

import attrs

from httpd.module.hooks import check_hooks

# The core's identifier, the one module name the core itself may look up (Apache's
# ap_get_core_module_config); httpd.core re-exports it.  Spelt here, low in the layers,
# so that the error log (below the core) can read the core's config too.
CORE_MODULE = "core_module"


class Args(enum.Enum):
    """How a directive takes its arguments (Apache's cmd_how)."""

    RAW_ARGS = "raw"        # the handler gets the unsplit rest of the line
    TAKE_ARGV = "argv"      # the handler gets every word
    NO_ARGS = "none"
    TAKE1 = "1"
    TAKE2 = "2"
    TAKE12 = "1-2"
    TAKE3 = "3"
    TAKE23 = "2-3"
    TAKE123 = "1-3"
    TAKE13 = "1|3"
    ITERATE = "1+"          # handler called once per word
    ITERATE2 = "key+1+"     # handler called with the first word and each later word
    FLAG = "flag"           # On|Off, handler gets a bool


# Where a directive may appear (Apache's req_override bits).
OR_NONE = 0
OR_LIMIT = 1
OR_OPTIONS = 2
OR_FILEINFO = 4
OR_AUTHCFG = 8
OR_INDEXES = 16
OR_UNSET = 32
ACCESS_CONF = 64
RSRC_CONF = 128
EXEC_ON_READ = 256
OR_ALL = OR_LIMIT | OR_OPTIONS | OR_FILEINFO | OR_AUTHCFG | OR_INDEXES
NONFATAL_OVERRIDE, NONFATAL_UNKNOWN = 512, 1024   # AllowOverride Nonfatal=... (http_core.h)
NONFATAL_ALL = NONFATAL_OVERRIDE | NONFATAL_UNKNOWN

# What a handler may forbid on top of req_override (ap_check_cmd_context).
NOT_IN_VIRTUALHOST = 0x01
NOT_IN_LIMIT = 0x02
NOT_IN_DIRECTORY = 0x04
NOT_IN_LOCATION = 0x08
NOT_IN_FILES = 0x10
NOT_IN_HTACCESS = 0x20
NOT_IN_PROXY = 0x40
NOT_IN_DIR_LOC_FILE = NOT_IN_DIRECTORY | NOT_IN_LOCATION | NOT_IN_FILES
NOT_IN_DIR_CONTEXT = NOT_IN_LIMIT | NOT_IN_DIR_LOC_FILE | NOT_IN_HTACCESS
GLOBAL_ONLY = NOT_IN_VIRTUALHOST | NOT_IN_DIR_CONTEXT

Handler = Callable[..., Optional[str]]


@attrs.frozen
class Directive:
    """One row of a module's directive table (Apache's command_rec).

    ``handler(cmd, mconfig, *args)`` returns None or an error message.  ``cmd`` is the
    walk's :class:`httpd.config.walk.CmdParms`; ``mconfig`` the module's per-directory
    config for the current section.  ``forbidden`` is checked before the handler runs
    (ap_check_cmd_context) so that tables state context rules as data.
    """

    name: str
    handler: Handler
    args: Args
    req_override: int
    help: Optional[str] = None
    forbidden: int = 0

    # derived once: the read and walk passes ask these for every line
    is_section: bool = attrs.field(init=False, eq=False, repr=False)
    exec_on_read: bool = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "is_section", self.name.startswith("<"))
        object.__setattr__(self, "exec_on_read", bool(self.req_override & EXEC_ON_READ))


def directive(name: str, args: Args, req_override: int, help: Optional[str] = None,
              forbidden: int = 0) -> Callable[[Handler], Directive]:
    """Decorator form: ``@directive("ServerName", Args.TAKE1, RSRC_CONF, "...")``."""

    def wrap(fn: Handler) -> Directive:
        return Directive(name, fn, args, req_override, help, forbidden)

    return wrap


def flag_slot(attr: str) -> Handler:
    """ap_set_flag_slot: a FLAG directive's handler storing On/Off in ``attr`` of the
    section's config."""
    def handler(cmd, conf, flag):
        setattr(conf, attr, bool(flag))
        return None
    handler.__name__ = f"set_{attr}"
    return handler


@attrs.frozen
class Module:
    """A module's declaration: names, directive table, config classes, hooks.

    ``name`` is the identifier used by LoadModule and ``<IfModule>`` (``mime_module``),
    ``source`` the source file name ``<IfModule>`` also accepts (``mod_mime.c``).
    Config constructors and merges are pure functions of their inputs.
    """

    name: str
    source: str
    directives: tuple[Directive, ...] = ()
    create_dir_config: Optional[Callable[[Optional[str]], Any]] = None
    merge_dir_config: Optional[Callable[[Any, Any], Any]] = None
    create_server_config: Optional[Callable[[Any], Any]] = None
    merge_server_config: Optional[Callable[[Any, Any], Any]] = None
    # check_config(process, server) -> None | str: runs after the walk pass (MPM clamps,
    # required settings) and logs what it has to say itself.  Returning a string fails
    # the check: a non-empty one is printed at emerg first (an empty one was logged).
    check_config: Optional[Callable[..., Optional[str]]] = None
    # Hooks joined by the module: name -> fn or (fn, order).  Every name must be a
    # declared hook (httpd/module/hooks.py) and fn must take its parameters: checked
    # here, so a misspelt or mis-shaped hook fails when the module is built.
    hooks: dict = attrs.field(factory=dict)
    # Hooks another module declares, joined without importing it (APR_OPTIONAL_HOOK):
    # the same entries as ``hooks``; a name nobody declared is simply never run, and one
    # that is declared is checked when the generation's hook table is built.
    optional_hooks: dict = attrs.field(factory=dict)
    # Providers the module offers to others, by group (Apache's ap_register_provider):
    # e.g. {"authz": {"ip": ...}, "log_handler": {"I": ...}}.
    providers: dict = attrs.field(factory=dict)
    # An MPM module points at its MPM class (see mpms/).
    mpm: Any = None
    # Mutex types the module registers (ap_mutex_register): names `Mutex` accepts.
    mutex_types: tuple[str, ...] = ()
    doc: str = ""

    @property
    def is_mpm(self) -> bool:
        return self.mpm is not None

    _index: dict = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index", {d.name.lower(): d for d in self.directives})
        if self.hooks:
            check_hooks(self.name, self.hooks)

    def find(self, name: str) -> Optional[Directive]:
        """The directive called ``name`` (case-insensitive), or None."""
        return self._index.get(name.lower())
