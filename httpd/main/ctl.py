"""``httpdctl``: Debian's ``apache2ctl`` for this server.

Debian's ``apache2`` binary does not read ``/etc/apache2/envvars`` itself: its
``apache2.conf`` names ``${APACHE_RUN_USER}``, ``${APACHE_RUN_DIR}``, ``${APACHE_LOG_DIR}``
..., and ``apache2 -t`` on the bare tree fails (AH00111, then "DefaultRuntimeDir must
be a valid directory").  What a Debian user types is ``apache2ctl configtest`` /
``apache2ctl start`` (or systemd, which runs apache2ctl), and that script sources the
envvars file, creates the run, socks and lock directories, and runs the binary.  So
``httpd`` behaves exactly like ``apache2`` (no envvars of its own), and ``httpdctl`` does
what ``/usr/sbin/apache2ctl`` does, in its order:

* ``APACHE_CONFDIR`` from the environment, else ``/etc/apache2-NAME`` when called as
  ``httpdctl-NAME``, else ``/etc/apache2``; ``APACHE_ENVVARS`` else
  ``$APACHE_CONFDIR/envvars``, sourced by ``/bin/sh`` when it exists (it is a shell
  script: only a shell can read it faithfully);
* ``mkdir -p $APACHE_RUN_DIR`` (DefaultRuntimeDir), then ``$APACHE_RUN_DIR/socks`` and
  ``$APACHE_LOCK_DIR`` created 0755 and owned by ``$APACHE_RUN_USER`` (mkdir_chown);
* ``start``, ``stop``, ``graceful-stop``, ``restart``, ``graceful`` (after a ``-t``),
  ``configtest``, ``status``/``fullstatus`` (mod_status through ``APACHE_LYNX``,
  ``APACHE_STATUSURL``), anything else passed to the binary; a failure prints
  "Action '...' failed." as apache2ctl does.

The binary is ``$APACHE_HTTPD`` or this server (``python -m httpd``).  Because its
compiled-in ServerRoot is not ``/etc/apache2``, ``-d $APACHE_CONFDIR -f apache2.conf``
are always passed (apache2ctl passes ``-d`` only for another directory; Debian's binary
has ``/etc/apache2`` and ``apache2.conf`` built in).  Not done: handing ``start`` to
systemd (apache2ctl does when PID 1 is systemd; this server has no unit file).
"""
from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
import sys
from typing import Optional

USAGE = ("Usage: {0} start|stop|restart|graceful|graceful-stop|configtest|status|"
         "fullstatus|help\n       {0} <apache2 args>\n       {0} -h            "
         "(for help on <apache2 args>)")


def confdir(argv0: str, env: dict) -> str:
    if env.get("APACHE_CONFDIR"):
        return env["APACHE_CONFDIR"]
    base = os.path.basename(argv0)
    if base.startswith("httpdctl-"):
        return "/etc/apache2-" + base[len("httpdctl-"):]
    return "/etc/apache2"


def source_envvars(path: str, env: dict) -> dict:
    """The environment after ``. envvars`` (a shell script), as apache2ctl sees it."""
    out = subprocess.run(["/bin/sh", "-c", '. "$1" >/dev/null && env -0', "sh", path],
                         env=env, capture_output=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stderr.decode(errors="replace"))
        return env
    new = {}
    for item in out.stdout.split(b"\0"):
        k, sep, v = item.partition(b"=")
        if sep:
            new[k.decode(errors="surrogateescape")] = v.decode(errors="surrogateescape")
    return new


def mkdir_chown(owner: str, path: str) -> Optional[str]:
    """apache2ctl's mkdir_chown: a 0755 directory owned by ``owner`` (an error text)."""
    if os.path.isdir(path):
        try:
            ok = pwd.getpwuid(os.stat(path).st_uid).pw_name == owner
        except KeyError:
            ok = False
        return None if ok else (f"{path} already exists but is not a directory owned by "
                                f"{owner}.\nPlease fix manually. Aborting.")
    if os.path.exists(path):
        return (f"{path} already exists but is not a directory owned by {owner}.\n"
                "Please fix manually. Aborting.")
    try:
        os.mkdir(path, 0o755)
        os.chmod(path, 0o755)
        if os.geteuid() == 0:
            shutil.chown(path, user=owner)
    except (OSError, LookupError):
        return f"Cannot create {path} with owner {owner}.\nPlease fix manually. Aborting."
    return None


