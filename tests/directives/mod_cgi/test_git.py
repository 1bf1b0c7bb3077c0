"""A real CGI program no one here wrote: ``git http-backend`` serves a bare repository
that a real ``git`` client pushes to and clones from through httpd, under prefork with
mod_cgi and under event with mod_cgid (the scripts forked by the cgid daemon)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.mpm import AS_ROOT, scratch_root, start_server

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="needs git")


def _git(*args, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([GIT, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def _chown_tree(path: Path, user: str = "nobody") -> None:
    if not AS_ROOT:
        return
    import pwd
    pw = pwd.getpwnam(user)
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, pw.pw_uid, pw.pw_gid)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), pw.pw_uid, pw.pw_gid)


@pytest.mark.parametrize("mpm,module", [("prefork", "cgi"), ("event", "cgid"), ("event", "cgi"),
                                        ("prefork", "cgid")])
def test_clone_and_push(mpm, module):
    exec_path = subprocess.run([GIT, "--exec-path"], capture_output=True, text=True,
                               timeout=10).stdout.strip()
    backend = Path(exec_path) / "git-http-backend"
    root = scratch_root()
    try:
        repos = root / "git"
        repos.mkdir()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root),
               "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
               "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
        assert _git("init", "-q", "--bare", "-b", "main", str(repos / "repo.git"), cwd=root, env=env) \
            .returncode == 0
        assert _git("config", "http.receivepack", "true", cwd=repos / "repo.git",
                    env=env).returncode == 0
        _chown_tree(repos)
        settings = (f"SetEnv GIT_PROJECT_ROOT {repos}\nSetEnv GIT_HTTP_EXPORT_ALL 1\n"
                    f"ScriptAlias /git/ {backend}/\n"
                    f"<Directory {exec_path}>\nRequire all granted\n</Directory>\n")
        srv = start_server(mpm, settings, root=root, modules=("alias", "env", module))
        try:
            url = f"http://127.0.0.1:{srv.port}/git/repo.git"
            work = root / "work"
            work.mkdir()
            assert _git("init", "-q", "-b", "main", cwd=work, env=env).returncode == 0
            (work / "hello.txt").write_text("hello through CGI\n")
            (work / "big.bin").write_bytes(os.urandom(300_000))   # a pack of some size
            _git("add", ".", cwd=work, env=env)
            assert _git("commit", "-q", "-m", "first", cwd=work, env=env).returncode == 0
            push = _git("push", url, "main", cwd=work, env=env)
            assert push.returncode == 0, push.stderr + srv.error_log
            clone = _git("clone", "-q", url, str(root / "clone"), cwd=root, env=env)
            assert clone.returncode == 0, clone.stderr + srv.error_log
            assert (root / "clone" / "hello.txt").read_text() == "hello through CGI\n"
            assert (root / "clone" / "big.bin").read_bytes() == \
                (work / "big.bin").read_bytes()
            # a second push on top, then the clone fetches it
            (work / "hello.txt").write_text("second\n")
            _git("commit", "-q", "-am", "second", cwd=work, env=env)
            assert _git("push", url, "main", cwd=work, env=env).returncode == 0
            pull = _git("pull", "-q", url, "main", cwd=root / "clone", env=env)
            assert pull.returncode == 0, pull.stderr + srv.error_log
            assert (root / "clone" / "hello.txt").read_text() == "second\n"
        finally:
            srv.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
