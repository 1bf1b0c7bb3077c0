"""The error log: Apache's line, LogLevel filtering (as data, with structlog's
capture_logs), ErrorLogFormat, destinations and the JSON output.

Expected texts are apache2 2.4.71's (captured while this was written: a 404 at
``LogLevel info`` gives ``[core:info] [pid N:tid N] [client 127.0.0.1:PORT] AH00128:
File does not exist: PATH``).
"""
from __future__ import annotations

import json
import os
import re
import syslog
import threading
import time

import pytest
from structlog.testing import capture_logs

from httpd.core.config import LogConfig
from httpd.log import errorlog
from httpd.log.startup import LEVEL_NUM

from tests.log.helpers import load, make_request, make_server

STAMP = r"\[\w{3} \w{3} \d\d \d\d:\d\d:\d\d\.\d{6} \d{4}\] "
PID = rf"\[pid {os.getpid()}:tid {threading.get_native_id()}\] "


def text(loaded, name: str = "error_log") -> str:
    path = loaded.dir / "logs" / name
    return path.read_text(encoding="latin-1") if path.exists() else ""


def request(p, server=None, **kw):
    return make_request(server=server or p.main_server, **kw)


class TestDefaultFormat:
    def test_request_message(self, loaded):
        p = loaded("LogLevel info\n")
        errorlog.log_rerror(request(p), "core", "info",
                            "AH00128: File does not exist: /tmp/htdocs/nope")
        assert re.fullmatch(STAMP + r"\[core:info\] " + PID + r"\[client 127\.0\.0\.1:43256\] "
                            r"AH00128: File does not exist: /tmp/htdocs/nope\n", text(loaded))

    def test_server_message_has_no_client(self, loaded):
        p = loaded("")
        errorlog.error_log(p.main_server, "mpm_prefork", "notice",
                           "AH00169: caught SIGTERM, shutting down")
        assert re.fullmatch(STAMP + r"\[mpm_prefork:notice\] " + PID +
                            r"AH00169: caught SIGTERM, shutting down\n", text(loaded))

    def test_connection_message(self, loaded):
        p = loaded("LogLevel debug\n")
        conn = make_request().conn
        conn.base_server = p.main_server
        errorlog.log_cerror(conn, "core", "error", "AH00000: x")
        assert "] [client 127.0.0.1:43256] AH00000: x\n" in text(loaded)

    def test_status_referer_and_escaping(self, loaded):
        p = loaded("")
        r = request(p, headers=[("Referer", 'http://r"ef/\x01')])
        errorlog.log_rerror(r, "core", "error", 'AH01234: bad "thing"\nnext \\ \xe9',
                            status=2)
        assert text(loaded).endswith(
            '(2)No such file or directory: [client 127.0.0.1:43256] AH01234: bad "thing"'
            '\\nnext \\\\ \\xe9, referer: http://r"ef/\\x01\n')

    def test_oserror_as_status(self, loaded):
        p = loaded("")
        errorlog.error_log(p.main_server, "core", "error", "m",
                           status=PermissionError(13, "denied"))
        assert text(loaded).endswith("] (13)Permission denied: m\n")

    def test_debug_shows_the_callers_file_and_line(self, loaded):
        p = loaded("LogLevel debug\n")
        line = _line_no() + 1
        errorlog.error_log(p.main_server, "core", "debug", "here")
        assert text(loaded).endswith(f"] test_errorlog.py({line}): here\n")

    def test_long_messages_are_cut(self, loaded):
        p = loaded("")
        errorlog.error_log(p.main_server, "core", "error", "x" * 10000)
        assert len(text(loaded)) == errorlog.MAX_STRING_LEN - 1


def _line_no() -> int:
    import inspect
    return inspect.currentframe().f_back.f_lineno


class TestRecords:
    def test_record_is_data(self, loaded):
        p = loaded("LogLevel info\n")
        r = request(p, headers=[("Referer", "http://x/")])
        with capture_logs() as logs:
            errorlog.log_rerror(r, "core", "info", "AH00128: File does not exist: /x")
        assert logs == [{
            "event": "AH00128: File does not exist: /x", "module": "core", "level": "info",
            "ah": "AH00128", "client": "127.0.0.1:43256", "server": "localhost",
            "status": None, "log_id": r.log_id, "referer": "http://x/",
            "pid": os.getpid(), "tid": threading.get_native_id(), "log_level": "info"}]
        assert text(loaded) == ""                 # captured, not written

    def test_module_identifier_or_short_name(self, loaded):
        p = loaded("")
        with capture_logs() as logs:
            errorlog.error_log(p.main_server, "mime_module", "error", "no AH number")
        assert logs[0]["module"] == "mime" and logs[0]["ah"] is None

    def test_log_ids(self, loaded):
        p = loaded("")
        r = request(p)
        errorlog.log_rerror(r, "core", "error", "one")
        first = (r.log_id, r.conn.log_id)
        errorlog.log_rerror(r, "core", "error", "two")
        assert (r.log_id, r.conn.log_id) == first and first[0] != first[1]
        assert all(re.fullmatch(r"[A-Za-z0-9+/]{11}", i) for i in first)


