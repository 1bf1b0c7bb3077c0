"""The command line: Apache's flags, texts, streams and exit codes.

``httpd -t`` runs the passes in Apache's order: -C lines, the read pass over the file
tree, the one-MPM check, -c lines, the walk pass, the check hooks; each pass stops at
its first error, so the error reported is the one Apache reports.
"""
from __future__ import annotations

import contextlib
import gc
import os
import sys
from typing import Optional

import attrs

from httpd import SERVER_BUILT, SERVER_VERSION
from httpd.config import reader
from httpd.config.errors import ConfigError, StartupExit, WalkError
from httpd.config.walk import CmdParms, walk_config
from httpd.log.startup import LEVEL_NUM, StartupLog
from httpd.module.hooks import failed
from httpd.mpm.listen import BindError
from httpd.config.process import Process, default_server_root
from httpd.request.vhost import fixup_virtual_hosts

OPTSTRING = "C:c:D:d:E:e:f:k:TVvtSXlLMh?"
K_ACTIONS = ("start", "restart", "graceful", "graceful-stop", "stop")
DUMP_DEFINES = ("DUMP_VHOSTS", "DUMP_RUN_CFG", "DUMP_MODULES", "DUMP_INCLUDES")


def usage_text(prog: str) -> str:
    pad = " " * len(prog)
    return f"""Usage: {prog} [-D name] [-d directory] [-f file]
       {pad} [-C "directive"] [-c "directive"]
       {pad} [-k start|restart|graceful|graceful-stop|stop]
       {pad} [-v] [-V] [-h] [-l] [-L] [-t] [-T] [-S] [-X]
Options:
  -D name            : define a name for use in <IfDefine name> directives
  -d directory       : specify an alternate initial ServerRoot
  -f file            : specify an alternate ServerConfigFile
  -C "directive"     : process directive before reading config files
  -c "directive"     : process directive after reading config files
  -e level           : show startup errors of level (see LogLevel)
  -E file            : log startup errors to file
  -v                 : show version number
  -V                 : show compile settings
  -h                 : list available command line options (this page)
  -l                 : list compiled in modules
  -L                 : list available configuration directives
  -t -D DUMP_VHOSTS  : show parsed vhost settings
  -t -D DUMP_RUN_CFG : show parsed run settings
  -S                 : a synonym for -t -D DUMP_VHOSTS -D DUMP_RUN_CFG
  -t -D DUMP_MODULES : show all loaded modules 
  -M                 : a synonym for -t -D DUMP_MODULES
  -t -D DUMP_INCLUDES: show all included configuration files
  -t                 : run syntax check for config files
  -T                 : start without DocumentRoot(s) check
  -X                 : debug mode (only one worker, do not detach)"""


class UsageError(Exception):
    pass


@attrs.define
class Options:
    defines: list[str] = attrs.field(factory=list)
    server_root: Optional[str] = None
    config_file: Optional[str] = None
    pre: list[str] = attrs.field(factory=list)
    post: list[str] = attrs.field(factory=list)
    level: Optional[str] = None
    error_file: Optional[str] = None
    k: Optional[str] = None
    test: bool = False
    skip_docroot: bool = False
    version: bool = False
    compile_settings: bool = False
    list_compiled: bool = False
    list_directives: bool = False
    debug: bool = False
    help: bool = False
    argv: list[str] = attrs.field(factory=list)     # as given, for AH00094


def parse_args(prog: str, argv: list[str]) -> Options:
    """getopt(3) over OPTSTRING, with Apache's handling of each flag."""
    o = Options()
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            raise UsageError(None)
        j = 1
        while j < len(arg):
            ch = arg[j]
            j += 1
            pos = OPTSTRING.find(ch)
            if pos < 0 or ch == ":":
                raise UsageError(f"{prog}: illegal option -- {ch}")
            if OPTSTRING[pos + 1: pos + 2] == ":":
                if j < len(arg):
                    val = arg[j:]
                elif i < len(argv):
                    val = argv[i]
                    i += 1
                else:
                    raise UsageError(f"{prog}: option requires an argument -- {ch}")
                j = len(arg)
                _take(o, prog, ch, val)
            else:
                _flag(o, ch)
    if i < len(argv):
        raise UsageError(None)
    return o


def _take(o: Options, prog: str, ch: str, val: str) -> None:
    if ch == "C":
        o.pre.append(val)
    elif ch == "c":
        o.post.append(val)
    elif ch == "D":
        o.defines.append(val)
    elif ch == "d":
        o.server_root = val
    elif ch == "f":
        o.config_file = val
    elif ch == "e":
        if val.lower() not in LEVEL_NUM:
            raise UsageError(None)
        o.level = val.lower()
    elif ch == "E":
        o.error_file = val
    elif ch == "k":
        if val not in K_ACTIONS:
            raise UsageError(f"{prog}: illegal option -- k")
        o.k = val


