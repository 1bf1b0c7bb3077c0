"""ap_expr (<If>, ErrorDocument, SetHandler): parse errors worded as Apache 2.4.71's
bison parser words them, and evaluation as util_expr_eval.c does it."""
from __future__ import annotations

import pytest

from httpd import expr
from httpd.expr.eval import EvalContext

# Each message was read off ``apache2 -t`` with ``<If "EXPR">``.

BOOL_CASES = {
    "true": None, "not true": None, "-z %{HTTP_HOST}": None, "$1 == 'x'": None,
    "%{http_host} == 'x'": None, "TOLOWER('X') == 'x'": None, "%{TIME_HOUR} gt 12": None,
    "'a' . 'b' == 'ab'": None, "%{HTTP:Foo} in { 'a', 'b' }": None, "'a' -in {'a'}": None,
    "req('Host') -strmatch '*.example.com'": None, "-5 -eq -5": None, "'\\x41' == 'A'": None,
    "file('/x') == ''": None, "'\\q' == 'q'": None, '"a" == \'a\'': None,
    "%{HTTP_HOST} == == 1": "syntax error, unexpected T_OP_STR_EQ",
    "%{HTTP_HOST}": "syntax error, unexpected $end",
    "%{FOO} == 1": "Variable 'FOO' does not exist",
    "foo(1)": "syntax error, unexpected $end: Function 'foo' does not exist",
    "1 == 1 &&": "syntax error, unexpected $end",
    "-Q x": "syntax error, unexpected $end, expecting '('",
    "%{REQUEST_URI} =~ m#^/(a$#": "Failed to compile regular expression",
    "%{REQUEST_URI} =~ /abc/ix": "syntax error, unexpected T_ID, expecting $end",
    "x == 'y": "syntax error, unexpected T_OP_STR_EQ, expecting '('",
    "(1 == 1": "syntax error, unexpected $end, expecting T_OP_OR or T_OP_AND or ')'",
    "1 -eq 1 || !(-n %{HTTP:Foo}) and -f /etc/passwd": "syntax error, unexpected T_REGEX",
    "-Q 'x'": "Unary operator '-Q' does not exist",
    "'a' -foo 'b'": "Binary operator '-foo' does not exist",
    "'x' =~ 'y'": "syntax error, unexpected T_STR_BEGIN, expecting T_REGEX or T_REGEX_I",
    "'a' in {}": "syntax error, unexpected '}'",
    "'a' in split(/,/, 'a,b')": "syntax error, unexpected T_REGEX",
    "()": "syntax error, unexpected ')'",
    "true false": "syntax error, unexpected T_FALSE, expecting $end",
    "'x' == 'y' 'z'": "syntax error, unexpected T_STR_BEGIN, expecting $end",
    "-M '/x'": "Unary operator '-M' does not exist",
    "'abc == 1": "Unterminated string or variable",
    "1 == 'a\\400'": "Escape sequence out of bound",
    "@": "Parse error near '@'",
    "1 == @": "syntax error, unexpected T_ERROR: Parse error near '@'",
    "%{FOO} == @": "syntax error, unexpected T_ERROR: Parse error near '@'",
    "'a' in foo('x')": "List-returning function 'foo' does not exist",
    "'a' in {'a' 'b'}": "syntax error, unexpected T_STR_BEGIN, expecting '}' or ','",
    "'a' in x": "syntax error, unexpected $end, expecting '('",
    "tolower('a' == 1": "syntax error, unexpected T_OP_STR_EQ, expecting T_OP_CONCAT or ')'",
    "%{}": "syntax error, unexpected T_VAR_END, expecting T_ID",
    "%{:x}": "syntax error, unexpected ':', expecting T_ID",
    "%{HTTP:} == 1": "syntax error, unexpected T_VAR_END, expecting T_ERROR or T_STRING or "
                     "T_REGEX_BACKREF or T_VAR_BEGIN",
    "%{ FOO}": "syntax error, unexpected T_ERROR, expecting T_ID: Invalid character in "
               "variable name ' '",
    "'x' =~ /abc": "syntax error, unexpected $end, expecting T_REGEX or T_REGEX_I",
    "-Q 'x' @": "syntax error, unexpected T_ERROR, expecting $end: Unary operator '-Q' does "
                "not exist",
    "filemod('x') == 1": "Function 'filemod' does not exist",
    "%{HTTP:x}y == 1": "syntax error, unexpected T_ID",
    "1 -ipmatch 'bogus/99'": "parsing of subnet/netmask failed",
    "-R %{X}": "-R requires subnet/netmask as constant argument",
    "m_a == 1": "syntax error, unexpected T_OP_STR_EQ, expecting '('",
    "m_ == 1": "syntax error, unexpected $end",
    "'a' -eqx 'b'": "Binary operator '-eqx' does not exist",
    "'x' =~ m_a_": "syntax error, unexpected T_ID, expecting T_REGEX or T_REGEX_I",
}

