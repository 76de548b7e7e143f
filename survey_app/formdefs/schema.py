"""The one internal form schema that validation, the phone, exports and XForms all read.

A FormSchema is built from pyxform's output (see parser.py) and stored as JSON (`to_dict`);
`from_dict` gives it back. Labels are dicts keyed by language code ("vi", "en"): the code in
brackets at the end of an XLSForm language name ("Tiếng Việt (vi)"), else the name itself.

Conventions the app relies on:
* names are unique in the whole form, so an answer set is flat (group names are not keys) and a
  repeat's answers are a list of flat dicts under the repeat's name, one dict per entry; a repeat
  inside a repeat keeps its list under its name inside each entry of the repeat around it:
  {"village": "A", "person": [{"pname": "An", "job": [{"jname": "..."}]}], "plot": [{"crop": "..."}]};
  a repeat that does not apply (or has no entries) may be left out; pyxform's `begin loop over L`
  is a repeat with list_name L and a fixed repeat_count, one entry per choice of L in the list's
  order ("%(label)s" in the labels inside is that choice's label);
* a question reads the answers of its own level and of the levels around it (its entry, the entries
  of the repeats it is nested in, the top level), never those of a repeat it is not inside;
* a read-only question without a calculation (a1_group) is filled in by the app from the visit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from survey_app.formdefs.expressions import Expression, compile_expression

SCHEMA_FORMAT = 1
_LANGUAGE_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\)\s*$")
#: Keys of a serialised Field, in order.
_FIELD_KEYS = (
    "name",
    "type",
    "label",
    "hint",
    "guidance_hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculate",
    "default",
    "read_only",
    "appearance",
    "list_name",
    "choice_filter",
    "or_other",
    "repeat_count",
    "media",
    "parameters",
    "trigger",
)
_TEXTS = ("label", "hint", "guidance_hint", "required_message", "constraint_message")
STRUCTURAL = ("group", "repeat")


def language_code(name: str) -> str:
    """'Tiếng Việt (vi)' -> 'vi'; a name without a code in brackets is its own code."""
    match = _LANGUAGE_CODE.search(name or "")
    return match.group(1).lower() if match else name


@dataclass(eq=False)
class Choice:
    name: str
    label: dict[str, str] = field(default_factory=dict)
    #: Other columns of the choices sheet (used by choice_filter), as text.
    extra: dict[str, str] = field(default_factory=dict)
    #: Media labels: {"image": {lang: file name}, "audio": ...} (files attached beside the form).
    media: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = {"name": self.name, "label": self.label, "extra": self.extra}
        if self.media:
            data["media"] = self.media
        return data

    def row(self) -> dict:
        """What a choice_filter sees: the choice's columns."""
        return {**self.extra, "name": self.name}


@dataclass(eq=False)
class Field:
    """One row of the survey sheet: a question, a calculation, a note, a group or a repeat."""

    name: str
    type: str
    label: dict[str, str] = field(default_factory=dict)
    hint: dict[str, str] = field(default_factory=dict)
    guidance_hint: dict[str, str] = field(default_factory=dict)
    #: True, False, or an expression deciding it.
    required: bool | str = False
    required_message: dict[str, str] = field(default_factory=dict)
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: dict[str, str] = field(default_factory=dict)
    calculate: str | None = None
    default: str | None = None
    read_only: bool = False
    appearance: str | None = None
    list_name: str | None = None
    choice_filter: str | None = None
    or_other: bool = False
    repeat_count: str | None = None
    #: Media labels: {"image": {lang: file name}, "audio": ..., "video": ...}.
    media: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The `parameters` column, as pyxform reads it ("start=1 end=5" -> {"start": "1", "end": "5"}):
    #: range start/end/step, select randomize/seed, and others' (max-pixels, ...) kept as given.
    parameters: dict[str, str] = field(default_factory=dict)
    #: The `trigger` column: questions whose change sets this field's value from its calculation, once
    #: per change (ODK's setvalue); the value then stays as set, or as the surveyor changed it.
    trigger: list[str] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    #: Filled in by FormSchema: the enclosing group or repeat, and the enclosing repeat.
    parent: Field | None = field(default=None, repr=False)
    repeat: Field | None = field(default=None, repr=False)

    @property
    def structural(self) -> bool:
        return self.type in STRUCTURAL

    def number(self, key: str, fallback: float) -> float:
        """A numeric parameter (range start/end/step), or `fallback` when absent or not a number."""
        try:
            return float(self.parameters.get(key, fallback))
        except (TypeError, ValueError):
            return fallback

    @property
    def prefilled(self) -> bool:
        """Read-only with nothing computing it: the app fills it in (e.g. a1_group from the visit)."""
        return self.read_only and not self.calculate and self.type not in ("note", *STRUCTURAL)

    def expression(self, attribute: str) -> Expression | None:
        """The compiled expression in `attribute` (relevant, constraint, ...), or None."""
        source = getattr(self, attribute)
        if not isinstance(source, str) or not source:
            return None
        return compile_expression(source, attribute == "choice_filter")

    def to_dict(self) -> dict:
        data = {key: getattr(self, key) for key in _FIELD_KEYS}
        if not self.parameters:
            del data["parameters"]  # most questions have none: the stored schema and the phone's JSON stay small
        if self.structural:
            data["children"] = [child.to_dict() for child in self.children]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Field:
        values = {key: data[key] for key in _FIELD_KEYS if key in data}
        values["children"] = [cls.from_dict(child) for child in data.get("children", [])]
        return cls(**values)


