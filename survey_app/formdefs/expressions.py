"""XLSForm expressions (the XPath subset real forms use): parsed once, evaluated many times.

Pure Python, no Flask, so benchmarks and scoring can use it. static/js/form-expr.js implements
the same grammar, error codes and semantics for the phone; tests/formdefs/expression_cases.json
runs against both.

Grammar, loosest binding first: `or`, `and`, `= !=`, `< <= > >=`, `+ -`, `* div mod`, unary `-`,
then `${name}`, `.`, numbers, 'text' or "text", `( ... )` and function calls. In a choice_filter
a bare name (`country = ${country}`) is a column of the choices sheet.
The AST is made of tuples: ("num", 1.0), ("str", "x"), ("ref", name), ("dot",), ("col", name),
("neg", node), ("bin", op, left, right), ("call", name, (args...)).
"""
from __future__ import annotations

import re
from functools import lru_cache

from survey_app.formdefs.evaluator import FUNCTIONS, Context, compile_ast

__all__ = ["Context", "Expression", "ExpressionError", "compile_expression", "parse"]

_NAME = r"[A-Za-z_][A-Za-z0-9_.:\-]*"
_TOKEN = re.compile(
    rf"""(?P<ref>\$\{{(?P<refname>[^}}]*)\}})
    |(?P<num>\d+(?:\.\d*)?|\.\d+)
    |(?P<str>'[^']*'|"[^"]*")
    |(?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,)
    |(?P<dotdot>\.\.)
    |(?P<dot>\.)
    |(?P<name>{_NAME})""",
    re.X,
)
_VALID_REF = re.compile(rf"^{_NAME}$")
_PATH_CHARS = "/@[]|"
#: Binary operators by precedence level, loosest first.
_LEVELS = (("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "div", "mod"))
_WORD_OPERATORS = {"or", "and", "div", "mod"}


class ExpressionError(ValueError):
    """An expression that cannot be used; `code` and `params` let callers word it in any language."""

    MESSAGES = {
        "empty": "The expression is empty.",
        "syntax": "Unexpected {token} at character {position}.",
        "end": "The expression ends too early: a value or a closing bracket is missing.",
        "unterminated": "Text in quotes is not closed (character {position}).",
        "bad_char": "Unexpected character {char} at character {position}.",
        "path": "Paths such as / .. @ [ ] | are not supported (character {position}); "
                "refer to questions as ${{name}}.",
        "bare_name": "'{name}' is not understood (character {position}); refer to a question as "
                     "${{{name}}} and put text in quotes.",
        "bad_ref": "'${{{name}}}' is not a valid question reference.",
        "unknown_function": "Unknown function {name}().",
        "arity": "The function {name}() takes {expected} arguments, not {given}.",
    }

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(self.MESSAGES[code].format(**params))


class _Parser:
    def __init__(self, source: str, columns: bool):
        self.tokens = _tokenize(source)
        self.index = 0
        self.columns = columns

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self):
        token = self.peek()
        if token is None:
            raise ExpressionError("end")
        self.index += 1
        return token

    def expect(self, value: str):
        token = self.take()
        if token[1] != value or token[0] == "str":
            raise _unexpected(token)

    def parse(self):
        if not self.tokens:
            raise ExpressionError("empty")
        node = self.binary(0)
        if self.peek() is not None:
            raise _unexpected(self.peek())
        return node

    def binary(self, level: int):
        if level == len(_LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while True:
            token = self.peek()
            if token is None or not _is_operator(token, _LEVELS[level]):
                return node
            self.index += 1
            node = ("bin", token[1], node, self.binary(level + 1))

    def unary(self):
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] == "-":
            self.index += 1
            return ("neg", self.unary())
        return self.primary()

    def primary(self):
        kind, value, position = self.take()
        if kind == "num":
            return ("num", float(value))
        if kind == "str":
            return ("str", value[1:-1])
        if kind == "ref":
            if not _VALID_REF.match(value):
                raise ExpressionError("bad_ref", name=value)
            return ("ref", value)
        if kind == "dot":
            return ("dot",)
        if kind == "dotdot":
            raise ExpressionError("path", position=position)
        if kind == "op" and value == "(":
            node = self.binary(0)
            self.expect(")")
            return node
        if kind == "name" and value not in _WORD_OPERATORS:
            following = self.peek()
            if following is not None and following[0] == "op" and following[1] == "(":
                return self.call(value)
            if self.columns:
                return ("col", value)
            raise ExpressionError("bare_name", name=value, position=position)
        raise _unexpected((kind, value, position))

    def call(self, name: str):
        self.index += 1  # the "("
        args = []
        token = self.peek()
        if token is not None and token[:2] == ("op", ")"):
            self.index += 1
        else:
            while True:
                args.append(self.binary(0))
                token = self.take()
                if token[:2] == ("op", ")"):
                    break
                if token[:2] != ("op", ","):
                    raise _unexpected(token)
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise ExpressionError("unknown_function", name=name)
        low, high = spec[0], spec[1]
        if not low <= len(args) <= (high if high is not None else len(args)):
            expected = str(low) if low == high else (f"{low}+" if high is None else f"{low}-{high}")
            raise ExpressionError("arity", name=name, expected=expected, given=len(args))
        return ("call", name, tuple(args))


def _is_operator(token, operators) -> bool:
    kind, value, _ = token
    return (kind == "op" or (kind == "name" and value in _WORD_OPERATORS)) and value in operators


def _unexpected(token):
    kind, value, position = token
    shown = value if kind == "str" else f"'{value}'"
    return ExpressionError("syntax", token=shown, position=position)


def _tokenize(source: str) -> list[tuple[str, str, int]]:
    """Split into (kind, text, 1-based position) tokens."""
    tokens, pos, end = [], 0, len(source)
    while pos < end:
        char = source[pos]
        if char.isspace():
            pos += 1
            continue
        match = _TOKEN.match(source, pos)
        if match is None:
            if char in "'\"":
                raise ExpressionError("unterminated", position=pos + 1)
            if char in _PATH_CHARS:
                raise ExpressionError("path", position=pos + 1)
            raise ExpressionError("bad_char", char=f"'{char}'", position=pos + 1)
        kind = match.lastgroup if match.lastgroup != "refname" else "ref"
        value = match.group("refname") if kind == "ref" else match.group(kind)
        tokens.append((kind, value, pos + 1))
        pos = match.end()
    return tokens


def parse(source: str, *, columns: bool = False):
    """The AST of `source`; raises ExpressionError. `columns`: bare names are choice columns."""
    return _Parser(source or "", columns).parse()


def walk(node):
    """Every node of an AST, depth first."""
    yield node
    kind = node[0]
    if kind == "neg":
        yield from walk(node[1])
    elif kind == "bin":
        yield from walk(node[2])
        yield from walk(node[3])
    elif kind == "call":
        for arg in node[2]:
            yield from walk(arg)


class Expression:
    """A parsed, compiled expression: `refs` are the ${names} it reads."""

    __slots__ = ("source", "ast", "refs", "columns", "_run")

    def __init__(self, source: str, columns: bool = False):
        self.source = source
        self.ast = parse(source, columns=columns)
        nodes = list(walk(self.ast))
        self.refs = frozenset(n[1] for n in nodes if n[0] == "ref")
        self.columns = frozenset(n[1] for n in nodes if n[0] == "col")
        self._run = compile_ast(self.ast)

    def evaluate(self, context: Context):
        """The value of the expression (str, float, bool or list) in `context`."""
        return self._run(context)

    def __repr__(self):
        return f"Expression({self.source!r})"


@lru_cache(maxsize=8192)
def compile_expression(source: str, columns: bool = False) -> Expression:
    """Parse and compile once; the same source text is shared by every form that uses it."""
    return Expression(source, columns)
