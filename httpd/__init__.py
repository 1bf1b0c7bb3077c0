"""httpd: the Apache HTTP Server's design, rebuilt in Python.

Layers, bottom up: ``httpd.config`` (grammar, read and walk passes) knows no directive;
``httpd.module`` and ``httpd.module.registry`` hold the declarations that give directives
meaning; ``directives/`` and ``mpms/`` are the modules; ``httpd.main.cli`` drives it all.
"""

__version__ = "0.1.0"

SERVER_BASEPRODUCT = "httpd"
SERVER_VERSION = f"{SERVER_BASEPRODUCT}/{__version__}"
# The Apache release whose behaviour this server follows; <IfVersion> compares to it.
APACHE_COMPAT_VERSION = "2.4.71"
SERVER_BUILT = "2026-11-26T00:00:00"
