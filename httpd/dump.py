"""The -t -D DUMP_VHOSTS / DUMP_RUN_CFG / DUMP_MODULES texts."""
from __future__ import annotations


def modules(process) -> str:
    reg = process.registry
    lines = ["Loaded Modules:"]
    for m in reg.loaded:
        kind = "static" if m in reg.static else "shared"
        lines.append(f" {m.name} ({kind})")
    return "\n".join(lines) + "\n"


def vhosts(process) -> str:
    return "VirtualHost configuration:\n"


def run_cfg(process) -> str:
    lines = [f'ServerRoot: "{process.server_root}"']
    for d in process.defines:
        v = process.variables.get(d)
        lines.append(f"Define: {d}" if v is None else f"Define: {d}={v}")
    return "\n".join(lines) + "\n"
