"""worker and event: tables, defaults, check_config clamps and AsyncRequestWorkerFactor.

Every warning below is real Apache 2.4.71 output.  event prints the same texts as
worker with its AH number 197 higher (AH00310 -> AH00507, ...), which the real binary
showed for each of these cases; only ThreadLimit's compile-time cap differs.
"""
import math
import re

import pytest

from httpd.module import GLOBAL_ONLY, RSRC_CONF
from mpms import event, worker
from httpd.mpm.common import DYNAMIC, MPMQ, STATIC

# directive tables captured from the real `apache2 -L` (name, help, arity, context)

MPMS = [worker.MODULE, event.MODULE]

WORKER_WARNINGS = [
    ("MaxRequestWorkers 10", [
        "AH00314: WARNING: MaxRequestWorkers of 10 is less than ThreadsPerChild of 25, increasing "
        "to 25. MaxRequestWorkers must be at least as large as the number of threads in a "
        "single server."]),
    ("MaxRequestWorkers 90", [
        "AH00316: WARNING: MaxRequestWorkers of 90 is not an integer multiple of ThreadsPerChild "
        "of 25, decreasing to nearest multiple 75, for a maximum of 3 servers."]),
    ("MaxRequestWorkers 1000", [
        "AH00318: WARNING: MaxRequestWorkers of 1000 would require 40 servers and would exceed "
        "ServerLimit of 16, decreasing to 400. To increase, please see the ServerLimit "
        "directive."]),
    ("ThreadsPerChild 100", [
        "AH00310: WARNING: ThreadsPerChild of 100 exceeds ThreadLimit of 64 threads, decreasing "
        "to 64. To increase, please see the ThreadLimit directive.",
        "AH00316: WARNING: MaxRequestWorkers of 400 is not an integer multiple of ThreadsPerChild "
        "of 64, decreasing to nearest multiple 384, for a maximum of 6 servers."]),
    ("ThreadLimit 32\nThreadsPerChild 64", [
        "AH00310: WARNING: ThreadsPerChild of 64 exceeds ThreadLimit of 32 threads, decreasing "
        "to 32. To increase, please see the ThreadLimit directive.",
        "AH00316: WARNING: MaxRequestWorkers of 400 is not an integer multiple of ThreadsPerChild "
        "of 32, decreasing to nearest multiple 384, for a maximum of 12 servers."]),
    ("ThreadLimit 0", [
        "AH00307: WARNING: ThreadLimit of 0 not allowed, increasing to 1.",
        "AH00310: WARNING: ThreadsPerChild of 25 exceeds ThreadLimit of 1 threads, decreasing "
        "to 1. To increase, please see the ThreadLimit directive.",
        "AH00318: WARNING: MaxRequestWorkers of 400 would require 400 servers and would exceed "
        "ServerLimit of 16, decreasing to 16. To increase, please see the ServerLimit "
        "directive."]),
    ("ServerLimit 30000", [
        "AH00300: WARNING: ServerLimit of 30000 exceeds compile-time limit of 20000 servers, "
        "decreasing to 20000."]),
    ("ServerLimit 0", [
        "AH00302: WARNING: ServerLimit of 0 not allowed, increasing to 1.",
        "AH00318: WARNING: MaxRequestWorkers of 400 would require 16 servers and would exceed "
        "ServerLimit of 1, decreasing to 25. To increase, please see the ServerLimit "
        "directive."]),
    ("ThreadsPerChild 0", [
        "AH00312: WARNING: ThreadsPerChild of 0 not allowed, increasing to 1.",
        "AH00318: WARNING: MaxRequestWorkers of 400 would require 400 servers and would exceed "
        "ServerLimit of 16, decreasing to 16. To increase, please see the ServerLimit "
        "directive."]),
    ("MaxRequestWorkers abc\nThreadsPerChild -5", [
        "AH00312: WARNING: ThreadsPerChild of -5 not allowed, increasing to 1.",
        "AH00314: WARNING: MaxRequestWorkers of 0 is less than ThreadsPerChild of 1, increasing "
        "to 1. MaxRequestWorkers must be at least as large as the number of threads in a "
        "single server."]),
    ("StartServers 0", ["AH00320: WARNING: StartServers of 0 not allowed, increasing to 1."]),
    ("MinSpareThreads 0", [
        "AH00322: WARNING: MinSpareThreads of 0 not allowed, increasing to 1 to avoid almost "
        "certain server failure. Please read the documentation."]),
    ("MinSpareThreads 0\nStartServers 0\nThreadsPerChild 0\nThreadLimit 0\nServerLimit 0\n"
     "MaxRequestWorkers 0", [
         "AH00302: WARNING: ServerLimit of 0 not allowed, increasing to 1.",
         "AH00307: WARNING: ThreadLimit of 0 not allowed, increasing to 1.",
         "AH00312: WARNING: ThreadsPerChild of 0 not allowed, increasing to 1.",
         "AH00314: WARNING: MaxRequestWorkers of 0 is less than ThreadsPerChild of 1, increasing "
         "to 1. MaxRequestWorkers must be at least as large as the number of threads in a "
         "single server.",
         "AH00320: WARNING: StartServers of 0 not allowed, increasing to 1.",
         "AH00322: WARNING: MinSpareThreads of 0 not allowed, increasing to 1 to avoid almost "
         "certain server failure. Please read the documentation."]),
    ("MaxSpareThreads 0\nMinSpareThreads 5", []),
    ("StartServers 2\nServerLimit 16\nMinSpareThreads 25\nMaxSpareThreads 75\n"
     "ThreadLimit 64\nThreadsPerChild 25\nMaxRequestWorkers 150", []),
]


