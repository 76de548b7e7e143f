from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from survey_app.webforms import Form


class LoginForm(Form):
    username = StringField(_l("Username or phone number"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ActionForm(Form):
    """A button that only needs the CSRF token (deactivate, issue a link, revoke a device)."""


class AccountForm(Form):
    """An account as an admin edits it; the view fills the role, ward and team choices."""

    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    username = StringField(_l("Username (a phone number is fine)"), validators=[DataRequired(), Length(max=80)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=20)])
    #: Role, ward and team are checked by the operation (which says what may not be given and why).
    role = SelectField(_l("Role"), validate_choice=False)
    ward_id = SelectField(_l("Ward"), coerce=int, validate_choice=False, default=0)
    team_id = SelectField(_l("Survey team"), coerce=int, validate_choice=False, default=0)
    office = SelectField(_l("Office"))


class AccountFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = StringField(_l("Name, username or phone"), validators=[Optional(), Length(max=80)])
    role = SelectField(_l("Role"), default="")
    status = SelectField(_l("Status"), default="active")
    ward_id = SelectField(_l("Ward"), coerce=int, default=0)
    team_id = SelectField(_l("Survey team"), coerce=int, default=0)


class SetPasswordForm(Form):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
