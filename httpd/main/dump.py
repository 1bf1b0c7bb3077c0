"""The -t -D DUMP_VHOSTS / DUMP_RUN_CFG / DUMP_MODULES texts (Apache's vhost.c and
core.c dumps), computed from the checked configuration."""
from __future__ import annotations

import ipaddress
import socket
from httpd.module import CORE_MODULE

IPHASH_TABLE_SIZE = 256


def modules(process) -> str:
    reg = process.registry
    lines = ["Loaded Modules:"]
    for m in reg.loaded:
        kind = "static" if m in reg.static else "shared"
        lines.append(f" {m.name} ({kind})")
    return "\n".join(lines) + "\n"


def _hash_addr(addr) -> int:
    """vhost.c hash_addr: the last four address bytes, read as a little-endian int."""
    packed = ipaddress.ip_address(addr.host_addr.split("%")[0]).packed
    key = int.from_bytes(packed[-4:], "little")
    key ^= key >> 16
    return ((key >> 8) ^ key) % IPHASH_TABLE_SIZE


def _label(addr) -> str:
    if addr.is_wildcard or addr.host_addr in ("0.0.0.0", "::"):
        text = f"*:{addr.host_port}"
    elif addr.family == socket.AF_INET6:
        text = f"[{addr.host_addr}]:{addr.host_port}"
    else:
        text = f"{addr.host_addr}:{addr.host_port}"
    if addr.host_port == 0:
        text = text[:-1] + "*"
    return text


def _hostname(process, server) -> str:
    core = server.module_config.get(CORE_MODULE)
    name = getattr(core, "server_hostname", None)
    if not name:
        main = process.main_server.module_config.get(CORE_MODULE)
        name = getattr(main, "server_hostname", None) or "localhost"
    return name


def vhosts(process) -> str:
    chains: dict = {}       # (label) -> (addr, [servers]) in first-seen order
    for vh in process.vhosts:
        for addr in vh.addrs:
            key = _label(addr)
            entry = chains.setdefault(key, (addr, []))
            if vh not in entry[1]:
                entry[1].append(vh)
    specific = [(k, v) for k, v in chains.items() if not v[0].is_wildcard]
    wild = [(k, v) for k, v in chains.items() if v[0].is_wildcard]
    specific.sort(key=lambda kv: _hash_addr(kv[1][0]))
    out = ["VirtualHost configuration:"]
    for label, (addr, servers) in specific + wild:
        first = servers[0]
        where = lambda s: f"({s.defn_name}:{s.defn_line})"  # noqa: E731
        if len(servers) == 1:
            out.append(f"{label:<22} {_hostname(process, first)} {where(first)}")
            continue
        out.append(f"{label:<22} is a NameVirtualHost")
        out.append(f"{'':8} default server {_hostname(process, first)} {where(first)}")
        for s in servers:
            port = f"port {addr.host_port}" if addr.host_port else "port *"
            out.append(f"{'':8} {port} namevhost {_hostname(process, s)} {where(s)}")
            core = s.module_config.get(CORE_MODULE)
            for alias in getattr(core, "names", None) or ():
                out.append(f"{'':16} alias {alias}")
            for alias in getattr(core, "wild_names", None) or ():
                out.append(f"{'':16} wild alias {alias}")
    return "\n".join(out) + "\n"


def run_cfg(process) -> str:
    """core_dump_config's lines; the modules' own follow from the test_config hook."""
    core = process.main_server.module_config.get(CORE_MODULE)
    srr = process.server_root_relative
    lines = [f'ServerRoot: "{process.server_root}"']
    docroot = getattr(core, "ap_document_root", None) or srr("htdocs")
    lines.append(f'Main DocumentRoot: "{docroot}"')
    errlog = getattr(core, "error_fname", None) or "logs/error_log"
    if not errlog.startswith(("|", "syslog")):
        errlog = srr(errlog)
    lines.append(f'Main ErrorLog: "{errlog}"')
    runtime = process.runtime_dir or srr("logs")
    configured = getattr(core, "mutexes", None) or {}
    for m in process.registry.loaded:
        for kind in m.mutex_types:
            if kind not in configured:
                lines.append(f"Mutex {kind}: using_defaults")
    lines.append(f'Mutex default: dir="{runtime}/" mechanism=default ')
    lines.append(f'PidFile: "{srr(getattr(core, "pid_fname", None) or "logs/httpd.pid")}"')
    for d in process.defines:
        v = process.variables.get(d)
        lines.append(f"Define: {d}" if v is None else f"Define: {d}={v}")
    return "\n".join(lines) + "\n"
