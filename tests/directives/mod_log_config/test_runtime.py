"""mod_log_config at run time on real configs: which logs a request goes to, in which
format, conditions, BufferedLogs, piped logs, and the start-up failures (texts from
apache2 2.4.71)."""
from __future__ import annotations

import os
import re
import time

from directives.mod_log_config import runtime
from httpd.log import errorlog
from httpd.module.hooks import HookTable

from tests.log.helpers import load, make_request


def log(process, server=None, **kw):
    """Run the log_transaction hooks for a request to ``server``."""
    r = make_request(server=server or process.main_server, **kw)
    HookTable(process.registry.loaded).run_all("log_transaction", r)
    return r


def read(loaded, name: str) -> str:
    path = loaded.dir / "logs" / name
    return path.read_text(encoding="latin-1") if path.exists() else ""


class TestFormats:
    def test_nickname_defined_after_the_customlog(self, loaded):
        p = loaded('CustomLog logs/a short\nLogFormat "%m %>s" short\n')
        log(p)
        assert read(loaded, "a") == "GET 200\n"

    def test_transferlog_uses_the_servers_default_format(self, loaded):
        p = loaded('LogFormat "main %m"\nTransferLog logs/t\n'
                   '<VirtualHost *:80>\nServerName v\nLogFormat "vhost %m"\n</VirtualHost>\n')
        log(p)
        log(p, p.vhosts[0])
        assert read(loaded, "t") == "main GET\nvhost GET\n"

    def test_default_format_may_name_a_nickname(self, loaded):
        p = loaded('LogFormat "%h %m" mine\nLogFormat mine\nTransferLog logs/t\n')
        log(p)
        assert read(loaded, "t") == "127.0.0.1 GET\n"

    def test_clf_when_nothing_is_said(self, loaded):
        p = loaded("TransferLog logs/t\n")
        log(p)
        assert re.fullmatch(r'127\.0\.0\.1 - - \[[^]]+\] "GET /index.html\?a=b HTTP/1\.1" '
                            r"200 6\n", read(loaded, "t"))

    def test_backslash_escapes_in_formats(self, loaded):
        p = loaded('CustomLog logs/a "%m\\t\\"%U\\"\\\\"\n')
        log(p)
        assert read(loaded, "a") == 'GET\t"/index.html"\\\n'


class TestWhichLogs:
    CONF = ('CustomLog logs/main "main %v"\nGlobalLog logs/global "global %v"\n'
            '<VirtualHost *:80>\nServerName own\nCustomLog logs/own "own %v"\n</VirtualHost>\n'
            '<VirtualHost *:80>\nServerName none\n</VirtualHost>\n')

    def test_vhosts(self, loaded):
        p = loaded(self.CONF)
        log(p)
        log(p, p.vhosts[0])
        log(p, p.vhosts[1])
        assert read(loaded, "main") == "main localhost\nmain none\n"
        assert read(loaded, "global") == "global localhost\nglobal own\nglobal none\n"
        assert read(loaded, "own") == "own own\n"

    def test_logs_are_opened_once(self, loaded):
        loaded(self.CONF)
        assert len(runtime._CURRENT.writers) == 3


class TestConditions:
    def test_env(self, loaded):
        p = loaded('CustomLog logs/with "%U" env=keep\nCustomLog logs/without "%U" env=!skip\n')
        log(p, uri="/a", subprocess_env={"KEEP": "1"})    # names are case-insensitive
        log(p, uri="/b", subprocess_env={"skip": ""})
        log(p, uri="/c")
        assert read(loaded, "with") == "/a\n"
        assert read(loaded, "without") == "/a\n/c\n"

    def test_expr(self, loaded):
        p = loaded('CustomLog logs/e "%U" "expr=%{REQUEST_STATUS} -ge 400"\n')
        log(p, uri="/ok")
        log(p, uri="/missing", status=404)
        assert read(loaded, "e") == "/missing\n"

    def test_expr_error_is_logged_and_the_line_skipped(self, loaded):
        p = loaded("ErrorLog logs/error_log\n"
                   "CustomLog logs/e \"%U\" \"expr=file('/nonexistent/x') == 'y'\"\n")
        log(p)
        assert read(loaded, "e") == ""
        assert "[log_config:warn]" in read(loaded, "error_log")
        assert read(loaded, "error_log").rstrip().endswith(
            "AH00644: Error evaluating log condition: Cannot open file /nonexistent/x")


