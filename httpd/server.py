"""Server records: the main server and the virtual hosts built by the walk pass."""
from __future__ import annotations

from typing import Any, Optional

import attrs


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
    """A server with every loaded module's server and per-dir configs created."""
    s = ServerRec(is_virtual=is_virtual, defn_name=defn_name, defn_line=defn_line)
    for m in process.registry.loaded:
        if m.create_server_config is not None:
            s.module_config[m.name] = m.create_server_config(s)
        if m.create_dir_config is not None:
            s.lookup_defaults[m.name] = m.create_dir_config(None)
    return s
