"""Forms of the classes-held pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from survey_app.training.operations import MAX_TO_COMPLETE, MIN_TO_COMPLETE
from survey_app.webforms import Form


class SessionForm(Form):
    """A new session of a class: day, start time, venue, trainer."""

    held_on = DateField(_l("Day"), validators=[InputRequired(message=_l("Choose the day of the session."))])
    starts_at = StringField(
        _l("Start time"),
        validators=[
            DataRequired(message=_l("Write the start time.")),
            Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Write the start time as hours and minutes, e.g. 19:30.")),
        ],
    )
    venue = StringField(_l("Venue"), validators=[DataRequired(message=_l("Write where the class meets.")), Length(max=160)])
    trainer_name = StringField(_l("Trainer"), validators=[Length(max=120)])
    trainer_user = SelectField(_l("Trainer's account (takes attendance on the phone)"), coerce=int, default=0)


class CompletionForm(Form):
    sessions = IntegerField(
        _l("Sessions a learner must attend to complete the module"),
        validators=[InputRequired(), NumberRange(min=MIN_TO_COMPLETE, max=MAX_TO_COMPLETE)],
    )
    check = BooleanField(
        _l("Learners must also pass the module's short check (its skill questions asked again at the last session)")
    )
