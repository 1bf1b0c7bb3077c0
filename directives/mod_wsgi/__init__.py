"""mod_wsgi (wsgi_module, mod_wsgi.c): hosting Python WSGI applications.

The directives and their meanings are mod_wsgi's (4.9, Debian's
libapache2-mod-wsgi-py3), with its error texts: WSGIScriptAlias, WSGIScriptAliasMatch,
WSGIDaemonProcess, WSGIProcessGroup, WSGIApplicationGroup, WSGICallableObject,
WSGIPassAuthorization, WSGIScriptReloading, WSGIImportScript, WSGIRestrictEmbedded, and
the ``wsgi-script`` handler (``SetHandler``/``AddHandler``).

Embedded mode (no process group, or ``%{GLOBAL}``): the application runs in the MPM's
own children and threads, loaded once per process (``embedded.py``).  Daemon mode: each
WSGIDaemonProcess group is a set of processes of its own, under its own user, started
by a supervisor the parent forks at post_config, the request handed over a Unix socket
(``daemon.py``).  The environ is built by one function (``environ.py``).

Parts: ``config.py`` the records and the option parsing, ``environ.py`` the CGI-style
environ, ``embedded.py`` the application loader and the PEP 3333 adapter, ``handler.py``
translate_name and the handler, ``daemon.py`` the daemon processes.
"""
from __future__ import annotations

from httpd.module.hooks import MIDDLE, REALLY_LAST, determined
from httpd.module import Module

from directives.mod_wsgi import config as cfg
from directives.mod_wsgi import daemon, handler

MODULE_NAME = cfg.MODULE_NAME

MODULE = Module(
    MODULE_NAME, "mod_wsgi.c",
    cfg.DIRECTIVES,
    create_dir_config=cfg.create_dir_config,
    merge_dir_config=cfg.merge_dir_config,
    create_server_config=cfg.create_server_config,
    merge_server_config=cfg.merge_server_config,
    hooks={"pre_config": cfg.pre_config,
           "post_config": handler.post_config,
           "child_init": handler.child_init,
           # after mod_alias (mod_wsgi names mod_alias.c as its predecessor): an Alias
           # inside a WSGIScriptAlias's URL space (static files) wins
           "translate_name": (determined(handler.translate_name), MIDDLE + 1),
           "handler": (handler.wsgi_handler, MIDDLE),
           "log_transaction": (handler.log_transaction, REALLY_LAST)},
    # /server-status lists the daemon processes (mod_status declares the hook)
    optional_hooks={"status_hook": daemon.status_hook},
    doc="Hosts Python WSGI applications, embedded or in daemon processes",
)