class TestLogLevel:
    def levels(self, p, r=None, server=None, module="core"):
        """The levels that get through, as the records show them."""
        with capture_logs() as logs:
            for level in ("emerg", "alert", "crit", "error", "warn", "notice", "info",
                          "debug", "trace1", "trace8"):
                if r is not None:
                    errorlog.log_rerror(r, module, level, level)
                else:
                    errorlog.error_log(server or p.main_server, module, level, level)
        return [rec["level"] for rec in logs]

    def test_default_is_warn_and_notice_always_shows(self, loaded):
        p = loaded("")
        assert self.levels(p) == ["emerg", "alert", "crit", "error", "warn", "notice"]

    def test_notice_shows_even_below_the_level(self, loaded):
        p = loaded("LogLevel crit\n")
        assert self.levels(p) == ["emerg", "alert", "crit", "notice"]

    def test_per_module(self, loaded):
        p = loaded("LogLevel warn so:debug log_config:trace8\n")
        assert self.levels(p, module="so") == [
            "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"]
        assert self.levels(p, module="log_config")[-2:] == ["trace1", "trace8"]
        assert self.levels(p, module="core")[-1] == "notice"

    def test_a_global_level_resets_module_levels(self, loaded):
        p = loaded("LogLevel so:debug\nLogLevel error\n")
        assert self.levels(p, module="so") == ["emerg", "alert", "crit", "error", "notice"]

    def test_virtual_host(self, loaded):
        p = loaded("LogLevel info\n<VirtualHost *:80>\nServerName v\nLogLevel so:debug\n"
                   "</VirtualHost>\n")
        v = p.vhosts[0]
        assert self.levels(p, server=v, module="so")[-1] == "debug"
        assert self.levels(p, server=v, module="core")[-1] == "info"

    def test_per_directory_level_of_the_request(self, loaded):
        p = loaded("LogLevel warn\n")
        r = request(p)

        class Dir:
            log = LogConfig(None, {"mime_module": LEVEL_NUM["debug"]})
        r.per_dir_config["core_module"] = Dir()
        assert self.levels(p, r=r, module="mime")[-1] == "debug"
        assert self.levels(p, r=r, module="core")[-1] == "notice"
        Dir.log = LogConfig(LEVEL_NUM["info"])
        assert self.levels(p, r=r, module="core")[-1] == "info"

    def test_syslog_filters_notice_too(self, loaded, monkeypatch):
        sent = []
        monkeypatch.setattr(syslog, "openlog", lambda *a: None)
        monkeypatch.setattr(syslog, "syslog", lambda prio, msg: sent.append((prio, msg)))
        p = loaded("ErrorLog syslog\nLogLevel crit\n")
        assert self.levels(p) == ["emerg", "alert", "crit"]


