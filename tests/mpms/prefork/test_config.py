"""prefork's table, defaults and check_config.  Warning texts are real Apache 2.4.71's
`apache2 -t` output for the same directive lines."""

import pytest

from httpd.module import GLOBAL_ONLY, RSRC_CONF, Args
from mpms import prefork
from httpd.mpm.common import DYNAMIC, MPMQ, NOT_SUPPORTED

# directive tables captured from the real `apache2 -L` (name, help, arity, context)

# (config lines, expected start-up lines) from the real binary

WARNINGS = [
    ("ServerLimit 300000", [
        "AH00175: WARNING: ServerLimit of 300000 exceeds compile-time limit of 200000 servers, "
        "decreasing to 200000."]),
    ("ServerLimit 0", [
        "AH00177: WARNING: ServerLimit of 0 not allowed, increasing to 1.",
        "AH00180: WARNING: MaxRequestWorkers of 256 exceeds ServerLimit value of 1 servers, "
        "decreasing MaxRequestWorkers to 1. To increase, please see the ServerLimit directive."]),
    ("MaxRequestWorkers 400", [
        "AH00180: WARNING: MaxRequestWorkers of 400 exceeds ServerLimit value of 256 servers, "
        "decreasing MaxRequestWorkers to 256. To increase, please see the ServerLimit directive."]),
    ("MaxRequestWorkers 1000", [
        "AH00180: WARNING: MaxRequestWorkers of 1000 exceeds ServerLimit value of 256 servers, "
        "decreasing MaxRequestWorkers to 256. To increase, please see the ServerLimit directive."]),
    ("MaxRequestWorkers 0", [
        "AH00182: WARNING: MaxRequestWorkers of 0 not allowed, increasing to 1."]),
    ("StartServers 0", ["AH00184: WARNING: StartServers of 0 not allowed, increasing to 1."]),
    ("StartServers abc", ["AH00184: WARNING: StartServers of 0 not allowed, increasing to 1."]),
    ("MinSpareServers 0", [
        "AH00186: WARNING: MinSpareServers of 0 not allowed, increasing to 1 to avoid almost "
        "certain server failure. Please read the documentation."]),
    ("MaxRequestWorkers -3\nStartServers -1\nMinSpareServers -2\nMaxSpareServers -9\n"
     "ServerLimit 0", [
         "AH00177: WARNING: ServerLimit of 0 not allowed, increasing to 1.",
         "AH00182: WARNING: MaxRequestWorkers of -3 not allowed, increasing to 1.",
         "AH00184: WARNING: StartServers of -1 not allowed, increasing to 1.",
         "AH00186: WARNING: MinSpareServers of -2 not allowed, increasing to 1 to avoid almost "
         "certain server failure. Please read the documentation."]),
    ("MaxSpareServers 1\nMinSpareServers 5\nStartServers 500", []),
    ("StartServers 5\nMinSpareServers 5\nMaxSpareServers 10\nMaxRequestWorkers 150", []),
]


class TestTable:
    def test_every_directive_is_server_config_only(self):
        for d in prefork.MODULE.directives:
            assert d.req_override == RSRC_CONF and d.forbidden == GLOBAL_ONLY
            assert d.args is (Args.TAKE_ARGV if d.name == "Listen" else Args.TAKE1)

    def test_names(self):
        assert (prefork.MODULE.name, prefork.MODULE.source) == ("mpm_prefork_module", "prefork.c")
        assert prefork.MODULE.is_mpm


class TestDescriptor:
    def test_minus_V_answers(self):
        mpm = prefork.MODULE.mpm
        assert (mpm.name, mpm.threaded, mpm.forked) == (
            "prefork", "no", "yes (variable process count)")
        assert not mpm.is_async

    def test_query(self, walk):
        mpm = prefork.MODULE.mpm
        s = walk([prefork.MODULE], "MaxRequestWorkers 150\nServerLimit 200").check()
        assert mpm.query(MPMQ.IS_THREADED) == NOT_SUPPORTED
        assert mpm.query(MPMQ.IS_FORKED) == DYNAMIC
        assert mpm.query(MPMQ.IS_ASYNC) == 0
        assert mpm.query(MPMQ.MAX_DAEMONS, s) == 150
        assert mpm.query(MPMQ.HARD_LIMIT_DAEMONS, s) == 200
        assert mpm.query(MPMQ.MAX_THREADS, s) == 1
        assert mpm.query(MPMQ.MIN_SPARE_DAEMONS, s) == 5
        assert mpm.query(MPMQ.MAX_SPARE_DAEMONS, s) == 10
        assert mpm.query(MPMQ.GENERATION, s) is None       # the runtime's to answer
        assert mpm.query(MPMQ.MAX_DAEMONS) is None          # nothing checked yet


