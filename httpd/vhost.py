"""After the walk: virtual hosts inherit from the main server (ap_fixup_virtual_hosts)
and every server gets a name (ap_get_local_host, ap_fini_vhost_config)."""
from __future__ import annotations

import socket
from functools import lru_cache
from typing import Optional

CORE = "core_module"


@lru_cache(maxsize=1024)
def _nameinfo(addr: str) -> Optional[str]:
    try:
        return socket.getnameinfo((addr, 0), socket.NI_NAMEREQD)[0]
    except (OSError, UnicodeError):
        return None


def local_host(process) -> str:
    """The main server's name when ServerName is missing, with Apache's AH00558."""
    name = None
    try:
        host = socket.gethostname()
    except OSError:
        host = None
    if host:
        try:
            info = socket.getaddrinfo(host, None, socket.AF_UNSPEC, socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            process.log.startup(f"AH00556: {process.argv0}: apr_sockaddr_info_get() failed for "
                                f"{host}", "alert")
        else:
            ip = info[0][4][0]
            reverse = _nameinfo(ip)
            if reverse and "." in reverse:
                return reverse
            name = host if "." in host else ip
    name = name or "127.0.0.1"
    process.log.startup(f"AH00558: {process.argv0}: Could not reliably determine the server's "
                        f"fully qualified domain name, using {name}. Set the 'ServerName' "
                        "directive globally to suppress this message", "alert")
    return name


def fixup_virtual_hosts(process) -> None:
    main = process.main_server
    modules = process.registry.loaded
    core = main.module_config.get(CORE)
    if core is not None and not core.server_hostname:
        core.server_hostname = local_host(process)
    for vh in process.vhosts:
        # Apache's merge_server_configs / ap_merge_per_dir_configs: a module the virtual
        # host never configured shares the main server's config; the others merge.
        for m in modules:
            name = m.name
            if name in main.module_config:
                if name not in vh.module_config:
                    vh.module_config[name] = main.module_config[name]
                elif m.merge_server_config is not None:
                    vh.module_config[name] = m.merge_server_config(main.module_config[name],
                                                                   vh.module_config[name])
            if name in main.lookup_defaults:
                if name not in vh.lookup_defaults:
                    vh.lookup_defaults[name] = main.lookup_defaults[name]
                elif m.merge_dir_config is not None:
                    vh.lookup_defaults[name] = m.merge_dir_config(main.lookup_defaults[name],
                                                                  vh.lookup_defaults[name])
        vcore = vh.module_config.get(CORE)
        if vcore is not None and not vcore.server_hostname:
            vcore.server_hostname = _vhost_name(process, vh, core)
    for m in modules:
        hook = m.hooks.get("fixup_servers")
        if hook is not None:
            hook(process)


def _vhost_name(process, vh, main_core) -> str:
    addr = vh.addrs[0] if vh.addrs else None
    if addr is None or addr.is_wildcard:
        return main_core.server_hostname
    name = _nameinfo(addr.host_addr)
    if name:
        return name
    process.log.error("core", "warn", f"AH00549: Failed to resolve server name for "
                      f"{addr.host_addr} (check DNS) -- or specify an explicit ServerName")
    return addr.host_addr
