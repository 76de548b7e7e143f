"""Forms of the training-plan pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError

from survey_app.planning.planner import PlanSettings
from survey_app.webforms import Form


class PlanConfigForm(Form):
    """How classes are built: sizes, how far learners may go, how much each trainer takes on."""

    min_size = IntegerField(
        _l("Smallest class (learners)"), default=PlanSettings.min_size, validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    max_size = IntegerField(
        _l("Largest class (learners)"), default=PlanSettings.max_size, validators=[InputRequired(), NumberRange(min=1, max=200)]
    )
    neighbours = IntegerField(
        _l("Neighbouring groups a learner may go to"),
        default=PlanSettings.neighbours,
        validators=[InputRequired(), NumberRange(min=0, max=20)],
    )
    trainer_capacity = IntegerField(
        _l("Classes per trainer"), default=PlanSettings.trainer_capacity, validators=[InputRequired(), NumberRange(min=1, max=20)]
    )

    def validate_max_size(self, field):
        if self.min_size.data is not None and field.data is not None and field.data < self.min_size.data:
            raise ValidationError(_l("The largest class cannot be smaller than the smallest class."))

    def settings(self) -> PlanSettings:
        return PlanSettings(self.min_size.data, self.max_size.data, self.neighbours.data, self.trainer_capacity.data)


class MoveLearnerForm(Form):
    learner = SelectField(_l("Learner"), coerce=int, validators=[DataRequired()])
    target = SelectField(_l("Move to class"), coerce=int, validators=[DataRequired()])


class MergeForm(Form):
    other = SelectField(_l("Merge this class with"), coerce=int, validators=[DataRequired()])


class LockForm(Form):
    """Lock (1) or unlock (0)."""

    locked = HiddenField(default="1")


class ActionForm(Form):
    """A button that only needs the CSRF token (split a class, lock the plan)."""