# ``ErrorDocument 404 "TEXT"`` parses '"' + TEXT as a string expression.
STRING_CASES = {
    '"%{foo': "syntax error, unexpected T_ERROR, expecting T_VAR_END or ':': Unterminated "
              "string or variable",
    '"%{FOO}': "Variable 'FOO' does not exist", '"a\\\\1': None, '"$1': None,
    '"%{HTTP:Foo}': None, '"%{tolower:%{REQUEST_URI}}': None,
    '"%{bogus:x}': "Function 'bogus' does not exist",
    '"\\400': "Escape sequence out of bound", '"\\9': "Bad escape sequence",
    '"%{x}%{': "syntax error, unexpected T_ERROR, expecting T_ID: Unterminated string or "
               "variable",
}


def parse_message(text, string=False):
    try:
        expr.parse(text, string=string)
    except expr.ExprError as e:
        return str(e)
    return None


class TestParseErrors:
    @pytest.mark.parametrize("text,message", list(BOOL_CASES.items()))
    def test_boolean(self, text, message):
        assert parse_message(text) == message

    @pytest.mark.parametrize("text,message", list(STRING_CASES.items()))
    def test_string(self, text, message):
        assert parse_message(text, string=True) == message

    def test_restricted_context_refuses_file_access(self):
        with pytest.raises(expr.ExprError, match="-f not available in restricted context"):
            expr.parse("-f '/etc/passwd'", restricted=True)


class Request(EvalContext):
    """A request as the evaluator sees it."""

    def __init__(self, **vars_):
        super().__init__()
        self.vars = vars_
        self.headers_in = {"Host": "www.example.com", "X-Num": "42"}

    def request_var(self, name):
        return self.vars.get(name, "")

    def table(self, which, key):
        return self.headers_in.get(key) if which == "headers_in" else None

    def useragent_ip(self):
        return self.vars.get("REMOTE_ADDR")


class TestEvaluation:
    @pytest.mark.parametrize("text,result", [
        ("%{REQUEST_URI} =~ m#^/(foo)/# && $1 == 'foo'", True),
        ("%{HTTP_HOST} -strmatch '*.EXAMPLE.com'", False),
        ("%{HTTP_HOST} -strcmatch '*.EXAMPLE.com'", True),
        ("req('Host') == 'www.example.com' || false", True),
        ("-R '10.1'", True), ("-R '192.168.0.0/16'", False),
        ("%{REMOTE_ADDR} -ipmatch '10.0.0.0/8'", True),
        ("-z %{QUERY_STRING}", True), ("-n %{QUERY_STRING}", False),
        ("10 -lt 9", False), ("'10' < '9'", True), ("req('X-Num') -ge 40", True),
        ("-d '/'", True), ("-f '/'", False), ("-e '/nonexistent-x'", False),
        ("tolower('ABC') . 'd' == 'abcd'", True),
        ("md5('a') == '0cc175b9c0f1b6a831c399e269772661'", True),
        ("base64('ab') == 'YWI='", True), ("unbase64('YWI=') == 'ab'", True),
        ("'a' in {'b', 'a'}", True), ("!(1 -eq 1)", False), ("! true || true", True),
        ("-T 'off'", False), ("-T 'yes'", True), ("-T '0'", False),
        ("'/a/b' -fnmatch '/a/*'", True), ("'/a/b/c' -fnmatch '/a/*'", False),
        ("'/a/b/c' -strmatch '/a/*'", True),
    ])
    def test_boolean(self, text, result):
        r = Request(REQUEST_URI="/foo/bar", REMOTE_ADDR="10.1.2.3")
        assert expr.parse(text).exec(r) is result

    def test_string_expression_and_vary(self):
        r = Request(REQUEST_URI="/x")
        e = expr.parse('"at %{REQUEST_URI} on %{HTTP_HOST}', string=True)
        assert e.str_exec(r) == '"at /x on www.example.com'
        assert r.vary == ["Host"]

    def test_backrefs_only_set_by_capturing_regex(self):
        r = Request(REQUEST_URI="/foo/bar")
        assert expr.parse("%{REQUEST_URI} =~ m#^/(f.o)# && 'x' =~ /x/ && $1 == 'foo'").exec(r)

    def test_file_errors_surface(self):
        with pytest.raises(expr.ExprError, match="Cannot open file /nonexistent-x"):
            expr.parse("file('/nonexistent-x') == ''").exec(Request())


class TestPregcomp:
    def test_named_groups_and_posix_classes(self):
        rx = expr.pregcomp(r"^/(?<site>[[:alpha:]]+)/")
        assert rx.match("/abc/").group("site") == "abc"

    def test_dollar_end_only_by_default(self):
        assert expr.pregcomp("a$").search("a\n") is None
        assert expr.pregcomp("a$", expr.AP_REG_DOTALL).search("a\n") is not None

    def test_icase_and_failure(self):
        assert expr.pregcomp("abc", expr.AP_REG_ICASE).search("xABC")
        assert expr.pregcomp("(") is None
