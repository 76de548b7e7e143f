"""Forms of the settings pages: a ward's settings and a city's plan targets."""

from __future__ import annotations

from babel.numbers import get_decimal_symbol
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from survey_app.exports.privacy import SENSITIVE_TOPICS
from survey_app.wards import targets
from survey_app.wards.models import WardKind
from survey_app.webforms import Form, LocalDateField

#: Prefix of the field of each targetable indicator: target_vneid_level2...
TARGET_PREFIX = "target_"


class PercentField(StringField):
    """A percentage typed as "82" or "82,5" (empty: no value of its own); `.data` is the share 0..1 or None."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        try:
            self.data = targets.parse_percent(valuelist[0])
        except targets.TargetError as error:
            raise ValueError(str(error.args[0])) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return targets.percent_text(self.data, get_decimal_symbol(str(get_locale() or "vi")))


def _with_target_fields(form_class):
    """Add one percentage field per indicator that may carry a target (labels come from the dashboard's words)."""
    for key in targets.TARGETABLE:
        setattr(form_class, TARGET_PREFIX + key, PercentField(key))
    return form_class


class TargetsForm(Form):
    """The plan targets typed on a page: {key: share, or None to inherit}."""

    def target_fields(self) -> list[tuple[str, PercentField]]:
        return [(key, self[TARGET_PREFIX + key]) for key in targets.TARGETABLE]

    def target_values(self) -> dict[str, float | None]:
        return {key: field.data for key, field in self.target_fields()}

    @classmethod
    def initial_targets(cls, stored) -> dict[str, float]:
        """Field data for a stored {key: share}."""
        return {TARGET_PREFIX + key: share for key, share in targets.clean(stored).items()}


@_with_target_fields
class CityTargetsForm(TargetsForm):
    pass


@_with_target_fields
class WardSettingsForm(TargetsForm):
    name = StringField(
        _l("Name of the ward or commune"),
        validators=[
            DataRequired(message=_l("Type the name of the ward or commune.")),
            Length(max=120, message=_l("The name may have at most %(max)d characters.")),
        ],
    )
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice(WardKind.WARD.value, _l("Ward (phường)")),
            SelectChoice(WardKind.COMMUNE.value, _l("Commune (xã)")),
        ],
        invalid_choice_message=_l("Choose ward (phường) or commune (xã)."),
    )
    citizen_app_name = StringField(
        _l("Name of the city's citizen app"),
        validators=[Length(max=80, message=_l("The name may have at most %(max)d characters."))],
    )
    survey_starts_on = LocalDateField(_l("First day of the survey"))
    survey_ends_on = LocalDateField(_l("Last day of the survey"))

    def validate_survey_ends_on(self, field):
        start = self.survey_starts_on.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError(
                _l("The last day of the survey is before its first day: choose a last day on or after the first.")
            )


class ExportSensitiveField(SelectMultipleField):
    """Ticked topics of sensitive answers (exports/privacy.py) that team leaders' exports may carry."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        unknown = [value for value in self.data or () if value not in SENSITIVE_TOPICS]
        if unknown:
            raise ValidationError(
                _l("Tick only the answers listed: %(values)s is not one of them.", values=", ".join(unknown)[:80])
            )


def _sensitive_field() -> ExportSensitiveField:
    return ExportSensitiveField(
        _l("Sensitive answers team leaders' exports may carry"),
        coerce=str,
        choices=[SelectChoice(key, label) for key, (label, _names) in SENSITIVE_TOPICS.items()],
    )


WardSettingsForm.export_sensitive = _sensitive_field()
