"""The command line: Apache's texts, streams and exit codes (reference section 11)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PREFIX = ("LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n"
          "ServerName localhost\nErrorLog error.log\n")


def httpd(*args, cwd=None, env=None):
    e = dict(os.environ, PYTHONPATH=str(ROOT))
    e.update(env or {})
    p = subprocess.run([sys.executable, "-m", "httpd", *args], cwd=cwd, env=e,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture
def conf(tmp_path):
    def make(body: str = "", prefix: str = PREFIX) -> list[str]:
        (tmp_path / "httpd.conf").write_text(prefix + body)
        return ["-d", str(tmp_path), "-f", str(tmp_path / "httpd.conf")]
    make.dir = tmp_path
    return make


class TestUsage:
    def test_h_prints_usage_on_stderr_exit_1(self):
        code, out, err = httpd("-h")
        assert code == 1 and out == ""
        assert err.startswith("Usage: httpd [-D name] [-d directory] [-f file]\n")
        assert "  -t -D DUMP_MODULES : show all loaded modules \n" in err

    def test_illegal_option(self):
        code, out, err = httpd("-Z")
        assert code == 1
        assert err.startswith("httpd: illegal option -- Z\nUsage: httpd")

    def test_missing_argument(self):
        code, _, err = httpd("-f")
        assert code == 1 and err.startswith("httpd: option requires an argument -- f\n")

    def test_bad_k_word(self):
        code, _, err = httpd("-k", "bogus")
        assert code == 1 and err.startswith("httpd: illegal option -- k\n")

    def test_stray_word(self):
        code, _, err = httpd("-t", "extra")
        assert code == 1 and err.startswith("Usage: httpd")

    def test_bad_level(self, conf):
        code, _, err = httpd("-e", "bogus", *conf())
        assert code == 1 and err.startswith("Usage: httpd")


class TestInfo:
    def test_v(self):
        code, out, err = httpd("-v")
        assert code == 0 and err == ""
        assert out.startswith("Server version: httpd/")
        # the Apache release it follows, where tools look for it (Apache::Test's
        # httpd_version takes the first word of the line starting with Apache/)
        first = out.splitlines()[0].split()
        assert [w for w in first if w.startswith("Apache/")] == ["Apache/2.4.71"]

    def test_V_into_a_closed_pipe(self, monkeypatch, capsys):
        """`httpd -V | head -1`: the reader has left; the command ends without a
        traceback (Apache dies of SIGPIPE quietly), status 1."""
        import io
        from httpd.main import cli

        class Gone(io.StringIO):
            def write(self, s):
                raise BrokenPipeError(32, "Broken pipe")

            def fileno(self):
                raise ValueError("no descriptor")

        monkeypatch.setattr("sys.stdout", Gone())
        assert cli.main(["httpd", "-V"]) == 1

    def test_l_lists_builtins(self):
        code, out, _ = httpd("-l")
        assert code == 0
        assert out == ("Compiled in modules:\n  core.c\n  mod_so.c\n  mod_watchdog.c\n"
                       "  http_core.c\n  mod_log_config.c\n  mod_logio.c\n  mod_version.c\n"
                       "  mod_unixd.c\n")

    def test_l_static_build_lists_its_mpm(self, tmp_path):
        build = tmp_path / "b.json"
        subprocess.run([sys.executable, str(ROOT / "configure"), "--with-mpm=worker",
                        f"--build-file={build}"], check=True, capture_output=True)
        code, out, _ = httpd("-l", env={"HTTPD_BUILD_CONFIG": str(build)})
        assert "  http_core.c\n  worker.c\n" in out

    def test_static_build_rejects_another_mpm(self, conf, tmp_path):
        build = tmp_path / "b.json"
        subprocess.run([sys.executable, str(ROOT / "configure"), "--with-mpm=worker",
                        f"--build-file={build}"], check=True, capture_output=True)
        env = {"HTTPD_BUILD_CONFIG": str(build)}
        code, _, err = httpd("-t", *conf(), env=env)
        assert code == 1 and "prefork MPM is not built as a shared module" in err
        code, _, err = httpd("-t", *conf(prefix="ServerName localhost\nErrorLog error.log\n"),
                             env=env)
        assert (code, err) == (0, "Syntax OK\n")

    def test_M(self, conf):
        code, out, err = httpd("-M", *conf())
        assert code == 0 and err == ""
        assert out.startswith("Loaded Modules:\n core_module (static)\n so_module (static)\n")
        assert out.endswith(" unixd_module (static)\n mpm_prefork_module (shared)\n")

    def test_V_shows_mpm(self, conf):
        code, out, _ = httpd("-V", *conf())
        assert code == 0
        assert "Server MPM:     prefork\n  threaded:     no\n" in out

    def test_V_broken_config_exit_1(self, conf):
        code, out, err = httpd("-V", *conf(prefix=""))
        assert code == 1 and "Server MPM:     \n" in out
        assert "No MPM loaded." in err


class TestCheck:
    def test_syntax_ok_on_stderr(self, conf):
        assert httpd("-t", *conf()) == (0, "", "Syntax OK\n")

    def test_no_mpm(self, conf):
        code, _, err = httpd("-t", *conf(prefix=""))
        assert (code, err) == (1, "AH00534: httpd: Configuration error: No MPM loaded.\n")

    def test_C_can_load_the_mpm_but_c_cannot(self, conf):
        args = conf(prefix="ServerName localhost\nErrorLog error.log\n")
        load = "LoadModule mpm_worker_module modules/mod_mpm_worker.so"
        assert httpd("-t", "-C", load, *args)[0] == 0
        assert httpd("-t", "-c", load, *args)[0] == 1

    def test_e_alert_hides_read_errors(self, conf):
        assert httpd("-t", "-e", "alert", *conf("Define\n")) == (1, "", "")

    def test_E_sends_startup_messages_to_file(self, conf, tmp_path):
        log = tmp_path / "startup.log"
        code, out, err = httpd("-t", "-E", str(log), *conf())
        assert (code, err) == (0, "") and log.read_text() == "Syntax OK\n"

    def test_T_skips_docroot_check(self, conf):
        args = conf()
        assert httpd("-t", "-T", "-C", "DocumentRoot missing", *args) == (0, "", "Syntax OK\n")
        assert httpd("-t", "-C", "DocumentRoot missing", *args)[0] == 1

    def test_missing_main_file(self, tmp_path):
        code, _, err = httpd("-t", "-d", str(tmp_path), "-f", "nothere.conf")
        assert code == 1
        assert err == (f"httpd: Could not open configuration file {tmp_path}/nothere.conf: "
                       "No such file or directory\n")

    def test_shipped_config_is_valid(self):
        code, _, err = httpd("-t", "-d", str(ROOT), "-f", "conf/httpd.conf")
        assert (code, err) == (0, "Syntax OK\n")


APACHE = shutil.which("apache2")
MODULES = ["alias", "mime", "dir", "authz_core", "authz_host", "macro"]


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary (apt-get install apache2)")
@pytest.mark.parametrize("mpm", ["prefork", "worker", "event"])
def test_L_matches_real_apache(conf, mpm):
    """`-L` is generated from the tables: it must list what Apache lists, in its order."""
    loads = "".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n"
                    for m in [f"mpm_{mpm}"] + MODULES)
    args = conf(prefix=loads + "ServerName localhost\nErrorLog error.log\n")
    code, ours, _ = httpd("-L", *args)
    theirs = subprocess.run([APACHE, "-L", *args], capture_output=True, text=True).stdout
    assert code == 0
    assert ours == theirs


VHOSTS = """Listen 127.0.0.1:18080
Listen 127.0.0.1:18443
Listen [::1]:18080
<VirtualHost 127.0.0.1:18443>
    ServerName secure.example.test
