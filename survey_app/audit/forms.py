from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import Optional

from survey_app.webforms import Form, LocalDateField


class AuditFilterForm(Form):
    """GET filter form: no CSRF needed, it changes nothing."""

    class Meta:
        csrf = False

    user = SelectField(_l("Person"), coerce=lambda v: int(v) if v not in (None, "") else None, validators=[Optional()])
    action = SelectField(_l("Action"), validators=[Optional()])
    since = LocalDateField(_l("From"), validators=[Optional()])
    until = LocalDateField(_l("To"), validators=[Optional()])
    page = IntegerField(validators=[Optional()])
