from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from survey_app.webforms import Form


class TokenForm(Form):
    """A new token: what it is for, and how long it lasts."""

    name = StringField(_l("What the token is for (e.g. the ward's Excel workbook)"), validators=[DataRequired(), Length(max=80)])
    days = SelectField(
        _l("Valid for"),
        coerce=int,
        choices=[SelectChoice(30, _l("30 days")), SelectChoice(90, _l("90 days")), SelectChoice(365, _l("1 year"))],
        default=365,
    )


class RevokeForm(Form):
    """The revoke button of one token: its id in a hidden field, and the CSRF token."""

    token_id = StringField(validators=[Length(max=20)])