class TestErrorLogFormat:
    # the format Apache 2.4.71 was run with; its output for GET /nope1 with
    # "Referer: http://r"ef" under prefork is pinned below
    FMT = ('ErrorLogFormat "[%{u}t|%{cu}t|%{c}t|%{m}t|%{cm}t|%t|%{%Y-%m-%d %H}t] [%m:%l] '
           '[pid %P:tid %T:g %{g}T] [%a|%{c}a|%A] [%L|%{c}L|%{C}L] [%k] [%v|%V] '
           '[%{Referer}i] [%-{nope}i|%{nope}i] %7F %E: %M"\n'
           'ErrorLogFormat connection "conn %{c}L %a"\n'
           'ErrorLogFormat request "req %L %{c}L %+{X-Need}i"\n')

    def r(self, p, **kw):
        from httpd.request.record import ConnInfo
        conn = ConnInfo("127.0.0.1", 51488, "127.0.0.1", 18082)
        return request(p, conn=conn, hostname="127.0.0.1", **kw)

    def test_every_code_as_apache_prints_it(self, loaded):
        p = loaded("LogLevel info\n" + self.FMT)
        r = self.r(p, headers=[("Referer", 'http://r"ef')])
        errorlog.log_rerror(r, "core", "info", "AH00128: File does not exist: /x/nope1")
        conn_line, line = text(loaded).splitlines()
        assert conn_line == f"conn {r.conn.log_id} 127.0.0.1:51488"
        times, rest = line[1:].split("] ", 1)
        u, cu, c, m, cm, t, strf = times.split("|")
        assert re.fullmatch(r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d\.\d{6} \d{4}", u)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", cu)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", c)
        assert re.fullmatch(r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d\.\d{3} \d{4}", m)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", cm)
        assert re.fullmatch(r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d \d{4}", t)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d", strf)
        # %T is empty without a threaded MPM, so ":g" goes with it; %{C}L is empty on a
        # request line, so its whole field goes; likewise %{nope}i, %7F (debug only)
        # and %E (no status)
        assert rest == (f"[core:info] [pid {os.getpid()}:tid {threading.get_native_id()}] "
                        "[127.0.0.1:51488|127.0.0.1:51488|127.0.0.1:18082] [0] "
                        '[localhost|127.0.0.1] [http://r"ef] AH00128: File does not exist: '
                        "/x/nope1")

    def test_request_line_needs_its_required_item(self, loaded):
        p = loaded("LogLevel info\n" + self.FMT)
        r = self.r(p, headers=[("X-Need", "yes")])
        errorlog.log_rerror(r, "core", "info", "one")
        errorlog.log_rerror(r, "core", "info", "two")  # once per request and connection
        lines = text(loaded).splitlines()
        assert lines[0] == f"conn {r.conn.log_id} 127.0.0.1:51488"
        assert lines[1] == f"req {r.log_id} {r.conn.log_id} yes"
        assert lines[2].endswith(" one") and lines[3].endswith(" two") and len(lines) == 4

    def test_threaded_tid_and_level_conditions(self, loaded, monkeypatch):
        p = loaded('LogLevel debug\nErrorLogFormat "%T|%{g}T [%5{x}i] [%F|%-E] %M"\n')
        monkeypatch.setattr(errorlog.errorlog_items, "threaded", True)
        r = request(p, headers=[("x", "1")])
        first = _line_no() + 1
        errorlog.log_rerror(r, "core", "debug", "d")
        second = _line_no() + 1
        errorlog.log_rerror(r, "core", "warn", "w")
        tid, gtid = threading.get_ident(), threading.get_native_id()
        # %5{x}i only from notice (5) on: its field goes for the warning
        assert text(loaded).splitlines() == [
            f"{tid}|{gtid} [1] [test_errorlog.py({first})|-] d",
            f"{tid}|{gtid} [test_errorlog.py({second})|-] w"]

    def test_notes_env_keepalives_module(self, loaded):
        p = loaded('ErrorLogFormat "%{n}n %{E}e %k %m %l %{X}e %M"\n')
        r = request(p, notes={"n": "note\n"}, subprocess_env={"e": "env"})
        r.conn.keepalives = 3
        errorlog.log_rerror(r, "mime", "error", "msg")
        assert text(loaded) == "note\\n env 3 mime error msg\n"


