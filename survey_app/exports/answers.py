"""Answer columns of the households and persons sheets, from the form's export layout.

The layout (names, labels vi/en, types, choices, the versions each question is in) comes from
formdefs, merged across every version of the household form, so one sheet holds answers from
several versions (a question missing from a version is blank there). Answers are written as
labels in the export's language, and a select_multiple also gets formdefs' 0/1 column per choice
("a8_devices/smartphone"); with `codes`, each select question gets a column with the stored
choice names too. For anyone but ward admins, free-text and GPS questions are left out
(names, phone numbers, addresses and notes are typed there), and so are exact ages and the
sensitive answers the ward admin has not ticked (privacy.py; `Scope.keeps`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from survey_app.clock import local_zone
from survey_app.exports.spec import DATE, DATETIME, DECIMAL, INT, PLAIN, TEXT, Column, Scope
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.formdefs.queries import merged_export_layout

FORM_ID = HOUSEHOLD_FORM
#: The repeat holding one entry per household member.
MEMBERS = "members"
#: Question types whose answers may identify a person (free text, a GPS point).
PERSONAL_TYPES = (
    "text",
    "geopoint",
    "geotrace",
    "geoshape",
    "audio",
    "image",
    "file",
    "barcode",
    "start-geopoint",
    "email",
    "phonenumber",
)
#: A rank is written as a select_multiple's first column: the labels, in the order ranked.
SELECTS = ("select_one", "select_multiple", "rank")
_COLUMN_TYPES = {
    "integer": INT,
    "decimal": DECIMAL,
    "range": DECIMAL,
    "date": DATE,
    "datetime": DATETIME,
    "start": DATETIME,
    "end": DATETIME,
    "today": DATE,
}
_WIDTHS = {INT: 9, DECIMAL: 10, DATE: 11, DATETIME: 16}


def kept(item: dict, scope: Scope) -> bool:
    """Whether a question's answers go out to this scope: every one for ward admins; for anyone else,
    no free text or GPS point (PERSONAL_TYPES), no exact age and no unticked sensitive answer."""
    return scope.personal or (item["type"] not in PERSONAL_TYPES and scope.keeps(item["name"]))


class AnswerLayout:
    """Columns and a row function for the answers of one level (household or member).

    `fields` are formdefs layout fields: {"name", "type", "label": {lang: text}, "choices":
    [{"name", "label"}], "columns": [{"name", "choice", "label"}], "versions": [...]}.
    """

    def __init__(self, fields: list[dict], scope: Scope):
        self._columns: list[Column] = []
        #: Per cell (question name, how, what): how 0 = the value as is, 1 = label from the dict `what`,
        #: 2 = the function `what` (called with answered values only).
        plan: list[tuple[str, int, object]] = []
        zone = local_zone()
        for item in fields:
            if not kept(item, scope):
                continue
            choices = "; ".join(f"{c['name']} = {label_in(c['label'], 'vi', c['name'])}" for c in item.get("choices", ()))
            versions = ", ".join(item.get("versions", ()))
            for column in item["columns"]:
                label_vi, label_en = (label_in(column["label"], lang, column["name"]) for lang in ("vi", "en"))
                if column.get("choice") is not None:  # a 0/1 column of one choice of a select_multiple
                    self._columns.append(Column(column["name"], label_vi, label_en, INT, 8, "0; 1", versions, PLAIN))
                    plan.append((item["name"], CALL, _chosen(column["choice"])))
                    continue
                kind = _COLUMN_TYPES.get(item["type"], TEXT)
                self._columns.append(
                    Column(
                        column["name"],
                        label_vi,
                        label_en,
                        kind,
                        _WIDTHS.get(kind, 18),
                        choices,
                        versions,
                        PLAIN if kind == INT else "",
                    )
                )
                plan.append((item["name"], *_converter(item, scope.lang, zone)))
                if scope.codes and item["type"] in SELECTS:
                    self._columns.append(
                        Column(f"{column['name']}_code", f"{label_vi} (mã)", f"{label_en} (code)", TEXT, 14, choices, versions)
                    )
                    plan.append((item["name"], CALL, _code))
        self._plan = plan
        self._blank = (None,) * len(plan)

    def columns(self) -> list[Column]:
        return list(self._columns)

    def values(self, answers) -> tuple:
        """The answer cells of one household or member (blanks when there are no answers).

        One comprehension with the common cases inline: this runs for every cell of the two
        largest sheets.
        """
        if not isinstance(answers, dict):
            return self._blank
        get = answers.get
        try:
            return tuple(
                [
                    None if (v := get(name)) is None else v if how == AS_IS else what.get(v, v) if how == LABEL else what(v)
                    for name, how, what in self._plan
                ]
            )
        except TypeError:  # a stored answer of an unexpected shape (a list where a choice was due)
            return tuple(_careful(get(name), how, what) for name, how, what in self._plan)


AS_IS, LABEL, CALL = 0, 1, 2


def _careful(value, how: int, what):
    if value is None or how == AS_IS:
        return value
    try:
        return what.get(value, value) if how == LABEL else what(value)
    except TypeError:
        return str(value)


def label_in(texts: dict, lang: str, fallback: str) -> str:
    """A label in `lang`, else in Vietnamese, else `fallback`."""
    return (texts or {}).get(lang) or (texts or {}).get("vi") or fallback


def _converter(item: dict, lang: str, zone) -> tuple[int, object]:
    """(how, what) turns a stored answer into a cell value, for one question."""
    if item["type"] in SELECTS:
        words = {c["name"]: label_in(c["label"], lang, c["name"]) for c in item.get("choices", ())}
        if item["type"] == "select_one":
            return LABEL, words
        return CALL, lambda value: _joined(value, words)
    kind = _COLUMN_TYPES.get(item["type"], TEXT)
    if kind == DATE:
        return CALL, _date
    if kind == DATETIME:
        return CALL, lambda value: _datetime(value, zone)
    return AS_IS, None


def _chosen(choice: str) -> Callable:
    """1 if the choice was ticked, 0 if not (the question was answered: the value is not None)."""
    return lambda value: int(choice in value) if isinstance(value, list) else None


def _joined(value, words: dict):
    if isinstance(value, list):
        return "; ".join(words.get(code, code) for code in value)
    return words.get(value, value)


def _code(value):
    """The stored choice name(s), as ODK exports them: names separated by spaces."""
    return " ".join(map(str, value)) if isinstance(value, list) else value


def _date(value):
    if not isinstance(value, str):
        return value
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return value


def _datetime(value, zone):
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo else moment


@dataclass
class RepeatLayout:
    """The answers of a repeat other than the members (their own sheet): its name, the repeats that
    lead to it from the top of the answer set (`path`, itself last) and its answer columns."""

    name: str
    path: tuple[str, ...]
    layout: AnswerLayout
    #: A loop's choices in entry order ({"name", "label"}), else None.
    loop: list[dict] | None = None


def load_layout(scope: Scope) -> tuple[AnswerLayout, AnswerLayout, list[RepeatLayout]]:
    """Household and member answer layouts of the household form, merged over its versions, and
    those of its other repeats (a second repeat, or one nested in the members), in form order."""
    layout = merged_export_layout(scope.ward_id, FORM_ID)
    sections = layout["sections"] if layout else []
    household = next((s["fields"] for s in sections if s.get("repeat") is None), [])
    members = next((s["fields"] for s in sections if s.get("repeat") == MEMBERS), [])
    parents = {s["repeat"]: s.get("parent") for s in sections if s.get("repeat")}
    others = []
    for section in sections:
        name = section.get("repeat")
        if name is None or name == MEMBERS:
            continue
        path, at = [], name
        while at is not None and at not in path:
            path.insert(0, at)
            at = parents.get(at)
        others.append(RepeatLayout(name, tuple(path), AnswerLayout(section["fields"], scope), section.get("loop")))
    return AnswerLayout(household, scope), AnswerLayout(members, scope), others
