"""mod_log_config: formats compiled at config time, Apache's messages (mod_logio loaded
too, for its ``%I %O %S %^FB``).

Expected texts were captured from Apache 2.4.71 (``apache2 -t``).
"""
from __future__ import annotations

import pytest

from directives import mod_log_config as lc
from directives import mod_logio
from directives.mod_log_config import LogItem, literal, parse_log_string

MODS = [lc.MODULE, mod_logio.MODULE]
HANDLERS = {**lc.LOG_HANDLERS, **mod_logio.LOG_HANDLERS}


def walk_error(conf, text):
    r = conf(MODS, text)
    assert r.error is not None
    return r.error.split("\n", 1)[1]


class TestFormatParsing:
    def test_common_log_format(self):
        items, err = parse_log_string('%h %l %u %t "%r" %>s %b', HANDLERS)
        assert err is None
        assert [i.tag for i in items] == ["h", None, "l", None, "u", None, "t", None, "r",
                                          None, "s", None, "b", None]
        assert items[-1] == literal("\n")
        # %>s asks for the final request; %r defaults to the original one
        assert items[10].want_orig is False and items[8].want_orig is True

    def test_arguments_conditions_and_negation(self):
        items, _ = parse_log_string("%!200,304{Referer}i", HANDLERS)
        assert items[0] == LogItem("i", "Referer", (200, 304), True, False)

    def test_escapes_in_literal_text(self):
        items, _ = parse_log_string(r"a\tb\\c\qd%%", HANDLERS)
        assert items[0] == literal("a\tb\\c\\qd")
        assert items[1] == literal("%")

    def test_caret_tags(self):
        items, err = parse_log_string("%^ti %{X}^to %^FB", HANDLERS)
        assert err is None and [i.tag for i in items if i.tag] == ["^ti", "^to", "^FB"]

    @pytest.mark.parametrize("fmt,msg", [
        ("%Z", "Unrecognized LogFormat directive %Z"),
        ("%c", "Unrecognized LogFormat directive %c"),
        ("%^xx", "Unrecognized LogFormat directive %^"),
        ("%", "Ran off end of LogFormat parsing args to some directive"),
        ("abc %", "Ran off end of LogFormat parsing args to some directive"),
        ("%{x", "Ran off end of LogFormat parsing args to some directive"),
        ("%{x}", "Ran off end of LogFormat parsing args to some directive"),
        ("%400", "Ran off end of LogFormat parsing args to some directive"),
    ])
    def test_bad_formats(self, fmt, msg):
        assert parse_log_string(fmt, HANDLERS) == (None, msg)

    def test_logio_items_need_mod_logio(self):
        assert parse_log_string("%I", lc.LOG_HANDLERS)[1] == "Unrecognized LogFormat directive %I"
        assert parse_log_string("%I %O %S", HANDLERS)[1] is None


