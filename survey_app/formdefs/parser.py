"""Load an XLSForm: check the sheets, let pyxform convert it, build the one FormSchema.

    loaded = load_form(xlsx_bytes, "household_survey.xlsx")
    if loaded.ok: loaded.schema, loaded.xform, loaded.warnings
    else: loaded.errors (each with sheet, row, column and a message)
"""
from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from pyxform.parsing.parameters import parse as parse_parameters

from survey_app.formdefs.schema import Choice, Field, FormSchema, language_code
from survey_app.formdefs.sheets import FormError, Item, SheetChecker
from survey_app.formdefs.xform import convert, read_workbook

_CACHE: OrderedDict[str, LoadedForm] = OrderedDict()
_CACHE_SIZE = 16
_LOCK = threading.Lock()
_NAMED = re.compile(r"named '([^']+)'")
_YES = {"yes", "true", "true()"}
_NO = {"no", "false", "false()"}
#: Label of the text question pyxform adds after an `or_other` select, by language code.
OTHER_LABEL = {"vi": "Ghi rõ (khác)", "en": "Specify other."}


@dataclass
class LoadedForm:
    schema: FormSchema | None = None
    xform: str | None = None
    errors: list[FormError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.schema is not None and not self.errors


def load_form(source: bytes | str | Path, filename: str | None = None) -> LoadedForm:
    """Parse an XLSForm (.xlsx, or pyxform's markdown .md); never raises for a bad form.

    Results are cached by content: pyxform takes about a second on the household form.
    """
    if isinstance(source, Path):
        filename, source = filename or source.name, source.read_bytes()
    data = source.encode() if isinstance(source, str) else source
    key = hashlib.sha256(data + b"\0" + Path(filename or "form.xlsx").suffix.lower().encode()).hexdigest()
    with _LOCK:
        loaded = _CACHE.get(key)
    if loaded is None:
        loaded = _load(data, filename)
        with _LOCK:
            _CACHE[key] = loaded
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return LoadedForm(loaded.schema, loaded.xform, list(loaded.errors), list(loaded.warnings))


def _load(source: bytes, filename: str | None) -> LoadedForm:
    checker = None
    try:
        workbook = read_workbook(source, filename or "form.xlsx")
        checker = SheetChecker(workbook)
        errors = checker.run()
        if errors:
            return LoadedForm(errors=errors)
        converted = convert(workbook)
    except FormError as error:
        if error.row is None and checker is not None:  # pyxform named the question but not its row
            named = _NAMED.search(error.params.get("detail", ""))
            item = checker.items.get(named.group(1)) if named else None
            error.row = item.row if item else None
        return LoadedForm(errors=[error])
    schema = _Builder(checker.items, checker.settings).build(converted.pyxform)
    ignored = [f"{w.sheet}{f', {w.column}' if w.column else ''}: {w.message}" for w in checker.warnings]
    return LoadedForm(schema=schema, xform=converted.xform, warnings=ignored + converted.warnings)


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

    def __init__(self, items: dict[str, Item], settings: dict[str, str]):
        self.items = items
        self.settings = settings
        self.languages: dict[str, str] = {}  # code -> name

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
        choices = {
            list_name: [Choice(name=str(c["name"]), label=self.texts(c.get("label")),
                               extra={k: str(v) for k, v in c.items() if k not in ("name", "label")})
                        for c in items]
            for list_name, items in (data.get("choices") or {}).items()
        }
        default = language_code(self.settings.get("default_language") or "")
        codes = list(self.languages)
        if default not in codes:
            default = codes[0] if codes else "default"
        languages = [{"code": default, "name": self.languages.get(default, default)}] + [
            {"code": code, "name": name} for code, name in self.languages.items() if code != default]
        return FormSchema(
            form_id=self.settings["form_id"], version=self.settings["version"],
            title=self.settings.get("form_title") or self.settings["form_id"], default_language=default,
            languages=languages, fields=fields, choices=choices,
            instance_name=self.settings.get("instance_name"),
        )

    def fields(self, elements: list[dict]) -> list[Field]:
        result: list[Field] = []
        for element in elements:
            if element.get("name") == "meta" and (element.get("control") or {}).get("bodyless"):
                continue  # pyxform's own instanceID group
            previous = result[-1] if result else None
            if previous is not None and previous.or_other and element.get("name") == f"{previous.name}_other":
                result.append(self.other_text(previous))
                continue
            result.append(self.field(element))
        return result

    def field(self, element: dict) -> Field:
        bind = element.get("bind") or {}
        control = element.get("control") or {}
        item = self.items[element["name"]]
        kind = item.kind.removeprefix("begin_")
        return Field(
            name=element["name"], type=kind,
            label=self.texts(element.get("label")), hint=self.texts(element.get("hint")),
            guidance_hint=self.texts(element.get("guidance_hint")),
            required=_flag(bind.get("required")), required_message=self.texts(bind.get("jr:requiredMsg")),
            relevant=bind.get("relevant") or None, constraint=bind.get("constraint") or None,
            constraint_message=self.texts(bind.get("jr:constraintMsg")),
            calculate=bind.get("calculate") or None,
            default=None if element.get("default") is None else str(element["default"]),
            read_only=_flag(bind.get("readonly")) is True, appearance=control.get("appearance"),
            list_name=element.get("list_name") or item.list_name, choice_filter=element.get("choice_filter") or None,
            or_other=item.or_other, repeat_count=control.get("jr:count") or None,
            parameters=_parameters(element.get("parameters"), item.row),
            children=self.fields(element.get("children", [])) if kind in ("group", "repeat") else [],
        )

    def other_text(self, select: Field) -> Field:
        """The 'specify other' question pyxform adds after an or_other select, in our terms."""
        label = {code: OTHER_LABEL.get(code, OTHER_LABEL["en"]) for code in self.languages}
        return Field(name=f"{select.name}_other", type="text", label=label,
                     relevant=f"selected(${{{select.name}}}, 'other')")
