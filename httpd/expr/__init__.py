"""Apache's ap_expr language (server/util_expr_{scan.l,parse.y,eval.c}) for ``<If>``,
``<ElseIf>``, ``ErrorDocument`` and ``SetHandler``.

The scanner follows flex's rules (longest match, earlier rule wins a tie) and the parser
reports errors as the bison parser does, with its default reductions: the
``expecting ...`` list names the tokens of the state where the error is found, and only
when there are at most four.  ``error2`` is the scanner's or a lookup's message, kept
last-wins as in ``ap_expr_parse``.  Evaluation needs an :class:`EvalContext`, which the
request layer subclasses.
"""
from __future__ import annotations

import re
from typing import Optional

from httpd.expr.eval import (_ALL_VARS, BINARY_OPS, LIST_FUNCS, STRING_FUNCS, UNARY_OPS,
                        EvalContext, _eval, _word, parse_subnet)  # EvalContext: re-exported

from httpd.util.regex import (AP_REG_DEFAULT, AP_REG_DOLLAR_ENDONLY, AP_REG_DOTALL,  # noqa: F401
                    AP_REG_ICASE, MAX_STRING_LEN, pregcomp)

# -- scanner -------------------------------------------------------------------------------

END = "$end"
_INITIAL_RULES = [(re.compile(p), k) for p, k in [
    (r"[ \t\n]+", "WS"), (r"[\"']", "T_STR_BEGIN"), (r"%\{", "T_VAR_BEGIN"),
    (r"[$][0-9]", "T_REGEX_BACKREF"), (r"m[/#$%^,;:_?|^\-!.'\"]", "RE_M"), (r"/", "RE"),
    (r"==?", "T_OP_STR_EQ"), (r"!=", "T_OP_STR_NE"), (r"<", "T_OP_STR_LT"),
    (r"<=", "T_OP_STR_LE"), (r">", "T_OP_STR_GT"), (r">=", "T_OP_STR_GE"),
    (r"=~", "T_OP_REG"), (r"!~", "T_OP_NRE"), (r"and", "T_OP_AND"), (r"&&", "T_OP_AND"),
    (r"or", "T_OP_OR"), (r"\|\|", "T_OP_OR"), (r"not", "T_OP_NOT"), (r"!", "T_OP_NOT"),
    (r"\.", "T_OP_CONCAT"), (r"-in", "T_OP_IN"), (r"-eq", "T_OP_EQ"), (r"-ne", "T_OP_NE"),
    (r"-ge", "T_OP_GE"), (r"-le", "T_OP_LE"), (r"-gt", "T_OP_GT"), (r"-lt", "T_OP_LT"),
    (r"lt", "T_OP_LT"), (r"le", "T_OP_LE"), (r"gt", "T_OP_GT"), (r"ge", "T_OP_GE"),
    (r"ne", "T_OP_NE"), (r"eq", "T_OP_EQ"), (r"in", "T_OP_IN"),
    (r"-[a-zA-Z_]", "T_OP_UNARY"), (r"-[a-zA-Z_][a-zA-Z_0-9]+", "T_OP_BINARY"),
    (r"true", "T_TRUE"), (r"false", "T_FALSE"), (r"-?[0-9]+", "T_DIGIT"),
    (r"[a-zA-Z][a-zA-Z0-9_]*", "T_ID"), (r"[(){},:]", "CHAR"), (r"(?s:.)", "BAD")]]
_STR_RULES = [(re.compile(p), k) for p, k in [
    (r"[\"']", "QUOTE"), (r"\n", "NL"), (r"\\[0-7]{1,3}", "OCT"), (r"\\[0-9]+", "BADESC"),
    (r"\\n", "ESC"), (r"\\r", "ESC"), (r"\\t", "ESC"), (r"\\b", "ESC"), (r"\\f", "ESC"),
    (r"(?s:\\.)", "ESC"), (r"[$][0-9]", "BACKREF"), (r"[^\\\n\"'%}$]+", "TEXT"),
    (r"%\{", "VAR"), (r"\}", "CLOSE"), (r"[%}$]", "CHAR1")]]
