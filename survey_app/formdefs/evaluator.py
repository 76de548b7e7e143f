"""Values, functions and the compiler behind form expressions (XPath 1.0 rules, ODK functions).

Values are str, float (answers may also give int), bool, list (a select_multiple answer) or None
(no answer, which behaves as empty text). Conversions follow XPath: `=` compares as booleans if
either side is one, else as numbers if either side is one, else as text; `<` and arithmetic use
numbers. As in ODK, a date or date-time text converts to a number of days since 1970-01-01, so
`. <= today()` works. Paths (`${people}[age < 18]/pet_count`, `../name`, `instance('list')/root/item`)
give a NodeSet of Nodes over the answer dicts: a repeat's entries are the dicts in its list.
static/js/form-expr.js mirrors every rule here.
"""

from __future__ import annotations

import math
import random
import re
from datetime import date, datetime
from decimal import Decimal

from survey_app.formdefs import odk_library as odk

NAN = float("nan")
_NUMERAL = re.compile(r"^\s*(-?(?:\d+(?:\.\d*)?|\.\d+))\s*$")
_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?)?\s*$"
)
_DATE_TOKEN = re.compile(r"%[YymndeHhMSb3a]")


class Context:
    """What an expression can read: answers (`values`; `member`, the current repeat entry, and
    `parents`, the entries of the repeats around it, outermost first; `positions`, the 1-based
    positions of those entries and of member), `.`, dates, a choices row, `instances`: the rows of
    secondary instances by name (choice lists, attached files), `choice_lists` (question name ->
    list name, for jr:choice-name) in `lang`, and `last_saved`, the answers of the last saved record.
    `focus`, `size` and `index` are the node a predicate is testing, the nodeset's size and its position."""

    __slots__ = (
        "values",
        "member",
        "parents",
        "dot",
        "today",
        "now",
        "choice",
        "instances",
        "positions",
        "choice_lists",
        "lang",
        "last_saved",
        "focus",
        "size",
        "index",
    )

    def __init__(
        self,
        values=None,
        member=None,
        dot=None,
        today=None,
        now=None,
        choice=None,
        parents=(),
        instances=None,
        positions=(),
        choice_lists=None,
        lang=None,
        last_saved=None,
    ):
        self.values = values if values is not None else {}
        self.member = member
        self.parents = parents
        self.dot = dot
        self.today = today
        self.now = now
        self.choice = choice
        self.instances = instances if instances is not None else {}
        self.positions = positions
        self.choice_lists = choice_lists if choice_lists is not None else {}
        self.lang = lang
        self.last_saved = last_saved if last_saved is not None else {}
        self.focus = None
        self.size = self.index = 1

    def lookup(self, name: str):
        member = self.member
        if member is not None and name in member:
            return member[name]
        for entry in reversed(self.parents):
            if name in entry:
                return entry[name]
        return self.values.get(name)

    # ---- nodes (for paths) ----

    def entries(self) -> list[Node]:
        """The data root, then the enclosing repeat entries and the current one, outermost first."""
        node = Node(None, self.values, None, 1)
        chain = [node]
        nested = list(self.parents) + ([self.member] if self.member is not None else [])
        for number, entry in enumerate(nested):
            position = self.positions[number] if number < len(self.positions) else 1
            node = Node(None, entry, node, position)
            chain.append(node)
        return chain

    def current(self) -> Node:
        """The question the expression belongs to (its value is `.`)."""
        return Node(None, self.dot, self.entries()[-1], 1)

    def context_node(self) -> Node:
        return self.focus if self.focus is not None else self.current()

    def ref_nodes(self, name: str) -> NodeSet:
        """${name} as nodes: in the nearest enclosing entry (or the root) that has it, else its answers
        in every entry of the repeats it is in."""
        chain = self.entries()
        for node in reversed(chain):
            if name in node.value:
                return NodeSet(node.children(name))
        found = NodeSet()
        _search(chain[0], name, found)
        return found


def _search(node: Node, name: str, found: list):
    for key, value in node.value.items():
        if type(value) is list and value and type(value[0]) is dict:
            for entry in node.children(key):
                if name in entry.value:
                    found.extend(entry.children(name))
                else:
                    _search(entry, name, found)


