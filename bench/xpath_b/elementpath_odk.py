"""Option B of docs/xpath_evaluators.md on the server: elementpath's XPath 2.0 parser (in XPath 1.0
compatibility mode) with the ODK functions registered as external functions, over an ElementTree.

Functions whose ODK meaning differs from an XPath 2.0 built-in of the same name are registered as
odk:name (bench/xpath_b/translate.py renames the calls); the helpers are the app's own
(survey_app/formdefs/odk_library.py), so B differs from A only in the evaluator under them.
External functions get their arguments, not the evaluation context: current() becomes the context
node's absolute path (translate.py) and once(x) is given `.` as a second argument.
A measurement prototype only: not used by the app.
"""

from __future__ import annotations

import math
import random
import re

from elementpath import XPath2Parser, XPathContext
from elementpath.datatypes import AbstractDateTime, UntypedAtomic

from survey_app.formdefs import evaluator as ev
from survey_app.formdefs import odk_library as odk

ODK_NS = "urn:odk"
JR_NS = "http://openrosa.org/javarosa"


def _is_node(item) -> bool:
    return hasattr(item, "string_value") and hasattr(item, "elem")


def items(arg) -> list:
    if arg is None:
        return []
    return list(arg) if isinstance(arg, (list, tuple)) else [arg]


def atom(item):
    """One item as an evaluator value (str, float, bool)."""
    if _is_node(item):
        return item.string_value
    if isinstance(item, UntypedAtomic):
        return str(item)
    if isinstance(item, AbstractDateTime):
        return str(item)
    if isinstance(item, bool):
        return item
    if isinstance(item, (int, float)):
        return float(item)
    if hasattr(item, "is_finite"):  # Decimal
        return float(item)
    return str(item)


def value(arg):
    """An argument as a scalar: a sequence gives its first item (XPath 1.0), empty gives ''."""
    seq = items(arg)
    return atom(seq[0]) if seq else ""


def texts(arg) -> list[str]:
    return [ev.to_string(atom(item)) for item in items(arg)]


def _if(c, a, b):
    return a if _truth(c) else b


def _truth(arg):
    seq = items(arg)
    if not seq:
        return False
    if _is_node(seq[0]):
        return True
    return ev.to_bool(atom(seq[0]))


def _position(arg=None):
    seq = items(arg)
    if not seq:
        return math.nan
    node = seq[0]
    parent = node.parent
    if parent is None:
        return 1.0
    same = [child for child in parent.children if getattr(child, "elem", None) is not None and child.elem.tag == node.elem.tag]
    return float(next(i for i, child in enumerate(same, 1) if child is node))


def _extreme(pick):
    def run(arg):
        numbers = [ev.to_number(t) for t in texts(arg)]
        if not numbers or any(x != x for x in numbers):
            return math.nan
        return float(pick(numbers))

    return run


def _indexed_repeat(name, *pairs):
    names = items(name)
    if not names:
        return []
    target = names[0].elem.tag
    entries = None
    for i in range(0, len(pairs), 2):
        group = items(pairs[i])
        index = ev.to_number(value(pairs[i + 1]))
        if entries is None:
            candidates = group
        else:
            tag = group[0].elem.tag if group else None
            candidates = [c for e in entries for c in e.children if getattr(c, "elem", None) is not None and c.elem.tag == tag]
        if index != index or not index.is_integer() or not 1 <= index <= len(candidates):
            return []
        entries = [candidates[int(index) - 1]]
    return [
        node
        for entry in entries
        for node in entry.iter_descendants()
        if getattr(node, "elem", None) is not None and node.elem.tag == target
    ]


def _choice_name(value_, question, *, instances_root=None):
    return ""  # Enketo resolves labels in the form's itext, outside the evaluator: not prototyped


