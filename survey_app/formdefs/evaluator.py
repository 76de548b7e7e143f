"""Values, functions and the compiler behind form expressions (XPath 1.0 rules, ODK functions).

Values are str, float (answers may also give int), bool, list (a select_multiple answer) or None
(no answer, which behaves as empty text). Conversions follow XPath: `=` compares as booleans if
either side is one, else as numbers if either side is one, else as text; `<` and arithmetic use
numbers. As in ODK, a date or date-time text converts to a number of days since 1970-01-01, so
`. <= today()` works. static/js/form-expr.js mirrors every rule here.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal

NAN = float("nan")
_NUMERAL = re.compile(r"^\s*(-?(?:\d+(?:\.\d*)?|\.\d+))\s*$")
_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?)?\s*$"
)
_DATE_TOKEN = re.compile(r"%[YymndeHhMS]")


class Context:
    """What an expression can read: answers (`values`; `member`, the current repeat entry, and
    `parents`, the entries of the repeats around it, outermost first), `.`, dates, a choices row,
    and `instances`: the rows of secondary instances by name (choice lists, attached files)."""

    __slots__ = ("values", "member", "parents", "dot", "today", "now", "choice", "instances")

    def __init__(self, values=None, member=None, dot=None, today=None, now=None, choice=None,
                 parents=(), instances=None):
        self.values = values if values is not None else {}
        self.member = member
        self.parents = parents
        self.dot = dot
        self.today = today
        self.now = now
        self.choice = choice
        self.instances = instances if instances is not None else {}

    def lookup(self, name: str):
        member = self.member
        if member is not None and name in member:
            return member[name]
        for entry in reversed(self.parents):
            if name in entry:
                return entry[name]
        return self.values.get(name)


# ---- conversions -------------------------------------------------------------------------

def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_string(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(float(value))
    if isinstance(value, (list, tuple)):
        return " ".join(to_string(item) for item in value)
    return str(value)


def format_number(x: float) -> str:
    """A number as text, exactly as JavaScript's String(x) writes it."""
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e16:  # exact below 2**53; beyond, the shortest digits below
        return str(int(x))
    text = repr(x)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = int(exponent)
    if -7 < power < 21:
        return format(Decimal(text), "f")
    return f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"


def to_number(value) -> float:
    if is_number(value):
        return float(value)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    text = to_string(value)
    match = _NUMERAL.match(text)
    if match:
        return float(match.group(1))
    days = iso_days(text)
    return NAN if days is None else days


def to_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if is_number(value):
        return value == value and value != 0
    if isinstance(value, (list, tuple)):
        return len(value) > 0
    return bool(to_string(value))


def items(value) -> list[str]:
    """The choices of a select_multiple answer (a list, or text separated by spaces)."""
    if isinstance(value, (list, tuple)):
        return [to_string(item) for item in value]
    return to_string(value).split()


# ---- dates -------------------------------------------------------------------------------

def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


def _iso_parts(text: str):
    """(year, month, day, hour, minute, second, fraction, offset minutes) of ISO text, or None."""
    match = _ISO.match(text)
    if not match:
        return None
    y, m, d = int(match[1]), int(match[2]), int(match[3])
    hour, minute, second = int(match[4] or 0), int(match[5] or 0), int(match[6] or 0)
    if not (1 <= m <= 12 and 1 <= d <= _days_in_month(y, m) and hour < 24 and minute < 60 and second < 60):
        return None
    fraction = float("0." + match[7]) if match[7] else 0.0
    zone, offset = match[8], 0
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 60 + int(digits[2:])) * (1 if zone[0] == "+" else -1)
    return y, m, d, hour, minute, second, fraction, offset


def iso_days(text: str):
    """Days since 1970-01-01 (UTC) of ISO date or date-time text, else None."""
    parts = _iso_parts(text)
    if parts is None:
        return None
    y, m, d, hour, minute, second, fraction, offset = parts
    seconds = hour * 3600 + minute * 60 + second + fraction - offset * 60
    return _days_from_civil(y, m, d) + seconds / 86400


