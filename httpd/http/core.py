"""http_core (http_core.c): HTTP keep-alive settings of a server."""
from __future__ import annotations

import re
from typing import Optional

import attrs

from httpd.protocol import KeepAlive
from httpd.util.cparse import atoi
from httpd.module import NOT_IN_DIR_CONTEXT, RSRC_CONF, Args, Module, directive

HTTP_MODULE = MODULE_NAME = "http_module"    # the HTTP module is core: the one name it reads

_TIMEOUT = re.compile(r"^[ \t\n\r\v\f]*([+-]?\d*)(.*)$", re.S)


def parse_timeout(text: str, default_unit: str = "s") -> Optional[float]:
    """Apache's ap_timeout_parameter_parse: ``N``, ``Nms``, ``Ns``, ``Nmi``, ``Nh``.

    Returns seconds, or None when the text is not a valid timeout.
    """
    m = _TIMEOUT.match(text)
    digits, unit = m.group(1), m.group(2)
    value = int(digits) if digits not in ("", "+", "-") else 0
    unit = unit or default_unit
    if value < 0:
        return None
    if unit[0] == "s":
        return float(value)
    if unit[0] == "h":
        return value * 3600.0
    if unit[0] == "m" and len(unit) > 1:
        if unit[1] == "s":
            return value / 1000.0
        if unit[1] == "i":
            return value * 60.0
    return None


@attrs.frozen
class HttpServerConfig:
    """Keep-alive settings; None means "not set here", so a vhost inherits the main's."""

    keep_alive: Optional[bool] = None
    keep_alive_timeout: Optional[float] = None
    keep_alive_max: Optional[int] = None
    _effective: Optional["HttpServerConfig"] = attrs.field(default=None, init=False,
                                                           eq=False, repr=False)
    _policy: Optional[KeepAlive] = attrs.field(default=None, init=False, eq=False, repr=False)

    @property
    def effective(self) -> "HttpServerConfig":
        """The values with Apache's defaults filled in (computed once: read per request)."""
        eff = self._effective
        if eff is None:
            eff = HttpServerConfig(
                True if self.keep_alive is None else self.keep_alive,
                5.0 if self.keep_alive_timeout is None else self.keep_alive_timeout,
                100 if self.keep_alive_max is None else self.keep_alive_max)
            object.__setattr__(self, "_effective", eff)
        return eff

    @property
    def policy(self) -> KeepAlive:
        """The effective values as the protocol's keep-alive policy (set_keepalive)."""
        policy = self._policy
        if policy is None:
            eff = self.effective
            policy = KeepAlive(eff.keep_alive, eff.keep_alive_timeout, eff.keep_alive_max)
            object.__setattr__(self, "_policy", policy)
        return policy


def create_server_config(server) -> HttpServerConfig:
    return HttpServerConfig()


def merge_server_config(base: HttpServerConfig, virt: HttpServerConfig) -> HttpServerConfig:
    return HttpServerConfig(
        base.keep_alive if virt.keep_alive is None else virt.keep_alive,
        base.keep_alive_timeout if virt.keep_alive_timeout is None else virt.keep_alive_timeout,
        base.keep_alive_max if virt.keep_alive_max is None else virt.keep_alive_max)


def _set(cmd, **changes) -> None:
    s = cmd.server.module_config
    s[MODULE_NAME] = attrs.evolve(s[MODULE_NAME], **changes)


@directive("KeepAliveTimeout", Args.TAKE1, RSRC_CONF,
           "Keep-Alive timeout duration (sec)", forbidden=NOT_IN_DIR_CONTEXT)
def keep_alive_timeout(cmd, mconfig, arg):
    seconds = parse_timeout(arg)
    if seconds is None:
        return "KeepAliveTimeout has wrong format"
    _set(cmd, keep_alive_timeout=seconds)
    return None


@directive("MaxKeepAliveRequests", Args.TAKE1, RSRC_CONF,
           "Maximum number of Keep-Alive requests per connection, or 0 for infinite",
           forbidden=NOT_IN_DIR_CONTEXT)
def max_keep_alive_requests(cmd, mconfig, arg):
    _set(cmd, keep_alive_max=atoi(arg))
    return None


@directive("KeepAlive", Args.FLAG, RSRC_CONF,
           "Whether persistent connections should be On or Off", forbidden=NOT_IN_DIR_CONTEXT)
def keep_alive(cmd, mconfig, on):
    _set(cmd, keep_alive=on)
    return None


MODULE = Module(MODULE_NAME, "http_core.c",
                (keep_alive_timeout, max_keep_alive_requests, keep_alive),
                create_server_config=create_server_config,
                merge_server_config=merge_server_config,
                doc="HTTP protocol handling: keep-alive")
