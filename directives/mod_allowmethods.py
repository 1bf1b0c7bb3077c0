"""mod_allowmethods (modules/aaa/mod_allowmethods.c, 2.4): ``AllowMethods`` in a
directory section.

``AllowMethods GET POST OPTIONS`` lets those methods through and answers any other with
405 and the AH01623 line; the access_checker runs REALLY_FIRST, before any other access
check (the 405's ``Allow`` field names TRACE alone, as 2.4's: see check_access).  GET allows HEAD
(HEAD is GET to ap_method_number_of).  Method names are exact (``get`` is invalid) and
may be RegisterHttpMethod's.  A second line in one section adds to the first, as 2.4's
does; ``AllowMethods reset`` alone turns the check off for the section; a section
without the directive inherits its parent's list.  (Trunk's ``+``/``-`` forms are not
2.4's: they are invalid methods there and here.)
"""
from __future__ import annotations

import attrs

from httpd.core.sections import method_number
from httpd.http.request import log_rerror
from httpd.module import ACCESS_CONF, Args, Module, directive
from httpd.module.hooks import DECLINED, REALLY_FIRST, determined
from httpd.protocol import M_INVALID

MODULE_NAME = "allowmethods_module"
HTTP_METHOD_NOT_ALLOWED = 405


@attrs.define
class AllowMethodsConfig:
    allowed: int = 0              # bit mask of method numbers; 0: no check
    allowed_set: bool = False


def create_dir_config(path) -> AllowMethodsConfig:
    return AllowMethodsConfig()


def merge_dir_config(base: AllowMethodsConfig, add: AllowMethodsConfig) -> AllowMethodsConfig:
    return add if add.allowed_set else base


@directive("AllowMethods", Args.TAKE_ARGV, ACCESS_CONF, "only allow specific methods")
def allow_methods(cmd, conf: AllowMethodsConfig, argv):
    if not argv:
        return "AllowMethods: No method or 'reset' keyword given"
    if len(argv) == 1 and argv[0].lower() == "reset":
        conf.allowed, conf.allowed_set = 0, True
        return None
    for name in argv:
        m = method_number(cmd, name)
        if m == M_INVALID:
            return f"AllowMethods: Invalid Method '{name}'"
        conf.allowed |= 1 << m
    conf.allowed_set = True
    return None


def check_access(r) -> int:
    """am_check_access (access_checker, REALLY_FIRST)."""
    conf = r.module_config(MODULE_NAME)
    if conf is None or conf.allowed == 0:
        return DECLINED
    # am_check_access also sets r->allowed, the request's legacy int64 mask, which no
    # Allow field reads in 2.4 (make_allow reads r->allowed_methods, this server's
    # ``r.allowed``): a 405 here says ``Allow: TRACE`` alone, as Apache's does
    if conf.allowed & (1 << r.method_number):
        return DECLINED
    where = r.filename if r.filename else f"uri {r.uri}"
    log_rerror(r, "allowmethods", "error", "AH01623: client method denied by server "
               f"configuration: '{r.method}' to {where}")
    return HTTP_METHOD_NOT_ALLOWED


MODULE = Module(
    MODULE_NAME, "mod_allowmethods.c", (allow_methods,),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    # the answer and the record's change depend on the method number and the section
    hooks={"access_checker": (determined(check_access), REALLY_FIRST)},
    doc="Restrict allowed HTTP methods",
)