class Node:
    """One element of the answers (or of a secondary instance): `value` is a dict for an entry
    (its children by name), else the answer; `position` counts from 1 among same-named siblings."""

    __slots__ = ("name", "value", "parent", "position")

    def __init__(self, name, value, parent, position):
        self.name = name
        self.value = value
        self.parent = parent
        self.position = position

    def children(self, name: str) -> list[Node]:
        value = self.value
        if type(value) is not dict or name not in value:
            return []
        child = value[name]
        if type(child) is list and (not child or type(child[0]) is dict):
            return [Node(name, entry, self, number) for number, entry in enumerate(child, 1)]
        return [Node(name, child, self, 1)]

    def text(self) -> str:
        """The XPath string-value: an entry's is the text of everything inside it, in order."""
        value = self.value
        if type(value) is dict:
            return "".join(child.text() for key in value for child in self.children(key))
        return to_string(value)


class NodeSet(list):
    """The nodes a path selects, in document order."""

    __slots__ = ()


# ---- conversions -------------------------------------------------------------------------


def is_number(value) -> bool:
    kind = type(value)
    return kind is float or kind is int or (isinstance(value, (int, float)) and not isinstance(value, bool))


def to_string(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if type(value) is NodeSet:
        return value[0].text() if value else ""
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
    if type(value) is float:
        return value
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


def plain_value(value):
    """A result as an answer value: a nodeset gives its first node's answer (an entry's text), or None."""
    if type(value) is NodeSet:
        if not value:
            return None
        first = value[0]
        return first.text() if type(first.value) is dict else first.value
    return value


def to_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if type(value) is NodeSet:
        return len(value) > 0
    if is_number(value):
        return value == value and value != 0
    if isinstance(value, (list, tuple)):
        return len(value) > 0
    return bool(to_string(value))


def items(value) -> list[str]:
    """The choices of a select_multiple answer (a list, or text separated by spaces)."""
    if type(value) is NodeSet:
        return items(value[0].value) if value else []
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


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def format_date(value, pattern: str) -> str:
    """format-date() and format-date-time(): ISO text keeps its written clock; a number is UTC days."""
    parts = _iso_parts(value) if isinstance(value, str) else None
    if parts is not None:
        y, m, d, hour, minute, second, fraction = parts[:7]
        millis = int(fraction * 1000 + 1e-6)
    else:
        days = to_number(value)
        if not math.isfinite(days):
            return ""
        whole = math.floor(days)
        millis = math.floor((days - whole) * 86400000 + 0.5)
        if millis >= 86400000:
            whole, millis = whole + 1, millis - 86400000
        y, m, d = _civil_from_days(whole)
        seconds, millis = divmod(millis, 1000)
        hour, minute, second = seconds // 3600, seconds // 60 % 60, seconds % 60
    values = {
        "%Y": f"{y:04d}",
        "%y": f"{y % 100:02d}",
        "%m": f"{m:02d}",
        "%n": str(m),
        "%d": f"{d:02d}",
        "%e": str(d),
        "%H": f"{hour:02d}",
        "%h": str(hour),
        "%M": f"{minute:02d}",
        "%S": f"{second:02d}",
        "%3": f"{millis:03d}",
        "%b": _MONTHS[m - 1],
        "%a": _WEEKDAYS[(_days_from_civil(y, m, d) + 4) % 7],
    }
    return _DATE_TOKEN.sub(lambda match: values[match.group(0)], to_string(pattern))


def to_date(value) -> str:
    """date(): ISO date text of a date, a date-time or a number of days; "" if it is none of them."""
    if isinstance(value, str):
        parts = _iso_parts(value)
        if parts is not None:
            return f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d}"
    days = to_number(value)
    if not math.isfinite(days):
        return ""
    y, m, d = _civil_from_days(math.floor(days))
    return f"{y:04d}-{m:02d}-{d:02d}"


def _days_or_nan(text: str) -> float:
    days = iso_days(text)
    return NAN if days is None else days


def _today(context: Context) -> str:
    return context.today or date.today().isoformat()


def _now(context: Context) -> str:
    return context.now or datetime.now().astimezone().isoformat(timespec="milliseconds")


# ---- operators ---------------------------------------------------------------------------


def equals(a, b) -> bool:
    if type(a) is str and type(b) is str:
        return a == b
    if type(a) is NodeSet or type(b) is NodeSet:
        return _nodes_compare(a, b, _EQUAL)
    if isinstance(a, bool) or isinstance(b, bool):
        return to_bool(a) == to_bool(b)
    if is_number(a) or is_number(b):
        return to_number(a) == to_number(b)
    return to_string(a) == to_string(b)