def as_event(line: str) -> str:
    return re.sub(r"^AH00(\d\d\d)", lambda m: f"AH{int(m.group(1)) + 197:05d}", line)


CASES = [(worker.MODULE, text, lines) for text, lines in WORKER_WARNINGS] + [
    (event.MODULE, text, [as_event(x) for x in lines]) for text, lines in WORKER_WARNINGS]


class TestTables:
    @pytest.mark.parametrize("mod", MPMS, ids=lambda m: m.source)
    def test_server_config_only(self, mod):
        assert all(d.req_override == RSRC_CONF and d.forbidden == GLOBAL_ONLY
                   for d in mod.directives)

    def test_names(self):
        assert (worker.MODULE.name, worker.MODULE.source) == ("mpm_worker_module", "worker.c")
        assert (event.MODULE.name, event.MODULE.source) == ("mpm_event_module", "event.c")

    def test_event_only_directive(self):
        assert worker.MODULE.find("AsyncRequestWorkerFactor") is None
        assert event.MODULE.find("asyncrequestworkerfactor") is not None


class TestDescriptor:
    @pytest.mark.parametrize("mod,name,is_async", [(worker.MODULE, "worker", False),
                                                   (event.MODULE, "event", True)])
    def test_minus_V_answers(self, mod, name, is_async):
        m = mod.mpm
        assert (m.name, m.threaded, m.forked) == (
            name, "yes (fixed thread count)", "yes (variable process count)")
        assert m.is_async is is_async
        assert m.query(MPMQ.IS_ASYNC) == int(is_async)

    @pytest.mark.parametrize("mod", MPMS, ids=lambda m: m.source)
    def test_query(self, walk, mod):
        s = walk([mod], "ThreadsPerChild 50\nMaxRequestWorkers 200").check()
        q = mod.mpm.query
        assert (q(MPMQ.IS_THREADED), q(MPMQ.IS_FORKED)) == (STATIC, DYNAMIC)
        assert q(MPMQ.MAX_THREADS, s) == 50
        assert q(MPMQ.MAX_DAEMONS, s) == 4
        assert q(MPMQ.HARD_LIMIT_DAEMONS, s) == 16
        assert q(MPMQ.HARD_LIMIT_THREADS, s) == 64
        assert (q(MPMQ.MIN_SPARE_THREADS, s), q(MPMQ.MAX_SPARE_THREADS, s)) == (75, 250)
        assert (q(MPMQ.MIN_SPARE_DAEMONS, s), q(MPMQ.MAX_SPARE_DAEMONS, s)) == (0, 0)


