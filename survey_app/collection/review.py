"""Ward staff review submissions (received, has issues, approved, rejected) and the quarantine."""

from __future__ import annotations

import json

from flask import flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.access import load_or_abort, roles_required
from survey_app.accounts.models import Role
from survey_app.collection import corrections, duplicates, formlink, media, operations, paper, quality, queries, rules
from survey_app.collection.forms import (
    AcceptForm,
    HandledForm,
    RejectForm,
    RetryForm,
    ReviewForm,
    quarantine_status_labels,
    review_status_labels,
    version_source_labels,
)
from survey_app.collection.models import (
    IllegalTransition,
    QuarantinedSubmission,
    QuarantineStatus,
    ReviewStatus,
    Submission,
)
from survey_app.collection.records import RecordError, parse_json, parse_record
from survey_app.errors import error_response
from survey_app.extensions import db
from survey_app.security import CONTENT_SECURITY_POLICY
from survey_app.sync import refused


def _enum_arg(enum_cls, default=None):
    value = request.args.get("status", default or "")
    return enum_cls(value) if value in enum_cls._value2member_map_ else None


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


@roles_required(Role.WARD_ADMIN)
def submissions():
    status = _enum_arg(ReviewStatus)
    return render_template(
        "collection/review_list.html",
        page=queries.submission_page(current_user, status, _page()),
        status=status,
        counts=queries.review_counts(current_user),
        labels=review_status_labels(),
    )


def _review_form(submission: Submission) -> ReviewForm:
    form = ReviewForm()
    labels = review_status_labels()
    form.status.choices = [(s.value, labels[s]) for s in submission.allowed_reviews]
    return form


#: Who corrects stored submissions: the ward's admins, and team leaders for their team's groups.
CORRECTORS = (Role.WARD_ADMIN, Role.TEAM_LEADER)


def _render_submission(submission: Submission, form: ReviewForm, status: int = 200):
    versions = corrections.history(submission)
    shown = next((v for v in versions if v.number == request.args.get("version", type=int)), versions[-1])
    steps = [
        {"version": v, "changes": corrections.changes(submission, before.answers, v.answers)}
        for before, v in zip(versions, versions[1:])
    ]
    return render_template(
        "collection/review_detail.html",
        submission=submission,
        form=form,
        labels=review_status_labels(),
        sections=formlink.labelled_answers(submission.ward_id, submission.form_id, submission.form_version, shown.answers),
        shown=shown,
        versions=versions,
        steps=steps,
        source_labels=version_source_labels(),
        flags=quality.flags_for(submission),
        flag_labels=quality.flag_labels(),
        same_households=duplicates.matches_of(submission.household) if submission.household else [],
        same_people=duplicates.person_pairs(submission.household) if submission.household else [],
        may_review=current_user.role == Role.WARD_ADMIN,
        files={row.name: row for row in media.files_of(submission.id)},
        inline=media.inline,
        paper=paper.keyed_in(submission),
    ), status


@roles_required(*CORRECTORS)
def submission_detail(submission_id):
    submission = load_or_abort(Submission, submission_id)
    return _render_submission(submission, _review_form(submission))


@roles_required(*CORRECTORS)
def correct_page(submission_id):
    """The submission in the rendered form, its latest answers filled in, to correct."""
    submission = load_or_abort(Submission, submission_id, write=True)
    return render_template(
        "collection/correct.html",
        submission=submission,
        max_reason=corrections.MAX_REASON,
        filled_on=corrections.filled_on(submission),
    )


@roles_required(*CORRECTORS)
def correct_submission(submission_id):
    """Store the corrected answers the page sends (JSON: answers, reason, version) as a new version."""
    submission = load_or_abort(Submission, submission_id, write=True)
    try:
        body = parse_json(request.get_data(cache=False))
    except RecordError:
        body = None
    answers = body.get("answers") if isinstance(body, dict) else None
    reason = " ".join(str(body.get("reason") or "").split()) if isinstance(body, dict) else ""
    version = body.get("version") if isinstance(body, dict) else None
    if not isinstance(answers, dict) or not isinstance(version, int):
        return error_response(400, _("The correction must hold the answers and the version corrected."))
    if not reason or len(reason) > corrections.MAX_REASON:
        return jsonify(
            message=_("Say why the record is corrected (at most %(n)s characters).", n=corrections.MAX_REASON), errors=[]
        ), 400
    try:
        errors = corrections.correct(submission, answers, reason, current_user, version)
    except corrections.StaleVersion:
        return jsonify(
            message=_("Someone corrected this record after you opened it. Open it again to see their version."), errors=[]
        ), 409
    if errors:
        db.session.commit()  # the audit of the refused correction; the record is unchanged
        return jsonify(message=_("Some answers need checking: nothing was changed."), errors=errors), 422
    db.session.commit()
    flash(_("The correction was saved as version %(number)s.", number=submission.version), "info")
    return jsonify(url=url_for("collection.submission_detail", submission_id=submission.id), version=submission.version)


