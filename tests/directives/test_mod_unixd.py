"""mod_unixd (User, Group, ChrootDir, Suexec) and mod_watchdog (WatchdogInterval),
the two built-in modules whose directives decide start-up before any MPM runs.

Every message is what real Apache 2.4.71 printed for the same line under `apache2 -t`.
"""
from __future__ import annotations

import io
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from directives import mod_unixd, mod_watchdog  # noqa: E402
from httpd.config.errors import StartupExit  # noqa: E402
from httpd.config.grammar import getword_conf  # noqa: E402
from httpd.config.tree import Node  # noqa: E402
from httpd.config.walk import SECTION_OVERRIDE, CmdParms, invoke_cmd  # noqa: E402
from httpd.log.startup import StartupLog  # noqa: E402
from httpd.module import GLOBAL_ONLY, RSRC_CONF, Args  # noqa: E402
from httpd.config.server import create_server  # noqa: E402

# directive tables captured from the real `apache2 -L` (name, help, arity, context)
MODULES = (mod_unixd.MODULE, mod_watchdog.MODULE)


class _Registry:
    loaded = list(MODULES)


class _Process:
    argv0 = "httpd"
    registry = _Registry()

    def __init__(self):
        self.log = StartupLog(stream=io.StringIO())


class Server:
    """A main server (or a vhost) to run directive lines on, one at a time."""

    def __init__(self, virtual: bool = False):
        self.process = _Process()
        self.server = create_server(self.process, is_virtual=virtual)

    def run(self, *lines: str, section: str | None = None):
        """The first error message, or None."""
        parent = Node(section, "x>", "httpd.conf", 1, children=[]) if section else None
        for i, line in enumerate(lines, 1):
            name, pos = getword_conf(line)
            node = Node(name, line[pos:], "httpd.conf", i, parent=parent)
            cmd = next(d for m in MODULES for d in m.directives if d.name.lower() == name.lower())
            if section and section != "<VirtualHost":
                parms = CmdParms(self.process, self.server, override=SECTION_OVERRIDE, path="/")
            else:
                parms = CmdParms(self.process, self.server)
            parms.directive = node
            err = invoke_cmd(cmd, parms, None, node.args)
            if err:
                return err
        return None

    @property
    def unixd(self) -> mod_unixd.UnixdConfig:
        return self.server.module_config["unixd_module"]

    @property
    def watchdog(self) -> mod_watchdog.WatchdogConfig:
        return self.server.module_config["watchdog_module"]


class TestTables:
    def test_context_and_arity(self):
        for d in mod_unixd.MODULE.directives + mod_watchdog.MODULE.directives:
            assert (d.req_override, d.forbidden) == (RSRC_CONF, GLOBAL_ONLY)
        assert mod_unixd.MODULE.find("Suexec").args is Args.FLAG

    def test_names(self):
        assert (mod_unixd.MODULE.name, mod_unixd.MODULE.source) == ("unixd_module", "mod_unixd.c")
        assert (mod_watchdog.MODULE.name, mod_watchdog.MODULE.source) == (
            "watchdog_module", "mod_watchdog.c")


class TestUser:
    def test_unknown_user_stops_startup(self):
        with pytest.raises(StartupExit) as e:
            Server().run("User nosuchuser-xyz")
        # conformance case157: "AH00543: apache2: bad user name nosuchuser-xyz", exit 1,
        # shown even with -e emerg
        assert e.value.lines == ["AH00543: httpd: bad user name nosuchuser-xyz"]
        assert (e.value.code, e.value.level) == (1, "emerg")

    def test_program_name_is_argv0(self):
        s = Server()
        s.process.argv0 = "apache2"
        with pytest.raises(StartupExit) as e:
            s.run("User nosuchuser-xyz")
        assert e.value.lines == ["AH00543: apache2: bad user name nosuchuser-xyz"]

    def test_first_bad_line_wins(self):
        with pytest.raises(StartupExit):
            Server().run("User nosuchuser-xyz", "User nobody")

    def test_default(self):
        c = Server().unixd
        assert (c.user_name, c.user_id, c.group_name, c.group_id) == (
            "#-1", 4294967295, "#-1", 4294967295)
        assert c.chroot_dir is None

    @pytest.mark.parametrize("arg,uid", [("#-1", 4294967295), ("#1000", 1000),
                                         ("#4294967297", 1), ("nobody", 65534)])
    def test_ids(self, arg, uid):
        s = Server()
        if arg == "nobody":
            uid = __import__("pwd").getpwnam("nobody").pw_uid
        assert s.run(f"User {arg}") is None
        assert (s.unixd.user_name, s.unixd.user_id) == (arg, uid)

    @pytest.mark.parametrize("arg", ["root", "#0", "#abc", "#", "#4294967296"])
    def test_root_refused(self, arg):
        assert Server().run(f"User {arg}") == mod_unixd.ROOT_USER_ERROR
        assert mod_unixd.ROOT_USER_ERROR.startswith(
            "Error:\tApache has not been designed to serve pages while\n\trunning as root.  ")
        assert mod_unixd.ROOT_USER_ERROR.endswith("to list a non-root\n\tuser.\n")

    def test_not_in_virtualhost_before_lookup(self):
        # the context check runs first: no AH00543 for a user inside <VirtualHost>
        assert Server(virtual=True).run("User nosuchuser", section="<VirtualHost") == (
            "User cannot occur within <VirtualHost> section")

    def test_not_in_directory(self):
        assert Server().run("User nobody", section="<Directory") == (
            "User not allowed in <Directory> context")

    def test_arity(self):
        assert Server().run("User a b") == (
            "User takes one argument, Effective user id for this server")