class TestCheckConfig:
    @pytest.mark.parametrize("mod,text,lines", CASES,
                             ids=[f"{m.source}:{t}" for m, t, _ in CASES])
    def test_startup_warnings(self, walk, mod, text, lines):
        c = walk([mod], text)
        assert c.error is None
        c.check()
        assert c.process.log.records == [("warn", line) for line in lines]

    @pytest.mark.parametrize("mod,line", [
        (worker.MODULE, "AH00305: WARNING: ThreadLimit of 200000 exceeds compile-time limit of "
                        "20000 threads, decreasing to 20000."),
        (event.MODULE, "AH00502: WARNING: ThreadLimit of 200000 exceeds compile-time limit of "
                       "100000 threads, decreasing to 100000."),
    ])
    def test_thread_limit_cap(self, walk, mod, line):
        c = walk([mod], "ThreadLimit 200000")
        c.check()
        assert c.process.output == [line]

    @pytest.mark.parametrize("mod", MPMS, ids=lambda m: m.source)
    def test_defaults(self, walk, mod):
        s = walk([mod], "").check()
        assert (s.server_limit, s.thread_limit, s.threads_per_child, s.max_request_workers,
                s.daemons_limit, s.start_servers, s.min_spare_threads, s.max_spare_threads) == (
            16, 64, 25, 400, 16, 3, 75, 250)
        assert s.mpm == mod.mpm.name
        assert s.async_request_worker_factor == (2.0 if mod is event.MODULE else None)

    def test_rounding(self, walk):
        s = walk([worker.MODULE], "MaxRequestWorkers 90").check()
        assert (s.max_request_workers, s.daemons_limit) == (75, 3)

    def test_over_server_limit_lowers_processes_only(self, walk):
        # As Apache: AH00318 says "decreasing to 400" but only the process cap changes.
        s = walk([worker.MODULE], "MaxRequestWorkers 1000").check()
        assert (s.max_request_workers, s.daemons_limit) == (1000, 16)

    def test_for_run(self, walk):
        s = walk([worker.MODULE], "StartServers 40\nMinSpareThreads 1\nMaxSpareThreads 0").check()
        r = s.for_run(1)
        assert (r.start_servers, r.min_spare_threads, r.max_spare_threads) == (16, 1, 27)
        r = s.for_run(2)
        assert (r.min_spare_threads, r.max_spare_threads) == (27, 79)

    @pytest.mark.parametrize("mod,ah,tag", [(worker.MODULE, "00324", "mpm_worker"),
                                            (event.MODULE, "00521", "mpm_event")])
    def test_max_clients_logs_at_info(self, walk, mod, ah, tag):
        c = walk([mod], "MaxClients 100", level="info")
        assert c.check().max_request_workers == 100
        assert f"] [{tag}:info] [pid " in c.process.output[0]
        assert c.process.output[0].endswith(
            f"AH{ah}: MaxClients is deprecated, use MaxRequestWorkers instead.")