FUNCTIONS = {
    ("odk", "choose"): _if,  # `if` is reserved in XPath 2.0, even with a prefix
    ("odk", "round"): lambda x, places=0.0: odk.round_half_away(ev.to_number(value(x)), ev.to_number(value(places))),
    ("odk", "max"): _extreme(max),
    ("odk", "min"): _extreme(min),
    ("odk", "sum"): lambda arg: ev._sum([ev.to_number(t) for t in texts(arg)]),
    ("odk", "count"): lambda arg: float(len(items(arg))),
    ("odk", "date"): lambda v: ev.to_date(value(v)),
    ("odk", "position"): _position,
    ("odk", "concat"): lambda *args: "".join("".join(texts(a)) for a in args),
    ("odk", "string-length"): lambda v="": float(len(ev.to_string(value(v)))),
    ("odk", "normalize-space"): lambda v="": " ".join(ev.to_string(value(v)).split()),
    ("odk", "substring-before"): lambda a, b: ev._before(value(a), value(b)),
    ("odk", "substring-after"): lambda a, b: ev._after(value(a), value(b)),
    ("odk", "translate"): lambda a, b, c: ev._translate(value(a), value(b), value(c)),
    ("odk", "boolean"): _truth,
    ("odk", "not"): lambda v: not _truth(v),
    ("odk", "number"): lambda v: ev.to_number(value(v)),
    ("odk", "string"): lambda v: ev.to_string(value(v)),
    ("odk", "true"): lambda: True,
    ("odk", "false"): lambda: False,
    ("odk", "contains"): lambda a, b: ev.to_string(value(b)) in ev.to_string(value(a)),
    ("odk", "starts-with"): lambda a, b: ev.to_string(value(a)).startswith(ev.to_string(value(b))),
    ("odk", "ends-with"): lambda a, b: ev.to_string(value(a)).endswith(ev.to_string(value(b))),
    ("odk", "abs"): lambda v: abs(ev.to_number(value(v))),
    ("odk", "current"): lambda: [],
    ("jr", "choice-name"): _choice_name,
    (None, "indexed-repeat"): _indexed_repeat,
    (None, "count-selected"): lambda v: float(len(ev.items(value(v)))),
    (None, "selected"): lambda v, c: ev.to_string(value(c)) in ev.items(value(v)),
    (None, "selected-at"): lambda v, n: ev._selected_at(value(v), value(n)),
    (None, "regex"): lambda v, p: ev._regex(value(v), value(p)),
    (None, "coalesce"): lambda a, b: value(a) if ev.to_string(value(a)) != "" else value(b),
    (None, "substr"): lambda *a: ev._substr(*(value(x) for x in a)),
    (None, "format-date"): lambda v, p: ev.format_date(value(v), value(p)),
    (None, "format-date-time"): lambda v, p: ev.format_date(value(v), value(p)),
    (None, "decimal-date-time"): lambda v: ev._days_or_nan(ev.to_string(value(v))),
    (None, "decimal-time"): lambda v: odk.decimal_time(ev.to_string(value(v))),
    (None, "int"): lambda v: ev._truncate(ev.to_number(value(v))),
    (None, "pow"): lambda x, y: ev._pow(ev.to_number(value(x)), ev.to_number(value(y))),
    (None, "log"): lambda v: ev._log(ev.to_number(value(v))),
    (None, "log10"): lambda v: math.log10(x) if (x := ev.to_number(value(v))) > 0 else math.nan,
    (None, "sin"): lambda v: math.sin(ev.to_number(value(v))),
    (None, "cos"): lambda v: math.cos(ev.to_number(value(v))),
    (None, "tan"): lambda v: math.tan(ev.to_number(value(v))),
    (None, "asin"): lambda v: math.asin(ev.to_number(value(v))),
    (None, "acos"): lambda v: math.acos(ev.to_number(value(v))),
    (None, "atan"): lambda v: math.atan(ev.to_number(value(v))),
    (None, "atan2"): lambda y, x: math.atan2(ev.to_number(value(y)), ev.to_number(value(x))),
    (None, "sqrt"): lambda v: math.sqrt(x) if (x := ev.to_number(value(v))) >= 0 else math.nan,
    (None, "exp"): lambda v: math.exp(ev.to_number(value(v))),
    (None, "exp10"): lambda v: 10.0 ** ev.to_number(value(v)),
    (None, "pi"): lambda: math.pi,
    (None, "random"): lambda: random.random(),
    (None, "uuid"): lambda n=None: odk.uuid(None if n is None else ev.to_number(value(n))),
    (None, "once"): lambda v, current: value(current) if ev.to_string(value(current)) else value(v),
    (None, "checklist"): lambda lo, hi, *a: ev._checklist(value(lo), value(hi), *(value(x) for x in a)),
    (None, "weighted-checklist"): lambda lo, hi, *a: ev._weighted(value(lo), value(hi), *(value(x) for x in a)),
    (None, "distance"): lambda *args: _geo(odk.distance, [t for a in args for t in texts(a)]),
    (None, "area"): lambda arg: _geo(odk.area, texts(arg)),
    (None, "count-non-empty"): lambda arg: float(sum(1 for t in texts(arg) if t)),
    (None, "join"): lambda sep, arg: ev.to_string(value(sep)).join(texts(arg)),
    (None, "boolean-from-string"): lambda v: ev.to_string(value(v)) in ("true", "1"),
    (None, "digest"): lambda d, a, e="base64": odk.digest(ev.to_string(value(d)), ev.to_string(value(a)), ev.to_string(value(e))),
    (None, "base64-decode"): lambda v: odk.base64_decode(ev.to_string(value(v))),
}