def not_equals(a, b) -> bool:
    if type(a) is NodeSet or type(b) is NodeSet:
        return _nodes_compare(a, b, _NOT_EQUAL)
    return not equals(a, b)


def _EQUAL(a, b):
    return equals(a, b)


def _NOT_EQUAL(a, b):
    return not equals(a, b)


def _nodes_compare(a, b, test) -> bool:
    """XPath's comparisons with a nodeset: true if some node's text (some pair of them) passes;
    against a boolean, the nodeset counts as a boolean."""
    if isinstance(a, bool) or isinstance(b, bool):
        return test(to_bool(a), to_bool(b))
    left = [n.text() for n in a] if type(a) is NodeSet else [a]
    right = [n.text() for n in b] if type(b) is NodeSet else [b]
    if type(a) is not NodeSet and is_number(a) or type(b) is not NodeSet and is_number(b):
        left, right = [to_number(x) for x in left], [to_number(x) for x in right]
    return any(test(x, y) for x in left for y in right)


def compare(test, a, b) -> bool:
    if type(a) is NodeSet or type(b) is NodeSet:
        return _nodes_compare(a, b, lambda x, y: test(to_number(x), to_number(y)))
    return test(to_number(a), to_number(b))


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
        return lambda ctx: not_equals(left(ctx), right(ctx))
    if op in _RELATIONAL:
        test = _RELATIONAL[op]

        def relational(ctx):
            a, b = left(ctx), right(ctx)
            if type(a) is NodeSet or type(b) is NodeSet:
                return compare(test, a, b)
            return test(to_number(a), to_number(b))

        return relational
    apply = _ARITHMETIC[op]
    return lambda ctx: apply(to_number(left(ctx)), to_number(right(ctx)))


# ---- functions: name -> (min args, max args or None, factory of compiled args, nodes) -------
# `nodes`: the positions of the arguments given as nodesets (NODES: all of them), e.g. count()'s.


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


def _xpath_round(x: float) -> float:
    return math.floor(x + 0.5) if math.isfinite(x) else x


def _substring(text, start, length=None) -> str:
    """XPath 1.0's substring(): the characters from position round(start) (the first is 1), round(length) of
    them; NaN keeps none, infinities reach the ends (substring('12345', 1.5, 2.6) is '234')."""
    chars = to_string(text)
    first = _xpath_round(to_number(start))
    last = math.inf if length is None else first + _xpath_round(to_number(length))
    if first != first or last != last:
        return ""
    low = max(1, math.ceil(first)) if first > -math.inf else 1
    high = len(chars) + 1 if last == math.inf else min(len(chars) + 1, math.ceil(last))
    return chars[low - 1 : high - 1] if high > low else ""


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

    def compiled(*args):
        if len(args) == 1:
            only = args[0]
            return lambda ctx: function(only(ctx))
        if len(args) == 2:
            first, second = args
            return lambda ctx: function(first(ctx), second(ctx))
        return lambda ctx: function(*(arg(ctx) for arg in args))

    return compiled


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


def _search_file(instance, *args):
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


NODES = "all"
#: concat(): a ${name} not in reach (a question in a repeat, named from outside) gives all its answers.
FLEX = "flex"


def _texts(nodes) -> list[str]:
    return [node.text() for node in nodes]


def _numbers(nodes) -> list[float]:
    return [to_number(node.text()) for node in nodes]


def _extreme(pick):
    def run(nodes):
        numbers = _numbers(nodes)
        if not numbers or any(x != x for x in numbers):
            return NAN
        return float(pick(numbers))

    return run


def _position(ctx, nodes=None) -> float:
    if nodes is None:
        return float(ctx.index) if ctx.focus is not None else 1.0
    return float(nodes[0].position) if nodes else NAN


def _indexed_repeat(name_nodes, *pairs):
    """indexed-repeat(name, group, i[, sub_group, sub_i ...]): `name` in the i-th entry of `group`..."""
    target = name_nodes[0].name if name_nodes else None
    entries = None
    for number in range(0, len(pairs), 2):
        group, index = pairs[number], to_number(pairs[number + 1])
        if entries is None:
            candidates = list(group)
        else:
            wanted = group[0].name if group else None
            candidates = [child for entry in entries for child in entry.children(wanted)] if wanted else []
        if index != index or not index.is_integer() or not 1 <= index <= len(candidates):
            return NodeSet()
        entries = [candidates[int(index) - 1]]
    if target is None:
        return NodeSet()
    found = NodeSet()
    for entry in entries:
        if target in entry.value:
            found.extend(entry.children(target))
        else:
            _search(entry, target, found)
    return found