class TestCheckConfig:
    @pytest.mark.parametrize("text,lines", WARNINGS, ids=[w[0] for w in WARNINGS])
    def test_startup_warnings(self, walk, text, lines):
        c = walk([prefork.MODULE], text)
        assert c.error is None
        c.check()
        assert c.process.log.records == [("warn", line) for line in lines]

    def test_warnings_hidden_below_warn(self, walk):
        c = walk([prefork.MODULE], "StartServers 0", level="error")
        assert c.check().start_servers == 1
        assert c.process.output == []

    def test_defaults(self, walk):
        s = walk([prefork.MODULE], "").check()
        assert (s.mpm, s.server_limit, s.max_request_workers, s.start_servers,
                s.min_spare_servers, s.max_spare_servers, s.graceful_shutdown_timeout) == (
            "prefork", 256, 256, 5, 5, 10, 0)

    def test_settings_are_frozen(self, walk):
        import attrs
        s = walk([prefork.MODULE], "").check()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            s.start_servers = 3

    def test_clamped_values(self, walk):
        s = walk([prefork.MODULE], "ServerLimit 0\nStartServers -1\nMinSpareServers 0").check()
        assert (s.server_limit, s.max_request_workers, s.start_servers,
                s.min_spare_servers) == (1, 1, 1, 1)

    def test_for_run(self, walk):
        """prefork_run's silent fixes: MaxSpareServers > MinSpareServers, StartServers
        <= MaxRequestWorkers, one child and one spare per bucket."""
        s = walk([prefork.MODULE], "MaxSpareServers 1\nMinSpareServers 5\nStartServers 500"
                                   "\nMaxRequestWorkers 100").check()
        r = s.for_run(1)
        assert (r.start_servers, r.min_spare_servers, r.max_spare_servers) == (100, 5, 6)
        r = s.for_run(8)
        assert (r.min_spare_servers, r.max_spare_servers) == (8, 16)

    def test_max_clients_logs_at_info(self, walk):
        c = walk([prefork.MODULE], "MaxClients 100", level="info")
        assert c.check().max_request_workers == 100
        [line] = c.process.output
        assert "] [mpm_prefork:info] [pid " in line
        assert line.endswith("AH00188: MaxClients is deprecated, use MaxRequestWorkers instead.")

    def test_max_clients_quiet_at_warn(self, walk):
        c = walk([prefork.MODULE], "MaxClients 100")
        c.check()
        assert c.process.output == []


class TestRestart:
    """A second check on the same process is a restart: the warnings go to the error
    log, and ServerLimit keeps its first value (the scoreboard outlives restarts)."""

    def test_server_limit_kept(self, walk, make_process):
        p = make_process([prefork.MODULE])
        walk(None, "ServerLimit 10\nMaxRequestWorkers 10", process=p).check()
        p.log.records.clear()
        s = walk(None, "ServerLimit 20\nMaxRequestWorkers 20", process=p).check()
        assert (s.server_limit, s.max_request_workers) == (10, 10)
        # as seen in Apache's error log after `-k graceful` with this change
        assert [t.split("] [", 2)[1] for t in p.output] == ["mpm_prefork:warn"] * 2
        assert [t.split("] ", 3)[3] for t in p.output] == [
            "AH00179: changing ServerLimit to 20 from original value of 10 not allowed during "
            "restart",
            "AH00181: MaxRequestWorkers of 20 exceeds ServerLimit value of 10, decreasing to "
            "match"]

    @pytest.mark.parametrize("text,msg", [
        ("ServerLimit 300000", "AH00176: ServerLimit of 300000 exceeds compile-time limit of "
                               "200000, decreasing to match"),
        ("MaxRequestWorkers 0", "AH00183: MaxRequestWorkers of 0 not allowed, increasing to 1"),
        ("StartServers 0", "AH00185: StartServers of 0 not allowed, increasing to 1"),
        ("MinSpareServers 0", "AH00187: MinSpareServers of 0 not allowed, increasing to 1"),
    ])
    def test_restart_texts(self, walk, make_process, text, msg):
        p = make_process([prefork.MODULE])
        walk(None, "", process=p).check()
        walk(None, text, process=p).check()
        assert p.output[0].endswith(msg)
        assert "[mpm_prefork:warn]" in p.output[0]

    def test_server_limit_low_on_restart(self, walk, make_process):
        p = make_process([prefork.MODULE])
        walk(None, "ServerLimit 1\nMaxRequestWorkers 1", process=p).check()
        walk(None, "ServerLimit 0\nMaxRequestWorkers 1", process=p).check()
        assert p.output[0].endswith("AH00178: ServerLimit of 0 not allowed, increasing to 1")
