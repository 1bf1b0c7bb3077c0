"""Directive tables against real Apache 2.4.71's (apache_L_tables.json): for each
module, the names, order and help texts `apache2 -L` lists, and the message `apache2 -t`
printed for a bare directive (the "probe")."""
from __future__ import annotations

import pytest

from directives import mod_autoindex, mod_env, mod_headers, mod_setenvif, mod_unixd, mod_watchdog
from mpms import event, prefork, worker
from tests.conformance import apache
from tests.directives.harness import error_of

TABLES = apache.load("tables", "apache_L_tables.json")
# the modules whose tests pin their table (the -t probes need the directives' harness)
PROBED = (mod_autoindex.MODULE, mod_headers.MODULE, mod_env.MODULE, mod_setenvif.MODULE)
MODULES = PROBED + (mod_unixd.MODULE, mod_watchdog.MODULE, prefork.MODULE, worker.MODULE,
                    event.MODULE)


class TestTables:
    @pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.source)
    def test_matches_apache_L(self, mod):
        """Names, order and help texts as `apache2 -L` lists the module."""
        want = [(d["name"], d["help"]) for d in TABLES[mod.source].values()]
        assert [(d.name, d.help) for d in mod.directives] == want

    @pytest.mark.parametrize("mod", PROBED, ids=lambda m: m.source)
    def test_arity_messages(self, mod, tmp_path):
        """A bare directive gets the message apache2 -t printed for it."""
        for d in TABLES[mod.source].values():
            if d["probe"]:
                assert error_of(tmp_path, d["name"] + "\n") == d["probe"], d["name"]