def _choice_name(ctx, value, question) -> str:
    name = to_string(question).strip()
    if name.startswith("${") and name.endswith("}"):
        name = name[2:-1]
    name = name.rsplit("/", 1)[-1]
    chosen = to_string(value)
    for row in ctx.instances.get(ctx.choice_lists.get(name), ()):
        if to_string(row.get("name")) == chosen:
            label = row.get("label")
            if isinstance(label, dict):
                return to_string(label.get(ctx.lang, next(iter(label.values()), "")))
            return to_string(label)
    return ""


def _geo(values) -> list[str]:
    texts = []
    for value in values:
        texts.extend(_texts(value) if type(value) is NodeSet else [to_string(value)])
    return texts


def _distance(*values) -> float:
    points = odk.geopoints(_geo(values))
    return NAN if points is None else odk.distance(points)


def _area(value) -> float:
    points = odk.geopoints(_geo([value]))
    return NAN if points is None else odk.area(points)


def _shape_points(value):
    return odk.geopoints(_geo([value]))


def _geofence(point, shape) -> bool:
    where, fence = _shape_points(point), _shape_points(shape)
    return bool(where and len(where) == 1 and fence) and odk.inside(where[0], fence)


def _intersects(value) -> bool:
    points = _shape_points(value)
    return bool(points) and odk.self_intersects(points)


def _randomize(nodes, seed=None) -> NodeSet:
    return NodeSet(odk.shuffle(list(nodes), None if seed is None else to_number(seed)))


def _checklist(low, high, *answers) -> bool:
    return _within(low, high, sum(1 for a in answers if to_string(a) == "yes"))


def _weighted(low, high, *pairs) -> bool:
    total = sum(to_number(pairs[i + 1]) for i in range(0, len(pairs) - 1, 2) if to_string(pairs[i]) == "yes")
    return _within(low, high, total)


def _within(low, high, value) -> bool:
    low, high = to_number(low), to_number(high)
    return (low < 0 or value >= low) and (high < 0 or value <= high)


def _math(function):
    def run(*values):
        try:
            return float(function(*(to_number(v) for v in values)))
        except ValueError:
            return NAN
        except OverflowError:
            return math.inf

    return _strict(run)


def _pow(x: float, y: float) -> float:
    if x == 0 and y < 0:
        return math.inf
    return math.pow(x, y)


def _sum(numbers: list[float]) -> float:
    total = 0.0
    for x in numbers:  # left to right, as JavaScript adds (sum() compensates since Python 3.12)
        total += x
    return total


def _log(x: float) -> float:
    if x == 0:
        return -math.inf
    return math.log(x) if x > 0 else NAN


def _concat(*values) -> str:
    return "".join("".join(_texts(v)) if type(v) is NodeSet else to_string(v) for v in values)


def _translate(text, source, target) -> str:
    source, target = to_string(source), to_string(target)
    table = {}
    for number, char in enumerate(source):
        table.setdefault(ord(char), target[number] if number < len(target) else None)
    return to_string(text).translate(table)


def _before(text, target) -> str:
    text, target = to_string(text), to_string(target)
    return text[: text.find(target)] if target in text else ""


def _after(text, target) -> str:
    text, target = to_string(text), to_string(target)
    return text[text.find(target) + len(target) :] if target in text else ""


def _context_text(ctx) -> str:
    return ctx.focus.text() if ctx.focus is not None else to_string(ctx.dot)


def _once(value_of):
    def run(ctx):
        current = ctx.dot
        value = value_of(ctx)
        if current is None or current == "" or current == [] or (is_number(current) and not math.isfinite(current)):
            return value
        return current

    return run


def _instance(ctx, name):
    rows = ctx.instances.get(to_string(name))
    if rows is None:
        return NodeSet()
    return NodeSet([Node(None, {"root": {"item": rows}}, None, 1)])


