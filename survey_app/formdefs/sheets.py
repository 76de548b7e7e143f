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

from pyxform.aliases import select as PYXFORM_SELECTS
from pyxform.aliases import select_from_file as PYXFORM_FROM_FILE
from pyxform.parsing.sheet_headers import clean_text_values
from pyxform.xls2json import RE_SELECT

from survey_app.extensions import utcnow
from survey_app.formdefs.expressions import ExpressionError, compile_expression, walk
from survey_app.formdefs.messages import LOAD, render

#: external_choices: the lists of select_one_external questions (ODK Collect writes them to itemsets.csv);
#: entities: ODK Entities (survey_app.collection.entities).
SHEETS = ("survey", "choices", "settings", "external_choices", "entities")
#: Sheets only ODK Collect reads: accepted with a warning (osm: OpenMapKit's tags for its osm questions).
COLLECT_SHEETS = ("osm",)
TRANSLATABLE = {"label", "hint", "guidance_hint", "required_message", "constraint_message"}
#: Media label columns (survey and choices sheets): the file they name is attached beside the form.
MEDIA = {"image", "big-image", "audio", "video"}
SURVEY_COLUMNS = TRANSLATABLE | {
    "type",
    "name",
    "required",
    "relevant",
    "constraint",
    "calculation",
    "default",
    "read_only",
    "appearance",
    "choice_filter",
    "repeat_count",
    "parameters",
    "save_to",
    "trigger",
}
SURVEY_ALIASES = {
    "relevance": "relevant",
    "calculate": "calculation",
    "readonly": "read_only",
    "caption": "label",
    "command": "type",
    "tag": "name",
    "value": "name",
    "jr:constraintmsg": "constraint_message",
    "constraining_message": "constraint_message",
    "jr:requiredmsg": "required_message",
    "requiredmsg": "required_message",
    "jr:count": "repeat_count",
    "count": "repeat_count",
}
#: Columns only ODK Collect or pyxform's SMS and compact modes use: kept in the XForm, ignored by the phone.
SURVEY_IGNORED = {
    "body",
    "bind",
    "instance",
    "autoplay",
    "rows",
    "sms_field",
    "sms_option",
    "sms_separator",
    "sms_allow_media",
    "sms_date_format",
    "sms_datetime_format",
    "sms_response",
    "compact_tag",
    "jr:noapperrorstring",
    "no_app_error_string",
    "noapperrorstring",
    "intent",
}
CHOICE_COLUMNS = {"list_name", "name", "label"}
#: The entities sheet (ODK Entities): one row per entity list the form creates or updates entities of.
ENTITY_COLUMNS = {"list_name", "label", "create_if", "update_if", "entity_id"}
ENTITY_ALIASES = {"dataset": "list_name"}
#: pyxform's entities in a repeat (one entity per entry): not done by the app.
ENTITY_UNSUPPORTED = {"repeat"}
#: An entity list or property name: an XML name without '.', not starting with '__' (ODK's rules).
ENTITY_NAME = re.compile(r"^(?!__)[^\W\d][\w\-]*$")
#: The entity list that is the ward's household registry, and the properties a household keeps
#: (survey_app.collection.entities maps them onto the registry's columns).
HOUSEHOLDS = "households"
HOUSEHOLD_PROPERTIES = ("head_name", "address", "phone", "member_count")
CHOICE_ALIASES = {"value": "name", "caption": "label"}
SETTINGS_COLUMNS = {"form_title", "form_id", "version", "default_language", "instance_name", "style"}
SETTINGS_ALIASES = {"set_form_title": "form_title", "set_form_id": "form_id"}
#: Settings pyxform writes into the XForm for ODK Collect that the app's own phone and server do not use:
#: accepted with a warning (encryption, submission URL, Collect's send and delete choices, the root name, ...).
SETTINGS_IGNORED = {
    "public_key",
    "submission_url",
    "auto_send",
    "auto_delete",
    "allow_choice_duplicates",
    "namespaces",
    "name",
    "clean_text_values",
    "omit_instanceid",
    "prefix",
    "delimiter",
    "xml_root",
    "client_editable",
    "add_none_option",
    "sms_keyword",
    "sms_separator",
    "sms_allow_media",
    "sms_date_format",
    "sms_datetime_format",
    "sms_response",
}

