"""perchild servers with two identities: two system users made for the test (and
removed after it), each with its own name-based virtual host tied to it by AssignUserID
and one child of its own (ChildPerUserID), beside the User/Group children.

Each host's DocumentRoot (world-readable) holds ``own.txt`` and ``other.txt``: mode
0600, owned by the host's user and by the other user; so a host answers 200 for its own
file and 403 for the other's only when it is served by a process of its own user."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import uuid

import pytest

from tests.e2e.mpm import AS_ROOT, MPMServer, start_server

pytestmark = pytest.mark.skipif(not AS_ROOT, reason="perchild's identities need root")


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def users():
    """Two fresh system users with groups of their own; removed at teardown."""
    if not AS_ROOT or shutil.which("useradd") is None:
        pytest.skip("needs root and useradd")
    tag = uuid.uuid4().hex[:6]
    names = [f"pca{tag}", f"pcb{tag}"]
    made = []
    try:
        for name in names:
            _run("useradd", "--system", "--no-create-home", "--user-group",
                 "--shell", "/usr/sbin/nologin", name)
            made.append(name)
        yield [(n, pwd.getpwnam(n).pw_uid, pwd.getpwnam(n).pw_gid) for n in names]
    finally:
        for name in made:
            subprocess.run(["userdel", name], capture_output=True, timeout=30)
            subprocess.run(["groupdel", name], capture_output=True, timeout=30)


def vhosts_config(root, users) -> str:
    (a, _, _), (b, _, _) = users
    out = []
    for name, other in ((a, b), (b, a)):
        doc = root / name
        doc.mkdir()
        doc.chmod(0o755)
        for fname, owner in (("own.txt", name), ("other.txt", other)):
            p = doc / fname
            p.write_text(f"file of {owner}\n")
            p.chmod(0o600)
            pw = pwd.getpwnam(owner)
            os.chown(p, pw.pw_uid, pw.pw_gid)
        out.append(f"<VirtualHost *:*>\nServerName {name}.test\nDocumentRoot {doc}\n"
                   f"AssignUserID {name} {name}\n<Directory {doc}>\nRequire all granted\n"
                   "</Directory>\n</VirtualHost>\n")
    return "".join(out)


SETTINGS = ("NumServers {num}\nChildPerUserID {a} {a} 1\nChildPerUserID {b} {b} 1\n"
            "StartThreads 2\nMinSpareThreads 1\nMaxSpareThreads 4\nMaxThreadsPerChild 8\n"
            "ExtendedStatus On\nKeepAliveTimeout 5\n"
            "<Location /server-status>\nSetHandler server-status\n</Location>\n")


@pytest.fixture
def perchild(users):
    started: list[MPMServer] = []

    def make(num: int = 4, extra: str = "") -> MPMServer:
        from tests.e2e.mpm import scratch_root
        root = scratch_root()
        (a, _, _), (b, _, _) = users
        settings = SETTINGS.format(num=num, a=a, b=b) + extra + vhosts_config(root, users)
        srv = start_server("perchild", settings, root=root, modules=("status",), raw=True)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()
        shutil.rmtree(srv.root, ignore_errors=True)