def format_date(value, pattern: str) -> str:
    if isinstance(value, str) and _iso_parts(value) is not None:
        y, m, d, hour, minute, second = _iso_parts(value)[:6]
    else:
        days = to_number(value)
        if not math.isfinite(days):
            return ""
        whole = math.floor(days)
        seconds = math.floor((days - whole) * 86400 + 0.5)
        if seconds >= 86400:
            whole, seconds = whole + 1, seconds - 86400
        y, m, d = _civil_from_days(whole)
        hour, minute, second = seconds // 3600, seconds // 60 % 60, seconds % 60
    values = {"%Y": f"{y:04d}", "%y": f"{y % 100:02d}", "%m": f"{m:02d}", "%n": str(m), "%d": f"{d:02d}",
              "%e": str(d), "%H": f"{hour:02d}", "%h": str(hour), "%M": f"{minute:02d}", "%S": f"{second:02d}"}
    return _DATE_TOKEN.sub(lambda match: values[match.group(0)], to_string(pattern))


def _today(context: Context) -> str:
    return context.today or date.today().isoformat()


def _now(context: Context) -> str:
    return context.now or datetime.now().astimezone().isoformat(timespec="milliseconds")


# ---- operators ---------------------------------------------------------------------------

def equals(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return to_bool(a) == to_bool(b)
    if is_number(a) or is_number(b):
        return to_number(a) == to_number(b)
    return to_string(a) == to_string(b)


def _divide(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or a != a:
            return NAN
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _modulo(a: float, b: float) -> float:
    try:
        return math.fmod(a, b)
    except ValueError:
        return NAN


_ARITHMETIC = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "div": _divide,
    "mod": _modulo,
}
_RELATIONAL = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compile_binary(op, left, right):
    if op == "and":
        return lambda ctx: to_bool(left(ctx)) and to_bool(right(ctx))
    if op == "or":
        return lambda ctx: to_bool(left(ctx)) or to_bool(right(ctx))
    if op == "=":
        return lambda ctx: equals(left(ctx), right(ctx))
    if op == "!=":
        return lambda ctx: not equals(left(ctx), right(ctx))
    if op in _RELATIONAL:
        test = _RELATIONAL[op]
        return lambda ctx: test(to_number(left(ctx)), to_number(right(ctx)))
    apply = _ARITHMETIC[op]
    return lambda ctx: apply(to_number(left(ctx)), to_number(right(ctx)))


# ---- functions: name -> (min args, max args or None, factory of compiled args) ------------

def _truncate(x: float) -> float:
    return float(math.trunc(x)) if math.isfinite(x) else x


def _index(value, length: int) -> int:
    x = to_number(value)
    if x != x:
        return 0
    return int(max(0, min(length, _truncate(x))))


def _substr(text, start, end=None) -> str:
    chars = to_string(text)
    first = _index(start, len(chars))
    last = len(chars) if end is None else max(first, _index(end, len(chars)))
    return chars[first:last]


_REGEX_CACHE: dict[str, re.Pattern | None] = {}


def _regex(value, pattern) -> bool:
    pattern = to_string(pattern)
    if pattern not in _REGEX_CACHE:
        try:
            _REGEX_CACHE[pattern] = re.compile(pattern, re.ASCII)
        except re.error:
            _REGEX_CACHE[pattern] = None
    compiled = _REGEX_CACHE[pattern]
    return bool(compiled and compiled.search(to_string(value)))


def _selected_at(value, n) -> str:
    chosen = items(value)
    x = to_number(n)
    return chosen[int(x)] if x == x and x.is_integer() and 0 <= x < len(chosen) else ""


def _strict(function):
    """Factory for a function that evaluates all its arguments."""
    return lambda *args: lambda ctx: function(*(arg(ctx) for arg in args))


# ---- attached data files (Context.instances: rows by instance name) ------------------------

_SEARCH_MODES = {
    "contains": lambda text, value: value in text,
    "matches": lambda text, value: text == value,
    "startswith": lambda text, value: text.startswith(value),
    "endswith": lambda text, value: text.endswith(value),
}


def search_rows(rows: list[dict], mode=None, columns=None, value=None, filter_column=None, filter_value=None):
    """ODK's search(): the rows whose `columns` (comma separated) match `value` by `mode`, and whose
    `filter_column` equals `filter_value`; every row without a mode. An unknown mode matches nothing."""
    test = _SEARCH_MODES.get(to_string(mode).strip().lower()) if mode is not None else None
    names = [c.strip() for c in to_string(columns).split(",") if c.strip()]
    wanted, exact = to_string(value), to_string(filter_value)
    found = []
    for row in rows:
        if mode is not None and (test is None or not any(test(row.get(c, ""), wanted) for c in names)):
            continue
        if filter_column is not None and row.get(to_string(filter_column), "") != exact:
            continue
        found.append(row)
    return found


def row_key(row: dict) -> str:
    """A data row's value: its `name` column, else its first column."""
    return row["name"] if "name" in row else next(iter(row.values()), "")


def _search(instance, *args):
    def run(ctx):
        values = [arg(ctx) for arg in args]
        rows = ctx.instances.get(to_string(instance(ctx))) or []
        mode, columns, value = (values + [None, None, None])[:3] if len(values) >= 3 else (None, None, None)
        filter_column, filter_value = (values[3], values[4]) if len(values) >= 5 else (None, None)
        return [row_key(row) for row in search_rows(rows, mode, columns, value, filter_column, filter_value)]
    return run


def _pulldata(instance, column, key_column, key):
    """pulldata('file', 'column', 'key column', key): the column of the first row whose key matches, else ''."""
    def run(ctx):
        wanted, keyed, target = to_string(key(ctx)), to_string(key_column(ctx)), to_string(column(ctx))
        for row in ctx.instances.get(to_string(instance(ctx))) or []:
            if row.get(keyed, "") == wanted:
                return row.get(target, "")
        return ""
    return run


FUNCTIONS = {
    "if": (3, 3, lambda c, a, b: lambda ctx: a(ctx) if to_bool(c(ctx)) else b(ctx)),
    "today": (0, 0, lambda: _today),
    "now": (0, 0, lambda: _now),
    "true": (0, 0, lambda: lambda ctx: True),
    "false": (0, 0, lambda: lambda ctx: False),
    "not": (1, 1, _strict(lambda v: not to_bool(v))),
    "boolean": (1, 1, _strict(to_bool)),
    "number": (1, 1, _strict(to_number)),
    "string": (1, 1, _strict(to_string)),
    "int": (1, 1, _strict(lambda v: _truncate(to_number(v)))),
    "selected": (2, 2, _strict(lambda v, choice: to_string(choice) in items(v))),
    "count-selected": (1, 1, _strict(lambda v: float(len(items(v))))),
    "selected-at": (2, 2, _strict(_selected_at)),
    "string-length": (1, 1, _strict(lambda v: float(len(to_string(v))))),
    "regex": (2, 2, _strict(_regex)),
    "concat": (1, None, _strict(lambda *values: "".join(to_string(v) for v in values))),
    "coalesce": (2, 2, _strict(lambda a, b: a if to_string(a) != "" else b)),
    "contains": (2, 2, _strict(lambda a, b: to_string(b) in to_string(a))),
    "starts-with": (2, 2, _strict(lambda a, b: to_string(a).startswith(to_string(b)))),
    "ends-with": (2, 2, _strict(lambda a, b: to_string(a).endswith(to_string(b)))),
    "substr": (2, 3, _strict(_substr)),
    "format-date": (2, 2, _strict(format_date)),
    "pulldata": (4, 4, _pulldata),
    "search": (1, 6, _search),
}


def compile_ast(node):
    """A function of a Context computing the node's value (closures: no tree walk per call)."""
    kind = node[0]
    if kind in ("num", "str"):
        value = node[1]
        return lambda ctx: value
    if kind == "ref":
        name = node[1]
        return lambda ctx: ctx.lookup(name)
    if kind == "dot":
        return lambda ctx: ctx.dot
    if kind == "col":
        column = node[1]
        return lambda ctx: (ctx.choice or {}).get(column, "")
    if kind == "neg":
        inner = compile_ast(node[1])
        return lambda ctx: -to_number(inner(ctx))
    if kind == "bin":
        return _compile_binary(node[1], compile_ast(node[2]), compile_ast(node[3]))
    if kind == "call":
        return FUNCTIONS[node[1]][2](*(compile_ast(arg) for arg in node[2]))
    raise ValueError(f"unknown node {kind!r}")
