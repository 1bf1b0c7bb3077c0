"""The modules of this project (Apache's modules/): one file or package per module.

This file is the package's catalogue, what Apache's configure generates as modules.c:
``CATALOGUE`` names each module's declaration (identifier -> the Python module whose
``MODULE`` is the declaration), the core's two among them as in modules.c,
``PRELINKED`` the modules compiled into every build, in Apache's (Debian's) order, and
``MPM_AFTER`` the one the MPM of a static build follows.  The core reaches this file through the ``httpd.catalogues`` entry point
(pyproject.toml) or the build config, never by name.  Keep it free of imports: reading
the catalogue must load no module.
"""

CATALOGUE = {
    "core_module": "httpd.core.module",
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
    "authn_core_module": "directives.mod_authn_core",
    "auth_basic_module": "directives.mod_auth_basic",
    "authn_file_module": "directives.mod_authn_file",
    "authz_user_module": "directives.mod_authz_user",
    "authz_groupfile_module": "directives.mod_authz_groupfile",
    "access_compat_module": "directives.mod_access_compat",
    "deflate_module": "directives.mod_deflate",
    "filter_module": "directives.mod_filter",
    "negotiation_module": "directives.mod_negotiation",
    "cgi_module": "directives.mod_cgi",
    "cgid_module": "directives.mod_cgid",
    "wsgi_module": "directives.mod_wsgi",
    "rewrite_module": "directives.mod_rewrite",
    "expires_module": "directives.mod_expires",
    "allowmethods_module": "directives.mod_allowmethods",
    "userdir_module": "directives.mod_userdir",
    "remoteip_module": "directives.mod_remoteip",
    "asis_module": "directives.mod_asis",
    "speling_module": "directives.mod_speling",
    "unique_id_module": "directives.mod_unique_id",
    "actions_module": "directives.mod_actions",
    "usertrack_module": "directives.mod_usertrack",
    "vhost_alias_module": "directives.mod_vhost_alias",
    "data_module": "directives.mod_data",
    "reflector_module": "directives.mod_reflector",
}

PRELINKED = ("core_module", "so_module", "watchdog_module", "http_module",
             "log_config_module", "logio_module", "version_module", "unixd_module")
MPM_AFTER = "http_module"          # a static build's MPM (./configure --with-mpm)
