"""core's process-wide and protocol directives: what Apache keeps in globals
(mpm_common.c, scoreboard.c, RegexDefaultOptions, AcceptFilter, RegisterHttpMethod) and
the per-server HTTP settings (TraceEnable, Protocols, HttpProtocolOptions, Flush*).

Globals are stored on the main server's core config; ``forbidden=GLOBAL_ONLY`` in the
table makes ``X cannot occur within <VirtualHost> section`` come from the walk.
"""
from __future__ import annotations

import os
import resource

from httpd import expr
from httpd.util.cparse import atoi, strtol

from .directives_server import log_server
from .sections import core_server, main_core, method_register

UINT32_MAX, INT32_MAX = 2**32 - 1, 2**31 - 1


def set_pidfile(cmd, mconfig, arg):
    main_core(cmd).pid_fname = arg


def set_scoreboard(cmd, mconfig, arg):
    main_core(cmd).scoreboard_fname = arg


def set_extended_status(cmd, mconfig, flag):
    main_core(cmd).extended_status = flag


def set_reqtail(cmd, mconfig, flag):
    main_core(cmd).see_request_tail = flag


def set_max_requests(cmd, mconfig, arg):
    if cmd.cmd.name.lower() == "maxrequestsperchild":
        cmd.log.error("core", "info", "AH00545: MaxRequestsPerChild is deprecated, use "
                      "MaxConnectionsPerChild instead.")
    main_core(cmd).max_requests_per_child = atoi(arg)


def set_coredumpdir(cmd, mconfig, arg):
    fname = cmd.server_root_relative(arg)
    if not os.path.exists(fname):
        return f"CoreDumpDirectory {fname} does not exist"
    if not os.path.isdir(fname):
        return f"CoreDumpDirectory {fname} is not a directory"
    main_core(cmd).coredump_dir = fname
    return None


def _strtol_nonneg(name: str, arg: str):
    value, _, overflow = strtol(arg)
    if value < 0 or overflow:
        return None, f"Invalid {name} value: {arg}"
    return value, None


def set_max_mem_free(cmd, mconfig, arg):
    value, err = _strtol_nonneg("MaxMemFree", arg)
    if err is None:
        main_core(cmd).max_mem_free = (value * 1024) & 0xFFFFFFFF  # apr_uint32_t
    return err


def set_thread_stacksize(cmd, mconfig, arg):
    value, err = _strtol_nonneg("ThreadStackSize", arg)
    if err is None:
        main_core(cmd).thread_stacksize = value
    return err


_REGEX_FLAGS = {"ICASE": expr.AP_REG_ICASE, "DOTALL": expr.AP_REG_DOTALL,
                "DOLLAR_ENDONLY": expr.AP_REG_DOLLAR_ENDONLY, "NONE": 0}


def set_regex_default_options(cmd, mconfig, argv):
    conf = main_core(cmd)
    cflags = expr.AP_REG_DEFAULT if conf.regex_default_cflags is None \
        else conf.regex_default_cflags
    for name in argv:
        op = name[:1] if name[:1] in "+-" and name else ""
        name = name[len(op):]
        cflag = _REGEX_FLAGS.get(name.upper())
        if cflag is None:
            return f"RegexDefaultOptions: option '{name}' unknown"
        cflags = cflags | cflag if op == "+" else cflags & ~cflag if op == "-" else cflag
    conf.regex_default_cflags = cflags
    return None


def set_accf_map(cmd, mconfig, proto, accf):
    main_core(cmd).accf_map[proto.lower()] = accf.lower()


def set_http_method(cmd, mconfig, arg):
    method_register(cmd, arg)


