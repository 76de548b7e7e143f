"""Forms of the review pages (every change is a POST with a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from survey_app.webforms import Form


def review_status_labels() -> dict:
    from survey_app.collection.models import ReviewStatus

    return {
        ReviewStatus.RECEIVED: _l("Received"),
        ReviewStatus.HAS_ISSUES: _l("Has issues"),
        ReviewStatus.APPROVED: _l("Approved"),
        ReviewStatus.REJECTED: _l("Rejected"),
    }


def version_source_labels() -> dict:
    from survey_app.collection.models import VersionSource

    return {
        VersionSource.SENT: _l("As sent"),
        VersionSource.CORRECTED: _l("Corrected"),
        VersionSource.FIXED: _l("Fixed by the surveyor"),
    }


def quarantine_status_labels() -> dict:
    from survey_app.collection.models import QuarantineStatus

    return {
        QuarantineStatus.OPEN: _l("Open"),
        QuarantineStatus.ACCEPTED: _l("Accepted"),
        QuarantineStatus.REJECTED: _l("Rejected"),
    }


class ReviewForm(Form):
    """Move a submission's review status; the view offers only the moves the model allows."""

    status = SelectField(_l("New status"), validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])

    def validate(self, extra_validators=None) -> bool:
        """A record sent back to its surveyor says what to fix (Optional() ends the comment's own checks)."""
        valid = super().validate(extra_validators)
        if self.status.data == "has_issues" and not (self.comment.data or "").strip():
            self.comment.errors = [*self.comment.errors, _l("Say what the surveyor should fix: the comment goes to their phone.")]
            return False
        return valid


class AcceptForm(Form):
    """The quarantined answers, corrected by the ward staff, as JSON."""

    answers = TextAreaField(_l("Answers (JSON)"), validators=[DataRequired(), Length(max=200_000)])


class RejectForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class RetryForm(Form):
    """Send a refused record through the checks again (a CSRF token only)."""


class HandledForm(Form):
    note = TextAreaField(_l("What was done about it"), validators=[DataRequired(), Length(max=2000)])
