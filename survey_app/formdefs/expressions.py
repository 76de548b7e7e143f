"""XLSForm expressions (the XPath subset real forms use): parsed once, evaluated many times.

Pure Python, no Flask, so benchmarks and scoring can use it. static/js/form-expr.js implements
the same grammar, error codes and semantics for the phone; tests/formdefs/expression_cases.json
runs against both.

Grammar, loosest binding first: `or`, `and`, `= !=`, `< <= > >=`, `+ -`, `* div mod`, unary `-`,
then paths, `${name}`, `${last-saved#name}`, `.`, numbers, 'text' or "text", `( ... )` and function
calls. Paths: a value followed by predicates and steps (`${people}[age < 18]/pet_count`,
`instance('list')/root/item[name = ${x}]/label`), relative paths (`../name`, `current()/..`) and
absolute ones (`/data/name`). Inside a predicate a bare name is a child of the node tested; elsewhere
a lone bare name is refused (bare_name), except in a choice_filter where it is a choices column
(`country = ${country}`). Attributes (@), unions (|) and // are refused (path).
The AST is made of tuples: ("num", 1.0), ("str", "x"), ("ref", name), ("last", name), ("dot",),
("col", name), ("neg", node), ("bin", op, left, right), ("call", name, (args...)) and
("path", start, steps): start is ("root",), ("context",) or a node; each step is
(axis, name, (predicates...)) with axis child, parent, self or filter (predicates on the start).
"""

from __future__ import annotations

import re
from functools import lru_cache

from survey_app.formdefs.evaluator import FLEX, FUNCTIONS, NODES, Context, compile_ast

__all__ = ["Context", "Expression", "ExpressionError", "compile_expression", "parse"]

_NAME = r"[A-Za-z_][A-Za-z0-9_.:\-]*"
_TOKEN = re.compile(
    rf"""(?P<ref>\$\{{(?P<refname>[^}}]*)\}})
    |(?P<num>\d+(?:\.\d*)?|\.\d+)
    |(?P<str>'[^']*'|"[^"]*")
    |(?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,|\[|\]|/(?!/))
    |(?P<dotdot>\.\.)
    |(?P<dot>\.)
    |(?P<name>{_NAME})""",
    re.X,
)
_VALID_REF = re.compile(rf"^{_NAME}$")
_PATH_CHARS = "/@|"
_LAST_SAVED = "last-saved#"
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
        "path": "Attributes (@), unions (|) and // are not supported in paths (character {position}).",
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
        self.predicates_open = 0

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
        return self.path()

    def is_op(self, value: str, offset: int = 0) -> bool:
        index = self.index + offset
        token = self.tokens[index] if index < len(self.tokens) else None
        return token is not None and token[0] == "op" and token[1] == value

    def path(self):
        token = self.peek()
        if token is not None and token[:2] == ("op", "/"):
            self.index += 1
            following = self.peek()
            steps = self.steps() if following is not None and following[0] in ("name", "dot", "dotdot") else []
            return ("path", ("root",), tuple(steps[1:]))  # the first step names the root element (data)
        if token is not None and (
            token[0] in ("dot", "dotdot") or (token[0] == "name" and token[1] not in _WORD_OPERATORS and not self.is_op("(", 1))
        ):
            if token[0] == "name" and not self.predicates_open and not (self.is_op("/", 1) or self.is_op("[", 1)):
                self.index += 1
                if self.columns:
                    return ("col", token[1])
                raise ExpressionError("bare_name", name=token[1], position=token[2])
            steps = self.steps()
            if steps == [("self", None, ())]:
                return ("dot",)
            return ("path", ("context",), tuple(steps))
        node = self.primary()
        predicates = self.predicates()
        steps = [("filter", None, predicates)] if predicates else []
        if self.is_op("/"):
            self.index += 1
            steps += self.steps()
        return ("path", node, tuple(steps)) if steps else node

    def steps(self) -> list:
        steps = [self.step()]
        while self.is_op("/"):
            self.index += 1
            steps.append(self.step())
        return steps

    def step(self):
        token = self.take()
        kind, value = token[0], token[1]
        if kind == "dot":
            return ("self", None, ())
        if kind == "dotdot":
            return ("parent", None, ())
        if kind == "name" and value not in _WORD_OPERATORS and not self.is_op("("):
            return ("child", value, self.predicates())
        raise _unexpected(token)

    def predicates(self) -> tuple:
        found = []
        while self.is_op("["):
            self.index += 1
            if self.is_op("]"):
                raise _unexpected(self.peek())
            self.predicates_open += 1
            found.append(self.binary(0))
            self.predicates_open -= 1
            self.expect("]")
        return tuple(found)

    def primary(self):
        kind, value, position = self.take()
        if kind == "num":
            return ("num", float(value))
        if kind == "str":
            return ("str", value[1:-1])
        if kind == "ref":
            if value.startswith(_LAST_SAVED):
                name = value[len(_LAST_SAVED) :]
                if not _VALID_REF.match(name):
                    raise ExpressionError("bad_ref", name=value)
                return ("last", name)
            if not _VALID_REF.match(value):
                raise ExpressionError("bad_ref", name=value)
            return ("ref", value)
        if kind == "op" and value == "(":
            node = self.binary(0)
            self.expect(")")
            return node
        if kind == "name" and value not in _WORD_OPERATORS and self.is_op("("):
            return self.call(value)
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
        if match is None or source.startswith("//", pos):
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
    elif kind == "path":
        if node[1][0] not in ("root", "context"):
            yield from walk(node[1])
        for _axis, _name, predicates in node[2]:
            for predicate in predicates:
                yield from walk(predicate)


def nodeset_refs(node) -> set[str]:
    """${names} used as nodesets: starting a path, or given to count(), sum(), indexed-repeat()...
    (these may name a repeat, or a question inside a repeat from outside it)."""
    found = set()
    for one in walk(node):
        if one[0] == "path" and one[1][0] == "ref":
            found.add(one[1][1])
        elif one[0] == "call":
            spec = FUNCTIONS[one[1]]
            nodes = spec[3] if len(spec) > 3 else ()
            for number, arg in enumerate(one[2]):
                if arg[0] == "ref" and (nodes in (NODES, FLEX) or number in nodes):
                    found.add(arg[1])
    return found


class Expression:
    """A parsed, compiled expression: `refs` are the ${names} it reads (`nodeset_refs` those it reads as
    nodesets, `last_saved` the ${last-saved#names})."""

    __slots__ = ("source", "ast", "refs", "nodeset_refs", "last_saved", "columns", "_run")

    def __init__(self, source: str, columns: bool = False):
        self.source = source
        self.ast = parse(source, columns=columns)
        nodes = list(walk(self.ast))
        self.refs = frozenset(n[1] for n in nodes if n[0] == "ref")
        self.columns = frozenset(n[1] for n in nodes if n[0] == "col")
        self.nodeset_refs = frozenset(nodeset_refs(self.ast))
        self.last_saved = frozenset(n[1] for n in nodes if n[0] == "last")
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
