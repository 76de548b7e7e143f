"""The form that starts a survey round."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from survey_app.webforms import Form


class RoundForm(Form):
    name = StringField(_l("Name of the round"), validators=[DataRequired(message=_l("Give the round a name.")), Length(max=120)])
    starts_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Choose the first day of the round."))])
    ends_on = DateField(_l("Last day (optional)"), validators=[Optional()])
