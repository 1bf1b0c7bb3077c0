"""mod_log_config (mod_log_config.c): LogFormat, CustomLog, TransferLog, GlobalLog.

Format strings are compiled when the directive is read, into the items Apache's
``parse_log_string`` builds (a literal, or a ``%`` letter with its ``{arg}``, status
conditions and ``<``/``>``), so a bad format fails ``-t`` with Apache's message and the
log_transaction hook only walks a tuple.

The ``%`` letters are not fixed here: each loaded module offers its own through
``providers["log_handler"]`` (tag -> want_orig default, for parsing) and
``providers["log_item"]`` (tag -> function, for writing) -- Apache's optional
``ap_register_log_handler`` -- so ``%I`` is known only with mod_logio loaded, exactly as
in Apache.  The run-time half (opening logs, writing lines, the item functions) is in
mod_log_config_runtime.py and mod_log_config_items.py.
"""
from __future__ import annotations

import os
import stat
import weakref
from typing import Any, Optional

import attrs

from httpd.core.sections import parse_expr
from httpd.module.hooks import MIDDLE
from httpd.module import GLOBAL_ONLY, RSRC_CONF, Args, Module, directive

from directives.mod_log_config import runtime
from directives.mod_log_config.items import ITEMS
from httpd.util.fspath import fs_path

MODULE_NAME = "log_config_module"
DEFAULT_LOG_FORMAT = '%h %l %u %t "%r" %>s %b'


# -- format strings ---------------------------------------------------------------------

@attrs.frozen
class LogItem:
    """One piece of a compiled format (Apache's log_format_item).

    ``tag`` is None for literal text (``arg`` holds it), else the handler's tag: a letter
    or ``^`` plus two letters.  ``conditions`` are status codes; the item prints ``-``
    unless the status is in them (or, with ``negated``, unless it is not).
    ``want_orig``: log the original request (``<``) rather than the final one (``>``).
    """

    tag: Optional[str]
    arg: str = ""
    conditions: tuple[int, ...] = ()
    negated: bool = False
    want_orig: bool = False


def literal(text: str) -> LogItem:
    return LogItem(None, text)


# mod_log_config's own handlers: tag -> want_orig_default (log_pre_config's table).
LOG_HANDLERS = {
    "h": False, "a": False, "A": False, "l": False, "u": False, "t": False, "f": False,
    "b": False, "B": False, "i": False, "o": False, "n": False, "L": True, "e": False,
    "V": False, "v": False, "p": False, "P": False, "H": False, "m": False, "q": False,
    "X": False, "C": False, "k": False, "r": True, "D": True, "T": True, "U": True,
    "s": True, "R": True, "^ti": False, "^to": False,
}


def log_handlers(process) -> dict[str, bool]:
    """Every ``%`` tag the loaded modules register, with its want_orig default."""
    return process.registry.providers("log_handler")


