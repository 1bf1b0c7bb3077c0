"""Which modules this server offers, which are built in, and which are loaded.

Modules are found by identifier (``alias_module``), never by file: ``LoadModule
alias_module /any/dir/mod_alias.so`` loads this project's mod_alias.  Modules from other
Python packages join through the entry-point group ``httpd.modules``.
"""
from __future__ import annotations

import importlib
import os
from typing import Optional

from httpd.module.build import Build
from httpd.module import Directive, Module

# identifier -> "package.module" whose MODULE attribute is the declaration
CATALOGUE: dict[str, str] = {
    "core_module": "httpd.core",
    "so_module": "directives.mod_so",
    "watchdog_module": "directives.mod_watchdog",
    "http_module": "httpd.http.core",
    "log_config_module": "directives.mod_log_config",
    "logio_module": "directives.mod_logio",
    "version_module": "directives.mod_version",
    "unixd_module": "directives.mod_unixd",
    "alias_module": "directives.mod_alias",
    "mime_module": "directives.mod_mime",
    "dir_module": "directives.mod_dir",
    "authz_core_module": "directives.mod_authz_core",
    "authz_host_module": "directives.mod_authz_host",
    "macro_module": "directives.mod_macro",
    "autoindex_module": "directives.mod_autoindex",
    "headers_module": "directives.mod_headers",
    "env_module": "directives.mod_env",
    "setenvif_module": "directives.mod_setenvif",
    "reqtimeout_module": "directives.mod_reqtimeout",
    "status_module": "directives.mod_status",
    "mpm_prefork_module": "mpms.prefork",
    "mpm_worker_module": "mpms.worker",
    "mpm_event_module": "mpms.event",
}

# Built into every build, in Apache's (Debian's) compiled order; the MPM of a static
# build follows http_core.
BUILTIN = ["core_module", "so_module", "watchdog_module", "http_module",
           "log_config_module", "logio_module", "version_module", "unixd_module"]

MPM_MODULES = {"prefork": "mpm_prefork_module", "worker": "mpm_worker_module",
               "event": "mpm_event_module"}

# Apache 2.4's other modules: a LoadModule of one of these names a real module that
# this server does not offer, which gets a clear message rather than a loader error.
APACHE_MODULES = frozenset("""
access_compat actions alias allowmethods asis auth_basic auth_digest auth_form authn_anon
authn_core authn_dbd authn_dbm authn_file authn_socache authnz_fcgi authnz_ldap authz_core
authz_dbd authz_dbm authz_groupfile authz_host authz_owner authz_user autoindex brotli
buffer cache cache_disk cache_socache cern_meta cgi cgid charset_lite data dav dav_fs
dav_lock dbd deflate dialup dir dumpio echo env expires ext_filter file_cache filter
headers heartbeat heartmonitor http2 ident imagemap include info lbmethod_bybusyness
lbmethod_byrequests lbmethod_bytraffic lbmethod_heartbeat ldap log_debug log_forensic lua
macro md mime mime_magic mpm_event mpm_prefork mpm_worker negotiation proxy proxy_ajp
proxy_balancer proxy_connect proxy_express proxy_fcgi proxy_fdpass proxy_ftp proxy_hcheck
proxy_html proxy_http proxy_http2 proxy_scgi proxy_uwsgi proxy_wstunnel ratelimit reflector
remoteip reqtimeout request rewrite sed session session_cookie session_crypto session_dbd
setenvif slotmem_plain slotmem_shm socache_dbm socache_memcache socache_redis
socache_shmcb speling ssl status substitute suexec unique_id userdir usertrack vhost_alias
xml2enc""".split())

ENTRY_POINT_GROUP = "httpd.modules"


def import_module_decl(name: str) -> Optional[Module]:
    """The declaration of module ``name`` from the catalogue or an entry point."""
    path = CATALOGUE.get(name)
    if path is not None:
        return importlib.import_module(path).MODULE
    try:
        from importlib.metadata import entry_points
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == name:
                mod = ep.load()
                return mod if isinstance(mod, Module) else getattr(mod, "MODULE", None)
    except Exception:  # a broken third-party package must not break start-up
        return None
    return None