</VirtualHost>
<VirtualHost *:18080>
    ServerName a.example.test
</VirtualHost>
<VirtualHost *:18080>
    ServerName b.example.test
    ServerAlias alt.example.test *.b.example.test
</VirtualHost>
<VirtualHost 127.0.0.1:18080 [::1]:18080>
    ServerName c.example.test
</VirtualHost>
<VirtualHost 127.0.0.1:18081>
</VirtualHost>
"""


@pytest.mark.skipif(APACHE is None, reason="needs the real apache2 binary (apt-get install apache2)")
def test_dump_vhosts_matches_real_apache(conf):
    args = conf(VHOSTS)
    code, ours, err = httpd("-t", "-D", "DUMP_VHOSTS", *args)
    theirs = subprocess.run([APACHE, "-t", "-D", "DUMP_VHOSTS", *args], capture_output=True,
                            text=True)
    assert (code, ours) == (theirs.returncode, theirs.stdout)


def test_S_dumps_vhosts_and_run_settings(conf):
    code, out, err = httpd("-S", *conf(VHOSTS))
    assert code == 0 and err == ""
    assert out.startswith("VirtualHost configuration:\n")
    assert "*:18080                is a NameVirtualHost\n" in out
    assert "                 wild alias *.b.example.test\n" in out
    assert f'ServerRoot: "{conf.dir}"\n' in out
    assert "Mutex mpm-accept: using_defaults\n" in out
    assert out.endswith('Define: DUMP_VHOSTS\nDefine: DUMP_RUN_CFG\n'
                        'User: name="#-1" id=4294967295\nGroup: name="#-1" id=4294967295\n')
