"""The MPMs (Apache's server/mpm/): one package per MPM, plus the machinery worker and
event share (threaded/).

``CATALOGUE`` is this package's part of modules.c: the MPM modules by identifier
(``mpm_NAME_module``).  ./configure decides which of them a build has (static or
shared); the core finds this file through the ``httpd.catalogues`` entry point.  Keep
it free of imports.
"""

CATALOGUE = {
    "mpm_prefork_module": "mpms.prefork",
    "mpm_worker_module": "mpms.worker",
    "mpm_event_module": "mpms.event",
    "mpm_perchild_module": "mpms.perchild",
    # mpm-itk: a module beside prefork, not an MPM (it declares no ``mpm``)
    "mpm_itk_module": "mpms.itk",
    # the MPMs of the other platforms of Apache's table (they run anywhere)
    "mpm_mpmt_os2_module": "mpms.os2",
    "mpm_winnt_module": "mpms.winnt",
    "mpm_beos_module": "mpms.beos",
    "mpm_netware_module": "mpms.netware",
}
