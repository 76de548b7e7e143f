"""The JSON API of the phone app: what it needs to work offline, and where it sends its queue."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from survey_app.access import load_or_abort, roles_required
from survey_app.accounts.models import COLLECTORS  # noqa: F401  (also imported from here)
from survey_app.collection import corrections, formlink, media, queries
from survey_app.collection.models import Submission, SubmissionFile, Visit
from survey_app.collection.operations import sent_by_user
from survey_app.collection.records import RecordError, max_batch_items, max_record_bytes, parse_json
from survey_app.errors import error_response
from survey_app.extensions import db, take_write_lock
from survey_app.formdefs.ids import ADULT_AGE, HOUSEHOLD_FORM
from survey_app.sync.core import Submitter, ingest, ingest_batch
from survey_app.uploads import parses_upload
from survey_app.wards.models import ResidentialGroup
from survey_app.wards.queries import current_round


def read_json_body(limit: int):
    """The request's JSON, refusing bodies over `limit` bytes (413) and anything not JSON (400)."""
    if request.content_length is not None and request.content_length > limit:
        raise RecordError(413, "too_large", _("The data sent is too large."))
    raw = request.get_data(cache=False)
    if len(raw) > limit:
        raise RecordError(413, "too_large", _("The data sent is too large."))
    return parse_json(raw)


def _sync_settings() -> dict:
    config = current_app.config
    return {
        "batch_size": config.get("PHONE_SYNC_BATCH_SIZE", 20),
        "backoff_ms": config.get("PHONE_SYNC_BACKOFF_MS", 5_000),
        "max_backoff_ms": config.get("PHONE_SYNC_MAX_BACKOFF_MS", 10 * 60_000),
    }


@roles_required(*COLLECTORS)
def bootstrap():
    """The signed-in surveyor, their team's groups today and the current form: what the phone caches."""
    user = current_user
    form = formlink.current_form(user.ward_id, HOUSEHOLD_FORM)
    return jsonify(
        user={"id": user.id, "username": user.username, "full_name": user.full_name, "role": user.role.value},
        team={"id": user.survey_team.id, "name": user.survey_team.name} if user.survey_team else None,
        groups=[
            {
                "id": g.id,
                "code": g.code,
                "name": g.name,
                "listed": g.listed,
                "done": g.done,
                "revisit": g.revisit,
                "not_visited": g.not_visited,
            }
            for g in queries.phone_groups(user)
        ],
        form=None if form is None else {"form_id": HOUSEHOLD_FORM, "version": form.version},
        # who the roster pre-fills into the interview: the members part B is for (formdefs.ids)
        adult_age=ADULT_AGE,
        # from round 2 on, the visit screen asks which of last round's members are still in the household
        round=current_round(user.ward_id),
        sync=_sync_settings(),
    )


@roles_required(*COLLECTORS)
def csrf_token():
    """A fresh CSRF token for the phone's POSTs (never cached: the shell page is the same for everyone)."""
    return jsonify(csrf_token=generate_csrf(), user_id=current_user.id)


@roles_required(*COLLECTORS)
def group_households(group_id):
    """Every household of a group with its roster, for the offline list and to pre-fill members."""
    group = load_or_abort(ResidentialGroup, group_id)
    return jsonify(
        group={"id": group.id, "code": group.code, "name": group.name},
        households=queries.households_with_roster(current_user, group.id),
    )


@roles_required(*COLLECTORS)
def sent_back():
    """The records the ward staff sent back to this surveyor ("has issues") with their comment, as the
    phone keeps them to fix (offline too) and send again with `fix_of`."""
    found = corrections.sent_back_to(current_user)
    visits = {
        v.submission_id: v
        for v in db.session.execute(
            sa.select(Visit).where(Visit.ward_id == current_user.ward_id, Visit.submission_id.in_([s.id for s in found]))
        ).scalars()
    }
    return jsonify(records=[_sent_back_record(s, visits.get(s.id)) for s in found])


def iso(moment) -> str | None:
    """A stored time (UTC) as the phone sends times: ISO 8601 with its zone."""
    return moment.isoformat() if moment is not None else None


