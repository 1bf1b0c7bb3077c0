"""Fixtures shared by more than one folder of tests/ (each lives here, the nearest
common conftest).  The code behind them is in helper modules next to the tests that
own it; a fixture used by one folder only stays in that folder's conftest.py.
"""
from __future__ import annotations

import pytest

from tests.mpm import standin

# -- the MPM directive stand-in (tests/mpm/, tests/mpms/*) ------------------------------


@pytest.fixture
def make_process():
    return standin.FakeProcess


@pytest.fixture
def walk():
    def run(modules, text, level="warn", process=None):
        p = process or standin.FakeProcess(modules, level)
        return standin.Config(p, text)
    return run


@pytest.fixture
def invoke():
    return standin.invoke_in


# -- logs opened on a real config (tests/log/, tests/directives/mod_log_config/) --------

@pytest.fixture
def loaded(tmp_path):
    """``loaded(body)`` -> a Process whose logs are open; closed afterwards."""
    from directives.mod_log_config import runtime
    from httpd.log import errorlog
    from tests.log.helpers import load
    processes = []

    def make(body: str, *defines: str):
        p = load(tmp_path, body, *defines)
        processes.append(p)
        assert runtime.post_config(p, p.main_server), p.log.stream.getvalue()
        return p
    make.dir = tmp_path
    yield make
    for p in processes:
        errorlog.close_logs(p)
    runtime.close_logs()


# -- the request pipeline without sockets (tests/request/, tests/http/, tests/directives/,
#    tests/conformance/request/) ------------------------------------------------------

@pytest.fixture
def server(tmp_path):
    """``server(body, files)`` -> a pipeline Server on ``body`` in tmp_path.  The MPM
    suite (tests/mpms/conformance/) has a ``server`` of its own: a running process."""
    from tests.request.pipeline import PREFIX, Server, tree

    def make(body: str, files: dict = None, prefix: str = PREFIX) -> Server:
        tree(tmp_path, files or {})
        return Server(tmp_path, body, prefix)
    return make


# -- the static-file pair: apache2 and our handler on one DocumentRoot (tests/core/,
#    tests/http/) ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def pair(tmp_path_factory):
    """One real apache2 and one config of ours over the same DocumentRoot, for the session."""
    from tests.e2e import static as H
    if H.APACHE is None:
        pytest.skip("apache2 is not installed")
    root = tmp_path_factory.mktemp("static")
    doc = H.make_docroot(root)
    port = H.free_port()
    body = H.config_body(doc, port)
    apache = H.start_apache(root, body, port, extra=H.apache_extra(doc))
    try:
        yield H.Pair(root, doc, apache, H.load_process(root, body))
    finally:
        apache.stop()


@pytest.fixture(scope="session")
def ours_only(tmp_path_factory):
    """Our side alone (no apache2 needed), on the same document root and config."""
    from tests.e2e import static as H
    root = tmp_path_factory.mktemp("static-ours")
    (root / "logs").mkdir()
    doc = H.make_docroot(root)
    body = H.config_body(doc, 8080)
    return H.Pair(root, doc, None, H.load_process(root, body))


# -- `-t` differential runs: real Apache and this server on the same file (tests/core/,
#    tests/directives/) ----------------------------------------------------------------

DIFF_PREFIX = "".join(
    f"LoadModule {name}_module /usr/lib/apache2/modules/mod_{name}.so\n"
    for name in ("mpm_prefork", "alias", "mime", "dir", "authz_core", "authz_host", "macro")
) + "ServerName localhost\nErrorLog error.log\n"


@pytest.fixture
def differential(tmp_path):
    """``differential(body)``: ``apache2 -t`` and ``python -m httpd -t`` agree on the
    file DIFF_PREFIX + body (line 10 is the body's first line).  Skipped without
    apache2."""
    from tests.conformance import apache

    def run(argv):
        code, out = apache.run_t(argv, tmp_path, stamp=apache.SHORT_STAMP)
        return code, out.replace("apache2:", "httpd:")

    def check(body: str) -> tuple:
        if apache.APACHE is None:
            pytest.skip("apache2 is not installed")
        (tmp_path / "httpd.conf").write_text(DIFF_PREFIX + body)
        ours = run(apache.HTTPD)
        theirs = run([apache.APACHE])
        assert ours == theirs
        return ours
    return check
