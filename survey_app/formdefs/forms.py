"""Forms of the ward admin's form pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, MultipleFileField

from survey_app.webforms import Form


class UploadForm(Form):
    file = FileField(
        _l("XLSForm file (.xlsx, .xls or .csv)"),
        validators=[
            FileRequired(_l("Choose a file to upload.")),
            FileAllowed(["xlsx", "xls", "csv"], _l("Choose an XLSForm: an Excel file (.xlsx or .xls) or a CSV file.")),
        ],
    )

    attachments = MultipleFileField(_l("Files the form uses (pictures, sound, video, CSV, XML, GeoJSON)"))


class AttachForm(Form):
    attachments = MultipleFileField(
        _l("Files the form uses (pictures, sound, video, CSV, XML, GeoJSON)"),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )
