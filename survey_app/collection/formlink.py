"""The collection side's only door into the form engine (survey_app.formdefs)."""

from __future__ import annotations

from datetime import date

from flask_babel import get_locale


def load_form(ward_id: int, form_id: str, version: str):
    """The ward's form at that version, or None when the ward has no such form version."""
    from survey_app.formdefs.queries import get_form

    return get_form(ward_id, form_id, version)


def current_form(ward_id: int, form_id: str):
    from survey_app.formdefs.queries import current_form as current

    return current(ward_id, form_id)


def schema_of(form) -> dict:
    return form.schema


def client_json(form) -> dict:
    """The form as the phone renders it (the same JSON as /api/forms/<form_id>/<version>)."""
    from survey_app.formdefs.layout import client_json as render

    return render(form.schema, str(get_locale() or "vi"))


def validate_answers(form, answers: dict, filled_on: date | None = None) -> list[dict]:
    """Per-field errors [{"field", "index", "code", "message"}], empty when the answers are valid.

    `filled_on` is the ward's date the form was filled in: it decides today() (the survey year).
    """
    from survey_app.formdefs.validation import validate

    return list(validate(schema_of(form), answers, str(get_locale() or "vi"), today=filled_on))


def _text(schema, item, value, lang: str) -> str:
    if item is not None and item.list_name:
        names = value if isinstance(value, list) else [value]
        return ", ".join(schema.text(getattr(schema.choice(item.list_name, n), "label", None), lang) or str(n) for n in names)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _rows(schema, fields, answers: dict, lang: str) -> list[tuple[str, str, str]]:
    """(name, label, answer text) for each answered question of one level, in form order."""
    if schema is None:
        return [
            (key, key, _text(None, None, value, lang))
            for key, value in answers.items()
            if not isinstance(value, list) or all(not isinstance(v, dict) for v in value)
        ]
    return [
        (item.name, schema.text(item.label, lang) or item.name, _text(schema, item, answers[item.name], lang))
        for item in fields
        if item.type not in ("note", "group", "repeat") and item.name in answers
    ]


def labelled_answers(ward_id: int, form_id: str, version: str, answers: dict) -> list[dict]:
    """Answers grouped as the form shows them (household, then each entry of each repeat, an entry's
    nested repeats right after it), with labels in the user's language. Each section's "key" names
    where it is in the answers ("" for the top, "members.0.jobs.2" for an entry)."""
    from flask_babel import gettext as _

    lang = str(get_locale() or "vi")
    form = load_form(ward_id, form_id, version)
    schema = schema_of(form) if form is not None else None
    sections = [
        {"title": _("Household"), "key": "", "rows": _rows(schema, schema.scope(None) if schema else None, answers, lang)}
    ]
    if schema is None:
        for name, value in answers.items():
            if isinstance(value, list) and value and all(isinstance(e, dict) for e in value):
                for index, entry in enumerate(value):
                    sections.append(
                        {
                            "title": _entry_title(None, name, index, entry, lang, _),
                            "key": f"{name}.{index}",
                            "rows": _rows(None, None, entry, lang),
                        }
                    )
        return sections

    def entries(repeats, level_answers, trail, path):
        for repeat in repeats:
            value = level_answers.get(repeat.name)
            for index, entry in enumerate(value if isinstance(value, list) else []):
                if not isinstance(entry, dict):
                    continue
                title = " › ".join([*trail, _entry_title(schema, repeat.name, index, entry, lang, _)])
                rows = _rows(schema, schema.scope(repeat), entry, lang)
                word = _loop_word(schema, repeat, index, lang)
                if word is not None:
                    rows = [(name, text.replace(LOOP_LABEL, word), answer) for name, text, answer in rows]
                key = f"{path}{repeat.name}.{index}"
                sections.append({"title": title, "key": key, "rows": rows})
                entries([f for f in schema.scope(repeat) if f.type == "repeat"], entry, [title], f"{key}.")

    entries([f for f in schema.scope(None) if f.type == "repeat"], answers, [], "")
    return sections


#: In the labels of a loop's questions: the entry's choice label.
LOOP_LABEL = "%(label)s"


def _loop_word(schema, repeat, index: int, lang: str) -> str | None:
    """The choice label an entry of a loop (a repeat over a choice list) stands for, else None."""
    if not repeat.list_name:
        return None
    choices = schema.choices.get(repeat.list_name, [])
    return schema.text(choices[index].label, lang) or choices[index].name if index < len(choices) else None


def _entry_title(schema, name: str, index: int, entry: dict, lang: str, gettext) -> str:
    """ "Member 2: An" for the household form's members, a loop's choice, else "<repeat label> 2"."""
    if name == "members" or schema is None:
        title = gettext("Member %(number)s", number=index + 1)
        return f"{title}: {entry['b0_name']}" if entry.get("b0_name") else title
    repeat = schema.by_name[name]
    label = schema.text(repeat.label, lang) or name
    word = _loop_word(schema, repeat, index, lang)
    if word is not None:
        return label.replace(LOOP_LABEL, word) if LOOP_LABEL in label else word
    return f"{label} {index + 1}"