@dataclass(eq=False)
class FormSchema:
    form_id: str
    version: str
    title: str
    default_language: str
    #: [{"code": "vi", "name": "Tiếng Việt (vi)"}, ...], default language first.
    languages: list[dict]
    fields: list[Field]
    choices: dict[str, list[Choice]]
    instance_name: str | None = None
    #: Rows of the attached data files by instance name ('villages' for villages.csv): pulldata(), search().
    instances: dict[str, list[dict]] = field(default_factory=dict)
    #: Every file the form refers to: {name: "media" | "data" | "entity"}; "media" and "data" files are
    #: attached beside it, an "entity" file (households.csv, <list>.csv) is built from the ward's entity list
    #: each time the form is served (survey_app.collection.entities).
    files: dict[str, str] = field(default_factory=dict)
    #: The entities sheet (ODK Entities): [{"list_name", "row", "label", "create_if", "update_if", "entity_id",
    #: "properties": {property: question name}}], expressions only when given.
    entities: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self.by_name: dict[str, Field] = {}
        self._scopes: dict = {}
        self._repeats: list[Field] | None = None
        self._choice_index = {name: {c.name: c for c in items} for name, items in self.choices.items()}
        self._link(self.fields, None, None)

    def _link(self, fields, parent, repeat):
        for item in fields:
            item.parent, item.repeat = parent, repeat
            self.by_name[item.name] = item
            if item.structural:
                self._link(item.children, item, item if item.type == "repeat" else repeat)

    # ---- reading ----------------------------------------------------------------------

    def walk(self, fields=None):
        """Every field, depth first, in form order."""
        for item in self.fields if fields is None else fields:
            yield item
            if item.structural:
                yield from self.walk(item.children)

    def scope(self, repeat: Field | None = None) -> list[Field]:
        """The non-group fields answered at one level: the household part, or one repeat entry.
        Computed once per level (a schema's fields do not change once it is built); do not modify."""
        key = None if repeat is None else repeat.name
        found = self._scopes.get(key)
        if found is None:
            found = self._scopes[key] = [
                f
                for f in self.walk(self.fields if repeat is None else repeat.children)
                if f.type != "group" and f.repeat is repeat
            ]
        return found

    @property
    def repeats(self) -> list[Field]:
        if self._repeats is None:
            self._repeats = [f for f in self.walk() if f.type == "repeat"]
        return self._repeats

    def choice(self, list_name: str, name: str) -> Choice | None:
        return self._choice_index.get(list_name, {}).get(name)

    def choice_index(self, list_name: str) -> dict[str, Choice]:
        """The choices of a list by name."""
        return self._choice_index.get(list_name, {})

    def text(self, texts: dict[str, str] | None, lang: str) -> str:
        """The text in `lang`, else in the default language, else in any language."""
        if not texts:
            return ""
        for code in (lang, self.default_language):
            if texts.get(code):
                return texts[code]
        return next((value for value in texts.values() if value), "")

    @property
    def language_codes(self) -> list[str]:
        return [language["code"] for language in self.languages]

    def summary(self) -> dict:
        """Counts for the validation report."""
        kinds = [f.type for f in self.walk()]
        return {
            "form_id": self.form_id,
            "version": self.version,
            "title": self.title,
            "questions": sum(1 for k in kinds if k not in ("group", "repeat", "calculate", "note")),
            "calculations": kinds.count("calculate"),
            "notes": kinds.count("note"),
            "groups": kinds.count("group"),
            "repeats": [f.name for f in self.repeats],
            "choice_lists": len(self.choices),
            "languages": [lang["name"] for lang in self.languages],
        }

    # ---- storing ----------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "format": SCHEMA_FORMAT,
            "form_id": self.form_id,
            "version": self.version,
            "title": self.title,
            "default_language": self.default_language,
            "languages": self.languages,
            "instance_name": self.instance_name,
            "fields": [f.to_dict() for f in self.fields],
            "choices": {name: [c.to_dict() for c in items] for name, items in self.choices.items()},
            "instances": self.instances,
            "files": self.files,
            "entities": self.entities,
        }

    @classmethod
    def from_dict(cls, data: dict) -> FormSchema:
        return cls(
            form_id=data["form_id"],
            version=data["version"],
            title=data["title"],
            default_language=data["default_language"],
            languages=data["languages"],
            instance_name=data.get("instance_name"),
            fields=[Field.from_dict(item) for item in data["fields"]],
            choices={name: [Choice(**c) for c in items] for name, items in data["choices"].items()},
            instances=data.get("instances") or {},
            files=data.get("files") or {},
            entities=data.get("entities") or [],
        )