def _literal_text(fmt: str, i: int) -> tuple[str, int]:
    """parse_log_misc_string: text up to the next ``%`` with ``\\\\ \\r \\n \\t``."""
    out = []
    n = len(fmt)
    while i < n and fmt[i] != "%":
        c = fmt[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        e = fmt[i] if i < n else ""
        if e in ("\\", "r", "n", "t"):
            out.append({"\\": "\\", "r": "\r", "n": "\n", "t": "\t"}[e])
            i += 1
        else:
            out.append("\\")  # kept verbatim; the next character is read normally
    return "".join(out), i


Parsed = tuple[Optional[tuple[LogItem, ...]], Optional[str]]   # (items, error)


def _item(fmt: str, i: int,
          handlers: dict[str, bool]) -> tuple[Optional[LogItem], int, Optional[str]]:
    """parse_log_item: one item starting at ``i``; returns (item, next, error)."""
    if fmt[i] != "%":
        text, i = _literal_text(fmt, i)
        return literal(text), i, None
    i += 1
    if fmt[i:i + 1] == "%":
        return literal("%"), i + 1, None
    negated = False
    want_orig: Optional[bool] = None
    arg = ""
    conditions: list[int] = []
    n = len(fmt)
    while i < n:
        c = fmt[i]
        if c == "!":
            negated = not negated
            i += 1
        elif c == "<":
            want_orig = True
            i += 1
        elif c == ">":
            want_orig = False
            i += 1
        elif c == ",":
            i += 1
        elif c == "{":
            end = fmt.find("}", i + 1)      # ap_getword: to '}' or to the end
            arg, i = (fmt[i + 1:], n) if end < 0 else (fmt[i + 1:end], end + 1)
        elif "0" <= c <= "9":
            j = i
            while j < n and "0" <= fmt[j] <= "9":
                j += 1
            conditions.append(int(fmt[i:j]))
            i = j
        else:
            tag = None
            if c == "^" and i + 2 < n and fmt[i:i + 3] in handlers:
                tag = fmt[i:i + 3]
            elif c in handlers:
                tag = c
            if tag is None:
                return None, i, f"Unrecognized LogFormat directive %{c}"
            if want_orig is None:
                want_orig = handlers[tag]
            return LogItem(tag, arg, tuple(conditions), negated, want_orig), i + len(tag), None
    return None, i, "Ran off end of LogFormat parsing args to some directive"


def parse_log_string(fmt: str, handlers: dict[str, bool]) -> Parsed:
    """A format string to its items, ending with the newline item; or an error."""
    items = []
    i = 0
    while i < len(fmt):
        item, i, err = _item(fmt, i, handlers)
        if err:
            return None, err
        items.append(item)
    items.append(literal("\n"))
    return tuple(items), None


# -- configuration ----------------------------------------------------------------------


@attrs.frozen
class ConfigLog:
    """One CustomLog/TransferLog/GlobalLog (Apache's config_log_state).

    ``format`` is the compiled ``format_string``; when that string names a LogFormat
    nickname the runtime uses the nickname's format instead (resolved when logs are
    opened, as Apache does, so a later LogFormat still counts).  ``condition_var`` keeps
    a leading ``!`` for ``env=!VAR``.  ``condition_expr`` is the ``expr=`` condition
    (see parse_expr).  A ``fname`` starting with ``|`` is a piped log.
    """

    fname: str
    format_string: Optional[str] = None
    format: Optional[tuple[LogItem, ...]] = None
    condition_var: Optional[str] = None
    condition_expr: Optional[Any] = None
    inherit: bool = False
    defined_in: Optional[str] = None      # file and line, for AH02297
    defined_line: int = 0

    @property
    def piped(self) -> bool:
        return self.fname.startswith("|")


@attrs.define
class MultiLogState:
    """Per-server state (Apache's multi_log_state).

    ``server_config_logs`` is the main server's list, set by the merge, so a vhost
    without logs of its own writes to the main server's, and GlobalLog ones always.
    """

    default_format_string: Optional[str] = None
    default_format: Optional[tuple[LogItem, ...]] = None
    config_logs: list[ConfigLog] = attrs.field(factory=list)
    server_config_logs: Optional[list[ConfigLog]] = None
    formats: dict[str, str] = attrs.field(factory=lambda: {"CLF": DEFAULT_LOG_FORMAT})
    # set when the logs are opened: the LogTargets a request to this server writes to
    targets: Optional[tuple] = attrs.field(default=None, eq=False, repr=False)

    def logs(self) -> list[ConfigLog]:
        """The logs a request to this server goes to (multi_log_transaction)."""
        own = list(self.config_logs)
        inherited = self.server_config_logs or []
        return own + [c for c in inherited if c.inherit or not own]


def create_server_config(server) -> MultiLogState:
    return MultiLogState()


def merge_server_config(base: MultiLogState, add: MultiLogState) -> MultiLogState:
    """merge_config_log_state, without touching either input."""
    inherit_default = add.default_format is None
    return MultiLogState(
        default_format_string=(base.default_format_string if inherit_default
                               else add.default_format_string),
        default_format=base.default_format if inherit_default else add.default_format,
        config_logs=list(add.config_logs),
        server_config_logs=base.config_logs,
        formats={**base.formats, **add.formats})


def _state(cmd) -> MultiLogState:
    return cmd.server.module_config[MODULE_NAME]


@directive("CustomLog", Args.TAKE23, RSRC_CONF,
           'a file name, a custom log format string or format name, and an optional "env=" '
           'or "expr=" clause (see docs)')
def add_custom_log(cmd, mconfig, fn, fmt, envclause, inherit=False):
    condition_var = condition_expr = None
    if envclause is not None:
        low = envclause.lower()
        if low.startswith("env="):
            if envclause[4:] in ("", "!"):
                return "missing environment variable name"
            condition_var = envclause[4:]
        elif low.startswith("expr="):
            if not envclause[5:]:
                return "missing condition"
            condition_expr, err = parse_expr(cmd, envclause[5:], string=False)
            if err:
                return err
        else:
            return "error in condition clause"
    items = None
    if fmt is not None:
        items, err = parse_log_string(fmt, log_handlers(cmd.process))
        if err:
            return err
    node = cmd.directive
    _state(cmd).config_logs.append(ConfigLog(
        fn, fmt, items, condition_var, condition_expr, inherit,
        node.filename if node is not None else None, node.line if node is not None else 0))
    return None


@directive("GlobalLog", Args.TAKE23, RSRC_CONF,
           "Same as CustomLog, but forces virtualhosts to inherit the log")
def add_global_log(cmd, mconfig, fn, fmt, envclause):
    # checked here rather than in the table: Apache checks before adding the log
    err = cmd.check_context(GLOBAL_ONLY)
    if err:
        return err
    return add_custom_log.handler(cmd, mconfig, fn, fmt, envclause, inherit=True)


@directive("TransferLog", Args.TAKE1, RSRC_CONF, "the filename of the access log")
def set_transfer_log(cmd, mconfig, fn):
    return add_custom_log.handler(cmd, mconfig, fn, None, None)


@directive("LogFormat", Args.TAKE12, RSRC_CONF,
           "a log format string (see docs) and an optional format name")
def log_format(cmd, mconfig, fmt, name):
    items, err = parse_log_string(fmt, log_handlers(cmd.process))
    if err:
        return err
    state = _state(cmd)
    if name is not None:
        # only defines the nickname; it does not become the default
        state.formats[name] = fmt
    else:
        state.default_format_string = fmt
        state.default_format = items
    return None


# BufferedLogs is one switch for the whole server (a static in Apache), kept per process.
_BUFFERED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def buffered_logs(process) -> bool:
    return _BUFFERED.get(process, False)


@directive("BufferedLogs", Args.FLAG, RSRC_CONF, "Enable Buffered Logging (experimental)")
def set_buffered_logs_on(cmd, mconfig, flag):
    _BUFFERED[cmd.process] = flag
    return None


def pre_config(process) -> None:
    """log_pre_config: a new generation starts unbuffered."""
    _BUFFERED.pop(process, None)


# -- check_config -----------------------------------------------------------------------

def _check_log_dir(process, log: ConfigLog) -> Optional[str]:
    """check_log_dir: the folder of a file log must exist (AH02297)."""
    if log.piped or log.defined_in is None:
        return None
    path = process.server_root_relative(log.fname)
    folder = path[:path.rfind("/") + 1]
    try:
        if not stat.S_ISDIR(os.stat(fs_path(folder)).st_mode):
            raise NotADirectoryError(20, os.strerror(20))
    except OSError as e:
        return (f"({e.errno}){os.strerror(e.errno)}: AH02297: Cannot access directory "
                f"'{folder}' for log file '{log.fname}' defined at "
                f"{log.defined_in}:{log.defined_line}")
    return None


def check_config(process, server) -> Optional[str]:
    """Every server's log folders; all failures are printed, then the check fails."""
    errors = []
    for s in [server] + list(getattr(process, "vhosts", []) or []):
        state = s.module_config.get(MODULE_NAME)
        for log in state.config_logs if state is not None else ():
            err = _check_log_dir(process, log)
            if err:
                errors.append(err)
    for err in errors:
        process.log.startup(err, "emerg")
    return "" if errors else None


MODULE = Module(
    MODULE_NAME, "mod_log_config.c",
    (add_custom_log, add_global_log, set_transfer_log, log_format, set_buffered_logs_on),
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    check_config=check_config,
    hooks={"pre_config": pre_config, "post_config": runtime.post_config,
           "log_transaction": (runtime.log_transaction, MIDDLE),
           "child_stopped": runtime.child_stopped},
    providers={"log_handler": LOG_HANDLERS, "log_item": ITEMS},
    doc="Logging of the requests made to the server",
)