_ESC = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


class _Lexer:
    """util_expr_scan.l as a token generator; PERROR sets ``error2`` and yields T_ERROR."""

    def __init__(self, text: str, string_mode: bool, ctx: "_Parse"):
        self.s, self.pos, self.ctx, self.string_mode = text, 0, ctx, string_mode
        self.state, self.stack, self.buf, self.delim = "INITIAL", [], "", "\0"

    def _perror(self, msg: str):
        self.ctx.error2 = msg
        return ("T_ERROR", msg)

    def _longest(self, rules):
        best, kind = None, None
        for rx, k in rules:
            m = rx.match(self.s, self.pos)
            if m and (best is None or m.end() > best.end()):
                best, kind = m, k
        return best, kind

    def _append(self, text: str):
        self.buf += text
        return len(self.buf) >= MAX_STRING_LEN

    def tokens(self):
        yield ("T_EXPR_STRING" if self.string_mode else "T_EXPR_BOOL", None)
        if self.string_mode:
            self.state = "str"
        while True:
            tok = self._next()
            yield tok
            if tok[0] == END:
                while True:
                    yield tok

    def _flush(self):
        tok, self.buf = ("T_STRING", self.buf), ""
        return tok

    def _next(self):  # noqa: C901 - one branch per scanner state, as in the .l file
        s = self.s
        while True:
            st, at_end = self.state, self.pos >= len(s)
            if st == "INITIAL":
                if at_end:
                    return (END, None)
                m, kind = self._longest(_INITIAL_RULES)
                text = m.group(0)
                self.pos = m.end()
                if kind == "WS":
                    continue
                if kind == "T_STR_BEGIN":
                    self.buf, self.delim, self.state = "", text, "str"
                elif kind == "T_VAR_BEGIN":
                    self.stack.append(self.state)
                    self.state = "var"
                elif kind in ("RE", "RE_M"):
                    delim = text[-1]
                    end = s.find(delim, self.pos)
                    if end < 0:                     # EOF inside a regex ends the input
                        self.pos = len(s)
                        return (END, None)
                    body, self.pos = s[self.pos:end], end + 1
                    if len(body) >= MAX_STRING_LEN:
                        return self._perror("Regexp too long")
                    if s[self.pos:self.pos + 1] == "i":
                        self.pos += 1
                        return ("T_REGEX_I", body)
                    return ("T_REGEX", body)
                elif kind == "CHAR":
                    return (f"'{text}'", text)
                elif kind == "BAD":
                    return self._perror(f"Parse error near '{text}'")
                elif kind == "T_REGEX_BACKREF":
                    return (kind, int(text[1]))
                elif kind in ("T_OP_UNARY", "T_OP_BINARY"):
                    return (kind, text[1:])
                return (kind, text)
            if st == "var":
                if at_end:
                    return self._perror("Unterminated string or variable")
                m = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*").match(s, self.pos)
                if m:
                    self.pos = m.end()
                    return ("T_ID", m.group(0))
                c = s[self.pos]
                self.pos += 1
                if c == "}":
                    self.state = self.stack.pop()
                    return ("T_VAR_END", None)
                if c == ":":
                    self.state = "vararg"
                    return ("':'", c)
                if c == "\n":
                    return self._perror("Unterminated string or variable")
                return self._perror(f"Invalid character in variable name '{c}'")
            # str and vararg
            if at_end:
                if st == "vararg" or not self.string_mode:
                    return self._perror("Unterminated string or variable")
                self.state = "INITIAL"
                return self._flush()
            m, kind = self._longest(_STR_RULES)
            if m is None or (kind == "QUOTE" and st == "vararg"):
                return self._perror("flex scanner jammed")
            text = m.group(0)
            if kind in ("BACKREF", "VAR") or (kind == "CLOSE" and st == "vararg") or (
                    kind == "QUOTE" and text == self.delim):
                if self.buf:                            # return the text first, rescan
                    return self._flush()
                self.pos = m.end()
                if kind == "BACKREF":
                    return ("T_REGEX_BACKREF", int(text[1]))
                if kind == "VAR":
                    self.stack.append(self.state)
                    self.state = "var"
                    return ("T_VAR_BEGIN", None)
                if kind == "CLOSE":
                    self.state = self.stack.pop()
                    return ("T_VAR_END", None)
                self.state = "INITIAL"
                return ("T_STR_END", None)
            self.pos = m.end()
            if kind == "NL":
                return self._perror("Unterminated string or variable")
            if kind == "BADESC":
                return self._perror("Bad escape sequence")
            if kind == "OCT":
                value = int(text[1:], 8)
                if value > 0xFF:
                    return self._perror("Escape sequence out of bound")
                text = chr(value)
            elif kind == "ESC":
                text = _ESC.get(text[1], text[1])
            if self._append(text):
                return self._perror("String too long")


