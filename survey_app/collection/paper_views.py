"""Keying paper questionnaires in: pick the interview, fill the rendered form, send it (collection/paper.py)."""

from __future__ import annotations

import uuid as uuids

from flask import jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.access import can_change, deny, roles_required
from survey_app.clock import local_today
from survey_app.collection import formlink, paper
from survey_app.collection.api import HOUSEHOLD_FORM, read_json_body
from survey_app.collection.paper import PaperInputError
from survey_app.collection.records import RecordError, max_record_bytes
from survey_app.collection.review import CORRECTORS
from survey_app.errors import error_response
from survey_app.extensions import db
from survey_app.i18n import household_status_labels
from survey_app.sync.envelope import parse_uuid


def _render_chooser(group=None, error: PaperInputError | None = None, picked: dict | None = None, stored=None):
    form = formlink.current_form(current_user.ward_id, HOUSEHOLD_FORM)
    return render_template(
        "collection/paper_entry.html",
        groups=paper.groups_for(current_user),
        group=group,
        stored=stored,
        may_open=current_user.role in CORRECTORS,
        households=paper.households_of(current_user, group) if group is not None else [],
        interviewers=paper.interviewers_for(current_user),
        error=error,
        picked=picked or {},
        today=local_today(),
        form=form,
        status_labels=household_status_labels(),
    ), 422 if error is not None else 200


@roles_required(*paper.KEYERS)
def paper_entry():
    """Step one: the residential group, then the household, the interviewer and the date on the paper."""
    try:
        group = paper.find_group(current_user, request.args.get("group"))
    except PaperInputError as error:
        return _render_chooser(error=error)
    return _render_chooser(group, stored=paper.stored_submission(current_user, request.args.get("stored")))


@roles_required(*paper.KEYERS)
def paper_form():
    """Step two: the checked interview, and the current household form to fill in from the paper."""
    args = request.args
    picked = {"household": args.get("household", ""), "surveyor": args.get("surveyor", ""), "day": args.get("day", "")}
    try:
        group = paper.find_group(current_user, args.get("group"))
    except PaperInputError as error:
        return _render_chooser(error=error)
    try:
        visit = paper.check(current_user, args.get("household"), args.get("surveyor"), args.get("day"))
    except PaperInputError as error:
        return _render_chooser(group, error, picked)
    if group is not None and visit.group.id != group.id:
        return _render_chooser(
            group, PaperInputError(_("This household is not in the residential group chosen."), "household"), picked
        )
    form = formlink.current_form(current_user.ward_id, HOUSEHOLD_FORM)
    if form is None:
        return error_response(404, _("The survey form is not available yet."))
    return render_template(
        "collection/paper_form.html", visit=visit, form=form, uuid=str(uuids.uuid4()), answers=paper.prefill(form.schema, visit)
    )


@roles_required(*paper.KEYERS)
def paper_submit():
    """Store the questionnaire the page sends (JSON: uuid, household_id, surveyor_id, day, form_version,
    answers) through the sync core; 201 stored, 200 already stored, 422 kept in the quarantine."""
    if not can_change(current_user):
        deny(object_type="submissions")
    try:
        body = read_json_body(max_record_bytes() + 1024)
    except RecordError as error:
        return jsonify(message=error.message, errors=[]), error.status
    if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
        return jsonify(message=_("The questionnaire must hold its answers."), errors=[]), 400
    try:
        record_uuid = parse_uuid(body.get("uuid"))
        visit = paper.check(current_user, body.get("household_id"), body.get("surveyor_id"), body.get("day"))
    except RecordError as error:
        return jsonify(message=error.message, errors=[]), 400
    except PaperInputError as error:
        return jsonify(message=error.message, errors=[]), 400
    version = body.get("form_version")
    if not isinstance(version, str) or not version:
        return jsonify(message=_("The questionnaire must name the form version it was filled in."), errors=[]), 400
    receipt = paper.store(visit, record_uuid, HOUSEHOLD_FORM, version, body["answers"], current_user)
    db.session.commit()  # a quarantined record (422) and the audits are kept too
    if receipt.status in (200, 201):  # the page says so from the URL: a lost reply sent again flashes nothing twice
        return jsonify(
            url=url_for("collection.paper_entry", group=visit.group.id, stored=receipt.submission_id),
            submission_id=receipt.submission_id,
            result=receipt.result,
        ), receipt.status
    if receipt.result == "quarantined":
        return jsonify(
            message=_(
                "Some answers need checking: the questionnaire is kept in the quarantine. Fix them below and send it again."
            ),
            errors=receipt.errors or [],
        ), 422
    return jsonify(
        message=receipt.message or _("The questionnaire could not be stored."), errors=receipt.errors or []
    ), receipt.status
