"""Server records: the main server and the virtual hosts built by the walk pass."""
from __future__ import annotations

from typing import Any, Callable, Optional

import attrs


class ConfigVector(dict):
    """Per-module configs of one server or section, keyed by module identifier.

    A module's config is created the first time something asks for it (Apache's
    ap_set_config_vectors), so a virtual host that never configures a module shares
    the main server's config after the fixup instead of merging a fresh empty one.
    """

    __slots__ = ("_create",)

    def __init__(self, create: Callable[[str], Any]):
        super().__init__()
        self._create = create

    def __missing__(self, name: str) -> Any:
        value = self._create(name)
        if value is None:
            raise KeyError(name)
        self[name] = value
        return value


@attrs.define(eq=False)
class ServerRec:
    """One server (Apache's server_rec).

    ``module_config`` maps a module identifier to that module's server config;
    ``lookup_defaults`` maps it to the module's per-directory config at server level
    (the base that ``<Directory>`` and friends merge onto).
    """

    is_virtual: bool = False
    defn_name: Optional[str] = None       # file of the <VirtualHost> (or main config)
    defn_line: int = 0
    addrs: list = attrs.field(factory=list)   # parsed <VirtualHost> addresses
    module_config: dict[str, Any] = attrs.field(factory=dict)
    lookup_defaults: dict[str, Any] = attrs.field(factory=dict)

    def config(self, module: str) -> Any:
        return self.module_config.get(module)


def create_server(process: Any, is_virtual: bool = False, defn_name: Optional[str] = None,
                  defn_line: int = 0) -> ServerRec:
    """A server whose module configs are created on first use (all of them, at once,
    for the main server, which is every virtual host's base)."""
    s = ServerRec(is_virtual=is_virtual, defn_name=defn_name, defn_line=defn_line)
    registry = process.registry

    def server_config(name: str) -> Any:
        m = registry.get(name)
        return m.create_server_config(s) if m is not None and m.create_server_config else None

    def dir_config(name: str) -> Any:
        m = registry.get(name)
        return m.create_dir_config(None) if m is not None and m.create_dir_config else None

    s.module_config = ConfigVector(server_config)
    s.lookup_defaults = ConfigVector(dir_config)
    if not is_virtual:
        for m in registry.loaded:
            if m.create_server_config is not None:
                s.module_config[m.name] = m.create_server_config(s)
            if m.create_dir_config is not None:
                s.lookup_defaults[m.name] = m.create_dir_config(None)
    return s