def prepare_dirs(env: dict) -> Optional[str]:
    run_dir = env.get("APACHE_RUN_DIR") or "/var/run/apache2"
    user = env.get("APACHE_RUN_USER") or "www-data"
    if not os.path.isdir(run_dir):
        os.makedirs(run_dir, exist_ok=True)
    socks = os.path.join(run_dir, "socks")
    if not os.path.isdir(socks):
        err = mkdir_chown(user, socks)
        if err:
            return err
    lock = env.get("APACHE_LOCK_DIR") or "/var/lock/apache2"
    if not os.path.isdir(lock):
        return mkdir_chown(user, lock)
    return None


def httpd_argv(env: dict, conf: str) -> list[str]:
    httpd = env.get("APACHE_HTTPD")
    base = shlex.split(httpd) if httpd else [sys.executable, "-m", "httpd"]
    return base + ["-d", conf, "-f", os.path.join(conf, "apache2.conf")] + shlex.split(
        env.get("APACHE_ARGUMENTS", ""))


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    prog, args = argv[0], argv[1:]
    if not args or args[0] in ("usage", "help", "--help") and len(args) == 1:
        print(USAGE.format(prog), file=sys.stderr)
        return 1
    env = dict(os.environ)
    conf = confdir(prog, env)
    env["APACHE_CONFDIR"] = conf
    envvars = env.get("APACHE_ENVVARS") or os.path.join(conf, "envvars")
    if os.path.isfile(envvars):
        env = source_envvars(envvars, env)
        env.setdefault("APACHE_CONFDIR", conf)
    err = prepare_dirs(env)
    if err:
        print(err)
        return 1
    httpd = httpd_argv(env, conf)
    run = lambda extra, **kw: subprocess.run(httpd + extra, env=env, **kw).returncode  # noqa
    action = args[0] if len(args) == 1 else None
    if action == "start":
        run_dir = env.get("APACHE_RUN_DIR") or "/var/run/apache2"
        for name in os.listdir(run_dir) if os.path.isdir(run_dir) else ():
            if "ssl_scache" in name:
                os.unlink(os.path.join(run_dir, name))
        code = run(["-k", "start"])
    elif action in ("stop", "graceful-stop"):
        code = run(["-k", action])
    elif action in ("restart", "graceful"):
        if run(["-t"], stderr=subprocess.DEVNULL) == 0:
            code = run(["-k", action])
        else:
            code = run(["-t"])
    elif action in ("startssl", "sslstart", "start-SSL"):
        print("The startssl option is no longer supported.\nPlease edit httpd.conf to "
              "include the SSL configuration settings\nand then use \"apachectl start\".")
        code = 2
    elif action == "configtest":
        code = run(["-t"])
    elif action in ("status", "fullstatus"):
        lynx = shlex.split(env.get("APACHE_LYNX") or "www-browser -dump")
        url = env.get("APACHE_STATUSURL") or "http://localhost:80/server-status"
        try:
            out = subprocess.run(lynx + [url], env=env, capture_output=True, text=True)
        except OSError:
            out = None
        if out is None or out.returncode != 0:
            print(f"'{' '.join(lynx)} {url}' failed.\nMaybe you need to install a package "
                  "providing www-browser or you\nneed to adjust the APACHE_LYNX variable in "
                  "/etc/apache2/envvars", file=sys.stderr)
            return 1
        text = out.stdout
        if action == "status":
            lines = []
            for line in text.splitlines():
                lines.append(line)
                if line.endswith("process"):
                    break
            text = "\n".join(lines) + "\n"
        sys.stdout.write(text)
        code = 0
    else:
        code = run(args)
    if code != 0:
        print(f"Action '{' '.join(args)}' failed.\nThe Apache error log may have more "
              "information.")
    return code


if __name__ == "__main__":      # pragma: no cover
    sys.exit(main())
