"""The export form: ward (city viewers), residential groups, format, codes and language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from survey_app.webforms import Form


class ExportForm(Form):
    ward_id = HiddenField()
    #: Checked group ids; checked against the ward and the user's rights by operations.resolve_scope.
    groups = SelectMultipleField(_l("Residential groups"), coerce=str, validate_choice=False)
    format = RadioField(
        _l("Format"),
        default="xlsx",
        choices=[
            SelectChoice("xlsx", _l("Excel workbook (.xlsx), every table in one file")),
            SelectChoice("csv", _l("CSV files, one per table (.zip), for other tools")),
        ],
    )
    include_codes = BooleanField(_l("Add the answer codes beside the labels"))
    lang = RadioField(
        _l("Language of headers and answers"),
        default="vi",
        choices=[SelectChoice("vi", "Tiếng Việt"), SelectChoice("en", "English")],
    )


class ReportForm(Form):
    """The progress report to the city: which ward (city viewers) and which period."""

    ward_id = HiddenField()
    starts_on = DateField(_l("From"), validators=[Optional()])
    ends_on = DateField(_l("To"), validators=[Optional()])
    lang = RadioField(
        _l("Language of the headings"), default="vi", choices=[SelectChoice("vi", "Tiếng Việt"), SelectChoice("en", "English")]
    )