def _ctx(function):
    """Factory for a function of the context and its evaluated arguments."""
    return lambda *args: lambda ctx: function(ctx, *(arg(ctx) for arg in args))


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
    "jr:choice-name": (2, 2, _ctx(_choice_name)),
    "string-length": (
        0,
        1,
        lambda *a: _strict(lambda v: float(len(to_string(v))))(*a) if a else lambda ctx: float(len(_context_text(ctx))),
    ),
    "normalize-space": (
        0,
        1,
        lambda *a: (
            _strict(lambda v: " ".join(to_string(v).split()))(*a) if a else lambda ctx: " ".join(_context_text(ctx).split())
        ),
    ),
    "regex": (2, 2, _strict(_regex)),
    "concat": (1, None, _strict(_concat), FLEX),
    "join": (2, 2, _strict(lambda sep, nodes: to_string(sep).join(_texts(nodes))), (1,)),
    "coalesce": (2, 2, _strict(lambda a, b: a if to_string(a) != "" else b)),
    "contains": (2, 2, _strict(lambda a, b: to_string(b) in to_string(a))),
    "starts-with": (2, 2, _strict(lambda a, b: to_string(a).startswith(to_string(b)))),
    "ends-with": (2, 2, _strict(lambda a, b: to_string(a).endswith(to_string(b)))),
    "substr": (2, 3, _strict(_substr)),
    "substring": (2, 3, _strict(_substring)),
    "substring-before": (2, 2, _strict(_before)),
    "substring-after": (2, 2, _strict(_after)),
    "translate": (3, 3, _strict(_translate)),
    "boolean-from-string": (1, 1, _strict(lambda v: to_string(v) in ("true", "1"))),
    "digest": (
        2,
        3,
        _strict(
            lambda data, algorithm, encoding="base64": odk.digest(to_string(data), to_string(algorithm), to_string(encoding))
        ),
    ),
    "base64-decode": (1, 1, _strict(lambda v: odk.base64_decode(to_string(v)))),
    "format-date": (2, 2, _strict(format_date)),
    "pulldata": (4, 4, _pulldata),
    "search": (1, 6, _search_file),
    "format-date-time": (2, 2, _strict(format_date)),
    "date": (1, 1, _strict(to_date)),
    "decimal-date-time": (1, 1, _strict(lambda v: float(v) if is_number(v) else _days_or_nan(to_string(v)))),
    "decimal-time": (1, 1, _strict(lambda v: odk.decimal_time(to_string(v)) if not is_number(v) else NAN)),
    "round": (1, 2, _strict(lambda x, places=0.0: odk.round_half_away(to_number(x), to_number(places)))),
    "pow": (2, 2, _math(_pow)),
    "log": (1, 1, _math(_log)),
    "log10": (1, 1, _math(lambda x: math.log10(x) if x > 0 else (-math.inf if x == 0 else NAN))),
    "abs": (1, 1, _math(abs)),
    "floor": (1, 1, _math(lambda x: math.floor(x) if math.isfinite(x) else x)),
    "ceiling": (1, 1, _math(lambda x: math.ceil(x) if math.isfinite(x) else x)),
    "sin": (1, 1, _math(math.sin)),
    "cos": (1, 1, _math(math.cos)),
    "tan": (1, 1, _math(math.tan)),
    "asin": (1, 1, _math(math.asin)),
    "acos": (1, 1, _math(math.acos)),
    "atan": (1, 1, _math(math.atan)),
    "atan2": (2, 2, _math(math.atan2)),
    "sqrt": (1, 1, _math(math.sqrt)),
    "exp": (1, 1, _math(math.exp)),
    "exp10": (1, 1, _math(lambda x: 10.0**x)),
    "pi": (0, 0, lambda: lambda ctx: math.pi),
    "random": (0, 0, lambda: lambda ctx: random.random()),
    "uuid": (0, 1, _strict(lambda length=None: odk.uuid(None if length is None else to_number(length)))),
    "once": (1, 1, _once),
    "checklist": (2, None, _strict(_checklist)),
    "weighted-checklist": (2, None, _strict(_weighted)),
    "distance": (1, None, _strict(_distance), NODES),
    "area": (1, 1, _strict(_area), NODES),
    "geofence": (2, 2, _strict(_geofence), NODES),
    "intersects": (1, 1, _strict(_intersects), NODES),
    "randomize": (1, 2, _strict(_randomize), (0,)),
    "count": (1, 1, _strict(lambda nodes: float(len(nodes))), NODES),
    "count-non-empty": (1, 1, _strict(lambda nodes: float(sum(1 for t in _texts(nodes) if t))), NODES),
    "sum": (1, 1, _strict(lambda nodes: _sum(_numbers(nodes))), NODES),
    "max": (1, 1, _strict(_extreme(max)), NODES),
    "min": (1, 1, _strict(_extreme(min)), NODES),
    "indexed-repeat": (3, None, _strict(_indexed_repeat), NODES),
    "position": (0, 1, _ctx(_position), NODES),
    "last": (0, 0, lambda: lambda ctx: float(ctx.size) if ctx.focus is not None else 1.0),
    "current": (0, 0, lambda: lambda ctx: NodeSet([ctx.current()])),
    "instance": (1, 1, _ctx(_instance)),
}


