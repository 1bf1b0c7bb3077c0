"""mod_wsgi's directives at -t: the texts of Debian's mod_wsgi 4.9.4 (libapache2-mod-wsgi-py3)
for bad arguments, pinned here, and compared with apache2 itself where it is installed."""
from __future__ import annotations

import os
import subprocess

import pytest

from tests.core.run import run_t

LOAD = "LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so\n"
WSGI_SO = "/usr/lib/apache2/modules/mod_wsgi.so"

# (config lines, apache2 -t's message; None: Syntax OK), recorded from apache2 2.4 with
# mod_wsgi 4.9.4 on 2026-12-07
CASES = [
    ("WSGIScriptAlias /x", "WSGIScriptAlias requires at least two arguments, Map location to "
     "target WSGI script file."),
    ("WSGIScriptAlias", "WSGIScriptAlias requires at least two arguments, Map location to "
     "target WSGI script file."),
    ("WSGIScriptAlias /x /tmp/a.wsgi foo=bar", "Invalid option to WSGI script alias definition."),
    ("WSGIScriptAlias /x /tmp/a.wsgi process-group=", "Invalid name for WSGI process group."),
    ("WSGIScriptAlias /x /tmp/a.wsgi process-group=nope application-group=%{GLOBAL}",
     "WSGI process group not yet configured."),
    ("WSGIScriptAliasMatch ^/(x /tmp/a.wsgi", "Regular expression could not be compiled."),
    ("WSGIDaemonProcess", "Name of WSGI daemon process not supplied."),
    ("WSGIDaemonProcess g processes=0", "Invalid process count for WSGI daemon process."),
    ("WSGIDaemonProcess g threads=x", None),
    ("WSGIDaemonProcess g bogus=1", "Invalid option to WSGI daemon process definition."),
    ("WSGIDaemonProcess g user=root", "WSGI process blocked from running as root."),
    ("WSGIDaemonProcess g home=rel", "Invalid home directory for WSGI daemon process."),
    ("WSGIDaemonProcess g maximum-requests=-1", "Invalid request count for WSGI daemon process."),
    ("WSGIDaemonProcess g queue-timeout=-1", "Invalid queue timeout for WSGI daemon process."),
    ("WSGIDaemonProcess g listen-backlog=-1", "Invalid listen backlog for WSGI daemon process."),
    ("WSGIDaemonProcess g threads=100000", "Invalid thread count for WSGI daemon process."),
    ("WSGIDaemonProcess g request-timeout=x", None),
    ("WSGIDaemonProcess g\nWSGIDaemonProcess g", "Name duplicates previous WSGI daemon definition."),
    ("WSGIProcessGroup", "WSGIProcessGroup takes one argument, Name of the WSGI process group."),
    ("WSGIProcessGroup a b", "WSGIProcessGroup takes one argument, Name of the WSGI process group."),
    ("WSGIPassAuthorization maybe", "WSGIPassAuthorization must be one of: Off | On"),
    ("WSGIScriptReloading maybe", "WSGIScriptReloading must be one of: Off | On"),
    ("WSGIRestrictEmbedded maybe", "WSGIRestrictEmbedded must be one of: Off | On"),
    ("WSGICallableObject", "WSGICallableObject takes one argument, Name of entry point in WSGI "
     "script file."),
    ("WSGIImportScript", "Location of import script not supplied."),
    ("WSGIImportScript /tmp/a.wsgi", "Name of WSGI application group required."),
    ("WSGIImportScript /tmp/a.wsgi process-group=g", "Name of WSGI application group required."),
    ("WSGIImportScript /tmp/a.wsgi process-group=g application-group=%{GLOBAL}",
     "WSGI process group not yet configured."),
    ("WSGIImportScript /tmp/a.wsgi bad=1", "Invalid option to WSGI import script definition."),
    ("<Directory /tmp>\nWSGIRestrictEmbedded On\n</Directory>",
     "WSGIRestrictEmbedded not allowed in <Directory> context"),
    ("<Directory /tmp>\nWSGIDaemonProcess g\n</Directory>",
     "WSGIDaemonProcess not allowed in <Directory> context"),
    ("WSGIDaemonProcess g processes=2 threads=4 display-name=%{GROUP} home=/tmp "
     "python-path=/tmp:/var maximum-requests=10 request-timeout=5 inactivity-timeout=6 "
     "graceful-timeout=3 listen-backlog=50 queue-timeout=4\n"
     "WSGIScriptAlias /x /tmp/a.wsgi process-group=g application-group=%{GLOBAL}\n"
     "WSGIProcessGroup g\nWSGIApplicationGroup %{GLOBAL}", None),
    ("WSGIScriptAliasMatch ^/(\\w+) /tmp/$1.wsgi\nWSGICallableObject app\n"
     "WSGIPassAuthorization On\nWSGIScriptReloading Off\nWSGIRestrictEmbedded On", None),
    ("WSGIChunkedRequest maybe", "WSGIChunkedRequest must be one of: Off | On"),
    ("WSGIPythonPath /tmp/a:/tmp/b\nWSGIChunkedRequest Off", None),
]

