"""mpm-itk's table, merge and start-up checks (mpm_itk.c 2.4.7-04), and its seccomp
filter in a forked process."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from httpd.module import ACCESS_CONF, GLOBAL_ONLY, NOT_IN_HTACCESS, RSRC_CONF, Args
from httpd.mpm.identity import NO_ID
from mpms import CATALOGUE, itk
from mpms.itk import seccomp
from tests.e2e.servers import ROOT

MODDIR = "/usr/lib/apache2/modules"


def run(tmp_path: Path, body: str, *args: str, mpm: str = "prefork",
        itk_module: bool = True) -> subprocess.CompletedProcess:
    (tmp_path / "logs").mkdir(exist_ok=True)
    loads = f"LoadModule mpm_{mpm}_module {MODDIR}/mod_mpm_{mpm}.so\n"
    if itk_module:
        loads += f"LoadModule mpm_itk_module {MODDIR}/mod_mpm_itk.so\n"
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"ServerRoot {tmp_path}\n{loads}ServerName localhost\n"
                    f"ErrorLog {tmp_path}/logs/error_log\nPidFile {tmp_path}/logs/pid\n{body}")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "httpd", *args, "-d", str(tmp_path), "-f",
                           str(conf)], env=env, capture_output=True, text=True, timeout=30)


class TestTable:
    def test_the_module_is_not_an_mpm(self):
        assert CATALOGUE["mpm_itk_module"] == "mpms.itk"
        assert (itk.MODULE.name, itk.MODULE.source) == ("mpm_itk_module", "mpm_itk.c")
        assert not itk.MODULE.is_mpm

    def test_directives_as_mpm_itk_c_declares_them(self):
        rows = {d.name: (d.args, d.req_override, d.forbidden) for d in itk.MODULE.directives}
        both = RSRC_CONF | ACCESS_CONF
        assert rows == {
            "AssignUserID": (Args.TAKE2, both, NOT_IN_HTACCESS),
            "AssignUserIDExpr": (Args.RAW_ARGS, both, NOT_IN_HTACCESS),
            "AssignGroupIDExpr": (Args.RAW_ARGS, both, NOT_IN_HTACCESS),
            "LimitUIDRange": (Args.TAKE2, RSRC_CONF, GLOBAL_ONLY),
            "LimitGIDRange": (Args.TAKE2, RSRC_CONF, GLOBAL_ONLY),
            "MaxClientsVHost": (Args.TAKE1, RSRC_CONF, 0),
            "NiceValue": (Args.TAKE1, both, 0),
            "EnableCapabilities": (Args.FLAG, RSRC_CONF, GLOBAL_ONLY),
        }

    def test_merge_takes_the_child_user_with_its_ids(self):
        parent = itk.ItkDirConfig(uid=5, gid=6, username="p", nice_value=3)
        child = itk.ItkDirConfig()
        m = itk.merge_dir_config(parent, child)
        assert (m.uid, m.gid, m.username, m.nice_value) == (5, 6, "p", 3)
        child = itk.ItkDirConfig(uid=7, gid=8, username="c", uid_expr="e")
        m = itk.merge_dir_config(parent, child)
        assert (m.uid, m.gid, m.username, m.nice_value, m.uid_expr) == (7, 8, "c", 3, "e")
        d = itk.create_dir_config(None)
        assert (d.uid, d.gid, d.nice_value) == (NO_ID, NO_ID, itk.UNSET_NICE_VALUE)
        s = itk.create_server_config(None)
        assert (s.max_clients_vhost, s.min_uid, s.max_uid, s.min_gid, s.max_gid,
                s.enable_caps) == (-1, 1, 0xFFFFFFFF, 1, 0xFFFFFFFF, True)


class TestCommandLine:
    def test_syntax_ok_beside_prefork(self, tmp_path):
        p = run(tmp_path, "AssignUserID nobody nogroup\nNiceValue 3\nMaxClientsVHost 4\n"
                          "LimitUIDRange 100 2000\nLimitGIDRange 100 2000\n"
                          "AssignUserIDExpr %{reqenv:U}\nAssignGroupIDExpr %{reqenv:G}\n",
                "-t")
        assert (p.returncode, p.stdout + p.stderr) == (0, "Syntax OK\n")

    def test_alone_it_is_no_mpm(self, tmp_path):
        conf_body = f"LoadModule mpm_itk_module {MODDIR}/mod_mpm_itk.so\n"
        p = run(tmp_path, conf_body, "-t", itk_module=False, mpm="prefork")
        assert p.returncode == 0
        (tmp_path / "httpd.conf").write_text(
            (tmp_path / "httpd.conf").read_text().replace(
                f"LoadModule mpm_prefork_module {MODDIR}/mod_mpm_prefork.so\n", ""))
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        q = subprocess.run([sys.executable, "-m", "httpd", "-t", "-d", str(tmp_path), "-f",
                            str(tmp_path / "httpd.conf")], env=env, capture_output=True,
                           text=True, timeout=30)
        assert q.returncode == 1
        assert "AH00534: httpd: Configuration error: No MPM loaded." in q.stderr

    @pytest.mark.parametrize("value,line", [
        ("-30", "WARNING: NiceValue of -30 is below -20, increasing NiceValue to -20."),
        ("25", "WARNING: NiceValue of 25 is above 19, lowering NiceValue to 19."),
    ])
    def test_nice_value_is_clamped_with_a_warning(self, tmp_path, value, line):
        p = run(tmp_path, f"<Directory />\nNiceValue {value}\n</Directory>\n", "-t")
        assert (p.returncode, p.stdout + p.stderr) == (0, f"{line}\nSyntax OK\n")

    @pytest.mark.parametrize("directive", ["LimitUIDRange 1 2", "LimitGIDRange 1 2"])
    def test_ranges_are_server_config_only(self, tmp_path, directive):
        p = run(tmp_path, f"<VirtualHost *:80>\n{directive}\n</VirtualHost>\n", "-t")
        assert p.returncode == 1
        name = directive.split()[0]
        assert f"{name} cannot occur within <VirtualHost> section" in p.stderr

    def test_ranges_take_two_arguments(self, tmp_path):
        p = run(tmp_path, "LimitUIDRange 5\n", "-t")
        assert p.returncode == 1
        assert "LimitUIDRange takes two arguments, If seccomp v2 is available" in p.stderr

    def test_enable_capabilities(self, tmp_path):
        p = run(tmp_path, "EnableCapabilities Off\n", "-t")
        assert (p.returncode, p.stdout + p.stderr) == (0, "Syntax OK\n")
        p = run(tmp_path, "<VirtualHost *:80>\nEnableCapabilities On\n</VirtualHost>\n", "-t")
        assert p.returncode == 1
        assert "EnableCapabilities cannot occur within <VirtualHost> section" in p.stderr

    def test_assign_user_id_wants_a_real_user(self, tmp_path):
        p = run(tmp_path, "<VirtualHost *:80>\nAssignUserID no-such-user-itk nogroup\n"
                          "</VirtualHost>\n", "-t")
        assert p.returncode == 1
        assert "AH00543: httpd: bad user name no-such-user-itk" in p.stderr

    def test_a_broken_expression_is_a_syntax_error(self, tmp_path):
        p = run(tmp_path, "AssignUserIDExpr %{reqenv:U\n", "-t")
        assert p.returncode == 1
        assert "AH00526: Syntax error on line" in p.stderr

    def test_minus_S_shows_each_vhosts_user(self, tmp_path):
        p = run(tmp_path, "<VirtualHost *:80>\nServerName one.test\nAssignUserID nobody "
                          "nogroup\n</VirtualHost>\n", "-S")
        assert p.returncode == 0
        conf = tmp_path / "httpd.conf"
        assert ("mpm-itk AssignUserID:\n"
                f"         one.test ({conf}:7) AssignUserID nobody (uid 65534) gid 65534\n"
                ) in p.stdout

    @pytest.mark.parametrize("mpm", ["worker", "event"])
    def test_threaded_mpms_are_refused_at_start(self, tmp_path, mpm):
        from tests.e2e.servers import free_port
        p = run(tmp_path, f"Listen 127.0.0.1:{free_port()}\n", "-DFOREGROUND", mpm=mpm)
        out = p.stderr + (tmp_path / "logs" / "error_log").read_text()
        assert p.returncode == 1
        assert "mpm-itk cannot use threaded MPMs; please use prefork." in out
        assert "AH00016: Configuration Failed" in out


class TestSeccomp:
    def test_prefix_blocks_cover_a_range_exactly(self):
        for lo, hi in [(0, 0), (0, 999), (1001, 0xFFFFFFFE), (7, 7), (0, 0xFFFFFFFF)]:
            blocks = list(seccomp.prefix_blocks(lo, hi))
            for x in {0, 1, lo, hi, max(lo - 1, 0), min(hi + 1, 0xFFFFFFFF), 0xFFFFFFFF}:
                assert (lo <= x <= hi) == any(x & m == v for m, v in blocks), (lo, hi, x)

    @pytest.mark.skipif(os.geteuid() != 0, reason="the switches need root")
    def test_capabilities_kept_across_the_switch_to_user(self):
        from mpms.itk import caps
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            out = []
            try:
                out.append(caps.set_keepcaps(True))
                os.setgid(65534)
                os.setgroups([65534])
                os.setuid(65534)
                out.append(caps.effective_mask())
                out.append(caps.set_keepcaps(False))
                caps.set_caps(caps.SUID_CAPS)
                out.append(caps.effective_mask())
                os.setpriority(os.PRIO_PROCESS, 0, -3)      # CAP_SYS_NICE
                os.setgid(65533)                             # CAP_SETGID
                os.setuid(65533)                             # CAP_SETUID
                caps.set_caps(())
                out.append(caps.effective_mask())
                try:
                    os.setuid(65534)
                    out.append("ok")
                except OSError as e:
                    out.append(errno.errorcode[e.errno])
            finally:
                os.write(w, repr(out).encode())
                os._exit(0)
        os.close(w)
        data = os.read(r, 4096)
        os.close(r)
        os.waitpid(pid, 0)
        assert eval(data) == [None, 0, None, (1 << 2) | (1 << 6) | (1 << 7) | (1 << 23), 0,
                              "EPERM"]

    def test_refused_ranges(self):
        assert seccomp.refused_ranges(1, 0xFFFFFFFF, True) == [(0, 0)]
        assert seccomp.refused_ranges(1, 0xFFFFFFFF, False) == [(0, 0)]
        assert seccomp.refused_ranges(10, 20, True) == [(0, 9), (21, 0xFFFFFFFE)]
        assert seccomp.refused_ranges(10, 20, False) == [(0, 9), (21, 0xFFFFFFFF)]

    @pytest.mark.skipif(os.geteuid() != 0, reason="the switches need root")
    def test_the_kernel_refuses_ids_outside_the_range(self):
        """A forked process installs the filter and tries: root would succeed at all of
        these without it."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            out = []
            try:
                err = seccomp.restrict_setuid_range(1000, 2000, 1000, 2000)
                out.append(str(err))
                with open("/proc/self/status") as f:
                    out.append([ln.split()[1] for ln in f if ln.startswith("Seccomp:")][0])
                for call in (lambda: os.setgid(0), lambda: os.setgid(3000),
                             lambda: os.setregid(-1, 0), lambda: os.setresuid(0, -1, -1),
                             lambda: os.setuid(0), lambda: os.setuid(2001),
                             lambda: os.setresgid(-1, -1, -1), lambda: os.setgid(1500),
                             lambda: os.setuid(1500)):
                    try:
                        call()
                        out.append("ok")
                    except OSError as e:
                        out.append(errno.errorcode[e.errno])
            finally:
                os.write(w, repr(out).encode())
                os._exit(0)
        os.close(w)
        data = b""
        while chunk := os.read(r, 4096):
            data += chunk
        os.close(r)
        os.waitpid(pid, 0)
        assert eval(data) == ["None", "2", "EPERM", "EPERM", "EPERM", "EPERM", "EPERM",
                              "EPERM", "ok", "ok", "ok"]
