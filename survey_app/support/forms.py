"""Forms of the support pages: the ward admin's catalogue of kinds of help."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.planning.scoring import load_rules
from survey_app.support.queries import current_lang
from survey_app.webforms import Form


def gap_choices() -> list[tuple[str, str]]:
    """ "No module" and every training module of the scoring rules, with its title."""
    rules = load_rules(HOUSEHOLD_FORM)
    lang = current_lang()
    return [("", _l("None"))] + [(code, f"{code}: {rules.module(code).title.get(lang) or code}") for code in rules.module_codes]


class ActionForm(Form):
    """A button that only needs the CSRF token (retire, restore)."""


class EditTypeForm(Form):
    name_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(), Length(max=160)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=160)])
    gap_module = SelectField(_l("Survey gap it helps close"), choices=gap_choices)
    sort_order = IntegerField(_l("Position in the list"), default=100, validators=[Optional(), NumberRange(0, 9999)])


class NewTypeForm(EditTypeForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(min=2, max=40),
            Regexp(r"^[a-z0-9_]+$", message=_l("Use only lower-case letters without accents, digits and _.")),
        ],
    )
