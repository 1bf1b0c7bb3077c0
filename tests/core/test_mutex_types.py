"""``Mutex`` accepts the types the loaded modules register (Module.mutex_types, Apache's
ap_mutex_register) and no others: event registers no mpm-accept (apache2 -t says the
same: "Mutex type mpm-accept is not valid")."""
from __future__ import annotations

import pytest

from tests.core.run import run_t

MPM = "LoadModule mpm_{0}_module /usr/lib/apache2/modules/mod_mpm_{0}.so\n"
PREFIX = "ServerName localhost\nErrorLog error.log\n"


@pytest.mark.parametrize("mpm, ok", [("prefork", True), ("worker", True), ("event", False)])
def test_mpm_accept_is_the_accept_mutex_mpms(capsys, tmp_path, mpm, ok):
    code, err = run_t(capsys, tmp_path, "Mutex default mpm-accept\n",
                      prefix=MPM.format(mpm) + PREFIX)
    if ok:
        assert code == 0
    else:
        assert code == 1 and err.endswith("Mutex type mpm-accept is not valid\n")


def test_watchdog_registers_its_type(capsys, tmp_path):
    code, _ = run_t(capsys, tmp_path, "Mutex default watchdog-callback\n",
                    prefix=MPM.format("event") + PREFIX)
    assert code == 0
