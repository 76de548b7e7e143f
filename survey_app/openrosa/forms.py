"""Forms of the Collect devices page (each a POST with a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional

from survey_app.openrosa.operations import MAX_LABEL
from survey_app.webforms import Form


class DeviceForm(Form):
    label = StringField(_l("Name of the device"), validators=[Optional(), Length(max=MAX_LABEL)])


class RevokeForm(Form):
    """The revoke button: only the CSRF token."""