def _sent_back_record(submission: Submission, visit: Visit | None) -> dict:
    household = submission.household
    when = visit.visited_at if visit is not None else submission.received_at
    payload = {
        "uuid": submission.uuid,
        "outcome": "interviewed",
        "household_id": submission.household_id,
        "visited_at": iso(when),
        "started_at": iso(submission.started_at),
        "finished_at": iso(submission.finished_at),
        "form_id": submission.form_id,
        "form_version": submission.form_version,
        "answers": submission.answers,
        "fix_of": submission.version,
    }
    return {
        "uuid": submission.uuid,
        "submission_id": submission.id,
        "version": submission.version,
        "comment": submission.review_comment or "",
        "sent_back_at": iso(submission.reviewed_at),
        "group_id": submission.residential_group_id,
        "label": {"address": household.address if household else "", "head_name": household.head_name if household else ""},
        "payload": {key: value for key, value in payload.items() if value is not None},
    }


def _refusal(error: RecordError):
    return error_response(error.status, error.message)


@roles_required(*COLLECTORS)
def submit_one():
    """One record: the HTTP status is the record's (201, 200, 409, 422, 400, 403, 404, 413)."""
    try:
        payload = read_json_body(max_record_bytes() + 1024)
    except RecordError as error:
        return _refusal(error)
    receipt = ingest(payload, Submitter.for_user(current_user))  # any kind: the sync core picks its handler
    db.session.commit()  # keeps a quarantined record (422) and refusal audits; failed records left nothing
    return jsonify(receipt.as_json()), receipt.status


@roles_required(*COLLECTORS)
@parses_upload  # the records are checked before SQLite's write lock is taken (sync.core.ingest_batch)
def submit_batch():
    """A phone's queue in one request: 200 with one result per item; one bad item never fails the others."""
    try:
        body = read_json_body(max_batch_items() * (max_record_bytes() + 1024) + 1024)
    except RecordError as error:
        return _refusal(error)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return error_response(400, _('Send an object with a list of records under "items".'))
    if len(items) > max_batch_items():
        return error_response(413, _("Send at most %(count)s records at a time.", count=max_batch_items()))
    results = [receipt.as_json() for receipt in ingest_batch(items, Submitter.for_user(current_user))]
    return jsonify(results=results)


@roles_required(*COLLECTORS)
@parses_upload
def submit_file(submission_id, file_name):
    """One file of a stored submission, as the raw request body: 201 stored, 200 already had it (same
    bytes), 409 other bytes under that name, 413 past MEDIA_MAX_MB, 404 a name the answers do not hold.
    The answer says which files are still missing; none missing: the submission is complete."""
    submission = load_or_abort(Submission, submission_id, write=True)
    if not sent_by_user(submission, current_user):
        return error_response(403, _("Only the team that sent this record may send its files."))
    limit = media.max_bytes()
    if request.content_length is not None and request.content_length > limit:
        return _too_large(limit)
    data = request.get_data(cache=False)
    if len(data) > limit:
        return _too_large(limit)
    if not data:
        return error_response(400, _("The file is empty."))
    row = db.session.execute(
        sa.select(SubmissionFile).where(SubmissionFile.submission_id == submission.id, SubmissionFile.name == file_name)
    ).scalar_one_or_none()
    if row is None:
        return error_response(404, _("The record's answers name no file %(name)s.", name=file_name))
    sha256 = hashlib.sha256(data).hexdigest()
    claimed = (request.headers.get("X-File-SHA256") or "").strip().lower()
    if claimed and claimed != sha256:
        return error_response(400, _("The file arrived damaged: send it again."))
    if row.received:
        if row.sha256 != sha256:
            return error_response(409, _("A different file with this name was already received."))
        return jsonify(result="duplicate", name=row.name, missing_files=media.missing_of(submission.id)), 200
    media.write(submission.ward_id, data)  # outside the write lock; named by hash, so a retry rewrites nothing
    take_write_lock()
    form = formlink.load_form(submission.ward_id, submission.form_id, submission.form_version)
    item = form.schema.by_name.get(row.field) if form is not None else None
    media.receive(row, sha256, len(data), media.content_type_for(row, request.mimetype, item.type if item else None))
    missing = media.missing_of(submission.id)
    db.session.commit()
    return jsonify(result="stored", name=row.name, missing_files=missing, complete=not missing), 201


def _too_large(limit: int):
    return error_response(413, _("The file is larger than %(mb)s MB: it cannot be sent.", mb=limit // (1024 * 1024)))
