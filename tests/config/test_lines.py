"""Physical to logical lines (Apache's ap_cfg_getline)."""
from httpd.config.lines import ConfigFile


def lines(text):
    cfg = ConfigFile("t", text)
    out = []
    while (line := cfg.getline()) is not None:
        out.append((line, cfg.line_number))
    return out


class TestContinuation:
    def test_joins_keeping_leading_whitespace(self):
        assert lines("ServerAdmin web\\\n    master\n") == [("ServerAdmin web    master", 2)]

    def test_backslash_space_is_not_continuation(self):
        assert lines("A b \\ \nC\n") == [("A b \\", 1), ("C", 2)]

    def test_crlf(self):
        assert lines("A \\\r\n b\r\nC\r\n") == [("A  b", 2), ("C", 3)]

    def test_last_line_backslash_without_newline(self):
        assert lines("A b \\") == [("A b", 1)]

    def test_reports_last_physical_line(self):
        assert lines("A \\\nb \\\nc\nD") == [("A b c", 3), ("D", 4)]

    def test_blank_and_whitespace_lines_are_empty(self):
        assert lines("\n  \t \nX\n") == [("", 1), ("", 2), ("X", 3)]


class TestPush:
    """mod_macro splices an expansion into the source being read."""

    def test_pushed_lines_come_next_under_their_own_name(self):
        cfg = ConfigFile("main", "A\nUse\nC\n")
        seen = []
        while (line := cfg.getline()) is not None:
            seen.append((line, cfg.name, cfg.line_number))
            if line == "Use":
                cfg.push("macro", ["X", "Y"])
        assert seen == [("A", "main", 1), ("Use", "main", 2), ("X", "macro", 1),
                        ("Y", "macro", 2), ("C", "main", 3)]
