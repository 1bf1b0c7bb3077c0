"""The core module (core.c): its config records (config.py), directives (read.py,
sections.py, directives*.py), request hooks (runtime.py, handler.py) and its
declaration (module.py).

This package file imports only ``httpd.module``, so that any part of the core (the
walks, the request body reader...) can import ``httpd.core.config`` without loading the
core's hooks, which themselves import the request pipeline.  ``CORE_MODULE`` is the
core's identifier, the one module name the core may look up (Apache's
``ap_get_core_module_config``), defined in httpd.module.
"""

from httpd.module import CORE_MODULE  # noqa: F401