class TestBuffered:
    def test_lines_wait_for_a_full_buffer_or_the_flush(self, loaded):
        p = loaded('BufferedLogs on\nCustomLog logs/b "%U"\n')
        log(p, uri="/one")
        log(p, uri="/two")
        assert read(loaded, "b") == ""
        p.registry.hooks.run("child_stopped", p, False)    # what a leaving child runs
        assert read(loaded, "b") == "/one\n/two\n"

    def test_buffer_is_written_when_full(self, loaded):
        p = loaded('BufferedLogs on\nCustomLog logs/b "%U"\n')
        path = "/" + "x" * 999
        for _ in range(runtime.LOG_BUFSIZE // 1000 + 1):
            log(p, uri=path)
        assert read(loaded, "b") == (path + "\n") * (runtime.LOG_BUFSIZE // 1000)

    def test_unbuffered_by_default(self, loaded):
        p = loaded('CustomLog logs/b "%U"\n')
        log(p)
        assert read(loaded, "b") == "/index.html\n"


class TestPiped:
    def test_piped_customlog(self, loaded):
        p = loaded('CustomLog "|$cat > logs/piped" "%m %U"\n'
                   'CustomLog "||/bin/sh -c \'cat > logs/direct\'" "%m"\n')
        log(p)
        for name, text in (("piped", "GET /index.html\n"), ("direct", "GET\n")):
            end = time.monotonic() + 10
            while read(loaded, name) != text and time.monotonic() < end:
                time.sleep(0.02)
            assert read(loaded, name) == text

    def test_program_that_cannot_start(self, tmp_path):
        p = load(tmp_path, 'ErrorLog logs/error_log\nCustomLog "|cat" "%m"\n')
        assert runtime.post_config(p, p.main_server) is False
        errorlog.close_logs(p)
        assert p.log.stream.getvalue() == (
            "(2)No such file or directory: AH00104: unable to start piped log program 'cat'\n"
            "AH00015: Unable to open logs\n")


def test_file_that_cannot_be_opened(tmp_path):
    p = load(tmp_path, "ErrorLog logs/error_log\nCustomLog logs \"%m\"\n")
    assert runtime.post_config(p, p.main_server) is False
    errorlog.close_logs(p)
    error_log = (tmp_path / "logs" / "error_log").read_text()
    assert re.fullmatch(r"\[[^]]+\] \[log_config:error\] \[pid \d+:tid \d+\] \(21\)Is a "
                        r"directory: AH00649: could not open transfer log file "
                        + re.escape(str(tmp_path / "logs")) + r"\.\n", error_log)
    assert p.log.stream.getvalue() == "AH00015: Unable to open logs\n"


def test_expr_conditions_see_the_request(loaded):
    p = loaded('CustomLog logs/e "%U" "expr=%{REQUEST_STATUS} -ge 400 && '
               '%{HTTP:X-T} == \'y\' && %{REMOTE_ADDR} -ipmatch \'127.0.0.0/8\'"\n')
    log(p, uri="/ok", headers=[("X-T", "y")])
    log(p, uri="/missing", status=404, headers=[("X-T", "y")])
    log(p, uri="/other", status=404)
    assert read(loaded, "e") == "/missing\n"


def test_write_error_is_logged(loaded):
    p = loaded('ErrorLog logs/error_log\nCustomLog logs/a "%m"\n')
    writer = runtime._CURRENT.writers[0]
    os.close(writer.fd)
    writer.fd = os.open(os.devnull, os.O_RDONLY)     # writes now fail with EBADF
    log(p)
    assert read(loaded, "error_log").rstrip().endswith(
        "(9)Bad file descriptor: [client 127.0.0.1:43256] AH00646: Error writing to logs/a")


def test_logio_counts_restart_after_mod_log_config_wrote(loaded):
    p = loaded('CustomLog logs/io "%I %O"\n')
    names = [fn.__module__ for fn in HookTable(p.registry.loaded).hooks["log_transaction"]]
    assert names == ["directives.mod_log_config.runtime", "directives.mod_logio"]
    conn = make_request().conn
    conn.bytes_in, conn.bytes_out = 100, 200
    log(p, conn=conn)
    conn.bytes_in, conn.bytes_out = 40, 50
    log(p, conn=conn)
    assert read(loaded, "io") == "100 200\n40 50\n"


def test_log_id_from_the_error_log(loaded):
    p = loaded('ErrorLog logs/error_log\nLogLevel info\nCustomLog logs/ids "%L %{c}L"\n')
    r = make_request(server=p.main_server)
    errorlog.log_rerror(r, "core", "info", "AH00128: File does not exist: /x")
    HookTable(p.registry.loaded).run_all("log_transaction", r)
    assert re.fullmatch(r"[A-Za-z0-9+/]{11} [A-Za-z0-9+/]{11}\n", read(loaded, "ids"))
    assert read(loaded, "ids") == f"{r.log_id} {r.conn.log_id}\n"