class Registry:
    """The modules of one config generation: static ones first, then LoadModule order."""

    def __init__(self, build: Build):
        self.build = build
        self.static: list[Module] = [import_module_decl(n) for n in BUILTIN]
        if build.static_mpm:
            self.static.insert(BUILTIN.index("http_module") + 1,
                               import_module_decl(MPM_MODULES[build.static_mpm]))
        self.loaded: list[Module] = list(self.static)
        self.shared: set[str] = set()
        # lower-cased name -> (module, directive), kept up to date as modules load, so
        # the passes can hold on to it; a later module's directive wins.
        self.commands: dict[str, tuple[Module, Directive]] = {}
        for m in self.loaded:
            self._add_commands(m)

    def _add_commands(self, m: Module) -> None:
        for d in m.directives:
            self.commands[d.name.lower()] = (m, d)

    # -- lookups --------------------------------------------------------------------------
    def find_command(self, name: str) -> Optional[tuple[Module, Directive]]:
        """The (module, directive) called ``name`` among loaded modules; later modules
        win, as Apache searches its module chain from the most recently added."""
        return self.commands.get(name.lower())

    def is_loaded(self, name: str) -> bool:
        """``<IfModule name>``: identifier or source file name, case-sensitive."""
        return any(m.name == name or m.source == name for m in self.loaded)

    def get(self, name: str) -> Optional[Module]:
        for m in self.loaded:
            if m.name == name:
                return m
        return None

    def provider(self, group: str, name: str):
        """Provider ``name`` of ``group`` (ap_lookup_provider); later modules win."""
        for m in reversed(self.loaded):
            table = m.providers.get(group)
            if table and name in table:
                return table[name]
        return None

    def providers(self, group: str) -> dict:
        """Every provider of ``group`` the loaded modules offer, later modules winning."""
        found: dict = {}
        for m in self.loaded:
            found.update(m.providers.get(group, ()))
        return found

    def mpms(self) -> list[Module]:
        return [m for m in self.loaded if m.is_mpm]

    @property
    def mpm(self) -> Optional[Module]:
        mpms = self.mpms()
        return mpms[0] if len(mpms) == 1 else None

    # -- LoadModule -----------------------------------------------------------------------
    def load(self, process, name: str, filename: str) -> Optional[str]:
        """Apache's LoadModule rules, in its order; returns an error message or None."""
        # "Already loaded" looks only at shared modules, as mod_so does: a built-in
        # named the Apache way (mod_X.c for X_module) is refused next.
        if name in self.shared:
            process.log.error("so", "warn", f"AH01574: module {name} is already loaded, skipping")
            return None
        if name.endswith("_module"):
            src = "mod_" + name[: -len("_module")] + ".c"
            if any(m.source == src for m in self.static):
                return f"module {name} is built-in and can't be loaded"
        resolved = process.server_root_relative(filename)
        base = os.path.basename(filename)
        owner = None
        if base.startswith("mod_") and base.endswith(".so"):
            stem = base[4:-3]
            if stem in APACHE_MODULES or stem + "_module" in CATALOGUE:
                owner = stem + "_module"
        if owner is not None and owner != name:
            return (f"Can't locate API module structure `{name}' in file {resolved}: "
                    f"{resolved}: undefined symbol: {name}")
        mod = None
        if name in CATALOGUE and name not in BUILTIN:
            mod = import_module_decl(name)
        elif name not in BUILTIN and owner is None:
            mod = import_module_decl(name)  # a third-party module by entry point
        if mod is None:
            if not os.path.exists(resolved):
                return (f"Cannot load {filename} into server: {resolved}: cannot open shared "
                        "object file: No such file or directory")
            what = "is built into" if name in BUILTIN else "is not available in"
            return f"Cannot load {filename} into server: {name} {what} this server"
        if mod.is_mpm:
            mpm_name = name[len("mpm_"):-len("_module")]
            if self.build.static_mpm == mpm_name:
                process.log.error("so", "warn",
                                  f"AH01574: module {name} is already loaded, skipping")
                return None
            if mpm_name not in self.build.shared_mpms:
                return (f"Cannot load {filename} into server: the {mpm_name} MPM is not built "
                        f"as a shared module in this server (see ./configure "
                        "--enable-mpms-shared)")
        self.loaded.append(mod)
        self.shared.add(name)
        self._add_commands(mod)
        process.log.error("so", "debug", f"AH01575: loaded module {name} from {resolved}")
        return None
