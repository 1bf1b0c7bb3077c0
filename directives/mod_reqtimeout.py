"""mod_reqtimeout: RequestReadTimeout, deadlines for reading request headers and bodies.

A stage is ``timeout[-maxtimeout][,MinRate=rate]``: the deadline starts at ``timeout``
seconds and each ``rate`` bytes received add a second, up to ``maxtimeout``.  When the
deadline passes: 408 and close (a connection that sent nothing is just closed).

The module gives the connection its stages through the ``read_deadlines`` hook.  This
server applies the same defaults (header=20-40,MinRate=500 body=20,MinRate=500) even
when the module is not loaded (httpd.io.channel.DEFAULT_*_STAGE): without them a client
sending one byte a second holds a worker for ever (slowloris).  Loading the module only
lets a config change them; ``header=0`` / ``body=0`` turn a stage off, as in Apache.
"""
from __future__ import annotations

from typing import Optional

import attrs

from httpd.io.channel import Stage
from httpd.module import RSRC_CONF, Args, Module, directive

NAME = "reqtimeout_module"
INT_MAX = 2**31 - 1


@attrs.frozen
class ReqTimeoutConfig:
    handshake: Optional[Stage] = None
    header: Optional[Stage] = None
    body: Optional[Stage] = None


DEFAULT_HEADER = Stage(20, 40, 500)      # the module's defaults (mod_reqtimeout.c)
DEFAULT_BODY = Stage(20, 0, 500)


def effective(conf: Optional[ReqTimeoutConfig]) -> tuple[Stage, Stage]:
    """The header and body stages of a server (Apache's defaults where unset)."""
    header = conf.header if conf is not None and conf.header is not None else DEFAULT_HEADER
    body = conf.body if conf is not None and conf.body is not None else DEFAULT_BODY
    return header, body


def read_deadlines(server) -> tuple[Stage, Stage]:
    """read_deadlines: the server's stages, for its connections."""
    return effective(server.module_config.get(NAME))


def _parse_int(text: str) -> tuple[int, Optional[str]]:
    t = text.strip(" \t\n\r\v\f")
    sign = t[:1] in "+-" and t[:1] or ""
    digits = t[len(sign):]
    if not digits or not digits.isdigit():
        return 0, f"Value '{text}' not numerical"
    value = int(t)
    if value < 0 or value > INT_MAX:
        return 0, f"Value '{text}' out of range"
    return value, None


def parse_stage(val: str) -> tuple[Optional[Stage], Optional[str]]:
    """set_reqtimeout_param's value part."""
    low = val.lower()
    at = low.find(",minrate=")
    rate = max_timeout = 0
    if at >= 0:
        initial_str = val[:at]
        rate, err = _parse_int(val[at + len(",minrate="):])
        if err:
            return None, err
        if rate == 0:
            return None, "Minimum data rate must be larger than 0"
        if "-" in initial_str:
            initial_str, max_str = initial_str.split("-", 1)
            max_timeout, err = _parse_int(max_str)
            if err:
                return None, err
    else:
        if "-" in val:
            return None, "Must set MinRate option if using timeout range"
        initial_str = val
    initial, err = _parse_int(initial_str)
    if err:
        return None, err
    if max_timeout and initial >= max_timeout:
        return None, "Maximum timeout must be larger than initial timeout"
    return Stage(initial, max_timeout, rate), None


@directive("RequestReadTimeout", Args.RAW_ARGS, RSRC_CONF,
           "Set various timeout parameters for TLS handshake and/or reading request headers "
           "and body")
def set_reqtimeouts(cmd, mconfig, arg):
    from httpd.config.grammar import getword_conf
    conf = cmd.server.module_config[NAME]
    pos = 0
    while pos < len(arg):
        word, pos = getword_conf(arg, pos)
        if not word:
            break
        if "=" not in word:
            return "Invalid RequestReadTimeout parameter. Parameter must be in the form 'key=value'"
        key, val = word.split("=", 1)
        lkey = key.lower()
        if lkey not in ("handshake", "header", "body"):
            err = "Unknown RequestReadTimeout parameter"
        else:
            stage, err = parse_stage(val)
        if err:
            return f"RequestReadTimeout: {key}={val}: {err}"
        conf = attrs.evolve(conf, **{lkey: stage})
        cmd.server.module_config[NAME] = conf
    return None


def merge_server_config(base: ReqTimeoutConfig, add: ReqTimeoutConfig) -> ReqTimeoutConfig:
    return ReqTimeoutConfig(add.handshake or base.handshake, add.header or base.header,
                            add.body or base.body)


MODULE = Module(NAME, "mod_reqtimeout.c", (set_reqtimeouts,),
                create_server_config=lambda server: ReqTimeoutConfig(),
                merge_server_config=merge_server_config,
                hooks={"read_deadlines": read_deadlines},
                doc="Set timeout and minimum data rate for receiving requests")
