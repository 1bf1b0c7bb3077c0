"""Which modules this server offers, which are built in, and which are loaded.

Modules are found by identifier (``alias_module``), never by file: ``LoadModule
alias_module /any/dir/mod_alias.so`` loads this project's mod_alias.

The core names no module here, not even its own: every module, the core's included, is
listed by the catalogue of a package (``CATALOGUE``, with the static modules in
``PRELINKED``: Apache's generated modules.c, which lists core_module too), found through
the build config written by ./configure or, without one, the entry-point group
``httpd.catalogues``.  A single module
of another Python package can also join through the entry-point group ``httpd.modules``.
"""
from __future__ import annotations

import importlib
import os
from typing import Optional

import attrs

from httpd.module.build import Build, current_build
from httpd.module import Directive, Module
from httpd.module.hooks import HookTable

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

ENTRY_POINT_GROUP = "httpd.modules"          # one third-party module per entry point
CATALOGUE_GROUP = "httpd.catalogues"         # a package's CATALOGUE (and PRELINKED)


@attrs.frozen
class Catalogue:
    """Every module this build offers (Apache's modules.c): ``modules`` maps identifiers
    to the Python module holding the declaration (its ``MODULE``), ``prelinked`` is the
    static modules in their order, ``mpm_after`` the one a static build's MPM follows."""

    modules: dict
    prelinked: tuple[str, ...]
    mpm_after: Optional[str] = None


_CATALOGUES: dict = {}


def _catalogue_packages(build: Build) -> list:
    """The packages holding a CATALOGUE: those the build config names (./configure),
    else those the installed distributions declare in the ``httpd.catalogues`` group
    (this project's pyproject.toml declares directives and mpms), by name."""
    if build.catalogues:
        return [importlib.import_module(name) for name in build.catalogues]
    from importlib.metadata import entry_points
    return [ep.load() for ep in sorted(entry_points(group=CATALOGUE_GROUP),
                                       key=lambda ep: ep.name)]


def catalogue(build: Optional[Build] = None) -> Catalogue:
    """The catalogue of ``build`` (the current one by default), read once."""
    build = build or current_build()
    found = _CATALOGUES.get(build)
    if found is None:
        modules: dict = {}
        prelinked: list[str] = []
        mpm_after = None
        packages = _catalogue_packages(build)
        if not packages:
            raise RuntimeError(
                f"no module catalogue: no build config names one and no installed package "
                f"declares the entry-point group {CATALOGUE_GROUP!r}; install the project "
                "(pip install -e .) or run ./configure")
        for pkg in packages:
            modules.update(getattr(pkg, "CATALOGUE", {}))
            prelinked += [n for n in getattr(pkg, "PRELINKED", ()) if n not in prelinked]
            mpm_after = getattr(pkg, "MPM_AFTER", mpm_after)
        found = _CATALOGUES[build] = Catalogue(modules, tuple(prelinked), mpm_after)
    return found


def mpm_module(mpm: str) -> str:
    """The identifier of MPM ``mpm``'s module (Apache's naming: mpm_NAME_module)."""
    return f"mpm_{mpm}_module"


def import_module_decl(name: str, cat: Optional[Catalogue] = None) -> Optional[Module]:
    """The declaration of module ``name`` from the catalogue or an entry point."""
    path = (cat or catalogue()).modules.get(name)
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
        cat = self.catalogue
        self.static: list[Module] = [import_module_decl(n, cat) for n in cat.prelinked]
        if build.static_mpm:
            # where the catalogue puts it (after http_core, as Apache's modules.c)
            at = (cat.prelinked.index(cat.mpm_after) + 1 if cat.mpm_after in cat.prelinked
                  else len(self.static))
            self.static.insert(at, import_module_decl(mpm_module(build.static_mpm), cat))
        self.loaded: list[Module] = list(self.static)
        self.shared: set[str] = set()
        # lower-cased name -> (module, directive), kept up to date as modules load, so
        # the passes can hold on to it; a later module's directive wins.
        self.commands: dict[str, tuple[Module, Directive]] = {}
        for m in self.loaded:
            self._add_commands(m)

    @property
    def catalogue(self) -> Catalogue:
        return catalogue(self.build)

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

    @property
    def hooks(self) -> HookTable:
        """The hook table of the loaded modules, built once they are all loaded (and
        again if a module loads later)."""
        table = getattr(self, "_hooks", None)
        if table is None or self._hooks_for != len(self.loaded):
            table = self._hooks = HookTable(self.loaded)
            self._hooks_for = len(self.loaded)
        return table

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
        cat = self.catalogue
        builtin = cat.prelinked
        if base.startswith("mod_") and base.endswith(".so"):
            stem = base[4:-3]
            if stem in APACHE_MODULES or stem + "_module" in cat.modules:
                owner = stem + "_module"
        if owner is not None and owner != name:
            return (f"Can't locate API module structure `{name}' in file {resolved}: "
                    f"{resolved}: undefined symbol: {name}")
        mod = None
        if name in cat.modules and name not in builtin:
            mod = import_module_decl(name, cat)
        elif name not in builtin and owner is None:
            mod = import_module_decl(name, cat)  # a third-party module by entry point
        if mod is None:
            if not os.path.exists(resolved):
                return (f"Cannot load {filename} into server: {resolved}: cannot open shared "
                        "object file: No such file or directory")
            what = "is built into" if name in builtin else "is not available in"
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
