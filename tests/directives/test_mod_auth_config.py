"""The authentication modules' configuration against ``apache2 -t``: mod_authn_core,
mod_auth_basic, mod_authn_file, mod_authz_user, mod_authz_groupfile, mod_access_compat.

Each case is a file both servers check (the same verdict and text); the Debian case
loads the modules through /etc/apache2/mods-available/*.load as Debian's tree does,
and ``-M`` must list them as apache2 lists them.  Request-time behaviour is in
tests/e2e/test_auth_differential.py.
"""
from __future__ import annotations

import os

import pytest

from tests.conformance import apache

MODULES = ("mpm_prefork", "authz_core", "authz_host", "authn_core", "auth_basic",
           "authn_file", "authz_user", "authz_groupfile", "access_compat")
PREFIX = apache.load_modules(*MODULES) + "ServerName localhost\nErrorLog error.log\n"
D = "<Directory /tmp>\n{}\n</Directory>"
ALIAS = "<AuthnProviderAlias {}>\n{}</AuthnProviderAlias>\n"

CASES = {
    "order": D.format("Order foo"),
    "allow without from": D.format("Allow foo all"),
    "bad mask": D.format("Allow from 1.2.3.4/99"),
    "bad address": D.format("Deny from 999.1.1.1"),
    "comment": D.format("Allow from a#b"),
    "satisfy": D.format("Satisfy some"),
    "unknown provider": D.format("AuthBasicProvider file nope"),
    "alias named as its provider": ALIAS.format("file file", ""),
    "alias twice": ALIAS.format("file alt", "") * 2,
    "alias body": ALIAS.format("file alt", "Order allow,deny\n"),
    "alias in a directory": D.format(ALIAS.format("file alt", "")),
    "digest algorithm": D.format("AuthBasicUseDigestAlgorithm SHA"),
    "auth type expression": D.format('AuthType "%{"'),
    "fake password expression": D.format('AuthBasicFake u "%{x"'),
    "require user expression": D.format("Require user %{"),
    "server level": "Satisfy any",
    "everything": D.format("AuthType Basic\nAuthName x\nAuthUserFile x\nAuthGroupFile y\n"
                           "Require group a b\nRequire user c\nSatisfy All\n<Limit GET>\n"
                           "Satisfy Any\nOrder allow,deny\nAllow from env=x env=!y "
                           "10.0.0.0/8 all host.example\n</Limit>"),
}


def check_t(tmp_path, text: str) -> tuple:
    if apache.APACHE is None:
        pytest.skip("apache2 is not installed")
    (tmp_path / "httpd.conf").write_text(text)
    ours = apache.run_t(apache.HTTPD, tmp_path, stamp=apache.SHORT_STAMP)
    code, out = apache.run_t([apache.APACHE], tmp_path, stamp=apache.SHORT_STAMP)
    assert ours == (code, out.replace("apache2:", "httpd:"))
    return ours


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_as_apache(tmp_path, name):
    check_t(tmp_path, PREFIX + CASES[name] + "\n")


def test_file_group_is_refused(tmp_path):
    """Require file-group needs mod_authz_owner (not offered): refused, where Apache would
    accept it and then need mod_authz_owner's function at request time."""
    (tmp_path / "httpd.conf").write_text(PREFIX + D.format("Require file-group") + "\n")
    code, out = apache.run_t(apache.HTTPD, tmp_path, stamp=apache.SHORT_STAMP)
    assert code == 1 and "Unknown Authz provider: file-group" in out


AVAILABLE = "/etc/apache2/mods-available"
DEBIAN = ("authn_core", "auth_basic", "authn_file", "authz_core", "authz_host",
          "authz_user", "authz_groupfile", "access_compat")


@pytest.mark.skipif(not os.path.isdir(AVAILABLE), reason="no Debian apache2 tree")
def test_debian_load_files(tmp_path):
    """LoadModule as Debian writes it (mods-available/X.load): -t passes and -M agrees."""
    text = (apache.load_modules("mpm_prefork")
            + "".join(f"Include {AVAILABLE}/{m}.load\n" for m in DEBIAN)
            + "ServerName localhost\nErrorLog error.log\n")
    assert check_t(tmp_path, text)[0] == 0
    ours = apache.run_t(apache.HTTPD, tmp_path, args=("-M",))
    theirs = apache.run_t([apache.APACHE], tmp_path, args=("-M",))
    assert ours == theirs
