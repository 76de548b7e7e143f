"""Corrections of stored submissions, with their history.

Ward admins (and team leaders, for their team's groups) correct a stored submission through the same
rendered form the phone uses; a surveyor fixes a record sent back to them on the phone (collection/
operations.py, `_store_fix`). Either way the answers become a new version (SubmissionVersion): who,
when and why, the earlier versions kept readable, and the figures re-derived from the latest.
Functions only flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import gettext as _

from survey_app.accounts.models import User
from survey_app.audit.operations import record as audit
from survey_app.collection import entities, formlink, operations, rules
from survey_app.collection.models import ReviewStatus, Submission, SubmissionVersion, VersionSource
from survey_app.extensions import db

#: Longest reason a corrector may give.
MAX_REASON = 500


class StaleVersion(Exception):
    """The submission changed since the corrector opened it."""


@dataclass
class Version:
    """One version of a submission's answers, as its page shows it."""

    number: int
    source: VersionSource
    answers: dict
    author: User | None
    created_at: datetime
    reason: str | None


def history(submission: Submission) -> list[Version]:
    """Every version, the first first; a submission never corrected has one, its answers as received."""
    rows = (
        db.session.execute(
            sa.select(SubmissionVersion)
            .where(SubmissionVersion.submission_id == submission.id)
            .order_by(SubmissionVersion.number)
        )
        .scalars()
        .all()
    )
    if not rows:
        return [Version(1, VersionSource.SENT, submission.answers, submission.surveyor, submission.received_at, None)]
    return [Version(r.number, r.source, r.answers, r.author, r.created_at, r.reason) for r in rows]


def changes(submission: Submission, before: dict, after: dict) -> list[dict]:
    """What changed between two versions' answers, labelled as the form shows them:
    [{"where", "label", "before", "after"}] (None for an answer that is not there)."""

    def rows(answers):
        found = {}
        for section in formlink.labelled_answers(submission.ward_id, submission.form_id, submission.form_version, answers):
            for name, label, text in section["rows"]:
                found[(section["key"], name)] = (section["title"], label, text)
        return found

    old, new = rows(before), rows(after)
    keys = list(new) + [key for key in old if key not in new]
    return [
        {
            "where": (new.get(key) or old[key])[0],
            "label": (new.get(key) or old[key])[1],
            "before": old[key][2] if key in old else None,
            "after": new[key][2] if key in new else None,
        }
        for key in keys
        if (old.get(key) or (None, None, None))[2] != (new.get(key) or (None, None, None))[2]
    ]


def filled_on(submission: Submission):
    """The ward's day the submission was filled in: its form's today()."""
    return rules.filled_on(
        SimpleNamespace(started_at=submission.started_at, visited_at=submission.received_at, finished_at=submission.finished_at)
    )


def correct(submission: Submission, answers: dict, reason: str, author: User, seen_version: int) -> list[dict]:
    """Store corrected answers as a new version; the per-field errors (nothing stored) when they fail the
    form, are the same as now, or the form is gone. StaleVersion when someone corrected it meanwhile."""
    if seen_version != submission.version:
        raise StaleVersion(submission.id)
    form = formlink.load_form(submission.ward_id, submission.form_id, submission.form_version)
    if form is None:
        errors = [
            _error(
                "unknown_form",
                _(
                    "The form %(form)s version %(version)s is not known here.",
                    form=submission.form_id,
                    version=submission.form_version,
                ),
            )
        ]
    elif answers == submission.answers:
        errors = [_error("unchanged", _("No answer was changed."))]
    else:
        form = entities.served_form(form, submission.ward_id, author)
        errors = operations.answer_errors(form, answers, filled_on(submission), submission.residential_group.code)
    if errors:
        audit(
            "submission.correction_refused",
            user=author,
            ward_id=submission.ward_id,
            object_type="submissions",
            object_id=submission.id,
            detail={"codes": sorted({str(e.get("code")) for e in errors})[:10]},
        )
        return errors
    number = operations.store_version(submission, answers, author, VersionSource.CORRECTED, reason)
    audit(
        "submission.corrected",
        user=author,
        ward_id=submission.ward_id,
        object_type="submissions",
        object_id=submission.id,
        detail={"version": number},
    )
    return []


def _error(code: str, message: str) -> dict:
    return {"field": None, "index": None, "code": code, "message": message}


def sent_back_to(user: User) -> list[Submission]:
    """The user's submissions the ward staff sent back to them ("has issues"), oldest first."""
    return (
        db.session.execute(
            sa.select(Submission)
            .where(
                Submission.ward_id == user.ward_id,
                Submission.surveyor_id == user.id,
                Submission.review_status == ReviewStatus.HAS_ISSUES,
            )
            .order_by(Submission.reviewed_at, Submission.id)
        )
        .scalars()
        .all()
    )