def _rlimit(resource_id):
    """ap_unixd_set_rlimit: "max" or a number for the soft limit, a number for the hard
    one; only root may raise the hard limit (logged, as Apache does)."""
    def handler(cmd, mconfig, arg, arg2):
        soft, hard = resource.getrlimit(resource_id)
        cur = hard if arg.lower() == "max" else strtol(arg)[0]
        new_max = strtol(arg2)[0] if arg2 else 0
        if os.geteuid():
            soft = cur
            if new_max and hard != resource.RLIM_INFINITY and new_max > hard:
                log_server(cmd, "error", f"AH00092: Must be uid 0 to raise maximum "
                           f"{cmd.cmd.name}")
            elif new_max:
                hard = new_max
        else:
            soft = cur or soft
            hard = new_max or hard
        setattr(mconfig, {resource.RLIMIT_CPU: "limit_cpu", resource.RLIMIT_AS: "limit_mem",
                          resource.RLIMIT_NPROC: "limit_nproc"}[resource_id], (soft, hard))
    return handler


set_limit_cpu = _rlimit(resource.RLIMIT_CPU)
set_limit_mem = _rlimit(resource.RLIMIT_AS)
set_limit_nproc = _rlimit(resource.RLIMIT_NPROC)


# -- HTTP settings per server --------------------------------------------------------------

def set_trace_enable(cmd, mconfig, arg):
    value = arg.lower()
    if value not in ("on", "off", "extended"):
        return "TraceEnable must be one of 'on', 'off', or 'extended'"
    core_server(cmd).trace_enable = value
    return None


def set_merge_trailers(cmd, mconfig, flag):
    core_server(cmd).merge_trailers = flag


def set_merge_slashes(cmd, mconfig, flag):
    core_server(cmd).merge_slashes = flag


def set_strict_host_check(cmd, mconfig, flag):
    core_server(cmd).strict_host_check = flag


def set_protocols(cmd, mconfig, arg):
    core_server(cmd).protocols.append(arg.lower())


def set_protocols_honor_order(cmd, mconfig, arg):
    value = arg.lower()
    if value not in ("on", "off"):
        return "ProtocolsHonorOrder must be 'on' or 'off'"
    core_server(cmd).protocols_honor_order = value == "on"
    return None


def set_protocol(cmd, mconfig, arg):
    core_server(cmd).protocol = arg.lower()


# (attribute, bit, the option that excludes it)
_HTTP_OPTIONS = {"allow0.9": ("http09_enable", 1), "require1.0": ("http09_enable", 2),
                 "strict": ("http_conformance", 1), "unsafe": ("http_conformance", 2),
                 "lenientmethods": ("http_methods", 1),
                 "registeredmethods": ("http_methods", 2)}


def set_http_protocol_options(cmd, mconfig, arg):
    conf = core_server(cmd)
    option = _HTTP_OPTIONS.get(arg.lower())
    if option is None:
        return ("HttpProtocolOptions accepts 'Unsafe' or 'Strict' (default), "
                "'RegisteredMethods' or 'LenientMethods' (default), and "
                "'Require1.0' or 'Allow0.9' (default)")
    attr, bit = option
    setattr(conf, attr, getattr(conf, attr) | bit)
    if conf.http09_enable == 3:
        return "HttpProtocolOptions 'Allow0.9' and 'Require1.0' are mutually exclusive"
    if conf.http_conformance == 3:
        return "HttpProtocolOptions 'Strict' and 'Unsafe' are mutually exclusive"
    if conf.http_methods == 3:
        return ("HttpProtocolOptions 'RegisteredMethods' and 'LenientMethods' are mutually "
                "exclusive")
    return None


def _strtoff_range(arg: str, low: int, high: int, shown: str):
    value, end, overflow = strtol(arg)
    if overflow or end < len(arg) or value < low or value > high or not arg.strip():
        return None, f"parameter must be a number between {low} and ({shown}): {arg}"
    return value, None


def set_read_buf_size(cmd, mconfig, arg):
    value, err = _strtoff_range(arg, 0, UINT32_MAX, "4294967295U)")
    if err is None:
        mconfig.read_buf_size = value or None     # 0 keeps the default
    return err


def set_flush_max_threshold(cmd, mconfig, arg):
    value, err = _strtoff_range(arg, 0, UINT32_MAX, "4294967295U)")
    if err is None:
        core_server(cmd).flush_max_threshold = value
    return err


def set_flush_max_pipelined(cmd, mconfig, arg):
    value, err = _strtoff_range(arg, -1, INT32_MAX, "2147483647")
    if err is None:
        core_server(cmd).flush_max_pipelined = value
    return err