SIMPLE_TYPES = {
    "text": "text",
    "string": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "datetime": "datetime",
    "note": "note",
    "calculate": "calculate",
    "acknowledge": "acknowledge",
    "geopoint": "geopoint",
    "gps": "geopoint",
    "start": "start",
    "end": "end",
    "today": "today",
    "deviceid": "deviceid",
    "imei": "deviceid",
    "username": "username",
    "phonenumber": "phonenumber",
    "email": "email",
    # Media questions: the answer is the name of the file sent with the submission.
    "image": "image",
    "photo": "image",
    "audio": "audio",
    "video": "video",
    "file": "file",
    "range": "range",
    "trigger": "trigger",
    "barcode": "barcode",
    "hidden": "hidden",
    "geotrace": "geotrace",
    "geoshape": "geoshape",
    "start-geopoint": "start-geopoint",
    "audit": "audit",
    "simserial": "simserial",
    "subscriberid": "subscriberid",
}
#: Types the phone records by itself, never shown: the metadata of the XLSForm spec.
METADATA_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "username",
    "phonenumber",
    "email",
    "simserial",
    "subscriberid",
    "start-geopoint",
}
#: Accepted and left out of the app's form, with the warning's message code: the phone does not record in
#: the background, and OpenMapKit's osm questions need ODK Collect with OpenMapKit beside it.
IGNORED_TYPES = {"background-audio": "ignored_type", "osm": "osm_ignored"}
#: Functions whose first argument names a data file (its name without .csv): pulldata('villages', ...).
FILE_FUNCTIONS = ("pulldata", "search")
UNSUPPORTED_TYPES = {
    "xml-external",
    "csv-external",
    "background-geopoint",
    "begin_table",
    "end_table",
}
#: Older spellings of question types that pyxform still reads (its QUESTION_TYPE_DICT), by the name used here.
LEGACY_TYPES = {
    **dict.fromkeys(("add text prompt", "q string", "phone number"), "text"),
    **dict.fromkeys(
        (
            "add integer prompt",
            "q int",
            "percentage",
            "number of days in last month",
            "number of days in last six months",
            "number of days in last year",
        ),
        "integer",
    ),
    **dict.fromkeys(("add decimal prompt", "q decimal"), "decimal"),
    **dict.fromkeys(("add date prompt", "q date"), "date"),
    **dict.fromkeys(("add date time prompt", "add datetime prompt", "q date time", "q datetime", "date time"), "datetime"),
    **dict.fromkeys(("add note prompt", "q note"), "note"),
    **dict.fromkeys(("add calculate prompt", "q calculate"), "calculate"),
    **dict.fromkeys(("add acknowledge prompt", "q acknowledge"), "acknowledge"),
    **dict.fromkeys(("add location prompt", "location", "q location", "q geopoint"), "geopoint"),
    "q geoshape": "geoshape",
    "q geotrace": "geotrace",
    **dict.fromkeys(("add barcode prompt", "q barcode"), "barcode"),
    **dict.fromkeys(("get start time", "start time"), "start"),
    **dict.fromkeys(("get end time", "end time"), "end"),
    "get today": "today",
    **dict.fromkeys(("get device id", "device id", "uri:deviceid"), "deviceid"),
    **dict.fromkeys(("get phone number", "uri:phonenumber"), "phonenumber"),
    "uri:username": "username",
    "uri:email": "email",
    **dict.fromkeys(("get sim id", "sim id", "uri:simserial"), "simserial"),
    **dict.fromkeys(("get subscriber id", "subscriber id", "uri:subscriberid"), "subscriberid"),
    **dict.fromkeys(("q picture", "q image", "add image prompt", "add photo prompt", "photo"), "image"),
    **dict.fromkeys(("q audio", "add audio prompt"), "audio"),
    **dict.fromkeys(("q video", "add video prompt"), "video"),
    "add file prompt": "file",
}
_BLOCK = re.compile(r"^(begin|end)[ _](group|repeat)$")
_SELECT_NAMES = {"select one": "select_one", "select all that apply": "select_multiple"}
#: pyxform's select commands (every spelling it reads) by the kind used here: select_one, select_multiple,
#: select_one_from_file, select_multiple_from_file, or the command itself (rank, select_one_external).
SELECT_KINDS = {
    command: _SELECT_NAMES.get(kind, command) + ("_from_file" if command in PYXFORM_FROM_FILE else "")
    for command, kind in PYXFORM_SELECTS.items()
}
#: pyxform's loop: the questions inside asked once per choice of the list (a repeat with an entry per choice).
_LOOP = re.compile(r"^begin[ _]loop[ _]over\s+(\S+)$", re.IGNORECASE)
_END_LOOP = re.compile(r"^end[ _]loop$", re.IGNORECASE)
NAME = re.compile(r"^[^\W\d][\w.\-]*$")
#: Any version string pyxform takes ("2024-04-02 00:00:00" included), but no slash (it is part of URLs)
#: nor control characters; versions are ordered by upload, never by their text.
VERSION = re.compile(r"^[^/\x00-\x1f\x7f]{1,40}$")
#: Any form id pyxform takes ("Spec test" included) but, as in a version, no slash nor control characters.
FORM_ID = re.compile(r"^[^/\x00-\x1f\x7f]{1,80}$")
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
        return {"code": self.code, "sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


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


def split_header(header: str, double_colon: bool) -> tuple[str, str | None]:
    """(column, language) of a header as pyxform reads it: 'label::Tiếng Việt (vi)', or in a sheet with no
    '::' anywhere the older 'label:English' ('jr:count' stays one name); the column in lower snake case."""
    if double_colon or "::" in header:
        tokens = [t.strip() for t in header.split("::")]
    else:
        tokens = [t.strip() for t in header.split(":")]
        while "jr" in tokens[:-1]:
            at = tokens.index("jr")
            tokens[at : at + 2] = [f"jr:{tokens[at + 1]}"]
    if tokens[0].lower() in ("bind", "media") and len(tokens) > 1:  # 'bind::relevant', 'media::image::English'
        tokens = tokens[1:]
    base = re.sub(r"\s+", "_", tokens[0].lower())
    return base, ("::".join(tokens[1:]) or None)


def default_form_id(file_stem: str | None) -> str:
    """A valid XML name from the file's name, as pyxform's default id ("Khảo sát hộ (2)" -> "Khảo_sát_hộ_2")."""
    name = re.sub(r"[^\w.\-]+", "_", (file_stem or "").strip()).strip("_.-")
    if not name or not NAME.match(name):
        name = f"form_{name}" if name else "form"
    return name[:80]


def from_file(raw: str | None) -> bool:
    """Whether a type cell is a select over an attached file (select_one_from_file, 'select one from file', ...)."""
    select = RE_SELECT.match(" ".join((raw or "").split()))
    return bool(select) and select.group("select_command") in PYXFORM_FROM_FILE


def classify(raw: str) -> tuple[str, str | None, bool] | None:
    """(kind, choice list, or_other) of a type cell; kind 'unsupported' or None when refused."""
    text = " ".join(raw.split())
    lower = text.lower()
    block = _BLOCK.match(lower)
    if block:
        return f"{block.group(1)}_{block.group(2)}", None, False
    loop = _LOOP.match(text)
    if loop:
        return "begin_repeat", loop.group(1), False
    if _END_LOOP.match(text):
        return "end_repeat", None, False
    select = RE_SELECT.match(text)
    if select:
        kind = SELECT_KINDS[select.group("select_command")].removesuffix("_from_file")  # a file's rows: its list
        if kind == "rank" and not select.group("specify_other"):
            return "rank", select.group("list_name"), False
        if kind == "select_one_external" and not select.group("specify_other"):  # a list of external_choices
            return kind, select.group("list_name"), False
        if kind not in ("select_one", "select_multiple"):
            return "unsupported", None, False
        return kind, select.group("list_name"), bool(select.group("specify_other"))
    lower = LEGACY_TYPES.get(lower, lower)
    if lower in SIMPLE_TYPES:
        return SIMPLE_TYPES[lower], None, False
    if lower.split(" ")[0] in IGNORED_TYPES:  # "osm", or "osm tags" naming its list on the osm sheet
        return "ignored", None, False
    if lower.split(" ")[0] in UNSUPPORTED_TYPES:
        return "unsupported", None, False
    return None


def _bare_name(source: str) -> bool:
    """Whether an expression is a bare name ('l1'): a path to a child of the form's root, never a question."""
    try:
        return not compile_expression(source)
    except ExpressionError as exc:
        return exc.code == "bare_name"


class SheetChecker:
    """Runs every check on a pyxform DefinitionData and collects FormErrors."""

    def __init__(self, data):
        self.data = data
        self.errors: list[FormError] = []
        #: Sheets and columns left out (as pyxform does), for the validation report.
        self.warnings: list[FormError] = []
        self.items: dict[str, Item] = {}
        #: Repeat name -> the repeat it is nested in (None at the top level).
        self.repeat_parents: dict[str, str | None] = {}
        self.columns: dict[str, dict[str, str]] = {}  # sheet -> header -> canonical column
        self.settings: dict[str, str] = {}
        #: Files the form refers to, to be attached: name -> (kind "media"/"data", sheet, row, column).
        self.files: dict[str, tuple[str, str, int, str]] = {}
        #: The entities sheet's rows: {"list_name", "row", "label", "create_if", "update_if", "entity_id",
        #: "properties": {property: question name}} (the expressions only when given).
        self.entities: list[dict] = []

    def error(self, code, sheet=None, row=None, column=None, **params):
        self.errors.append(FormError(code, sheet, row, column, params))

    def warn(self, code, sheet=None, row=None, column=None, **params):
        self.warnings.append(FormError(code, sheet, row, column, params))

    def run(self) -> list[FormError]:
        if not self.check_sheets():
            return self.errors
        self.check_headers("survey", SURVEY_COLUMNS, SURVEY_ALIASES, set(), ignored=SURVEY_IGNORED)
        self.check_headers("choices", CHOICE_COLUMNS, CHOICE_ALIASES, set(), extra_allowed=True)
        self.check_headers("external_choices", CHOICE_COLUMNS, CHOICE_ALIASES, set(), extra_allowed=True)
        self.check_headers("settings", SETTINGS_COLUMNS, SETTINGS_ALIASES, set(), ignored=SETTINGS_IGNORED)
        if self.data.entities is not None or "entities" in (n.lower() for n in self.data.sheet_names or []):
            self.check_headers("entities", ENTITY_COLUMNS, ENTITY_ALIASES, ENTITY_UNSUPPORTED)
        else:
            self.columns["entities"] = {}
        self.check_settings()
        self.scan_survey()
        self.check_entities()
        self.check_expressions()
        self.scan_media()
        return self.errors

    # ---- sheets and columns ---------------------------------------------------------

    def check_sheets(self) -> bool:
        names = list(self.data.sheet_names or [])
        for name in names:
            lower = name.lower()
            if lower in COLLECT_SHEETS:
                self.warn("osm_sheet", name, title=name)
            elif lower not in SHEETS:
                self.warn("ignored_sheet", name, title=name)
        if self.data.survey is None:  # pyxform reads a workbook of one sheet as the survey, whatever its name
            self.error("no_survey")
        elif "survey" not in (n.lower() for n in names):
            self.warnings = [w for w in self.warnings if w.code != "ignored_sheet"]
        return not self.errors

    def rows(self, sheet: str) -> list[dict]:
        return getattr(self.data, sheet) or []

    def check_headers(self, sheet, known, aliases, unsupported, extra_allowed=False, ignored=frozenset()):
        header_rows = getattr(self.data, f"{sheet}_header") or [{}]
        double_colon = any("::" in header for header in header_rows[0])
        canonical = {}
        for header in header_rows[0]:
            base, language = split_header(header, double_colon)
            base = aliases.get(base, base)
            if base in MEDIA and sheet in ("survey", "choices"):
                canonical[header] = base
            elif base in unsupported:
                self.error("unsupported_column", sheet, 1, header, header=header)
            elif base == "public_key" and sheet == "settings":
                self.warn("unencrypted", sheet, 1, header, header=header)
            elif base in ignored or (header.lower().startswith("bind:") and base not in known):
                self.warn("ignored_setting", sheet, 1, header, header=header)
            elif base in known and language and base not in TRANSLATABLE:
                self.error("untranslatable", sheet, 1, header, header=header)
            elif base in known:
                canonical[header] = base
            elif extra_allowed and not language:
                canonical[header] = header.strip()
            else:
                self.warn("ignored_column", sheet, 1, header, header=header)
        self.columns[sheet] = canonical

    def cells(self, sheet: str, row: dict, column: str) -> list[tuple[str, str]]:
        """(header, value) of every cell of `row` in the canonical `column` (all its languages), with
        "smart" quotes made plain, as pyxform reads every cell."""
        mapping = self.columns[sheet]
        return [(header, clean_text_values(value)) for header, value in row.items() if mapping.get(header) == column]

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
        if form_id and not FORM_ID.match(form_id):
            self.error("bad_form_id", "settings", 2, "form_id", form_id=form_id)
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
        external = {self.cell("external_choices", row, "list_name")[1] for row in self.rows("external_choices")}
        stack: list[Item] = []
        for index, row in enumerate(self.rows("survey")):
            number = index + 2
            if not row:
                continue
            header, raw = self.cell("survey", row, "type")
            if not raw:
                if self.cell("survey", row, "name")[1] or self.cell("survey", row, "label")[1]:
                    self.error("missing_type", "survey", number, "type")
                else:  # a comment row, which pyxform skips
                    self.warn("comment_row", "survey", number)
                continue
            kind = classify(raw)
            if kind is None and " ".join(raw.split()).lower() == "rank":
                self.error("rank_list", "survey", number, header)
                continue
            if kind is None or kind[0] == "unsupported":
                code = "unknown_type" if kind is None else "unsupported_type"
                self.error(code, "survey", number, header, type=raw)
                continue
            kind, list_name, or_other = kind
            if kind == "ignored":
                code = IGNORED_TYPES[" ".join(raw.split()).lower().split(" ")[0]]
                self.warn(code, "survey", number, header, type=raw)
            if list_name is not None and from_file(raw):
                self.need(list_name, "data", "survey", number, header)
            if kind.startswith("end_"):
                if not stack or stack[-1].kind != "begin_" + kind[4:]:
                    self.error("unmatched_end", "survey", number, header, type=raw)
                else:
                    stack.pop()
                continue
            if kind == "select_one_external" and list_name not in external:
                self.error("missing_external_list", "survey", number, header, list=list_name)
                continue
            self.add_item(row, number, kind, list_name, or_other, stack, external if kind == "select_one_external" else lists)
        for item in stack:
            self.error("unclosed", "survey", item.row, "type", type=item.kind.replace("_", " "))

    def row_name(self, row, number) -> tuple[str | None, str | None]:
        """(header, name) of a survey row; a note without a name gets pyxform's generated one."""
        header, name = self.cell("survey", row, "name")
        if not name and (classify(self.cell("survey", row, "type")[1] or "") or ("",))[0] == "note":
            return header, f"generated_note_name_{number}"
        return header, name

    def add_item(self, row, number, kind, list_name, or_other, stack, lists):
        name_header, name = self.row_name(row, number)
        if not name:
            self.error("missing_name", "survey", number, "name")
            return
        if not NAME.match(name):
            self.error("bad_name", "survey", number, name_header, name=name)
            return
        repeats = [item for item in stack if item.kind == "begin_repeat"]
        if list_name is not None and list_name not in lists and not from_file(self.cell("survey", row, "type")[1]):
            self.error("missing_list", "survey", number, "type", list=list_name)
        if name in self.items:
            self.error("duplicate_name", "survey", number, name_header, name=name, other=self.items[name].row)
            return
        if kind == "audit" and re.search(
            r"location|track-changes|identify-user|track-changes-reasons", self.cell("survey", row, "parameters")[1] or ""
        ):
            self.warn("audit_partial", "survey", number, "parameters", name=name)
        item = Item(name, number, kind, repeats[-1].name if repeats else None, list_name, or_other)
        self.items[name] = item
        if or_other:  # pyxform adds a text question <name>_other for "specify other"
            self.items.setdefault(f"{name}_other", Item(f"{name}_other", number, "text", item.repeat))
        if kind == "begin_repeat":
            self.repeat_parents[name] = item.repeat
        if kind.startswith("begin_"):
            stack.append(item)

    # ---- entities (ODK Entities) -----------------------------------------------------

    def check_entities(self):
        """The entities sheet (list_name, label, create_if, update_if, entity_id) and the save_to column."""
        rows: dict[str, dict] = {}
        for index, row in enumerate(self.rows("entities")):
            number = index + 2
            if not row or not any(str(value).strip() for value in row.values() if value is not None):
                continue
            header, name = self.cell("entities", row, "list_name")
            name = (name or "").strip()
            if not name:
                self.error("entity_list_missing", "entities", number, "list_name")
                continue
            if not ENTITY_NAME.match(name):
                self.error("entity_list_name", "entities", number, header, name=name)
                continue
            if name in rows:
                self.error("entity_list_twice", "entities", number, header, name=name, other=rows[name]["row"])
                continue
            entry = {"list_name": name, "row": number, "properties": {}}
            for column in ("label", "create_if", "update_if", "entity_id"):
                column_header, source = self.cell("entities", row, column)
                if source and str(source).strip():
                    entry[column] = str(source).strip()
                    if _bare_name(entry[column]):  # XPath reads it as a path to no question, as ODK does: empty
                        self.warn("entity_expression_empty", "entities", number, column_header, name=entry[column])
                        entry[column] = "''"
                    else:
                        self.expression(entry[column], "entities", number, column_header, None)
            creates = "entity_id" not in entry or "create_if" in entry
            if creates and "label" not in entry:
                self.error("entity_label", "entities", number, "label", name=name)
            if "update_if" in entry and "entity_id" not in entry:
                self.error("entity_id_needed", "entities", number, "update_if", name=name)
            if "entity_id" in entry:  # ODK Central orders updates by version and flags conflicts; the app does not
                self.warn("entity_update_order", "entities", number, "entity_id", name=name)
            rows[name] = entry
        self.entities = list(rows.values())
        saved: dict[tuple[str, str], int] = {}
        for index, row in enumerate(self.rows("survey")):
            number = index + 2
            header, target = self.cell("survey", row, "save_to")
            target = str(target or "").strip()
            if not target:
                continue
            if not rows:
                self.error("save_to_no_entities", "survey", number, header)
                continue
            list_name, _, prop = target.rpartition("#")
            if not list_name:
                if len(rows) > 1:
                    self.error("save_to_which_list", "survey", number, header, name=prop)
                    continue
                list_name = next(iter(rows))
            elif list_name not in rows:
                self.error("save_to_unknown_list", "survey", number, header, list=list_name)
                continue
            if prop.lower() in ("name", "label") or prop.startswith("__"):
                self.error("save_to_reserved", "survey", number, header, name=prop)
                continue
            if not ENTITY_NAME.match(prop):
                self.error("save_to_bad", "survey", number, header, name=prop)
                continue
            item = self.items.get(self.row_name(row, number)[1] or "")
            if item is None or item.row != number:
                continue
            if item.kind.startswith("begin_") or item.kind in ("note", "ignored"):
                self.error("save_to_not_question", "survey", number, header, name=item.name)
                continue
            if item.repeat is not None:
                self.error("save_to_repeat", "survey", number, header, name=item.name, repeat=item.repeat)
                continue
            if (list_name, prop) in saved:
                self.error("save_to_twice", "survey", number, header, name=prop, other=saved[(list_name, prop)])
                continue
            saved[(list_name, prop)] = number
            rows[list_name]["properties"][prop] = item.name
            if list_name == HOUSEHOLDS and prop not in HOUSEHOLD_PROPERTIES:
                self.warn(
                    "household_property_ignored", "survey", number, header, name=prop, known=", ".join(HOUSEHOLD_PROPERTIES)
                )

    # ---- expressions ----------------------------------------------------------------

    def check_expressions(self):
        columns_of = {
            sheet: set(self.columns[sheet].values()) | set(self.columns[sheet]) for sheet in ("choices", "external_choices")
        }
        calc_refs: dict[str, set[str]] = {}
        for index, row in enumerate(self.rows("survey")):
            number = index + 2
            item = self.items.get(self.row_name(row, number)[1] or "")
            if item is None or item.row != number:
                continue
            for column in (
                "relevant",
                "constraint",
                "calculation",
                "choice_filter",
                "repeat_count",
                "required",
                "read_only",
                "default",
                "appearance",
            ):
                header, source = self.cell("survey", row, column)
                if not source:
                    continue
                if column in ("required", "read_only") and source.strip().lower() in YES_NO:
                    continue
                if column == "read_only":
                    self.error("yes_no", "survey", number, header)
                    continue
                if column == "default" and "(" not in source and "${" not in source:
                    self.check_plain_default(item, source, number, header)
                    continue
                if column == "appearance" and not source.strip().startswith("search("):
                    continue  # a plain appearance (the search() appearance is an expression)
                expression = self.expression(source, "survey", number, header, item.repeat, columns=column == "choice_filter")
                if expression is None:
                    continue
                # XPath reads a missing column as empty: ODK accepts it (a file's columns are its own)
                if column == "choice_filter" and not from_file(self.cell("survey", row, "type")[1]):
                    external = item.kind == "select_one_external"
                    for name in sorted(expression.columns):
                        if "::" in name:  # XPath reads 'label::English' as an axis, not a column
                            self.error("filter_axis", "survey", number, header, name=name)
                        elif name not in columns_of["external_choices" if external else "choices"]:
                            self.warn(
                                "unknown_external_filter_column" if external else "unknown_filter_column",
                                "survey",
                                number,
                                header,
                                name=name,
                            )
                if column == "calculation":
                    calc_refs[item.name] = set(expression.refs)
            self.check_seed(row, number, item)
            self.check_text_refs(row, number)
        instance_name = self.settings.get("instance_name")
        if instance_name:
            try:
                bare = not compile_expression(instance_name)
            except ExpressionError as exc:
                bare = exc.code == "bare_name"
            if bare:  # XPath reads a bare name as a child of the form's root: ODK names every record ''
                self.warn("instance_name_empty", "settings", 2, "instance_name", name=instance_name)
                self.settings.pop("instance_name")
            else:
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
            if node[0] == "call" and node[1] in FILE_FUNCTIONS and node[2][0][0] == "str":
                self.need(f"{node[2][0][1]}.csv", "data", sheet, number, header)
            if node[0] == "call" and node[1] == "regex" and node[2][1][0] == "str":
                try:
                    re.compile(node[2][1][1], re.ASCII)
                except re.error as exc:
                    self.error("bad_regex", sheet, number, header, detail=str(exc))
                    ok = False
        return expression if ok else None

    def check_plain_default(self, item, value, number, header):
        """A plain default must be a possible answer: a number for numbers, a date, names of the list's choices."""
        text = str(value).strip()
        if item.kind == "integer":
            ok = re.fullmatch(r"[+-]?\d+", text) is not None
        elif item.kind in ("decimal", "range"):
            ok = re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text) is not None
        elif item.kind == "date":  # Excel's date cells come as "YYYY-MM-DD 00:00:00"
            ok = re.fullmatch(r"\d{4}-\d{2}-\d{2}( 00:00:00)?", text) is not None
        elif item.kind in ("select_one", "select_multiple", "rank", "select_one_external") and item.list_name:
            sheet = "external_choices" if item.kind == "select_one_external" else "choices"
            names = {
                str(self.cell(sheet, row, "name")[1])
                for row in self.rows(sheet)
                if self.cell(sheet, row, "list_name")[1] == item.list_name
            }
            words = text.split() if item.kind not in ("select_one", "select_one_external") else [text]
            ok = all(word in names for word in words)
        else:
            return
        if not ok:
            self.error("bad_default", "survey", number, header, value=text)

    def check_seed(self, row, number, item):
        """A select's `randomize` seed may be an expression (seed=${household_id}): its references must reach."""
        header, source = self.cell("survey", row, "parameters")
        seed = re.search(r"(?:^|[\s,;])seed\s*=\s*([^\s,;]+)", source or "", re.IGNORECASE)
        if seed and ("${" in seed.group(1) or "(" in seed.group(1)):
            self.expression(seed.group(1), "survey", number, header, item.repeat)

    def need(self, name, kind, sheet, number, header):
        """Record a file the form refers to (the first place that names it)."""
        self.files.setdefault(name, (kind, sheet, number, header))

    def scan_media(self):
        """Files named in the media columns of the survey and choices sheets."""
        for sheet in ("survey", "choices"):
            for index, row in enumerate(self.rows(sheet)):
                for column in sorted(MEDIA):
                    for header, value in self.cells(sheet, row, column):
                        if value and str(value).strip():
                            self.need(str(value).strip(), "media", sheet, index + 2, header)

    def check_ref(self, name, scope, sheet, number, header, nodeset=False) -> bool:
        """`nodeset`: read as a nodeset (count(${r}), sum(${x}), ${r}[...]/x), so a repeat, or a question
        in a repeat named from outside it (all its answers), is fine."""
        target = self.items.get(name)
        if target is None:
            self.error("unknown_field", sheet, number, header, name=name)
        elif target.kind.startswith("begin_") and not (nodeset and target.kind == "begin_repeat"):
            self.error("not_a_question", sheet, number, header, name=name)
        elif target.repeat is not None and target.repeat not in self.enclosing(scope) and not nodeset:
            self.error("outside_repeat", sheet, number, header, name=name, repeat=target.repeat)
        else:
            return True
        return False

    def enclosing(self, repeat: str | None) -> list[str]:
        """The repeat and the repeats around it, innermost first (the entries a reference can read)."""
        chain = []
        while repeat is not None:
            chain.append(repeat)
            repeat = self.repeat_parents.get(repeat)
        return chain

    def check_text_refs(self, row, number):
        """${name} inside labels and hints must name a question in reach."""
        item = self.items.get(self.row_name(row, number)[1] or "")
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
