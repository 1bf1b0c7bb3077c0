"""The command line of a build of one of the MPMs of Apache's other platforms (mpmt_os2,
mpm_winnt, mpm_netware, beos): ./configure's build file, `httpd -t`, `-V`, `-l`, and
./configure itself.  Bounded subprocesses; no server is left running."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.mpm import static_build
from tests.e2e.servers import ROOT


def build_env(mpm: str, where: Path) -> dict:
    """The environment of an httpd of ``mpm``'s build: static for the static-only ones,
    the installed (shared) build for the others."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    path = static_build(mpm, where)
    if path:
        env["HTTPD_BUILD_CONFIG"] = path
    return env


def httpd(mpm: str, where: Path, body: str, *args: str, load: bool = True) -> tuple[int, str]:
    """``httpd ARGS -d WHERE -f WHERE/httpd.conf`` on a config of ``body``; (status,
    stdout+stderr with WHERE written <D>)."""
    head = (f"LoadModule mpm_{mpm}_module /usr/lib/apache2/modules/mod_mpm_{mpm}.so\n"
            if load else "")
    (where / "httpd.conf").write_text(head + "ServerName localhost\nErrorLog error.log\n"
                                      + body + "\n")
    p = subprocess.run([sys.executable, "-m", "httpd", *args, "-d", str(where), "-f",
                        str(where / "httpd.conf")], env=build_env(mpm, where),
                       capture_output=True, text=True, timeout=60)
    return p.returncode, (p.stdout + p.stderr).replace(str(where), "<D>")


def check(mpm: str, where: Path, body: str) -> tuple[int, str]:
    """``httpd -t``, less the so:warn line a static MPM's LoadModule gives (AH01574)."""
    rc, out = httpd(mpm, where, body, "-t")
    return rc, "".join(line + "\n" for line in out.splitlines() if "AH01574" not in line)


def configure(*args: str, where: Path) -> tuple[int, str, str]:
    """./configure ARGS --build-file=WHERE/build.json: (status, output, the file)."""
    out = where / "build.json"
    p = subprocess.run([sys.executable, str(ROOT / "configure"), *args,
                        f"--build-file={out}"], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr, out.read_text() if out.exists() else ""
