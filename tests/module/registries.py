"""Module registries for tests that load no config file."""
from __future__ import annotations

from httpd.module.build import Build
from httpd.module.registry import Registry


def registry_with(modules) -> Registry:
    """A registry holding exactly ``modules``, as if they had been loaded."""
    r = Registry.__new__(Registry)
    r.build = Build()
    r.static = []
    r.loaded = list(modules)
    r.shared = {m.name for m in r.loaded}
    r.commands = {}
    for m in r.loaded:
        r._add_commands(m)
    return r