def _flag(o: Options, ch: str) -> None:
    if ch == "t":
        o.test = True
    elif ch == "T":
        o.skip_docroot = True
    elif ch == "v":
        o.version = True
    elif ch == "V":
        o.compile_settings = True
    elif ch == "l":
        o.list_compiled = True
    elif ch == "L":
        o.list_directives = True
    elif ch == "X":
        o.debug = True
        o.defines.append("DEBUG")
    elif ch == "S":
        o.test = True
        o.defines += ["DUMP_VHOSTS", "DUMP_RUN_CFG"]
    elif ch == "M":
        o.test = True
        o.defines.append("DUMP_MODULES")
    elif ch in "h?":
        o.help = True


class ConfigFailed(Exception):
    """Start-up already printed why; exit with ``code``."""

    def __init__(self, code: int = 1):
        self.code = code


class MPMChanged(ConfigFailed):
    """A restart's configuration loads another MPM than the running one (AH00534)."""


def read_config(process: Process, opts: Options) -> list:
    """The read pass, the MPM check and -c; returns the directive tree."""
    log = process.log
    tree: list = []
    try:
        reader.process_command_config(process, opts.pre, tree)
        confname = process.server_root_relative(opts.config_file or process.default_config)
        process.config_file = confname
        if not (opts.pre or opts.post) or os.path.lexists(confname) or opts.config_file:
            reader.process_fnmatch_configs(process, confname, tree, optional=False)
    except ConfigError as e:
        log.startup(f"{process.argv0}: {e.msg}", "crit")
        raise ConfigFailed()
    mpms = process.registry.mpms()
    if len(mpms) != 1:
        what = "No MPM loaded." if not mpms else "More than one MPM loaded."
        log.startup(f"AH00534: {process.argv0}: Configuration error: {what}", "crit")
        raise ConfigFailed()
    previous = getattr(process.mpm_state, "mpm", None)      # a restart: the running MPM
    if previous is not None and mpms[0].mpm.name != previous:
        # ap_check_mpm, after the read pass and before the walk (so the directives of
        # the new MPM are never looked at)
        raise MPMChanged()
    try:
        reader.process_command_config(process, opts.post, tree)
    except ConfigError as e:
        log.startup(f"{process.argv0}: {e.msg}", "crit")
        raise ConfigFailed()
    return tree


def walk(process: Process, tree: list) -> None:
    """The walk pass and the check hooks (MPM clamps, core checks)."""
    server = process.create_main_server()
    if failed(process.registry.hooks.run("pre_config", process)):
        process.log.startup("AH00013: Pre-configuration failed", "error")
        raise ConfigFailed()
    try:
        walk_config(tree, CmdParms(process, server, context=server.lookup_defaults))
    except WalkError as e:
        node = e.node
        process.log.always(f"AH00526: Syntax error on line {node.line} of {node.filename}:")
        process.log.always(e.msg)
        raise ConfigFailed()
    fixup_virtual_hosts(process)
    if not check_config(process, server):
        raise ConfigFailed()


def check_config(process: Process, server) -> bool:
    """Every loaded module's check_config hook; False (after AH00014) on failure."""
    for module in process.registry.loaded:
        if module.check_config is not None:
            err = module.check_config(process, server)
            if err is not None:
                if err:
                    process.log.startup(err, "emerg")
                process.log.startup("AH00014: Configuration check failed", "emerg")
                return False
    return True


def load_config(process: Process, opts: Options) -> list:
    tree = read_config(process, opts)
    walk(process, tree)
    return tree


@contextlib.contextmanager
def config_gc():
    """No cyclic GC while a config generation is built: it allocates many long-lived
    objects and no garbage cycles, and collections over the growing heap cost ~20% of a
    large -t.  Afterwards the config is frozen out of future collections (which also
    keeps forked children's pages shared)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def make_process(prog: str, opts: Options, stream=None) -> Process:
    log = StartupLog(stream=stream, level=opts.level or "warn")
    root = opts.server_root if opts.server_root is not None else default_server_root()
    process = Process(argv0=prog, server_root=os.path.abspath(root) if root else root, log=log)
    for d in opts.defines:
        process.define(d)
    process.skip_docroot_check = opts.skip_docroot
    process.test_config = opts.test
    process.foreground = opts.debug or process.is_defined("FOREGROUND")
    process.dump_includes = process.is_defined("DUMP_INCLUDES")
    return process


def main(argv: Optional[list[str]] = None) -> int:
    """The command line.  Output into a pipe whose reader has gone (``httpd -V | head``)
    ends the command quietly, as SIGPIPE ends Apache's, instead of with a traceback."""
    try:
        return _main(argv)
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())   # no second error at interpreter exit
        except (OSError, ValueError):
            pass
        return 1