class TestRestart:
    @pytest.mark.parametrize("mod,a,b", [(worker.MODULE, "00304", "00309"),
                                         (event.MODULE, "00501", "00506")])
    def test_limits_kept(self, walk, make_process, mod, a, b):
        p = make_process([mod])
        walk(None, "ServerLimit 10\nThreadLimit 50\nMaxRequestWorkers 250", process=p).check()
        p.log.records.clear()
        s = walk(None, "ServerLimit 20\nThreadLimit 60\nMaxRequestWorkers 250", process=p).check()
        assert (s.server_limit, s.thread_limit) == (10, 50)
        tag = mod.mpm.module[:-len("_module")]
        assert [t.split("] [", 2)[1] for t in p.output] == [f"{tag}:warn"] * 2
        assert p.output[0].endswith(f"AH{a}: changing ServerLimit to 20 from original value of "
                                    "10 not allowed during restart")
        assert p.output[1].endswith(f"AH{b}: changing ThreadLimit to 60 from original value of "
                                    "50 not allowed during restart")

    @pytest.mark.parametrize("text,msg", [
        ("ServerLimit 30000", "AH00301: ServerLimit of 30000 exceeds compile-time limit of 20000, "
                              "decreasing to match"),
        ("ThreadsPerChild 100", "AH00311: ThreadsPerChild of 100 exceeds ThreadLimit of 64, "
                                "decreasing to match"),
        ("ThreadsPerChild 0", "AH00313: ThreadsPerChild of 0 not allowed, increasing to 1"),
        ("MaxRequestWorkers 10", "AH00315: MaxRequestWorkers of 10 is less than ThreadsPerChild "
                                 "of 25, increasing to match"),
        ("MaxRequestWorkers 90", "AH00317: MaxRequestWorkers of 90 is not an integer multiple of "
                                 "ThreadsPerChild of 25, decreasing to nearest multiple 75"),
        ("MaxRequestWorkers 1000", "AH00319: MaxRequestWorkers of 1000 would require 40 servers "
                                   "and exceed ServerLimit of 16, decreasing to 400"),
        ("StartServers 0", "AH00321: StartServers of 0 not allowed, increasing to 1"),
        ("MinSpareThreads 0", "AH00323: MinSpareThreads of 0 not allowed, increasing to 1"),
    ])
    def test_restart_texts(self, walk, make_process, text, msg):
        p = make_process([worker.MODULE])
        walk(None, "", process=p).check()
        walk(None, text, process=p).check()
        assert p.output[0].endswith(msg) and "[mpm_worker:warn]" in p.output[0]

    def test_other_mpm_is_a_fresh_start(self, walk, make_process):
        p = make_process([worker.MODULE, event.MODULE])
        worker.check_config(p, walk(None, "ServerLimit 10", process=p).server)
        event.check_config(p, walk(None, "ServerLimit 0", process=p).server)
        assert p.output == ["AH00499: WARNING: ServerLimit of 0 not allowed, increasing to 1.",
                            "AH00515: WARNING: MaxRequestWorkers of 400 would require 16 servers "
                            "and would exceed ServerLimit of 1, decreasing to 25. To increase, "
                            "please see the ServerLimit directive."]


class TestAsyncRequestWorkerFactor:
    """strtod, not atoi: what follows the number is an error (real Apache's answers)."""

    @pytest.mark.parametrize("arg,value", [("2", 2.0), ("1.5", 1.5), ("0x10", 16.0),
                                           ('" 2"', 2.0), ("1e400", math.inf),
                                           ("inf", math.inf), ("0.0000001", 1e-7),
                                           ("1e20", 1e20)])
    def test_accepted(self, walk, arg, value):
        c = walk([event.MODULE], f"AsyncRequestWorkerFactor {arg}")
        assert c.error is None
        assert c.check().async_request_worker_factor == value

    def test_nan_is_accepted(self, walk):
        c = walk([event.MODULE], "AsyncRequestWorkerFactor nan")
        assert c.error is None and math.isnan(c.check().async_request_worker_factor)

    @pytest.mark.parametrize("arg,msg", [
        ("0", "AsyncRequestWorkerFactor argument must be a positive number"),
        ("-1", "AsyncRequestWorkerFactor argument must be a positive number"),
        ("abc", "error parsing value"),
        ("-abc", "error parsing value"),
        ('"2 "', "error parsing value"),
        ("1.5x", "error parsing value"),
        ('""', "AsyncRequestWorkerFactor takes one argument, How many additional connects will "
               "be accepted per idle worker thread"),
    ])
    def test_refused(self, walk, arg, msg):
        assert walk([event.MODULE], f"AsyncRequestWorkerFactor {arg}").error == msg

    def test_worker_does_not_know_it(self, walk):
        c = walk([worker.MODULE], "AsyncRequestWorkerFactor 2")
        assert c.error == ("Invalid command 'AsyncRequestWorkerFactor', perhaps misspelled or "
                           "defined by a module not included in the server configuration")

    def test_not_in_virtualhost(self, make_process, invoke):
        p = make_process([event.MODULE])
        assert invoke(p, "<VirtualHost *:80>", "AsyncRequestWorkerFactor 2") == (
            "AsyncRequestWorkerFactor cannot occur within <VirtualHost> section")

    @pytest.mark.parametrize("mod", MPMS, ids=lambda m: m.source)
    def test_mpm_directives_not_in_virtualhost(self, make_process, invoke, mod):
        p = make_process([mod])
        for d in mod.directives:
            arg = "" if d.name == "Listen" else " 1"
            assert invoke(p, "<VirtualHost *:80>", d.name + arg) == (
                f"{d.name} cannot occur within <VirtualHost> section")
            assert invoke(p, "<Directory />", d.name + arg) == (
                f"{d.name} not allowed in <Directory> context")