class TestGroup:
    def test_unknown_group_stops_startup(self):
        with pytest.raises(StartupExit) as e:
            Server().run("Group nosuchgrp-xyz")
        assert e.value.lines == ["AH00544: httpd: bad group name nosuchgrp-xyz"]

    @pytest.mark.parametrize("arg,gid", [("#5", 5), ("#x", 0), ("root", 0), ("#-1", 4294967295)])
    def test_ids(self, arg, gid):
        s = Server()
        assert s.run(f"Group {arg}") is None      # root group is fine
        assert (s.unixd.group_name, s.unixd.group_id) == (arg, gid)


class TestChrootDir:
    @pytest.mark.parametrize("arg", ["/nonexistent-dir-xyz", "/etc/passwd",
                                     "relative-nonexistent-xyz"])
    def test_must_be_directory(self, arg):
        assert Server().run(f"ChrootDir {arg}") == "ChrootDir must be a valid directory"

    def test_directory(self, tmp_path):
        s = Server()
        assert s.run(f"ChrootDir {tmp_path}") is None
        assert s.unixd.chroot_dir == str(tmp_path)

    def test_relative_to_working_directory(self, tmp_path, monkeypatch):
        (tmp_path / "jail").mkdir()
        monkeypatch.chdir(tmp_path)
        assert Server().run("ChrootDir jail") is None


class TestSuexec:
    MISSING = f"suEXEC isn't supported: Missing suexec binary {mod_unixd.SUEXEC_BIN}"

    def test_on_without_helper(self):
        assert mod_unixd.SUEXEC_BIN == "/usr/lib/apache2/suexec"
        assert Server().run("Suexec On") == self.MISSING

    def test_off(self):
        s = Server()
        assert s.run("Suexec Off") is None
        assert not s.unixd.suexec_enabled

    def test_on_after_off(self):
        assert Server().run("Suexec Off", "Suexec On") == (
            "suEXEC isn't supported: Suexec directive is Off")

    def test_flag(self):
        assert Server().run("Suexec maybe") == "Suexec must be On or Off"


class TestWatchdogInterval:
    @pytest.mark.parametrize("arg,usec", [
        ("1", 1_000_000), ("100ms", 100_000), ("5sec", 5_000_000), ("2mix", 120_000_000),
        ("1h", 3_600_000_000), ('" 5"', 5_000_000), ("+5", 5_000_000), ('"5s "', 5_000_000),
        ("9223372036854", 9223372036854_000_000), ("2562047788h", 2562047788 * 3600_000_000),
        ("153722867280mi", 153722867280 * 60_000_000), ("9223372036854775ms",
                                                        9223372036854775000),
    ])
    def test_accepted(self, arg, usec):
        s = Server()
        assert s.run(f"WatchdogInterval {arg}") is None
        assert s.watchdog.interval == usec

    @pytest.mark.parametrize("arg", ["0", "99ms", "-0", "-0ms"])
    def test_below_slice(self, arg):
        assert Server().run(f"WatchdogInterval {arg}") == (
            "Invalid WatchdogInterval: minimal value 100ms")

    @pytest.mark.parametrize("arg", ["abc", "5x", "2m", "-1", "0.5", '"5 "', "-",
                                     "99999999999999999999", "9999999999999999",
                                     "9223372036855", "2562047789h", "153722867281mi",
                                     "9223372036854776ms"])
    def test_unparseable(self, arg):
        assert Server().run(f"WatchdogInterval {arg}") == "Unparse-able WatchdogInterval setting"

    def test_default_and_repeat(self):
        s = Server()
        assert s.watchdog.interval == 1_000_000
        assert s.run("WatchdogInterval 1", "WatchdogInterval 2") is None
        assert s.watchdog.interval == 2_000_000

    def test_context(self):
        assert Server(virtual=True).run("WatchdogInterval 1", section="<VirtualHost") == (
            "WatchdogInterval cannot occur within <VirtualHost> section")
        assert Server().run("WatchdogInterval 5 6") == (
            "WatchdogInterval takes one argument, Watchdog interval in seconds")