class TestDestinations:
    def test_vhost_shares_or_owns(self, loaded):
        p = loaded("ErrorLog logs/main\n<VirtualHost *:80>\nServerName a\n</VirtualHost>\n"
                   "<VirtualHost *:80>\nServerName b\nErrorLog logs/b\n</VirtualHost>\n"
                   "<VirtualHost *:80>\nServerName c\nErrorLog logs/b\n</VirtualHost>\n")
        for s, msg in zip([p.main_server] + p.vhosts, "mabc"):
            errorlog.error_log(s, "core", "error", msg)
        assert [ln[-1] for ln in text(loaded, "main").splitlines()] == ["m", "a"]
        assert [ln[-1] for ln in text(loaded, "b").splitlines()] == ["b", "c"]
        assert errorlog._SERVERS[p.vhosts[1]].sink is errorlog._SERVERS[p.vhosts[2]].sink

    def test_piped(self, loaded):
        p = loaded('ErrorLog "|$cat > logs/piped_error"\n')
        errorlog.error_log(p.main_server, "core", "error", "through the pipe")
        end = time.monotonic() + 10
        while "through the pipe" not in text(loaded, "piped_error") and \
                time.monotonic() < end:
            time.sleep(0.02)
        assert text(loaded, "piped_error").endswith("] through the pipe\n")

    def test_syslog(self, loaded, monkeypatch):
        opened, sent = [], []
        monkeypatch.setattr(syslog, "openlog", lambda *a: opened.append(a))
        monkeypatch.setattr(syslog, "syslog", lambda prio, msg: sent.append((prio, msg)))
        p = loaded("ErrorLog syslog:loc:web\nLogLevel trace8\n")
        errorlog.log_rerror(request(p), "core", "error", "to syslog")
        errorlog.error_log(p.main_server, "core", "trace3", "deep")
        opts = syslog.LOG_NDELAY | syslog.LOG_CONS | syslog.LOG_PID
        assert opened == [("web", opts, syslog.LOG_LOCAL0)]   # "loc": the first match
        assert sent[0] == (syslog.LOG_ERR, f"[core:error] [pid {os.getpid()}:tid "
                           f"{threading.get_native_id()}] [client 127.0.0.1:43256] to syslog")
        assert sent[1][0] == syslog.LOG_DEBUG

    @pytest.mark.parametrize("target,facility", [
        ("syslog", syslog.LOG_LOCAL7), ("syslog:daemon", syslog.LOG_DAEMON),
        ("SYSLOG:user", syslog.LOG_USER), ("syslog::tag", syslog.LOG_LOCAL7)])
    def test_syslog_facilities(self, loaded, monkeypatch, target, facility):
        opened = []
        monkeypatch.setattr(syslog, "openlog", lambda *a: opened.append(a))
        loaded(f"ErrorLog {target}\n")
        assert opened[0][2] == facility

    @pytest.mark.parametrize("target,message", [
        ("syslog:bogus", "(20024)The given path is misformatted or contained invalid "
                         "characters: AH10036: httpd: could not open syslog error log bogus."),
        ("logs", "(21)Is a directory: AH00091: httpd: could not open error log file "
                 "{D}/logs."),
        ('"|nonexistent-prog"', "(2)No such file or directory: AH00089: Couldn't start "
                                "ErrorLog process 'nonexistent-prog'."),
    ])
    def test_failures(self, tmp_path, monkeypatch, target, message):
        from directives.mod_log_config import runtime
        monkeypatch.setattr(syslog, "openlog", lambda *a: None)
        p = load(tmp_path, f"ErrorLog {target}\n")
        assert runtime.post_config(p, p.main_server) is False
        assert p.log.stream.getvalue() == (message.replace("{D}", str(tmp_path)) +
                                           "\nAH00015: Unable to open logs\n")

    def test_before_the_logs_open_messages_go_to_stderr(self, capsys):
        server = make_server()
        errorlog.error_log(server, "core", "info", "not shown")
        errorlog.error_log(server, "core", "warn", "AH00001: shown")
        err = capsys.readouterr().err
        assert re.fullmatch(STAMP + r"\[core:warn\] " + PID + r"AH00001: shown\n", err)

    def test_replace_stderr(self, loaded):
        p = loaded("")
        saved = os.dup(2)
        try:
            assert errorlog.open_logs(p, replace_stderr=True)
            os.write(2, b"stray output\n")
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        assert text(loaded) == "stray output\n"


class TestJSON:
    def test_define_switches_the_error_logs_to_json(self, loaded):
        p = loaded("LogLevel info\n", "ErrorLogJSON")
        r = request(p, headers=[("Referer", "http://x/\xe9")])
        errorlog.log_rerror(r, "core", "info", "AH00128: File does not exist: /x\n")
        rec = json.loads(text(loaded))
        assert rec.pop("time")[:2] == "20"
        assert rec == {"message": "AH00128: File does not exist: /x\n", "module": "core",
                       "level": "info", "ah": "AH00128", "client": "127.0.0.1:43256",
                       "server": "localhost", "log_id": r.log_id, "referer": "http://x/\xe9",
                       "pid": os.getpid(), "tid": threading.get_native_id()}

    def test_define_with_a_target_adds_a_json_copy(self, loaded):
        p = loaded("Define ErrorLogJSON logs/error.json\n")
        errorlog.error_log(p.main_server, "core", "error", "both", status=13)
        assert text(loaded).endswith("] (13)Permission denied: both\n")
        rec = json.loads(text(loaded, "error.json"))
        assert rec["message"] == "both" and rec["status"] == "(13)Permission denied"
        assert "client" not in rec

    def test_time_is_iso_8601(self, loaded):
        p = loaded("", "ErrorLogJSON")
        errorlog.error_log(p.main_server, "core", "error", "t")
        stamp = json.loads(text(loaded))["time"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d", stamp)
