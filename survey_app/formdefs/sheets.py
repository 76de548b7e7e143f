"""Checks on the raw XLSForm sheets, before pyxform sees them: refuse what the app does not support.

Every problem names the sheet, the spreadsheet row (the header is row 1) and the column, so a
ward admin can find it in Excel. Sheets and columns pyxform ignores (a notes sheet, Kobo's
bookkeeping columns, a typo in a header) are ignored here too, each with a warning in the
validation report; what the app knows but does not support, and unknown question types or
functions, are errors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from survey_app.extensions import utcnow
from survey_app.formdefs.expressions import ExpressionError, compile_expression, walk
from survey_app.formdefs.messages import LOAD, render

SHEETS = ("survey", "choices", "settings")
UNSUPPORTED_SHEETS = ("external_choices", "entities", "osm")
TRANSLATABLE = {"label", "hint", "guidance_hint", "required_message", "constraint_message"}
MEDIA = {"image", "big-image", "audio", "video", "media"}
SURVEY_COLUMNS = TRANSLATABLE | {
    "type", "name", "required", "relevant", "constraint", "calculation", "default", "read_only",
    "appearance", "choice_filter", "repeat_count",
}
SURVEY_ALIASES = {"relevance": "relevant", "calculate": "calculation", "readonly": "read_only",
                  "jr:count": "repeat_count", "count": "repeat_count"}
SURVEY_UNSUPPORTED = {"parameters", "trigger", "save_to", "body", "bind", "instance", "autoplay", "rows",
                      "sms_field", "compact_tag"}
CHOICE_COLUMNS = {"list_name", "name", "label"}
CHOICE_ALIASES = {"list name": "list_name", "value": "name"}
SETTINGS_COLUMNS = {"form_title", "form_id", "version", "default_language", "instance_name", "style"}
SETTINGS_ALIASES = {"set_form_title": "form_title", "set_form_id": "form_id"}
SETTINGS_UNSUPPORTED = {"public_key", "submission_url", "auto_send", "auto_delete", "allow_choice_duplicates",
                        "namespaces", "name", "clean_text_values", "omit_instanceid", "prefix", "delimiter"}

SIMPLE_TYPES = {
    "text": "text", "string": "text", "integer": "integer", "int": "integer", "decimal": "decimal",
    "date": "date", "time": "time", "datetime": "datetime", "note": "note", "calculate": "calculate",
    "acknowledge": "acknowledge", "geopoint": "geopoint", "gps": "geopoint",
    "start": "start", "end": "end", "today": "today", "deviceid": "deviceid", "imei": "deviceid",
    "username": "username", "phonenumber": "phonenumber", "email": "email",
}
UNSUPPORTED_TYPES = {
    "image", "photo", "audio", "video", "file", "barcode", "geotrace", "geoshape", "range", "rank", "hidden",
    "xml-external", "csv-external", "audit", "background-audio", "background-geopoint", "start-geopoint",
    "osm", "simserial", "subscriberid", "select_one_from_file", "select_multiple_from_file",
    "select_one_external", "begin_table", "end_table", "trigger",
}
_BLOCK = re.compile(r"^(begin|end)[ _](group|repeat)$")
_SELECT = re.compile(r"^(select_one|select one|select1|select_multiple|select multiple|select all that apply)"
                     r"\s+(\S+)(\s+or_other)?$")
NAME = re.compile(r"^[^\W\d][\w.\-]*$")
#: Any version string pyxform takes ("2024-04-02 00:00:00" included), but no slash (it is part of URLs)
#: nor control characters; versions are ordered by upload, never by their text.
VERSION = re.compile(r"^[^/\x00-\x1f\x7f]{1,40}$")
_LABEL_REF = re.compile(r"\$\{([^}]*)\}")
YES_NO = {"yes", "no", "true", "false", "true()", "false()"}


@dataclass
class FormError(Exception):
    """One problem in a form, with where it is (raised when it stops the loading)."""

    code: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return render(LOAD[self.code], **self.params)

    def __str__(self) -> str:
        return f"{self.sheet or ''}:{self.row or ''}:{self.column or ''} {self.message}"

    def to_dict(self) -> dict:
        return {"code": self.code, "sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message}


@dataclass
class Item:
    """A named row of the survey sheet."""

    name: str
    row: int
    kind: str
    #: Name of the enclosing repeat, or None.
    repeat: str | None
    list_name: str | None = None
    or_other: bool = False


def default_form_id(file_stem: str | None) -> str:
    """A valid XML name from the file's name, as pyxform's default id ("Khảo sát hộ (2)" -> "Khảo_sát_hộ_2")."""
    name = re.sub(r"[^\w.\-]+", "_", (file_stem or "").strip()).strip("_.-")
    if not name or not NAME.match(name):
        name = f"form_{name}" if name else "form"
    return name[:80]


def classify(raw: str) -> tuple[str, str | None, bool] | None:
    """(kind, choice list, or_other) of a type cell; kind 'unsupported' or None when refused."""
    text = " ".join(raw.split())
    lower = text.lower()
    block = _BLOCK.match(lower)
    if block:
        return f"{block.group(1)}_{block.group(2)}", None, False
    select = _SELECT.match(text)
    if select and select.group(1).lower() == select.group(1):
        kind = "select_one" if select.group(1) in ("select_one", "select one", "select1") else "select_multiple"
        return kind, select.group(2), bool(select.group(3))
    if lower in SIMPLE_TYPES:
        return SIMPLE_TYPES[lower], None, False
    if lower.split(" ")[0] in UNSUPPORTED_TYPES:
        return "unsupported", None, False
    return None


class SheetChecker:
    """Runs every check on a pyxform DefinitionData and collects FormErrors."""

    def __init__(self, data):
        self.data = data
        self.errors: list[FormError] = []
        #: Sheets and columns left out (as pyxform does), for the validation report.
        self.warnings: list[FormError] = []
        self.items: dict[str, Item] = {}
        self.columns: dict[str, dict[str, str]] = {}  # sheet -> header -> canonical column
        self.settings: dict[str, str] = {}

    def error(self, code, sheet=None, row=None, column=None, **params):
        self.errors.append(FormError(code, sheet, row, column, params))

    def warn(self, code, sheet=None, row=None, column=None, **params):
        self.warnings.append(FormError(code, sheet, row, column, params))

    def run(self) -> list[FormError]:
        if not self.check_sheets():
            return self.errors
        self.check_headers("survey", SURVEY_COLUMNS, SURVEY_ALIASES, SURVEY_UNSUPPORTED)
        self.check_headers("choices", CHOICE_COLUMNS, CHOICE_ALIASES, set(), extra_allowed=True)
        self.check_headers("settings", SETTINGS_COLUMNS, SETTINGS_ALIASES, SETTINGS_UNSUPPORTED)
        self.check_settings()
        self.scan_survey()
        self.check_expressions()
        return self.errors

    # ---- sheets and columns ---------------------------------------------------------

    def check_sheets(self) -> bool:
        names = list(self.data.sheet_names or [])
        for name in names:
            lower = name.lower()
            if lower in UNSUPPORTED_SHEETS:
                self.error("unsupported_sheet", name, title=name)
            elif lower not in SHEETS:
                self.warn("ignored_sheet", name, title=name)
        if "survey" not in (n.lower() for n in names):
            self.error("no_survey")
        return not self.errors

    def rows(self, sheet: str) -> list[dict]:
        return getattr(self.data, sheet) or []

    def check_headers(self, sheet, known, aliases, unsupported, extra_allowed=False):
        header_rows = getattr(self.data, f"{sheet}_header") or [{}]
        canonical = {}
        for header in header_rows[0]:
            base, has_language, _ = header.partition("::")
            base = aliases.get(base.strip().lower(), base.strip().lower())
            if base in MEDIA:
                self.error("media_column", sheet, 1, header, header=header)
            elif base in unsupported:
                self.error("unsupported_column", sheet, 1, header, header=header)
            elif base in known and has_language and base not in TRANSLATABLE:
                self.error("untranslatable", sheet, 1, header, header=header)
            elif base in known:
                canonical[header] = base
            elif extra_allowed and not has_language:
                canonical[header] = base
            else:
                self.warn("ignored_column", sheet, 1, header, header=header)
        self.columns[sheet] = canonical

    def cells(self, sheet: str, row: dict, column: str) -> list[tuple[str, str]]:
        """(header, value) of every cell of `row` in the canonical `column` (all its languages)."""
        mapping = self.columns[sheet]
        return [(header, value) for header, value in row.items() if mapping.get(header) == column]

    def cell(self, sheet, row, column) -> tuple[str, str] | tuple[None, None]:
        found = self.cells(sheet, row, column)
        return found[0] if found else (None, None)

    def check_settings(self):
        rows = self.rows("settings")
        row = rows[0] if rows else {}
        for header, value in row.items():
            if header in self.columns["settings"]:
                self.settings[self.columns["settings"][header]] = value
        self.default_settings()
        form_id, version = self.settings.get("form_id"), self.settings.get("version")
        if form_id and not NAME.match(form_id):
            self.error("bad_name", "settings", 2, "form_id", name=form_id)
        if version and (not VERSION.match(version) or version == "current"):  # /api/forms/<id>/current
            self.error("bad_version", "settings", 2, "version", version=version)

    def default_settings(self):
        """form_id and version as pyxform defaults them: the id from the file's name, the version from
        the time the form is read (the upload); written into the settings pyxform converts, so the XForm
        carries the same id and version as the app's schema."""
        defaults = {}
        if not self.settings.get("form_id"):
            defaults["form_id"] = default_form_id(getattr(self.data, "fallback_form_name", None))
        if not self.settings.get("version"):
            defaults["version"] = utcnow().strftime("%Y%m%d%H%M%S")
        if not defaults:
            return
        self.settings.update(defaults)
        injected = {("id_string" if key == "form_id" else key): value for key, value in defaults.items()}
        rows = list(self.data.settings or [{}])
        rows[0] = {**rows[0], **injected}
        headers = list(self.data.settings_header or [{}])
        headers[0] = {**headers[0], **{key: key for key in injected}}
        self.data.settings, self.data.settings_header = rows, headers

    # ---- survey rows ----------------------------------------------------------------

    def scan_survey(self):
        """Types, names, choice lists and balanced groups; records every named row."""
        lists = {self.cell("choices", row, "list_name")[1] for row in self.rows("choices")}
        stack: list[Item] = []
        for index, row in enumerate(self.rows("survey")):
            number = index + 2
            if not row:
                continue
            header, raw = self.cell("survey", row, "type")
            if not raw:
                self.error("missing_type", "survey", number, "type")
                continue
            kind = classify(raw)
            if kind is None or kind[0] == "unsupported":
                code = "unknown_type" if kind is None else "unsupported_type"
                self.error(code, "survey", number, header, type=raw)
                continue
            kind, list_name, or_other = kind
            if kind.startswith("end_"):
                if not stack or stack[-1].kind != "begin_" + kind[4:]:
                    self.error("unmatched_end", "survey", number, header, type=raw)
                else:
                    stack.pop()
                continue
            self.add_item(row, number, kind, list_name, or_other, stack, lists)
        for item in stack:
            self.error("unclosed", "survey", item.row, "type", type=item.kind.replace("_", " "))

    def add_item(self, row, number, kind, list_name, or_other, stack, lists):
        name_header, name = self.cell("survey", row, "name")
        if not name:
            self.error("missing_name", "survey", number, "name")
            return
        if not NAME.match(name):
            self.error("bad_name", "survey", number, name_header, name=name)
            return
        repeats = [item for item in stack if item.kind == "begin_repeat"]
        if kind == "begin_repeat" and repeats:
            self.error("nested_repeat", "survey", number, "type")
        if list_name is not None and list_name not in lists:
            self.error("missing_list", "survey", number, "type", list=list_name)
        if name in self.items:
            self.error("duplicate_name", "survey", number, name_header, name=name, other=self.items[name].row)
            return
        item = Item(name, number, kind, repeats[-1].name if repeats else None, list_name, or_other)
        self.items[name] = item
        if or_other:  # pyxform adds a text question <name>_other for "specify other"
            self.items.setdefault(f"{name}_other", Item(f"{name}_other", number, "text", item.repeat))
        if kind.startswith("begin_"):
            stack.append(item)

    # ---- expressions ----------------------------------------------------------------

    def check_expressions(self):
        choice_columns = set(self.columns["choices"].values())
        used_columns: set[str] = set()
        calc_refs: dict[str, set[str]] = {}
        for index, row in enumerate(self.rows("survey")):
            number = index + 2
            item = self.items.get(self.cell("survey", row, "name")[1] or "")
            if item is None or item.row != number:
                continue
            for column in ("relevant", "constraint", "calculation", "choice_filter", "repeat_count",
                           "required", "read_only", "default"):
                header, source = self.cell("survey", row, column)
                if not source:
                    continue
                if column in ("required", "read_only") and source.strip().lower() in YES_NO:
                    continue
                if column == "read_only":
                    self.error("yes_no", "survey", number, header)
                    continue
                if column == "default" and "(" not in source and "${" not in source:
                    continue  # a plain default value
                expression = self.expression(source, "survey", number, header, item.repeat,
                                             columns=column == "choice_filter")
                if expression is None:
                    continue
                if column == "choice_filter":
                    for name in expression.columns - choice_columns:
                        self.error("unknown_filter_column", "survey", number, header, name=name)
                    used_columns |= expression.columns
                if column == "calculation":
                    calc_refs[item.name] = set(expression.refs)
            self.check_text_refs(row, number)
        for header, column in self.columns["choices"].items():
            if column not in CHOICE_COLUMNS and column not in used_columns:
                self.error("unused_column", "choices", 1, header, header=header)
        instance_name = self.settings.get("instance_name")
        if instance_name:
            self.expression(instance_name, "settings", 2, "instance_name", None)
        self.check_cycles(calc_refs)

    def expression(self, source, sheet, number, header, scope, columns=False):
        """The compiled expression, or None after recording why it cannot be used."""
        try:
            expression = compile_expression(source, columns)
        except ExpressionError as exc:
            self.error(f"expr_{exc.code}", sheet, number, header, **exc.params)
            return None
        ok = True
        for name in sorted(expression.refs):
            ok = self.check_ref(name, scope, sheet, number, header, name in expression.nodeset_refs) and ok
        for name in sorted(expression.last_saved - expression.refs):
            ok = self.check_ref(name, None, sheet, number, header, True) and ok
        for node in walk(expression.ast):
            if node[0] == "call" and node[1] == "regex" and node[2][1][0] == "str":
                try:
                    re.compile(node[2][1][1], re.ASCII)
                except re.error as exc:
                    self.error("bad_regex", sheet, number, header, detail=str(exc))
                    ok = False
        return expression if ok else None

    def check_ref(self, name, scope, sheet, number, header, nodeset=False) -> bool:
        """`nodeset`: read as a nodeset (count(${r}), sum(${x}), ${r}[...]/x), so a repeat, or a question
        in a repeat named from outside it (all its answers), is fine."""
        target = self.items.get(name)
        if target is None:
            self.error("unknown_field", sheet, number, header, name=name)
        elif target.kind.startswith("begin_") and not (nodeset and target.kind == "begin_repeat"):
            self.error("not_a_question", sheet, number, header, name=name)
        elif target.repeat is not None and target.repeat != scope and not nodeset:
            self.error("outside_repeat", sheet, number, header, name=name, repeat=target.repeat)
        else:
            return True
        return False

    def check_text_refs(self, row, number):
        """${name} inside labels and hints must name a question in reach."""
        item = self.items.get(self.cell("survey", row, "name")[1] or "")
        for column in ("label", "hint", "guidance_hint", "constraint_message", "required_message"):
            for header, text in self.cells("survey", row, column):
                for name in _LABEL_REF.findall(text):
                    self.check_ref(name, item.repeat if item else None, "survey", number, header)

    def check_cycles(self, calc_refs: dict[str, set[str]]):
        done: set[str] = set()

        def visit(name, path):
            if name in path:
                item = self.items[name]
                self.error("cycle", "survey", item.row, "calculation", name=path[-1])
                return True
            if name in done or name not in calc_refs:
                return False
            done.add(name)
            return any(visit(ref, path + [name]) for ref in calc_refs[name])

        for name in calc_refs:
            if name not in done:
                visit(name, [])