def _geo(measure, texts_):
    points = odk.geopoints(texts_)
    return math.nan if points is None else measure(points)


SEQUENCES = {
    "max",
    "min",
    "sum",
    "count",
    "position",
    "concat",
    "choose",
    "boolean",
    "not",
    "count-non-empty",
    "join",
    "distance",
    "area",
    "indexed-repeat",
}


#: (min, max) arguments of the functions given whole sequences (elementpath needs a fixed signature).
ARITY = {
    "max": (1, 1),
    "min": (1, 1),
    "sum": (1, 1),
    "count": (1, 1),
    "position": (0, 1),
    "concat": (1, 8),
    "choose": (3, 3),
    "boolean": (1, 1),
    "not": (1, 1),
    "count-non-empty": (1, 1),
    "join": (2, 2),
    "distance": (1, 8),
    "area": (1, 1),
    "indexed-repeat": (3, 7),
}
_MISSING = object()


def _fixed(function, low, high):
    names = [f"a{i}" for i in range(high)]
    params = ", ".join(names[:low] + [f"{n}=_MISSING" for n in names[low:]])
    given = ", ".join(names) + ("," if names else "")
    source = f"def call({params}):\n    return function(*[a for a in ({given}) if a is not _MISSING])"
    scope = {"function": function, "_MISSING": _MISSING}
    exec(source, scope)  # noqa: S102 - a signature elementpath can read
    return scope["call"]


def make_parser(today: str, now: str) -> XPath2Parser:
    parser = XPath2Parser(compatibility_mode=True, namespaces={"odk": ODK_NS, "jr": JR_NS})
    for (prefix, name), function in FUNCTIONS.items():
        if name in SEQUENCES:  # arguments that are node sequences must be declared item()* to arrive whole
            low, high = ARITY[name]
            parser.external_function(
                _fixed(function, low, high), name=name, prefix=prefix, sequence_types=("item()*",) * (high + 1)
            )
        else:
            parser.external_function(function, name=name, prefix=prefix, sequence_types=())
    parser.external_function(lambda: today, name="today", sequence_types=())
    parser.external_function(lambda: now, name="now", sequence_types=())
    return parser


def prepare(xpath2: str, context_path: str) -> str:
    """The two argument-passing workarounds: current() -> the context node's path; once(x) -> once(x, .)."""
    xpath2 = xpath2.replace("odk:current()", context_path)
    return re.sub(r"\bonce\(([^()]*(?:\([^()]*\))?[^()]*)\)", r"once(\1, .)", xpath2)


def result(value_):
    """A result as the case table compares it: a node sequence by its string value."""
    seq = value_ if isinstance(value_, list) else [value_]
    if isinstance(value_, list):
        if not value_:
            return ""
        if all(_is_node(x) for x in seq):
            return seq[0].string_value
        if len(seq) == 1:
            return atom(seq[0])
        return " ".join(ev.to_string(atom(x)) for x in seq)
    return atom(value_)


def context_of(root, context_path: str, parser: XPath2Parser):
    context = XPathContext(root)
    node = parser.parse(context_path).evaluate(context)
    context.item = node[0] if isinstance(node, list) and node else context.root
    return context


__all__ = ["XPathContext", "make_parser", "prepare", "result", "context_of"]
