"""perchild's directives through `httpd -t`, -S, -V, -l and -L: Apache 2.0's clamps and
error texts (perchild.c printed its warnings from the directive handlers, in pieces and
without AH numbers), and its directives staying unknown to every other MPM."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conformance import apache

HEAD = ("LoadModule mpm_{mpm}_module /usr/lib/apache2/modules/mod_mpm_{mpm}.so\n"
        "ServerName localhost\nErrorLog error.log\n")
AS_ROOT = os.geteuid() == 0


def syntax_error(line: int, msg: str) -> tuple[int, str]:
    return 1, f"AH00526: Syntax error on line {line} of <D>/httpd.conf:\n{msg}\n"


def ok(*warnings: str) -> tuple[int, str]:
    return 0, "".join(w + "\n" for w in warnings) + "Syntax OK\n"


INVALID = ("Invalid command '{}', perhaps misspelled or defined by a module not included in "
           "the server configuration")

CASES = [
    ("NumServers 30", ok("WARNING: NumServers of 30 exceeds ServerLimit value of 8 servers,",
                         " lowering NumServers to 8.  To increase, please see the",
                         " ServerLimit directive.")),
    ("ServerLimit 20\nNumServers 12", ok()),
    ("NumServers 0", ok("WARNING: Require NumServers > 0, setting to 1")),
    ("StartThreads 100",
     ok("WARNING: StartThreads of 100 exceeds ThreadLimit value of 64 threads,",
        " lowering StartThreads to 64. To increase, please see the", " ThreadLimit directive.")),
    ("StartThreads abc", ok("WARNING: Require StartThreads > 0, setting to 1")),
    ("MinSpareThreads 0", ok("WARNING: detected MinSpareThreads set to non-positive.",
                             "Resetting to 1 to avoid almost certain Apache failure.",
                             "Please read the documentation.")),
    ("MaxSpareThreads 64", ok("WARNING: detected MinSpareThreads set higher than",
                              "ThreadLimit. Resetting to 64")),
    ("MaxThreadsPerChild 65", ok("WARNING: detected MaxThreadsPerChild set higher than",
                                 "ThreadLimit. Resetting to 64")),
    ("ServerLimit 30000",
     ok("WARNING: ServerLimit of 30000 exceeds compile time limit of 20000 servers,",
        " lowering ServerLimit to 20000.")),
    ("ServerLimit 0", ok("WARNING: Require ServerLimit > 0, setting to 1",
                         "WARNING: NumServers of 2 exceeds ServerLimit value of 1 servers,",
                         " lowering NumServers to 1.  To increase, please see the",
                         " ServerLimit directive.")),
    ("ThreadLimit 30000",
     ok("WARNING: ThreadLimit of 30000 exceeds compile time limit of 20000 servers,",
        " lowering ThreadLimit to 20000.")),
    ("ThreadLimit 0", ok("WARNING: Require ThreadLimit > 0, setting to 1",
                         "WARNING: StartThreads of 5 exceeds ThreadLimit value of 1 threads,",
                         " lowering StartThreads to 1. To increase, please see the",
                         " ThreadLimit directive.",
                         "WARNING: detected MinSpareThreads set higher than",
                         "ThreadLimit. Resetting to 1")),
    ("NumServers 1\nChildPerUserID nobody nogroup 2",
     syntax_error(5, "Trying to use more child ID's than NumServers.  Increase NumServers in "
                     "your config file.")),
    ("ChildPerUserID nobody nogroup 2\nChildPerUserID daemon daemon 1",
     syntax_error(5, "Trying to use more child ID's than NumServers.  Increase NumServers in "
                     "your config file.")),
    ("ChildPerUserID root nogroup 1", syntax_error(4, "Assigning root user/group to a child.")),
    ("ChildPerUserID nobody #0 1", syntax_error(4, "Assigning root user/group to a child.")),
    ("ChildPerUserID nobody nogroup", syntax_error(
        4, "ChildperUserID takes three arguments, Specify a User and Group for a specific "
           "child process.")),
    ("ChildPerUserID nosuchuser-xyz nogroup 1",
     (1, "AH00543: httpd: bad user name nosuchuser-xyz\n")),
    ("<VirtualHost *:80>\nAssignUserID nobody nogroup\n</VirtualHost>",
     syntax_error(5, "Unable to find process with matching uid/gid.")),
    ("ChildPerUserID nobody nogroup 1\n<VirtualHost *:80>\nAssignUserID daemon daemon\n"
     "</VirtualHost>", syntax_error(6, "Unable to find process with matching uid/gid.")),
    ("ChildPerUserID nobody nogroup 1\n<VirtualHost *:80>\nAssignUserID nobody nogroup\n"
     "</VirtualHost>", ok()),
    ("<VirtualHost *:80>\nNumServers 3\n</VirtualHost>",
     syntax_error(5, "NumServers cannot occur within <VirtualHost> section")),
    ("ThreadsPerChild 10", syntax_error(4, INVALID.format("ThreadsPerChild"))),
    ("StartServers 10", syntax_error(4, INVALID.format("StartServers"))),
]


def _write(tmp_path, mpm: str, body: str) -> None:
    (tmp_path / "httpd.conf").write_text(HEAD.format(mpm=mpm) + body + "\n")


@pytest.mark.parametrize("body,want", CASES, ids=[c[0].replace("\n", "|") for c in CASES])
def test_httpd_t(tmp_path, body, want):
    _write(tmp_path, "perchild", body)
    assert apache.run_t(apache.HTTPD, tmp_path, [], mark="<D>") == want


# perchild's own directives are unknown to the other MPMs, as in real Apache
OTHERS = [(mpm, d) for mpm in ("prefork", "worker", "event")
          for d in ("AssignUserID nobody nogroup", "ChildPerUserID nobody nogroup 1",
                    "NumServers 2", "MaxThreadsPerChild 4")]


@pytest.mark.parametrize("mpm,line", OTHERS, ids=[f"{m}:{d.split()[0]}" for m, d in OTHERS])
def test_other_mpms_do_not_know_them(tmp_path, mpm, line):
    _write(tmp_path, mpm, line)
    want = syntax_error(4, INVALID.format(line.split()[0]))
    assert apache.run_t(apache.HTTPD, tmp_path, [], mark="<D>") == want
    if apache.APACHE is not None:
        code, out = apache.run_t([apache.APACHE], tmp_path, [], mark="<D>")
        assert (code, out.replace("apache2:", "httpd:")) == want


def _httpd(*args: str, env: dict | None = None) -> tuple[int, str, str]:
    e = dict(os.environ, PYTHONPATH=str(apache.ROOT))
    e.update(env or {})
    p = subprocess.run([sys.executable, "-m", "httpd", *args], env=e, capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_V_says_threaded_variable_and_forked_fixed(tmp_path):
    _write(tmp_path, "perchild", "")
    code, out, _ = _httpd("-V", "-d", str(tmp_path), "-f", str(tmp_path / "httpd.conf"))
    assert code == 0
    assert "Server MPM:     perchild\n  threaded:     yes (variable thread count)\n" \
           "    forked:     yes (fixed process count)\n" in out


def test_static_build_lists_perchild_c(tmp_path):
    build = tmp_path / "b.json"
    subprocess.run([sys.executable, str(apache.ROOT / "configure"), "--with-mpm=perchild",
                    f"--build-file={build}"], check=True, capture_output=True, timeout=60)
    env = {"HTTPD_BUILD_CONFIG": str(build)}
    code, out, _ = _httpd("-l", env=env)
    assert code == 0 and "  http_core.c\n  perchild.c\n" in out
    (tmp_path / "httpd.conf").write_text("ServerName localhost\nErrorLog error.log\n"
                                         "NumServers 3\n")
    code, out, err = _httpd("-t", "-d", str(tmp_path), "-f", str(tmp_path / "httpd.conf"),
                            env=env)
    assert (code, err) == (0, "Syntax OK\n")


def test_L_lists_the_directives(tmp_path):
    _write(tmp_path, "perchild", "")
    code, out, _ = _httpd("-L", "-d", str(tmp_path), "-f", str(tmp_path / "httpd.conf"))
    assert code == 0
    for name in ("NumServers", "StartThreads", "MinSpareThreads", "MaxSpareThreads",
                 "MaxThreadsPerChild", "ChildperUserID", "AssignUserID", "ServerLimit",
                 "ThreadLimit"):
        assert f"{name} (perchild.c)\n" in out
    assert "AssignUserID (perchild.c)\n\tTie a virtual host to a specific child process.\n" \
        in out


def test_S_shows_each_vhost_identity(tmp_path):
    _write(tmp_path, "perchild",
           "NumServers 3\nChildPerUserID nobody nogroup 1\n"
           "<VirtualHost *:80>\nServerName tied.test\nAssignUserID nobody nogroup\n"
           "</VirtualHost>\n<VirtualHost *:80>\nServerName plain.test\n</VirtualHost>")
    code, out, _ = _httpd("-S", "-d", str(tmp_path), "-f", str(tmp_path / "httpd.conf"))
    assert code == 0
    conf = tmp_path / "httpd.conf"
    assert ('perchild children:\n    child 0: user="nobody" id=65534 group="nogroup" '
            'id=65534\n    child 1: User/Group\n    child 2: User/Group\n') in out
    assert (f'    tied.test ({conf}:6): user="nobody" id=65534 group="nogroup" id=65534\n'
            in out)
    assert f"    plain.test ({conf}:10): User/Group children\n" in out
    assert "    main server localhost: User/Group children\n" in out


def test_query_answers():
    import mpms.perchild as pc
    from httpd.mpm.common import DYNAMIC, MPMQ, STATIC
    mpm = pc.PERCHILD
    assert mpm.query(MPMQ.IS_THREADED) == DYNAMIC and mpm.query(MPMQ.IS_FORKED) == STATIC
    assert mpm.query(MPMQ.MAX_DAEMONS) is None          # no settings yet