# refused here, accepted by mod_wsgi (so not replayed through apache2)
REFUSED = [
    ("WSGIPythonHome /opt/venv", "WSGIPythonHome is not available in this server: the "
     "Python interpreter and the processes are httpd's own (see docs/wsgi.md)"),
    ("WSGIDaemonProcess g chroot=/srv", "WSGIDaemonProcess option 'chroot' is not available "
     "in this server."),
]


@pytest.mark.parametrize("body,expected", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_texts(capsys, tmp_path, body, expected):
    code, err = run_t(capsys, tmp_path, LOAD + body + "\n")
    assert _message(code, err) == expected, err


def _message(code: int, err: str):
    if code == 0:
        return None
    lines = err.strip().splitlines()
    if lines[0].startswith("AH00526"):
        return lines[1]
    return lines[0]


@pytest.mark.parametrize("body,expected", CASES, ids=[c[0][:50] for c in CASES])
def test_t_texts(capsys, tmp_path, body, expected):
    code, err = run_t(capsys, tmp_path, LOAD + body + "\n")
    assert _message(code, err) == expected, err


APACHE = "/usr/sbin/apache2"


@pytest.mark.skipif(not (os.path.exists(APACHE) and os.path.exists(WSGI_SO)),
                    reason="apache2 with mod_wsgi not installed")
def test_pins_are_apaches(tmp_path):
    """The pins above, replayed through apache2 -t with Debian's mod_wsgi (a handful,
    so the test stays short)."""
    for body, expected in CASES[::4]:
        conf = tmp_path / "a.conf"
        conf.write_text(f"ServerRoot {tmp_path}\nLoadModule mpm_prefork_module "
                        "/usr/lib/apache2/modules/mod_mpm_prefork.so\nLoadModule "
                        "authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n"
                        f"ServerName localhost\nErrorLog {tmp_path}/e.log\n{LOAD}{body}\n")
        p = subprocess.run([APACHE, "-t", "-f", str(conf)], capture_output=True, text=True,
                           timeout=20)
        assert _message(p.returncode, p.stderr) == expected, p.stderr


@pytest.mark.skipif(not (os.path.exists(APACHE) and os.path.exists(WSGI_SO)),
                    reason="apache2 with mod_wsgi not installed")
def test_L_table_is_apaches(tmp_path):
    """httpd -L lists mod_wsgi's directives as apache2 -L does: order, help, context."""
    import sys
    conf = tmp_path / "l.conf"
    conf.write_text(f"ServerRoot {tmp_path}\nLoadModule mpm_prefork_module "
                    "/usr/lib/apache2/modules/mod_mpm_prefork.so\nLoadModule "
                    "authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n"
                    f"ErrorLog {tmp_path}/e.log\n" + LOAD)

    def wsgi_part(argv):
        out = subprocess.run(argv + ["-L", "-f", str(conf)], capture_output=True, text=True,
                             timeout=30).stdout.splitlines()
        keep, on = [], False
        for line in out:
            if not line.startswith("\t"):
                on = line.startswith("WSGI")
            if on:
                keep.append(line)
        return keep
    ours = wsgi_part([sys.executable, "-m", "httpd"])
    assert ours and ours == wsgi_part([APACHE])