@roles_required(*CORRECTORS)
def submission_file(submission_id, file_name):
    """A file of a submission, for those who may read the submission (shown in the page if a picture,
    a sound or a video; else downloaded)."""
    submission = load_or_abort(Submission, submission_id)
    row = next((f for f in media.files_of(submission.id) if f.name == file_name and f.received), None)
    path = media.store_path(submission.ward_id, row.sha256) if row is not None else None
    if path is None or not path.exists():
        return error_response(404)
    response = send_file(
        path,
        mimetype=row.content_type or "application/octet-stream",
        download_name=row.name,
        as_attachment=not media.inline(row),
        etag=row.sha256,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = f"{CONTENT_SECURITY_POLICY}; sandbox"  # never a page
    return response


@roles_required(Role.WARD_ADMIN)
def review_submission(submission_id):
    submission = load_or_abort(Submission, submission_id, write=True)
    form = _review_form(submission)
    if not form.validate_on_submit():
        return _render_submission(submission, form, 400)
    try:
        operations.review_submission(submission, ReviewStatus(form.status.data), current_user, form.comment.data)
    except IllegalTransition:
        return error_response(400, _("This review status cannot be set now."))
    flash(_("Review saved."), "info")
    return redirect(url_for("collection.submission_detail", submission_id=submission.id))


@roles_required(Role.WARD_ADMIN)
def quarantine():
    status = _enum_arg(QuarantineStatus, default=QuarantineStatus.OPEN.value)
    return render_template(
        "collection/quarantine_list.html",
        status=status,
        labels=quarantine_status_labels(),
        page=queries.quarantine_page(current_user, status, _page()),
        refused_open=refused.open_count(current_user),
    )


def _render_quarantined(
    row: QuarantinedSubmission, accept: AcceptForm | None = None, reject: RejectForm | None = None, errors=None, status: int = 200
):
    accept = accept or AcceptForm(answers=json.dumps(row.payload.get("answers", {}), ensure_ascii=False, indent=2))
    known = row.form_id is not None and formlink.load_form(row.ward_id, row.form_id, row.form_version) is not None
    return render_template(
        "collection/quarantine_detail.html",
        row=row,
        accept=accept,
        labels=quarantine_status_labels(),
        reject=reject or RejectForm(),
        errors=row.errors if errors is None else errors,
        rendered=known and isinstance(row.payload.get("answers"), dict),
        filled_on=_filled_on_of(row.payload),
    ), status


def _filled_on_of(payload: dict):
    """The ward's day a quarantined record was filled in (today() of its form), if it says."""
    try:
        return rules.filled_on(parse_record(payload, with_visit=False))
    except RecordError:
        return None


@roles_required(Role.WARD_ADMIN)
def quarantined_detail(row_id):
    return _render_quarantined(load_or_abort(QuarantinedSubmission, row_id))


@roles_required(Role.WARD_ADMIN)
def accept_quarantined(row_id):
    """Store the fixed record: its answers from the rendered form (JSON, answered in JSON), or from the
    page's JSON text box (a form post)."""
    row = load_or_abort(QuarantinedSubmission, row_id, write=True)
    if request.is_json:
        return _accept_from_rendered_form(row)
    form = AcceptForm()
    if row.status != QuarantineStatus.OPEN:
        return error_response(400, _("This record was already decided."))
    if not form.validate_on_submit():
        return _render_quarantined(row, accept=form, status=400)
    try:
        answers = parse_json(form.answers.data)
    except RecordError:
        answers = None
    if not isinstance(answers, dict):
        form.answers.errors = [_("The answers must be a JSON object.")]
        return _render_quarantined(row, accept=form, status=400)
    receipt = operations.accept_quarantined(row, {**row.payload, "answers": answers}, current_user)
    if receipt.status != 201:
        db.session.commit()  # keep the corrected draft and its new errors on the row despite the 422
        return _render_quarantined(row, accept=form, errors=_receipt_errors(receipt), status=422)
    flash(_("The corrected record was stored as a submission."), "info")
    return redirect(url_for("collection.submission_detail", submission_id=receipt.submission_id))


def _receipt_errors(receipt) -> list[dict]:
    return receipt.errors or [{"field": None, "index": None, "code": receipt.result, "message": receipt.message}]


def _accept_from_rendered_form(row: QuarantinedSubmission):
    if row.status != QuarantineStatus.OPEN:
        return jsonify(message=_("This record was already decided."), errors=[]), 400
    body = request.get_json(silent=True)
    answers = body.get("answers") if isinstance(body, dict) else None
    if not isinstance(answers, dict):
        return jsonify(message=_("The answers must be a JSON object."), errors=[]), 400
    receipt = operations.accept_quarantined(row, {**row.payload, "answers": answers}, current_user)
    if receipt.status != 201:
        db.session.commit()  # the fixed draft and its new errors stay on the row
        return jsonify(
            message=receipt.message or _("Some answers need checking: nothing was changed."), errors=_receipt_errors(receipt)
        ), 422
    flash(_("The corrected record was stored as a submission."), "info")
    return jsonify(url=url_for("collection.submission_detail", submission_id=receipt.submission_id))


@roles_required(Role.WARD_ADMIN)
def reject_quarantined(row_id):
    row = load_or_abort(QuarantinedSubmission, row_id, write=True)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_quarantined(row, reject=form, status=400)
    try:
        operations.reject_quarantined(row, form.reason.data.strip(), current_user)
    except IllegalTransition:
        return error_response(400, _("This record was already decided."))
    flash(_("The record was set aside."), "info")
    return redirect(url_for("collection.quarantine"))


# ---- records the sync core refused, kept on the server (survey_app/sync/refused.py) ----


@roles_required(Role.WARD_ADMIN)
def refused_list():
    handled = request.args.get("status") == "handled"
    return render_template("collection/refused_list.html", handled=handled, page=refused.page(current_user, not handled, _page()))


def _render_refused(row, retry: RetryForm | None = None, handled: HandledForm | None = None, receipt=None, status: int = 200):
    body = json.dumps(row.payload, ensure_ascii=False, indent=2) if row.body is not None else None
    return render_template(
        "collection/refused_detail.html",
        row=row,
        body=body,
        receipt=receipt,
        retry=retry or RetryForm(),
        handled=handled or HandledForm(),
    ), status


@roles_required(Role.WARD_ADMIN)
def refused_detail(refused_id):
    return _render_refused(load_or_abort(refused.RefusedRecord, refused_id))


def _posted_to_refused(refused_id, form, slot: str):
    """The open refused record a form was posted to, and None; or the answer when it cannot be acted on."""
    row = load_or_abort(refused.RefusedRecord, refused_id, write=True)
    if row.resolution is not None:
        return row, error_response(400, _("This record was already handled."))
    if not form.validate_on_submit():
        return row, _render_refused(row, status=400, **{slot: form})
    return row, None


@roles_required(Role.WARD_ADMIN)
def retry_refused(refused_id):
    row, refusal = _posted_to_refused(refused_id, RetryForm(), "retry")
    if refusal is not None:
        return refusal
    receipt = refused.retry(row, current_user)
    if receipt.result == "quarantined":
        flash(_("Some answers need checking: the record is now in the quarantine, to be fixed there."), "info")
        return redirect(url_for("collection.quarantined_detail", row_id=receipt.quarantine_id))
    if receipt.status not in (200, 201):
        db.session.commit()  # the audit of the try; the record stays open
        return _render_refused(row, receipt=receipt, status=422)
    flash(_("The record was stored."), "info")
    return redirect(url_for("collection.refused_detail", refused_id=row.id))


@roles_required(Role.WARD_ADMIN)
def handle_refused(refused_id):
    form = HandledForm()
    row, refusal = _posted_to_refused(refused_id, form, "handled")
    if refusal is not None:
        return refusal
    refused.mark_handled(row, current_user, form.note.data.strip())
    flash(_("The record was marked as handled."), "info")
    return redirect(url_for("collection.refused_list"))
