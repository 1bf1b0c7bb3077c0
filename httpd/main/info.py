"""What the server says about itself: -l, -L, -V and the -t -D DUMP_* dumps.

All of it comes from the module tables and the checked config, the same data the
server runs on, so the listings cannot drift from the behaviour.
"""
from __future__ import annotations

import sys

from httpd import APACHE_COMPAT_VERSION, SERVER_BUILT, SERVER_VERSION
from httpd.module import (ACCESS_CONF, OR_ALL, OR_AUTHCFG, OR_FILEINFO, OR_INDEXES, OR_LIMIT,
                     OR_OPTIONS, RSRC_CONF, Directive, Module)


def show_compiled(process) -> int:
    print("Compiled in modules:")
    for m in process.registry.static:
        print(f"  {m.source}")
    return 0


def allowed_text(d: Directive, m: Module) -> str:
    """The 'Allowed in' lines of ``-L`` (Apache's show_overrides)."""
    ov = d.req_override
    out = "\tAllowed in *.conf "
    if (ov & (OR_OPTIONS | OR_FILEINFO | OR_INDEXES)) or (
            ov & RSRC_CONF and ov & (ACCESS_CONF | OR_AUTHCFG | OR_LIMIT)):
        out += "anywhere"
    elif ov & RSRC_CONF:
        out += "only outside <Directory>, <Files>, <Location>, or <If>"
    else:
        out += "only inside <Directory>, <Files>, <Location>, or <If>"
    if ov & (OR_ALL | ACCESS_CONF) and m.create_dir_config is None:
        out += " [no per-dir config]"
    if ov & OR_ALL:
        out += " and in .htaccess\n\twhen AllowOverride"
        if ov & OR_ALL == OR_ALL:
            out += " isn't None"
        else:
            names = [n for bit, n in ((OR_AUTHCFG, "AuthConfig"), (OR_LIMIT, "Limit"),
                                      (OR_OPTIONS, "Options"), (OR_FILEINFO, "FileInfo"),
                                      (OR_INDEXES, "Indexes")) if ov & bit]
            out += " includes " + " or ".join(names)
    return out


def directive_listing(modules) -> str:
    lines = []
    for m in modules:
        for d in m.directives:
            lines.append(f"{d.name} ({m.source})")
            if d.help:
                lines.append(f"\t{d.help}")
            lines.append(allowed_text(d, m))
    return "\n".join(lines) + "\n"


def show_directives(process) -> int:
    sys.stdout.write(directive_listing(process.registry.loaded))
    return 0


def _versions() -> str:
    import platform                    # only -V needs these: keep -t start-up lean
    from importlib import metadata
    parts = [f"Python {platform.python_version()}"]
    for dist in ("pyparsing", "attrs", "structlog", "httptools"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(parts)


def version_line() -> str:
    """-v's and -V's first line: this server's product and, after it, the Apache release
    it follows as ``Apache/x.y.z``, the token tools look for on that line (Apache::Test
    takes the first word starting with ``Apache/``, certbot searches ``Apache/([0-9.]*)``)
    in distributions' forms such as ``Apache/2.4.71 (Debian)``."""
    return f"Server version: {SERVER_VERSION} (Unix) Apache/{APACHE_COMPAT_VERSION}"


def show_compile_settings(process, ok: bool) -> int:
    from httpd.config.process import default_server_root
    build = process.build
    mpm = process.registry.mpm if ok else None
    print(version_line())
    print(f"Server built:   {SERVER_BUILT}")
    print(f"Server follows: Apache/{APACHE_COMPAT_VERSION}")
    print(f"Server loaded:  {_versions()}")
    print(f"Architecture:   {64 if sys.maxsize > 2**32 else 32}-bit")
    if mpm is not None:
        q = mpm.mpm
        print(f"Server MPM:     {q.name}")
        print(f"  threaded:     {q.threaded}")
        print(f"    forked:     {q.forked}")
    else:
        print("Server MPM:     ")
    print("Server compiled with....")
    if build.static_mpm:
        print(f" -D STATIC_MPM=\"{build.static_mpm}\"")
    else:
        print(f" -D MPMS_SHARED=\"{' '.join(build.shared_mpms)}\"")
    print(f" -D HTTPD_ROOT=\"{default_server_root()}\"")
    print(" -D DEFAULT_PIDLOG=\"logs/httpd.pid\"")
    print(" -D DEFAULT_ERRORLOG=\"logs/error_log\"")
    print(" -D AP_TYPES_CONFIG_FILE=\"conf/mime.types\"")
    print(f" -D SERVER_CONFIG_FILE=\"{process.default_config}\"")
    return 0 if ok else 1


def dump_config(process) -> bool:
    """The -t -D DUMP_* output on stdout; True when anything was dumped."""
    from httpd.main import dump
    dumped = False
    if process.is_defined("DUMP_VHOSTS"):
        sys.stdout.write(dump.vhosts(process))
        dumped = True
    if process.is_defined("DUMP_RUN_CFG"):
        sys.stdout.write(dump.run_cfg(process))
        dumped = True
    # ap_run_test_config: each module prints its own (mod_unixd: User, Group)
    process.registry.hooks.run("test_config", process, process.main_server)
    if process.is_defined("DUMP_MODULES"):
        sys.stdout.write(dump.modules(process))
        dumped = True
    if process.is_defined("DUMP_INCLUDES"):
        dumped = True
    return dumped
