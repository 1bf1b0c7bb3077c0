"""The word grammar: ap_getword_conf and its fast paths."""
from hypothesis import given, settings
from hypothesis import strategies as st

from httpd.config.grammar import WHITESPACE, getword_conf


def split_words(line: str) -> list[str]:
    """Every word of ``line``, by ap_getword_conf (TAKE_ARGV splitting)."""
    words, pos = [], len(line) - len(line.lstrip(WHITESPACE))
    while pos < len(line):
        w, pos = getword_conf(line, pos)
        words.append(w)
    return words


class TestWords:
    """Apache's ap_getword_conf rules, one example each (reference section 2.4)."""

    def test_quoted_escapes(self):
        assert split_words(r'"a\"b" x') == ['a"b', "x"]
        assert split_words(r"'it\'s'") == ["it's"]
        assert split_words(r'"a\\b\nc"') == ["a\\b\\nc"]

    def test_unterminated_quote_runs_to_end(self):
        assert split_words('"no end quote') == ["no end quote"]

    def test_quote_inside_bare_word_is_literal(self):
        assert split_words('a"b c"') == ['a"b', 'c"']

    def test_word_after_closing_quote_starts_at_once(self):
        assert split_words('"a"b') == ["a", "b"]

    def test_bare_double_backslash_collapses(self):
        assert split_words(r"a\\b\c") == ["a\\b\\c"]

    def test_empty_quoted_word(self):
        assert getword_conf('""') == ("", 2)

    def test_whitespace_is_c_isspace(self):
        assert split_words("a\tb\vc\fd") == ["a", "b", "c", "d"]


ALPHABET = st.sampled_from(list("ab \t\"'\\#<>$") + ["\x00", "\xef"])


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_fast_paths_agree_with_getword_conf(line):
    from httpd.config.grammar import first_word, single_word
    assert first_word(line) == getword_conf(line)
    w = single_word(line)
    if w is not None:
        assert getword_conf(line) == (w, len(line))