# -- parser ---------------------------------------------------------------------------

class Node:
    __slots__ = ("op", "a", "b", "c")

    def __init__(self, op: str, a=None, b=None, c=None):
        self.op, self.a, self.b, self.c = op, a, b, c

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.op}({self.a!r}, {self.b!r})"


class _Abort(Exception):
    """YYABORT (a T_ERROR the grammar accepts) or YYERROR (a regex that failed)."""


class _Parse:
    """util_expr_parse.y as recursive descent, keeping bison's error messages."""

    def __init__(self, text: str, string_mode: bool, cflags: int, restricted: bool,
                 htaccess: bool = False):
        self.error: Optional[str] = None
        self.error2: Optional[str] = None
        self.cflags, self.restricted, self.htaccess = cflags, restricted, htaccess
        self.toks = _Lexer(text, string_mode, self).tokens()
        self.la = None

    # tokens
    def peek(self):
        if self.la is None:
            self.la = next(self.toks)
        return self.la

    def take(self):
        tok = self.peek()
        self.la = None
        return tok

    def fail(self, expected=()):
        msg = f"syntax error, unexpected {self.peek()[0]}"
        if 0 < len(expected) <= 4:
            msg += ", expecting " + " or ".join(expected)
        self.error = msg
        raise _Abort()

    def expect(self, kind: str, expected):
        if self.peek()[0] != kind:
            self.fail(expected)
        return self.take()

    def lookup(self, kind: str, name: str, arg: Optional[Node] = None):
        """core_expr_lookup then expr_lookup_not_found; failures only set error2."""
        if kind == "Variable":
            found = _ALL_VARS.get(name.upper())
        else:
            table = {"Function": STRING_FUNCS, "Unary operator": UNARY_OPS,
                     "Binary operator": BINARY_OPS, "List-returning function": LIST_FUNCS}[kind]
            if kind == "Unary operator":
                found = name if name in table else None
            else:
                found = next((k for k in table if k.lower() == name.lower()), None)
            if found is not None and table[found] and (
                    self.restricted or (self.htaccess and kind == "Function")):
                self.error2 = f"{'' if kind == 'Function' else '-'}{found} not available in " \
                              "restricted context"
                return None
            if found in ("ipmatch", "R") and kind != "Function":
                const = arg.a if arg is not None and arg.op == "String" else None
                if const is None:
                    self.error2 = f"-{name} requires subnet/netmask as constant argument"
                    return None
                net = parse_subnet(const)
                if net is None:
                    self.error2 = "parsing of subnet/netmask failed"
                    return None
                return (found, net)
        if found is None:
            dash = "-" if kind in ("Unary operator", "Binary operator") else ""
            self.error2 = f"{kind} '{dash}{name}' does not exist"
            return None
        return (found, None)

    # grammar
    def root(self, string_mode: bool) -> Node:
        self.take()                                   # T_EXPR_BOOL / T_EXPR_STRING
        if string_mode:
            node = self.string(("T_ERROR", "T_STRING", "T_REGEX_BACKREF", "T_VAR_BEGIN"))
        else:
            node = self.expr_or()
        self.expect(END, ("$end",))
        return node

    def expr_or(self) -> Node:
        left = self.expr_and()
        if self.peek()[0] == "T_OP_OR":
            self.take()
            return Node("Or", left, self.expr_or())
        return left

    def expr_and(self) -> Node:
        left = self.expr_not()
        if self.peek()[0] == "T_OP_AND":
            self.take()
            return Node("And", left, self.expr_and())
        return left

    def expr_not(self) -> Node:
        kind = self.peek()[0]
        if kind == "T_OP_NOT":
            self.take()
            return Node("Not", self.expr_not())
        if kind in ("T_TRUE", "T_FALSE"):
            self.take()
            return Node(kind == "T_TRUE" and "True" or "False")
        if kind == "'('":
            self.take()
            inner = self.expr_or()
            self.expect("')'", ("T_OP_OR", "T_OP_AND", "')'"))
            return inner
        if kind == "T_ERROR":
            raise _Abort()
        if kind == "T_OP_UNARY":
            name = self.take()[1]
            arg = self.word()
            return Node("Unary", self.lookup("Unary operator", name, arg), arg)
        if kind not in _WORD_START:
            self.fail()
        left = self.word()
        kind = self.peek()[0]
        if kind == "T_OP_BINARY":
            name = self.take()[1]
            right = self.word()
            return Node("Binary", self.lookup("Binary operator", name, right), left, right)
        if kind in _COMPARE:
            self.take()
            return Node(_COMPARE[kind], left, self.word())
        if kind == "T_OP_IN":
            self.take()
            return Node("IN", left, self.wordlist())
        if kind in ("T_OP_REG", "T_OP_NRE"):
            self.take()
            if self.peek()[0] not in ("T_REGEX", "T_REGEX_I"):
                self.fail(("T_REGEX", "T_REGEX_I"))
            tok = self.take()
            flags = self.cflags | (AP_REG_ICASE if tok[0] == "T_REGEX_I" else 0)
            rx = pregcomp(tok[1], flags)
            if rx is None:
                self.error = "Failed to compile regular expression"
                raise _Abort()
            return Node("REG" if kind == "T_OP_REG" else "NRE", left, rx)
        self.fail()

    def wordlist(self) -> Node:
        kind = self.peek()[0]
        if kind == "T_ID":
            name = self.take()[1]
            self.expect("'('", ("'('",))
            arg = self.word()
            self.expect("')'", ("T_OP_CONCAT", "')'"))
            return Node("ListFunc", self.lookup("List-returning function", name, arg), arg)
        if kind != "'{'":
            self.fail(("T_ID", "'{'"))
        self.take()
        words = [self.word()]
        while self.peek()[0] == "','":
            self.take()
            words.append(self.word())
        self.expect("'}'", ("'}'", "','"))
        return Node("List", words)

    def word(self) -> Node:
        kind = self.peek()[0]
        if kind == "T_DIGIT":
            node = Node("Digit", self.take()[1])
        elif kind == "T_VAR_BEGIN":
            node = self.var()
        elif kind == "T_REGEX_BACKREF":
            node = Node("Backref", self.take()[1])
        elif kind == "T_ID":
            name = self.take()[1]
            self.expect("'('", ("'('",))
            arg = self.word()
            self.expect("')'", ("T_OP_CONCAT", "')'"))
            node = Node("Func", self.lookup("Function", name, arg), arg)
        elif kind == "T_STR_BEGIN":
            self.take()
            if self.peek()[0] == "T_STR_END":
                self.take()
                node = Node("String", "")
            else:
                node = self.string(())
                self.expect("T_STR_END", ("T_STRING", "T_REGEX_BACKREF", "T_STR_END",
                                          "T_VAR_BEGIN"))
        else:
            self.fail()
        if self.peek()[0] == "T_OP_CONCAT":       # %right: a . (b . c)
            self.take()
            return Node("Concat", node, self.word())
        return node

    def string(self, first_expected) -> Node:
        kind = self.peek()[0]
        if kind == "T_ERROR":
            raise _Abort()
        if kind not in ("T_STRING", "T_VAR_BEGIN", "T_REGEX_BACKREF"):
            self.fail(first_expected)
        node = self.strpart()
        while self.peek()[0] in ("T_STRING", "T_VAR_BEGIN", "T_REGEX_BACKREF"):
            node = Node("Concat", node, self.strpart())
        return node

    def strpart(self) -> Node:
        kind, value = self.peek()
        if kind == "T_STRING":
            self.take()
            return Node("String", value)
        if kind == "T_REGEX_BACKREF":
            self.take()
            return Node("Backref", value)
        return self.var()

    def var(self) -> Node:
        self.take()
        name = self.expect("T_ID", ("T_ID",))[1]
        if self.peek()[0] == "':'":
            self.take()
            arg = self.string(("T_ERROR", "T_STRING", "T_REGEX_BACKREF", "T_VAR_BEGIN"))
            self.expect("T_VAR_END", ("T_STRING", "T_REGEX_BACKREF", "T_VAR_BEGIN",
                                      "T_VAR_END"))
            return Node("Func", self.lookup("Function", name, arg), arg)
        self.expect("T_VAR_END", ("T_VAR_END", "':'"))
        return Node("Var", self.lookup("Variable", name))


