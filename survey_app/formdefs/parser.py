"""Load an XLSForm: check the sheets, let pyxform convert it, build the one FormSchema.

loaded = load_form(xlsx_bytes, "household_survey.xlsx", {"villages.csv": csv_bytes})
if loaded.ok: loaded.schema, loaded.xform, loaded.warnings, loaded.attachments, loaded.missing
else: loaded.errors (each with sheet, row, column and a message)
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from pyxform import aliases as pyxform_aliases
from pyxform.parsing.parameters import parse as parse_parameters
from pyxform.parsing.sheet_headers import dealias_and_group_headers
from pyxform.question import Option

from survey_app.formdefs.attachments import Attachment, instance_name, read_attachments
from survey_app.formdefs.messages import LOAD, render
from survey_app.formdefs.schema import Choice, Field, FormSchema, language_code
from survey_app.formdefs.sheets import HOUSEHOLDS, FormError, Item, SheetChecker
from survey_app.formdefs.xform import convert, read_workbook

_CACHE: OrderedDict[str, LoadedForm] = OrderedDict()
_CACHE_SIZE = 16
_LOCK = threading.Lock()
_NAMED = re.compile(r"named '([^']+)'")
_YES = {"yes", "true", "true()"}
_NO = {"no", "false", "false()"}
#: Label of the text question pyxform adds after an `or_other` select, by language code.
OTHER_LABEL = {"vi": "Ghi rõ (khác)", "en": "Specify other."}
#: Key of a list of the external_choices sheet in FormSchema.choices: apart from the choices sheet's lists,
#: which may have the same name (ODK Collect reads the one from itemsets.csv, the other from the XForm).
EXTERNAL = "external_choices:"


@dataclass
class LoadedForm:
    schema: FormSchema | None = None
    xform: str | None = None
    errors: list[FormError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The attached files the form uses, checked, by name.
    attachments: dict[str, Attachment] = field(default_factory=dict)
    #: Files the form refers to that were not attached: it cannot be published until they are.
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.schema is not None and not self.errors


#: Size limit of one attached file when no app is configured (see FORM_ATTACHMENT_MAX_MB).
DEFAULT_ATTACHMENT_BYTES = 10 * 1024 * 1024


def load_form(
    source: bytes | str | Path,
    filename: str | None = None,
    attachments: dict[str, bytes] | None = None,
    *,
    max_attachment_bytes: int = DEFAULT_ATTACHMENT_BYTES,
    entity_lists: frozenset[str] | set[str] = frozenset(),
) -> LoadedForm:
    """Parse an XLSForm (.xlsx, or pyxform's markdown .md) with its attached files; never raises for a bad form.

    `entity_lists`: the entity lists of the ward (besides `households`, which every ward has): a form naming
    `<list>.csv` of one of them, or of a list its own entities sheet declares, gets that file from the server.

    Results are cached by content: pyxform takes about a second on the household form.
    """
    if isinstance(source, Path):
        filename, source = filename or source.name, source.read_bytes()
    data = source.encode() if isinstance(source, str) else source
    digest = hashlib.sha256(data + b"\0" + Path(filename or "form.xlsx").suffix.lower().encode())
    for name in sorted(attachments or {}):
        digest.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(attachments[name]).digest())
    digest.update(str(max_attachment_bytes).encode())
    lists = frozenset(entity_lists) | {HOUSEHOLDS}
    digest.update("\0".join(sorted(lists)).encode())
    key = digest.hexdigest()
    with _LOCK:
        loaded = _CACHE.get(key)
    if loaded is None:
        loaded = _load(data, filename, attachments or {}, max_attachment_bytes, lists)
        with _LOCK:
            _CACHE[key] = loaded
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return LoadedForm(
        loaded.schema, loaded.xform, list(loaded.errors), list(loaded.warnings), dict(loaded.attachments), list(loaded.missing)
    )


def _load(
    source: bytes,
    filename: str | None,
    files: dict[str, bytes] | None = None,
    max_attachment_bytes: int = DEFAULT_ATTACHMENT_BYTES,
    entity_lists: frozenset[str] = frozenset(),
) -> LoadedForm:
    checker = None
    try:
        workbook = read_workbook(source, filename or "form.xlsx")
        checker = SheetChecker(workbook)
        errors = checker.run()
        if errors:
            return LoadedForm(errors=errors)
        attached = read_attachments(files or {}, max_attachment_bytes)
        converted = convert(workbook)
    except FormError as error:
        if error.row is None and checker is not None:  # pyxform named the question but not its row
            named = _NAMED.search(error.params.get("detail", ""))
            item = checker.items.get(named.group(1)) if named else None
            error.row = item.row if item else None
        return LoadedForm(errors=[error])
    served = entity_files(checker.files, entity_lists | {e["list_name"] for e in checker.entities})
    used = {name: attached[name] for name in checker.files if name in attached and name not in served}
    try:
        external = _external_choices(workbook, checker.settings.get("default_language") or "default")
        schema = _Builder(checker.items, checker.settings, checker.files, used, external, served, checker.entities).build(
            converted.pyxform
        )
    except FormError as error:
        return LoadedForm(errors=[error])
    ignored = [f"{w.sheet}{f', {w.column}' if w.column else ''}: {w.message}" for w in checker.warnings]
    ignored += [render(LOAD["attachment_unused"], file=name) for name in attached if name not in checker.files]
    ignored += [render(LOAD["entity_attachment_ignored"], file=name) for name in attached if name in served]
    missing = [name for name in checker.files if name not in attached and name not in served]
    ignored += [
        f"{checker.files[name][1]}, {checker.files[name][3]}: {render(LOAD['attachment_missing'], file=name)}" for name in missing
    ]
    return LoadedForm(
        schema=schema, xform=converted.xform, warnings=ignored + converted.warnings, attachments=used, missing=missing
    )


def _external_choices(workbook, default_language: str) -> dict[str, list[dict]]:
    """The lists of the external_choices sheet, read as pyxform reads the choices sheet (its JSON leaves
    them out: pyxform writes them to itemsets.csv for ODK Collect)."""
    if not workbook.external_choices:
        return {}
    sheet = dealias_and_group_headers(
        sheet_name="external_choices",
        sheet_data=workbook.external_choices,
        sheet_header=workbook.external_choices_header,
        header_aliases=pyxform_aliases.list_header,
        header_columns=set(Option.get_slot_names()),
        default_language=default_language,
    )
    lists: dict[str, list[dict]] = {}
    for row in sheet.data:
        row = dict(row)
        list_name = row.pop("list name", None)  # pyxform's own name of the column
        if list_name and row.get("name") not in (None, ""):
            lists.setdefault(str(list_name), []).append(row)
    return lists


def entity_files(files: dict[str, tuple], lists: set[str] | frozenset[str]) -> set[str]:
    """The data files the form names that are entity lists (`households.csv`, `<list>.csv`): the server builds
    their rows from its own data when the form is served, nothing is attached."""
    return {
        name
        for name, spec in files.items()
        if spec[0] == "data" and PurePath(name).suffix.lower() == ".csv" and instance_name(name) in lists
    }


_SEARCH = re.compile(r"""^\s*search\(\s*['"]([^'"]+)['"]""")


def _search_instance(appearance: str) -> str:
    match = _SEARCH.match(appearance)
    return match.group(1) if match else ""


#: The kinds of the rows pyxform adds to a table-list group (a note, and a select shown as a row of labels).
_GENERATED_KINDS = {"note": "note", "select one": "select_one", "select all that apply": "select_multiple"}


def _default(value, kind: str) -> str | None:
    """The default cell as text; a date's from an Excel date cell ("2025-01-01 00:00:00") without its time."""
    if value is None:
        return None
    text = str(value)
    return text.removesuffix(" 00:00:00") if kind == "date" else text


def _flag(value) -> bool | str:
    """A required/read_only cell: True, False, or the expression deciding it."""
    if value is None or value == "":
        return False
    text = str(value).strip()
    if text.lower() in _YES:
        return True
    if text.lower() in _NO:
        return False
    return text


def _parameters(value, row: int) -> dict[str, str]:
    """pyxform gives the parameters of most types as a dict, of some (image) as the cell's text."""
    if isinstance(value, str):
        value = parse_parameters(value, row)
    return {str(key): str(text) for key, text in (value or {}).items()}


class _Builder:
    """Turns pyxform's JSON into FormSchema, keeping the languages in the order met."""

    def __init__(
        self, items: dict[str, Item], settings: dict[str, str], files=None, attached=None, external=None, served=(), entities=()
    ):
        self.items = items
        #: The lists of the external_choices sheet (pyxform's choice dicts), by their name on the sheet.
        self.external: dict[str, list[dict]] = external or {}
        self.settings = settings
        self.files: dict[str, tuple] = files or {}
        #: Entity list files, built by the server when the form is served.
        self.served = set(served)
        self.entities = list(entities)
        self.attached: dict[str, Attachment] = attached or {}
        self.languages: dict[str, str] = {}  # code -> name
        #: Lists made from attached files (select_*_from_file, search()), by list name.
        self.file_lists: dict[str, list[Choice]] = {}
        #: Calculations pyxform adds itself (a fixed repeat count), by name.
        self.generated: dict[str, str] = {}

    def texts(self, value) -> dict[str, str]:
        if not value:
            return {}
        if isinstance(value, str):
            value = {"default": value}
        result = {}
        for name, text in value.items():
            code = language_code(name)
            self.languages.setdefault(code, name)
            result[code] = text
        return result

    def build(self, data: dict) -> FormSchema:
        fields = self.fields(data.get("children", []))
        choices = {list_name: self.choice_list(items) for list_name, items in (data.get("choices") or {}).items()}
        choices.update(self.file_lists)
        used = {item.list_name for item in self.items.values() if item.kind == "select_one_external"}
        choices.update({EXTERNAL + name: self.choice_list(self.external[name]) for name in sorted(used)})
        default = language_code(self.settings.get("default_language") or "")
        codes = list(self.languages)
        if default not in codes:
            default = codes[0] if codes else "default"
        languages = [{"code": default, "name": self.languages.get(default, default)}] + [
            {"code": code, "name": name} for code, name in self.languages.items() if code != default
        ]
        return FormSchema(
            form_id=self.settings["form_id"],
            version=self.settings["version"],
            title=self.settings.get("form_title") or self.settings["form_id"],
            default_language=default,
            languages=languages,
            fields=fields,
            choices=choices,
            instance_name=self.settings.get("instance_name"),
            instances={instance_name(name): a.rows for name, a in self.attached.items() if a.kind == "data"},
            files={name: "entity" if name in self.served else spec[0] for name, spec in self.files.items()},
            entities=self.entities,
        )

    def choice_list(self, items: list[dict]) -> list[Choice]:
        return [
            Choice(
                name=str(c["name"]),
                label=self.texts(c.get("label")),
                extra={k: str(v) for k, v in c.items() if k not in ("name", "label", "media")},
                media=self.media(c.get("media")),
            )
            for c in items
        ]

    def media(self, value) -> dict[str, dict[str, str]]:
        """pyxform's media ({"image": "a.jpg"} or {"image": {"English (en)": "a.jpg"}}) by language code."""
        return {kind: self.texts(files) for kind, files in (value or {}).items() if files}

    def file_choices(self, file_name: str, name_column: str = "name", label_column: str = "label") -> list[Choice]:
        """Choices from the rows of an attached data file (none while it is not attached)."""
        attachment = self.attached.get(file_name)
        if attachment is None:
            return []
        rows = attachment.rows
        labels = {
            column: column.partition("::")[2] for column in (rows[0] if rows else {}) if column.partition("::")[0] == label_column
        }
        for column in (name_column, label_column):
            if rows and column not in rows[0] and not (column == label_column and labels):
                spec = self.files.get(file_name) or (None, "survey", None, None)
                raise FormError("attachment_columns", spec[1], spec[2], spec[3], {"file": file_name, "column": column})
        result = []
        for row in rows:
            label = {}
            for column, language in labels.items():
                if row.get(column):  # label::English (en) -> "en"; a plain label is the default text
                    label[language_code(language) if language else "default"] = row[column]
            extra = {k: v for k, v in row.items() if k != name_column and k.partition("::")[0] != label_column}
            result.append(Choice(name=str(row.get(name_column, "")), label=label, extra=extra))
        return result

    def fields(self, elements: list[dict]) -> list[Field]:
        result: list[Field] = []
        for element in elements:
            if element.get("name") == "meta" and (element.get("control") or {}).get("bodyless"):
                # pyxform's own group (instanceID, ...): only an audit question is the form's, kept at the top
                result.extend(
                    self.audit(child)
                    for child in element.get("children", [])
                    if child.get("type") == "audit" and child.get("name") in self.items
                )
                continue
            if element.get("name") not in self.items and element.get("type") == "calculate":
                # pyxform's calculate holding a fixed repeat_count ("child_count" = 2): the repeat keeps the number
                self.generated[element["name"]] = (element.get("bind") or {}).get("calculate")
                continue
            previous = result[-1] if result else None
            if previous is not None and previous.or_other and element.get("name") == f"{previous.name}_other":
                result.append(self.other_text(previous))
                continue
            item = self.items.get(element.get("name"))
            if item is not None and item.kind == "ignored":
                continue  # background-audio: accepted, not part of the app's form
            result.append(self.field(element))
        return result

    def field(self, element: dict) -> Field:
        bind = element.get("bind") or {}
        control = element.get("control") or {}
        item = self.items.get(element["name"])
        if item is None:  # a row pyxform adds itself: a table-list group's title note and its row of choice labels
            kind = _GENERATED_KINDS.get(element.get("type"), "note")
            return Field(
                name=element["name"],
                type=kind,
                label=self.texts(element.get("label")),
                hint=self.texts(element.get("hint")),
                appearance=control.get("appearance"),
                list_name=None if kind == "note" else element.get("list_name") or element.get("itemset"),
                read_only=kind == "note",
            )
        kind = item.kind.removeprefix("begin_")
        if element.get("type") == "loop":
            return self.loop(element, item)
        list_name = element.get("list_name")
        appearance = control.get("appearance")
        if item.kind == "select_one_external":  # a select_one over its external list, searched as in Collect
            kind, list_name = "select_one", EXTERNAL + item.list_name
            appearance = appearance or "autocomplete"
        itemset = element.get("itemset")
        if itemset and not list_name and itemset in self.files:  # select_*_from_file: the file is the list
            list_name = itemset
            self.file_lists[itemset] = self.file_choices(itemset)
        elif list_name and appearance and appearance.strip().startswith("search("):
            # ODK's search(): the list's one row names the file's columns giving the value and the label.
            placeholder = (element.get("choices") or [{}])[0]
            label = placeholder.get("label")
            label = next(iter(label.values()), "") if isinstance(label, dict) else label
            file_name = f"{_search_instance(appearance)}.csv"
            self.file_lists[list_name] = self.file_choices(file_name, str(placeholder.get("name", "name")), str(label or "label"))
        return Field(
            name=element["name"],
            type=kind,
            label=self.texts(element.get("label")),
            hint=self.texts(element.get("hint")),
            guidance_hint=self.texts(element.get("guidance_hint")),
            required=_flag(bind.get("required")),
            required_message=self.texts(bind.get("jr:requiredMsg")),
            relevant=bind.get("relevant") or None,
            constraint=bind.get("constraint") or None,
            constraint_message=self.texts(bind.get("jr:constraintMsg")),
            calculate=bind.get("calculate") or None,
            default=_default(element.get("default"), kind),
            read_only=_flag(bind.get("readonly")) is True,
            appearance=appearance,
            list_name=list_name or item.list_name,
            choice_filter=element.get("choice_filter") or None,
            media=self.media(element.get("media")),
            or_other=item.or_other,
            repeat_count=self.repeat_count(control.get("jr:count")),
            parameters=_parameters(element.get("parameters"), item.row),
            trigger=[str(name) for name in element.get("trigger") or []],
            children=self.fields(element.get("children", [])) if kind in ("group", "repeat") else [],
        )

    def loop(self, element: dict, item: Item) -> Field:
        """A pyxform loop as a repeat over a choice list: one entry per choice, in the list's order;
        "%(label)s" in the labels inside stands for the entry's choice label (the phone puts it in)."""
        return Field(
            name=element["name"],
            type="repeat",
            label=self.texts(element.get("label")),
            relevant=(element.get("bind") or {}).get("relevant") or None,
            list_name=item.list_name,
            repeat_count=str(len(element.get("columns") or [])),
            children=self.fields(element.get("children", [])),
        )

    def repeat_count(self, count: str | None) -> str | None:
        """The repeat_count cell: an expression, or the fixed number pyxform moved into a calculate."""
        match = re.fullmatch(r"\$\{([^}]+)\}", (count or "").strip())
        if match and match.group(1) in self.generated:
            return self.generated[match.group(1)]
        return count or None

    def audit(self, element: dict) -> Field:
        """ODK's audit question: its answer names the log file the phone writes (audit.csv), sent beside the record."""
        item = self.items[element["name"]]
        return Field(name=element["name"], type="audit", parameters=_parameters(element.get("parameters"), item.row))

    def other_text(self, select: Field) -> Field:
        """The 'specify other' question pyxform adds after an or_other select, in our terms."""
        label = {code: OTHER_LABEL.get(code, OTHER_LABEL["en"]) for code in self.languages}
        return Field(name=f"{select.name}_other", type="text", label=label, relevant=f"selected(${{{select.name}}}, 'other')")