def _as_nodes(value) -> NodeSet:
    return value if type(value) is NodeSet else NodeSet([Node(None, value, None, 1)])


def compile_nodes(node):
    """A function of a Context giving the node's value as a NodeSet (for count(), sum(), paths...)."""
    kind = node[0]
    if kind == "ref":
        name = node[1]
        return lambda ctx: ctx.ref_nodes(name)
    if kind == "dot":
        return lambda ctx: NodeSet([ctx.context_node()])
    run = compile_ast(node)
    return lambda ctx: _as_nodes(run(ctx))


def _compile_flexible(node):
    if node[0] != "ref":
        return compile_ast(node)
    name = node[1]

    def run(ctx):
        value = ctx.lookup(name)
        return value if value is not None else (ctx.ref_nodes(name) or None)

    return run


def _compile_predicate(node):
    """A predicate: a number keeps the node at that position, anything else keeps it if true."""
    if node[0] == "num":
        wanted = node[1]
        return lambda ctx: ctx.index == wanted
    test = compile_ast(node)

    def run(ctx):
        value = test(ctx)
        return ctx.index == value if is_number(value) else to_bool(value)

    return run


def _filter(nodes: list, predicates, ctx) -> list:
    saved = ctx.focus, ctx.size, ctx.index
    try:
        for predicate in predicates:
            kept, size = [], len(nodes)
            for number, node in enumerate(nodes, 1):
                ctx.focus, ctx.size, ctx.index = node, size, number
                if predicate(ctx):
                    kept.append(node)
            nodes = kept
    finally:
        ctx.focus, ctx.size, ctx.index = saved
    return nodes


def _compile_path(start, steps):
    if start == ("root",):
        begin = lambda ctx: [ctx.entries()[0]]  # noqa: E731
    elif start == ("context",):
        begin = lambda ctx: [ctx.context_node()]  # noqa: E731
    else:
        begin = compile_nodes(start)
    compiled = [(axis, name, tuple(_compile_predicate(p) for p in predicates)) for axis, name, predicates in steps]

    def run(ctx):
        nodes = begin(ctx)
        for axis, name, predicates in compiled:
            if axis == "filter":
                nodes = _filter(nodes, predicates, ctx)
                continue
            selected, seen = [], set()
            for node in nodes:
                if axis == "child":
                    found = node.children(name)
                elif axis == "parent":
                    found = [node.parent] if node.parent is not None else []
                else:
                    found = [node]
                if predicates:
                    found = _filter(found, predicates, ctx)
                for one in found:
                    if id(one) not in seen:
                        seen.add(id(one))
                        selected.append(one)
            nodes = selected
        return NodeSet(nodes)

    return run


def compile_ast(node):
    """A function of a Context computing the node's value (closures: no tree walk per call)."""
    kind = node[0]
    if kind in ("num", "str"):
        value = node[1]
        return lambda ctx: value
    if kind == "ref":
        name = node[1]
        return lambda ctx: ctx.lookup(name)
    if kind == "last":
        name = node[1]
        return lambda ctx: ctx.last_saved.get(name)
    if kind == "dot":
        return lambda ctx: ctx.dot if ctx.focus is None else NodeSet([ctx.focus])
    if kind == "col":
        column = node[1]
        return lambda ctx: (ctx.choice or {}).get(column, "")
    if kind == "path":
        return _compile_path(node[1], node[2])
    if kind == "neg":
        inner = compile_ast(node[1])
        return lambda ctx: -to_number(inner(ctx))
    if kind == "bin":
        return _compile_binary(node[1], compile_ast(node[2]), compile_ast(node[3]))
    if kind == "call":
        spec = FUNCTIONS[node[1]]
        nodes = spec[3] if len(spec) > 3 else ()
        if nodes == FLEX:
            args = [_compile_flexible(arg) for arg in node[2]]
        else:
            args = [
                compile_nodes(arg) if nodes == NODES or number in nodes else compile_ast(arg)
                for number, arg in enumerate(node[2])
            ]
        return spec[2](*args)
    raise ValueError(f"unknown node {kind!r}")
