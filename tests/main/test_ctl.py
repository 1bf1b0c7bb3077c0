"""httpdctl (httpd/main/ctl.py), Debian's apache2ctl: the config directory, envvars
sourced by the shell, and the directories apache2ctl makes (mkdir_chown).  The whole
tool against apache2ctl on Debian's tree is tests/e2e/test_debian_layout.py."""
from __future__ import annotations

import os
import pwd

import pytest

from httpd.main import ctl


def test_confdir():
    assert ctl.confdir("/usr/bin/httpdctl", {}) == "/etc/apache2"
    assert ctl.confdir("/usr/bin/httpdctl-www2", {}) == "/etc/apache2-www2"
    assert ctl.confdir("httpdctl", {"APACHE_CONFDIR": "/srv/conf"}) == "/srv/conf"


def test_envvars_are_sourced_by_the_shell(tmp_path):
    f = tmp_path / "envvars"
    f.write_text('unset HOME\nexport APACHE_RUN_DIR=/run/x$SUFFIX\nSUFFIX=-no\n'
                 'export APACHE_LOG_DIR="${APACHE_CONFDIR}/logs"\n')
    env = ctl.source_envvars(str(f), {"PATH": os.environ["PATH"], "HOME": "/root",
                                      "APACHE_CONFDIR": "/c"})
    assert env["APACHE_RUN_DIR"] == "/run/x" and env["APACHE_LOG_DIR"] == "/c/logs"
    assert "HOME" not in env and "SUFFIX" not in env


def test_dirs_made_as_apache2ctl(tmp_path):
    me = pwd.getpwuid(os.geteuid()).pw_name
    env = {"APACHE_RUN_DIR": str(tmp_path / "run" / "deep"), "APACHE_RUN_USER": me,
           "APACHE_LOCK_DIR": str(tmp_path / "lock")}
    assert ctl.prepare_dirs(env) is None
    for d in ("run/deep", "run/deep/socks", "lock"):
        assert (tmp_path / d).is_dir()
    assert oct((tmp_path / "lock").stat().st_mode & 0o777) == "0o755"
    assert ctl.prepare_dirs(env) is None           # again: nothing to do


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_lock_dir_of_another_owner_is_refused(tmp_path):
    lock = tmp_path / "lock"
    lock.mkdir()
    err = ctl.mkdir_chown("nobody", str(lock))
    assert err == (f"{lock} already exists but is not a directory owned by nobody.\n"
                   "Please fix manually. Aborting.")