_WORD_START = ("T_DIGIT", "T_VAR_BEGIN", "T_REGEX_BACKREF", "T_ID", "T_STR_BEGIN")
_COMPARE = {"T_OP_EQ": "EQ", "T_OP_NE": "NE", "T_OP_LT": "LT", "T_OP_LE": "LE",
            "T_OP_GT": "GT", "T_OP_GE": "GE", "T_OP_STR_EQ": "STR_EQ", "T_OP_STR_NE": "STR_NE",
            "T_OP_STR_LT": "STR_LT", "T_OP_STR_LE": "STR_LE", "T_OP_STR_GT": "STR_GT",
            "T_OP_STR_GE": "STR_GE"}


class ExprError(Exception):
    """A parse error, worded as ap_expr_parse words it."""


class Expr:
    """A compiled expression (ap_expr_info_t): boolean or string-valued."""

    def __init__(self, source: str, root: Node, string: bool, filename=None, line=0):
        self.source, self.root, self.string = source, root, string
        self.filename, self.line = filename, line

    def __repr__(self) -> str:
        return f"Expr({self.source!r})"

    def exec(self, ctx: "EvalContext") -> bool:
        """ap_expr_exec: evaluation errors raise ExprError (the caller logs them)."""
        ctx.err = None
        result = bool(_eval(ctx, self.root))
        if ctx.err:
            raise ExprError(ctx.err)
        return result

    def str_exec(self, ctx: "EvalContext") -> str:
        """ap_expr_str_exec."""
        if self.root.op == "String":
            return self.root.a
        ctx.err = None
        result = _word(ctx, self.root)
        if ctx.err:
            raise ExprError(ctx.err)
        return result


def parse(text: str, string: bool = False, cflags: int = AP_REG_DEFAULT,
          restricted: bool = False, filename: Optional[str] = None, line: int = 0,
          htaccess: bool = False) -> Expr:
    """ap_expr_parse; raise ExprError with Apache's message on failure.  ``restricted``:
    AP_EXPR_FLAG_RESTRICTED (mod_include: no file functions or file tests);
    ``htaccess``: an expression read from an .htaccess file, where Apache 2.4.71 refuses
    the functions that read a file, file() and filesize() ("file not available in
    restricted context"), and still allows the -e/-f/-d... tests."""
    p = _Parse(text, string, cflags, restricted, htaccess)
    root = None
    try:
        root = p.root(string)
    except _Abort:
        pass
    if p.error:
        raise ExprError(f"{p.error}: {p.error2}" if p.error2 else p.error)
    if p.error2:
        raise ExprError(p.error2)
    return Expr(text, root, string, filename, line)
