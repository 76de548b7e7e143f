"""Option B of docs/xpath_evaluators.md, step 1: a case of tests/formdefs/expression_cases.json as real
XPath over an XML instance, the way pyxform and Enketo would see it.

An XLSForm expression becomes XPath as pyxform writes it (${name} -> a path into the instance;
${last-saved#x} and instance('x') -> Enketo's model instances), and the case's answers become an XML
model: <model><instance><data>...</data></instance><instance id="x"><root><item>... The context node
is an element holding the value of `.`, inside the current repeat entry (or the root).
A measurement prototype only: not used by the app.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from survey_app.formdefs.evaluator import format_number

DATA = "/model/instance[1]/data"
#: Functions whose ODK meaning differs from the XPath 2.0 built-in of that name (elementpath gets odk:...).
CLASHES = (
    "if",
    "round",
    "max",
    "min",
    "date",
    "current",
    "concat",
    "sum",
    "count",
    "substring-before",
    "substring-after",
    "translate",
    "boolean",
    "number",
    "string",
    "not",
    "true",
    "false",
    "contains",
    "starts-with",
    "ends-with",
    "abs",
)
_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(float(value))
    if isinstance(value, list):
        return " ".join(text(v) for v in value)
    return str(value)


def element(name: str, value) -> str:
    if isinstance(value, dict):
        return f"<{name}>" + "".join(children(value)) + f"</{name}>"
    return f"<{name}>{escape(text(value))}</{name}>"


def children(values: dict) -> list[str]:
    out = []
    for key, value in values.items():
        if value is None and key != "dot__":
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out.extend(element(key, entry) for entry in value)
        elif isinstance(value, list) and not value:
            continue
        else:
            out.append(element(key, value))
    return out


class Translated:
    """xml (the model), context (absolute XPath of the context node), xpath (ORXE), xpath2 (elementpath)."""

    def __init__(self, case: dict, today: str, now: str):
        values = dict(case.get("values") or {})
        chain = list(case.get("parents") or []) + ([case["member"]] if case.get("member") is not None else [])
        positions = list(case.get("positions") or [])
        self.entry_paths = []  # absolute path of each enclosing entry, outermost first
        # The entries go into the data: inside the repeat list that has them, else a synthetic repeat.
        container, path = values, DATA
        synthetic_root = None
        for level, entry in enumerate(chain):
            position = positions[level] if level < len(positions) else 1
            key = next(
                (
                    k
                    for k, v in container.items()
                    if isinstance(v, list)
                    and len(v) >= position
                    and isinstance(v[position - 1], dict)
                    and v[position - 1] == entry
                ),
                None,
            )
            if key is None:
                key = f"r{level}"
                entry = dict(entry)
                container[key] = [{} for _ in range(position - 1)] + [entry]
                if synthetic_root is None:
                    synthetic_root = key
            else:
                entry = container[key][position - 1]
            path = f"{path}/{key}[{position}]"
            self.entry_paths.append((path, entry))
            container = entry
        # Every question has its element in an ODK instance, answered or not: names the expression
        # reads that the case leaves out become empty elements of the innermost entry.
        for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_.:-]*)\}", case["expr"]):
            if (
                not any(name in entry for _path, entry in self.entry_paths)
                and name not in values
                and _find(values, name, DATA) is None
            ):
                container[name] = ""
        container["dot__"] = case.get("dot")
        self.context = f"{path}/dot__"
        self.values = values
        instances = dict(case.get("instances") or {})
        if case.get("last_saved") is not None:
            last = case["last_saved"]
        else:
            last = {}
        parts = ["<model><instance>", element("data", values), "</instance>"]
        for name, rows in instances.items():
            parts.append(f'<instance id="{name}"><root>' + "".join(element("item", row) for row in rows) + "</root></instance>")
        parts.append('<instance id="last_saved__">' + element("data", last) + "</instance>")
        if case.get("columns"):
            parts.append('<instance id="choice__"><root>' + element("item", case.get("choice") or {}) + "</root></instance>")
        parts.append("</model>")
        self.xml = "".join(parts)
        source = case["expr"]
        if case.get("columns"):
            source = f"boolean(instance('choice__')/root/item[{source}])"
        self.xpath = self.rewrite(source, today, now, False)
        self.xpath2 = self.rewrite(source, today, now, True)

    def ref_path(self, name: str) -> str:
        for path, entry in reversed(self.entry_paths):
            if name in entry:
                return f"{path}/{name}"
        if name in self.values:
            return f"{DATA}/{name}"
        found = _find(self.values, name, DATA)
        return found or f"{DATA}/{name}"

    def rewrite(self, source: str, today: str, now: str, xpath2: bool) -> str:
        source = re.sub(r"\$\{last-saved#([^}]*)\}", r"instance('last_saved__')/data/\1", source)
        source = re.sub(r"\binstance\(\s*('[^']*'|\"[^\"]*\")\s*\)", r"/model/instance[@id=\1]", source)
        pieces, last = [], 0
        for match in _STRING.finditer(source):  # rewrite outside quoted text only
            pieces.append(self._code(source[last : match.start()], today, now, xpath2))
            pieces.append(match.group(0))
            last = match.end()
        pieces.append(self._code(source[last:], today, now, xpath2))
        return "".join(pieces)

    def _code(self, code: str, today: str, now: str, xpath2: bool) -> str:
        code = re.sub(r"\$\{last-saved#([^}]*)\}", r"instance('last_saved__')/data/\1", code)
        code = re.sub(r"\$\{([^}]*)\}", lambda m: self.ref_path(m.group(1)), code)
        code = re.sub(r"(?<![\w)\]'.])/data\b", DATA, code)
        code = code.replace("today()", f"date('{today}')" if not xpath2 else "today()")
        code = code.replace("now()", f"'{now}'" if not xpath2 else "now()")
        if xpath2:
            code = re.sub(r"(?<![\w:-])(" + "|".join(re.escape(n) for n in CLASHES) + r")\(", r"odk:\1(", code)
            code = code.replace("odk:if(", "odk:choose(")
            # with no argument these read the context, which only the built-ins can
            code = re.sub(r"(?<![\w:-])(position|string-length|normalize-space)\((?!\s*\))", r"odk:\1(", code)
        return code


def _find(values: dict, name: str, path: str):
    for key, value in values.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for entry in value:
                if name in entry:
                    return f"{path}/{key}/{name}"
            for entry in value:
                found = _find(entry, name, f"{path}/{key}")
                if found:
                    return found
    return None