class TestDirectives:
    def test_log_format_default_and_nickname(self, conf):
        r = conf(MODS, 'LogFormat "%h %>s" short\nLogFormat "%h"\n')
        st = r.config("log_config_module")
        assert st.formats["short"] == "%h %>s" and st.formats["CLF"] == lc.DEFAULT_LOG_FORMAT
        assert st.default_format_string == "%h"

    def test_bad_format_is_a_walk_error(self, conf):
        r = conf(MODS, 'LogFormat "%Z"\n')
        assert r.error == (f"AH00526: Syntax error on line 1 of {conf.file}:\n"
                           "Unrecognized LogFormat directive %Z")

    def test_custom_log_records_clauses_and_pipes(self, conf):
        r = conf(MODS, 'CustomLog logs/a combined env=!nolog\n'
                       'CustomLog "|/bin/cat" "%h" "expr=-n %{HTTP:X}"\n'
                       'TransferLog logs/t\n')
        logs = r.config("log_config_module").config_logs
        assert [l.fname for l in logs] == ["logs/a", "|/bin/cat", "logs/t"]
        assert logs[0].condition_var == "!nolog" and logs[0].format_string == "combined"
        assert logs[1].piped
        assert getattr(logs[1].condition_expr, "source", logs[1].condition_expr) == "-n %{HTTP:X}"
        assert logs[2].format is None and logs[2].defined_line == 3

    @pytest.mark.parametrize("clause,msg", [
        ("env=", "missing environment variable name"),
        ("env=!", "missing environment variable name"),
        ("expr=", "missing condition"),
        ("foo", "error in condition clause"),
    ])
    def test_condition_clause_errors(self, conf, clause, msg):
        assert walk_error(conf, f"CustomLog x common {clause}\n") == msg

    def test_clause_checked_before_format(self, conf):
        assert walk_error(conf, 'CustomLog x "%Z" foo\n') == "error in condition clause"

    def test_env_clause_is_case_insensitive(self, conf):
        assert conf(MODS, "CustomLog x common ENV=!foo\n").error is None

    def test_arity(self, conf):
        assert walk_error(conf, "CustomLog x\n") == (
            'CustomLog takes two or three arguments, a file name, a custom log format string '
            'or format name, and an optional "env=" or "expr=" clause (see docs)')
        assert walk_error(conf, "BufferedLogs maybe\n") == "BufferedLogs must be On or Off"

    def test_global_log_not_in_virtual_host(self, conf):
        r = conf(MODS, "<VirtualHost *:80>\nGlobalLog x common\n</VirtualHost>\n")
        assert r.error.endswith(":\nGlobalLog cannot occur within <VirtualHost> section")

    def test_vhost_inherits_main_logs_and_formats(self, conf):
        r = conf(MODS, 'LogFormat "%h" nick\nGlobalLog g nick\nCustomLog m nick\n'
                       '<VirtualHost *:80>\nCustomLog v "%u"\n</VirtualHost>\n')
        main = r.config("log_config_module")
        vhost = r.process.vhosts[0].module_config["log_config_module"]
        merged = lc.merge_server_config(main, vhost)
        assert [l.fname for l in merged.logs()] == ["v", "g"]
        assert merged.formats["nick"] == "%h"
        assert [l.fname for l in vhost.config_logs] == ["v"]   # inputs untouched
        empty = lc.merge_server_config(main, lc.MultiLogState())
        assert [l.fname for l in empty.logs()] == ["g", "m"]

    def test_buffered_logs_is_process_wide(self, conf):
        r = conf(MODS, "BufferedLogs on\n")
        assert lc.buffered_logs(r.process) is True


class TestCheckConfig:
    def test_missing_log_folder(self, conf):
        r = conf(MODS, "CustomLog /nonexistent/x common\nTransferLog /nonexistent/y\n"
                       'CustomLog "|/bin/cat" common\nCustomLog ok common\n', check=True)
        assert r.error == "AH00014: Configuration check failed"
        assert r.process.warnings == [
            "(2)No such file or directory: AH02297: Cannot access directory '/nonexistent/' "
            f"for log file '/nonexistent/x' defined at {conf.file}:1",
            "(2)No such file or directory: AH02297: Cannot access directory '/nonexistent/' "
            f"for log file '/nonexistent/y' defined at {conf.file}:2",
            "AH00014: Configuration check failed",
        ]

    def test_folder_that_is_a_file(self, conf, tmp_path):
        (tmp_path / "f").write_text("")
        r = conf(MODS, "CustomLog f/x common\n", check=True)
        assert r.process.warnings == [
            f"(20)Not a directory: AH02297: Cannot access directory '{tmp_path}/f/' for log "
            f"file 'f/x' defined at {conf.file}:1", "AH00014: Configuration check failed"]


@pytest.mark.parametrize("body", [
    'LogFormat "%Z"\n', 'LogFormat "abc %" n\n', "CustomLog x common foo\n",
    "CustomLog x common env=!\n", "CustomLog /nonexistent/x common\nTransferLog /nonexistent/y\n",
    '<VirtualHost *:80>\nGlobalLog x common\n</VirtualHost>\n', "LogIOTrackTTFB x\n",
    'LogFormat "%h %l %u %t \\"%r\\" %>s %b %I %O %^FB" n\nCustomLog "|/bin/cat" n\n',
])
def test_against_apache(differential, body):
    differential(body)


def test_expr_clause_errors_come_from_the_parser(conf):
    assert walk_error(conf, 'CustomLog x common "expr=%{foo"\n') == (
        "syntax error, unexpected T_ERROR, expecting T_VAR_END or ':': Unterminated string "
        "or variable")