def _main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv if argv is None else argv
    prog = os.path.basename(argv[0]) if argv else "httpd"
    if prog in ("__main__.py", "-c", ""):
        prog = "httpd"
    try:
        opts = parse_args(prog, argv[1:])
        opts.argv = [prog] + list(argv[1:])
    except UsageError as e:
        if e.args[0]:
            print(e.args[0], file=sys.stderr)
        print(usage_text(prog), file=sys.stderr)
        return 1
    if opts.help:
        print(usage_text(prog), file=sys.stderr)
        return 1
    if opts.version:
        from httpd.main.info import version_line
        print(version_line())
        print(f"Server built:   {SERVER_BUILT}")
        return 0
    from httpd.main import info
    if opts.list_compiled:
        return info.show_compiled(Process(argv0=prog, log=StartupLog()))

    stream = sys.stderr
    if opts.error_file:
        try:
            stream = open(opts.error_file, "a")
        except OSError as e:
            print(f"({e.errno}){os.strerror(e.errno)}: AH00086: {prog}: could not open error "
                  f"log file {opts.error_file}.", file=sys.stderr)
    process = make_process(prog, opts, stream)
    if process.dump_includes:
        print("Included configuration files:")
        sys.stdout.flush()
    try:
        with config_gc():
            tree = read_config(process, opts)
            if opts.compile_settings:
                return info.show_compile_settings(process, ok=True)
            if opts.list_directives:
                return info.show_directives(process)
            walk(process, tree)
    except ConfigFailed as e:
        if opts.compile_settings:
            info.show_compile_settings(process, ok=False)
        return e.code
    except StartupExit as e:
        for line in e.lines:
            process.log.startup(line, e.level)
        return e.code
    if opts.test or any(process.is_defined(d) for d in DUMP_DEFINES):
        dumped = info.dump_config(process)
        if not dumped:
            process.log.always("Syntax OK")
        return 0
    return serve(process, opts)


def post_config(process: Process) -> bool:
    from httpd.http.header_filter import reset_version_components
    reset_version_components()          # the modules add this generation's again
    if failed(process.registry.hooks.run("post_config", process, process.main_server)):
        process.log.startup("AH00016: Configuration Failed", "alert")
        return False
    return True


def serve(process: Process, opts: Options) -> int:
    """Start serving this generation: -k first, post_config hooks, logs, then the MPM."""
    from httpd.main import control
    if not opts.debug:
        code = control.signal_server(process, opts.k or "start",
                                     process.registry.mpm.mpm.k_signals)
        if code is not None:
            return code
    if not post_config(process):
        return 1
    from httpd.log import errorlog
    from httpd.io.connection import Serving
    mpm = process.registry.mpm.mpm
    errorlog.set_mpm_threaded(mpm.threaded != "no")
    if opts.debug:
        errorlog.open_logs(process, replace_stderr=False)
        serving = Serving(process)
        try:
            return mpm.one_process(serving)
        finally:
            errorlog.close_logs(process)
    if not mpm.can_run:
        # every MPM offered here has a runtime; a third-party MPM module might not
        process.log.always(f"{process.argv0}: the {mpm.name} MPM cannot serve as a daemon in "
                           "this release; use prefork, or run in one process with -X")
        return 1
    try:
        listeners = mpm.open_listeners(process)
    except BindError as e:
        for line in e.lines:
            process.log.startup(line, "emerg")
        process.log.startup("AH00015: Unable to open logs", "emerg")
        return 1
    if not process.foreground:
        control.detach()
    process.command_line = " ".join([process.argv0] + list(opts.argv[1:]))
    if not errorlog.open_logs(process, replace_stderr=True):
        process.log.startup("AH00015: Unable to open logs", "emerg")
        return 1
    control.write_pid_file(process)

    def on_exit(current: Process) -> None:
        control.remove_pid_file(current)

    def reload(current: Process):
        return reload_generation(current, opts)

    try:
        return mpm.run(process, Serving(process), listeners, reload=reload, on_exit=on_exit)
    except Exception:
        # a bug in the parent: Apache's fatal-signal handler line, then the traceback
        # (on stderr, which is the error log by now), and the parent dies as Apache's does
        errorlog.error_log(process.main_server, "core", "emerg", "AH00060: seg fault or "
                           "similar nasty error detected in the parent process")
        raise


def reload_generation(old: Process, opts: Options):
    """A restart's new generation: the read and walk passes again, post_config, the logs.
    A broken config leaves the old generation serving; the error is in the error log."""
    import io
    from httpd.mpm.parent import Reloaded
    from httpd.log import errorlog
    from httpd.io.connection import Serving
    buf = io.StringIO()
    process = make_process(old.argv0, opts, buf)
    process.mpm_state = old.mpm_state          # ServerLimit survives a restart
    process.command_line = getattr(old, "command_line", old.argv0)
    try:
        with config_gc():
            load_config(process, opts)
    except MPMChanged:
        return Reloaded(error=f"AH00534: {old.argv0}: Configuration error: The MPM cannot "
                        "be changed during restart.", fatal=True)
    except (ConfigFailed, StartupExit):
        return Reloaded(error=buf.getvalue().strip().replace("\n", " "))
    if not post_config(process):
        return Reloaded(error=buf.getvalue().strip())
    if buf.getvalue():
        for line in buf.getvalue().splitlines():
            errorlog.error_log(old.main_server, "core", "warn", line)
    errorlog.close_logs(old)
    if not errorlog.open_logs(process, replace_stderr=True):
        errorlog.open_logs(old, replace_stderr=True)
        return Reloaded(error="AH00015: Unable to open logs")
    return Reloaded(process, Serving(process))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
