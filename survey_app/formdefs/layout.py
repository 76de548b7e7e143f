"""What readers of a form get from the schema: the phone's JSON and the export column layout.

Export layout of one version:
    {"form_id", "version", "versions": [...], "sections": [
        {"name": "household", "repeat": None, "fields": [field, ...]},
        {"name": "members", "repeat": "members", "parent": None, "fields": [...]}, ...]}
    one section per repeat, in form order; `parent` is the repeat a nested repeat is inside, `loop`
    the choices of a loop (a repeat with an entry per choice of a list), else None.
    field = {"name", "type", "label": {lang: text}, "list_name", "choices": [{"name", "label"}],
             "columns": [{"name", "choice", "label": {lang: text}}], "versions": [...]}
A select_multiple has a column with the chosen names and one 0/1 column per choice
("a8_devices/smartphone"). `merge_layouts` joins the layouts of several versions of one form so
an export holds answers from all of them: every question of any version, in the newest order.
"""

from __future__ import annotations

import re

from survey_app.formdefs.fieldtypes import TYPES
from survey_app.formdefs.messages import ANSWER, TYPE, render
from survey_app.formdefs.schema import FormSchema

HOUSEHOLD = "household"


def client_json(schema: FormSchema, lang: str) -> dict:
    """The form as the phone renders it, with the generic messages in `lang`.

    Message templates keep their %(name)s placeholders (e.g. %(max)d in "too_many").
    """
    data = schema.to_dict()
    data["lang"] = lang
    data["messages"] = {code: render(message, lang) for code, message in ANSWER.items()}
    data["messages"]["type"] = {key: render(message, lang) for key, message in TYPE.items()}
    return data


def export_layout(schema: FormSchema) -> dict:
    """The export layout of one version."""
    sections = [_section(schema, None)] + [_section(schema, repeat) for repeat in schema.repeats]
    return {"form_id": schema.form_id, "version": schema.version, "versions": [schema.version], "sections": sections}


def _section(schema: FormSchema, repeat) -> dict:
    fields = []
    loop = repeat is not None and bool(repeat.list_name)
    for item in schema.scope(repeat):
        columns = TYPES[item.type].export_columns(item, schema)
        if not columns:
            continue
        if loop:  # "Số người %(label)s": the choice is the row's, not the column's
            columns = [{**column, "label": _without_choice(column["label"])} for column in columns]
        choices = [{"name": c.name, "label": c.label} for c in schema.choices.get(item.list_name, [])]
        fields.append(
            {
                "name": item.name,
                "type": item.type,
                "label": columns[0]["label"],
                "list_name": item.list_name,
                "choices": choices,
                "columns": columns,
                "versions": [schema.version],
            }
        )
    return {
        "name": HOUSEHOLD if repeat is None else repeat.name,
        "repeat": None if repeat is None else repeat.name,
        "parent": repeat.repeat.name if repeat is not None and repeat.repeat is not None else None,
        "loop": _loop_choices(schema, repeat),
        "fields": fields,
    }


def _loop_choices(schema: FormSchema, repeat) -> list[dict] | None:
    """A loop's choices, in entry order (entry n is the n-th choice); None for other sections."""
    if repeat is None or not repeat.list_name:
        return None
    return [{"name": c.name, "label": c.label} for c in schema.choices.get(repeat.list_name, [])]


def _without_choice(texts: dict) -> dict:
    return {lang: re.sub(r"\s*%\(label\)s", "", text).strip(" :") for lang, text in (texts or {}).items()}


def merge_layouts(layouts: list[dict]) -> dict:
    """One layout for several versions of a form, given oldest first; the newest wording wins."""
    newest = layouts[-1]
    return {
        "form_id": newest["form_id"],
        "version": newest["version"],
        "versions": _union(layout["versions"] for layout in layouts),
        "sections": _merge([layout["sections"] for layout in layouts], _merge_section),
    }


def _merge_section(copies: list[dict]) -> dict:
    return {**copies[-1], "fields": _merge([c["fields"] for c in copies], _merge_field)}


def _merge_field(copies: list[dict]) -> dict:
    newest = lambda items: items[-1]  # noqa: E731
    return {
        **copies[-1],
        "versions": _union(c["versions"] for c in copies),
        "choices": _merge([c["choices"] for c in copies], newest),
        "columns": _merge([c["columns"] for c in copies], newest),
    }


def _union(lists) -> list:
    result: list = []
    for items in lists:
        result.extend(item for item in items if item not in result)
    return result


def _merge(lists: list[list[dict]], combine) -> list[dict]:
    """Items (dicts with a "name") of several versions, oldest first, in the newest order.

    An item only older versions have goes right after the item it followed there.
    """
    order = [item["name"] for item in lists[-1]]
    for items in reversed(lists[:-1]):
        previous = None
        for item in items:
            if item["name"] not in order:
                order.insert(order.index(previous) + 1 if previous in order else 0, item["name"])
            previous = item["name"]
    copies: dict[str, list[dict]] = {}
    for items in lists:
        for item in items:
            copies.setdefault(item["name"], []).append(item)
    return [combine(copies[name]) for name in order]
