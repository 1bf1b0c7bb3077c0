"""C number parsing: the MPM counts use atoi(), AsyncRequestWorkerFactor strtod().
Each expectation was seen on real Apache (StartServers N -> AH00184's figure)."""
import math

import pytest

from httpd.util.cparse import atoi, is_digits, strtod, strtol


class TestAtoi:
    """atoi() never fails: junk is 0, a number ends at the first non-digit, and
    glibc's strtol saturates before the cast to int keeps 32 bits."""

    @pytest.mark.parametrize("text,value", [
        ("5", 5), ("abc", 0), ("1.5", 1), ("10x", 10), ("", 0), ("-", 0), ("+7", 7),
        (" -3x", -3), ("\t\v\f\r\n 4", 4), ("- 4", 0), ("--4", 0),
        ("4294967296", 0),              # StartServers 4294967296 -> "of 0 not allowed"
        ("4294967376", 80),             # Listen 4294967376 binds port 80
        ("99999999999999999999", -1),   # LONG_MAX cut to int
        ("-99999999999999999999", 0),   # LONG_MIN cut to int
        ("2147483648", -2147483648),
        ("\u00b2", 0),                  # a Unicode digit is not a C digit
    ])
    def test_values(self, text, value):
        assert atoi(text) == value

    def test_strtol_end(self):
        assert strtol("  12ab") == (12, 4, False)
        assert strtol("ab") == (0, 0, False) and strtol("+") == (0, 0, False)

    def test_strtol_clamps_with_erange(self):
        """glibc: LONG_MAX / LONG_MIN and errno ERANGE past them."""
        assert strtol("99999999999999999999x") == ((1 << 63) - 1, 20, True)
        assert strtol("-99999999999999999999") == (-(1 << 63), 21, True)
        assert strtol("9223372036854775807") == ((1 << 63) - 1, 19, False)

    def test_is_digits_is_ascii_only(self):
        assert is_digits("0123") and not is_digits("") and not is_digits("1\u00b2")


class TestStrtod:
    @pytest.mark.parametrize("text,value,end", [
        ("2", 2.0, 1), ("1.5", 1.5, 3), (" 2", 2.0, 2), ("2 ", 2.0, 1), (".5", 0.5, 2),
        ("5.", 5.0, 2), ("1e3", 1000.0, 3), ("1e", 1.0, 1), ("1e+", 1.0, 1),
        ("0x10", 16.0, 4), ("0x", 0.0, 1), ("-0x1.8p1", -3.0, 8), ("1e400", math.inf, 5),
        ("inf", math.inf, 3), ("-Infinity", -math.inf, 9), ("0x1p99999", math.inf, 9),
    ])
    def test_numbers(self, text, value, end):
        assert strtod(text) == (value, end)

    def test_nan(self):
        v, end = strtod("NaN(abc)x")
        assert math.isnan(v) and end == 8

    @pytest.mark.parametrize("text", ["abc", "-abc", "", "+", "."])
    def test_no_number(self, text):
        assert strtod(text) == (None, 0)
