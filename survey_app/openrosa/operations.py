"""What changes OpenRosa's tables: Collect devices made and revoked, XML submissions received.

A submission becomes the web phone's record (instance.py) and is stored by the household survey's
handler through the sync core (`ingest`): the same duplicate, conflict, quarantine and area rules.
Functions only flush, and audit; the view commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from survey_app import tokens
from survey_app.accounts.models import COLLECTORS, Role, User
from survey_app.audit.operations import record as audit
from survey_app.collection import corrections, duplicates, media
from survey_app.collection.models import Submission, SubmissionFile
from survey_app.collection.operations import sent_by_user
from survey_app.extensions import db, take_write_lock, utcnow
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.openrosa import instance as xml
from survey_app.openrosa.models import CollectDevice, OpenRosaFile, OpenRosaInstance
from survey_app.sync.core import Submitter, ingest, ingest_batch, records_stored
from survey_app.sync.envelope import RecordError
from survey_app.wards.models import ResidentialGroup

#: The label of a device when the ward staff give none.
MAX_LABEL = 80


# ---- devices ---------------------------------------------------------------------------------


def create_device(user: User, label: str, created_by: User) -> tuple[CollectDevice, str]:
    """A new Collect device for a team member; returns it and its token (only its hash is stored)."""
    token = tokens.new_token()
    device = CollectDevice(
        ward_id=user.ward_id,
        user_id=user.id,
        label=(" ".join(label.split()) or _("ODK Collect"))[:MAX_LABEL],
        token_hash=tokens.token_hash(token),
        created_by_id=created_by.id,
    )
    db.session.add(device)
    db.session.flush()
    audit(
        "collect.device_created",
        user=created_by,
        ward_id=user.ward_id,
        object_type="user",
        object_id=user.id,
        detail={"device_id": device.id},
    )
    return device, token


def revoke_device(device: CollectDevice, by: User) -> bool:
    """End a device at once: its next request is refused. False when it was revoked already."""
    if device.revoked_at is not None:
        return False
    device.revoked_at, device.revoked_by_id = utcnow(), by.id
    db.session.flush()
    audit(
        "collect.device_revoked",
        user=by,
        ward_id=device.ward_id,
        object_type="user",
        object_id=device.user_id,
        detail={"device_id": device.id},
    )
    return True


def device_for(token: str) -> CollectDevice | None:
    """The live device of a token whose member may still collect, else None (unknown, revoked, the
    member deactivated, moved to another ward or no longer a collector)."""
    device = tokens.find(CollectDevice, token)
    if device is None or device.revoked_at is not None:
        return None
    user = device.user
    if user is None or not user.active or user.ward_id != device.ward_id or user.role not in COLLECTORS:
        return None
    return device


# ---- submissions -----------------------------------------------------------------------------


@dataclass
class Upload:
    """One file of a multipart POST."""

    name: str
    data: bytes
    content_type: str | None


@dataclass
class Outcome:
    """What a POST did: the OpenRosa status (201, 202, or a refusal) and the message for Collect."""

    status: int
    message: str
    code: str = ""
    stored_files: list[str] = field(default_factory=list)


def refuse(device: CollectDevice, status: int, code: str, message: str, detail: dict | None = None) -> Outcome:
    audit(
        "openrosa.submission_refused",
        user=device.user,
        ward_id=device.ward_id,
        object_type="user",
        object_id=device.user_id,
        detail={"code": code, "status": status, "device_id": device.id, **(detail or {})},
    )
    return Outcome(status, message, code)


def _instance_row(ward_id: int, instance_id: str) -> OpenRosaInstance | None:
    return db.session.execute(
        sa.select(OpenRosaInstance).where(OpenRosaInstance.ward_id == ward_id, OpenRosaInstance.instance_id == instance_id)
    ).scalar_one_or_none()


def receive(device: CollectDevice, data: bytes, uploads: list[Upload]) -> Outcome:
    """Store one POST: the XML instance (new, a resend, or an edit) and its files. The instance is read,
    typed and checked before SQLite's write lock (the sync core's batch path takes it to write), so
    Collect's one-record posts are checked side by side, not one after the other."""
    parsed = xml.parse(data)  # RecordError: the view refuses it
    user = device.user
    digest = hashlib.sha256(data).hexdigest()
    known = _instance_row(device.ward_id, parsed.instance_id)
    if known is not None:
        if known.xml_sha256 != digest:
            return refuse(
                device,
                409,
                "conflict",
                _("A different record with the same identifier was already received."),
                {"instance_id": parsed.instance_id},
            )
        if known.user_id != user.id and not _same_team(known, user):
            return refuse(device, 409, "uuid_taken", _("A different record with the same identifier was already received."))
        take_write_lock()
        stored = _keep_files(known, uploads)
        if stored:
            return Outcome(201, _("The files of this record were received."), "files", stored)
        return Outcome(202, _("This record was already received."), "duplicate")
    form = _form_of(device.ward_id, parsed) if parsed.form_id == HOUSEHOLD_FORM else None
    if form is None:  # a version the ward has used (an older one still on a phone is fine), as the web phone
        return refuse(
            device,
            404,
            "unknown_form",
            _("The form %(form)s version %(version)s is not known here.", form=parsed.form_id, version=parsed.version),
        )
    schema = form.schema
    if parsed.deprecated_id is not None:
        take_write_lock()
        return _edit(device, parsed, digest, uploads, schema)
    payload = record_of(parsed, schema, device.ward_id)
    (receipt,) = ingest_batch([payload], Submitter.for_user(user))  # checked first, then the lock
    take_write_lock()  # held already when it stored; a duplicate answered before the lock took none
    if receipt.status in (200, 201, 422) and receipt.result in ("stored", "duplicate", "quarantined"):
        row = _remember(device, parsed, digest, parsed.instance_id, receipt.result, receipt.submission_id)
        stored = _keep_files(row, uploads)
        if receipt.result == "quarantined":
            return Outcome(202, _("Some answers need checking. The record is kept for the ward staff."), "quarantined", stored)
        if receipt.result == "duplicate":
            return Outcome(201 if stored else 202, _("This record was already received."), "duplicate", stored)
        return Outcome(201, _("The record was received."), "stored", stored)
    # the core kept a copy of the refused record and audited 403s; the OpenRosa refusal is audited too
    return refuse(device, openrosa_status(receipt.status), receipt.result, receipt.message or "", {"uuid": receipt.uuid})


def _form_of(ward_id: int, parsed: xml.Instance):
    from survey_app.formdefs.queries import get_form

    return get_form(ward_id, parsed.form_id, parsed.version)


def _same_team(row: OpenRosaInstance, user: User) -> bool:
    submission = db.session.get(Submission, row.submission_id) if row.submission_id else None
    return submission is not None and sent_by_user(submission, user)


def openrosa_status(status: int) -> int:
    """The statuses OpenRosa prescribes: a rule the answers break that cannot be held is a 400."""
    return status if status in (400, 401, 403, 404, 409, 413) else 400


def record_of(parsed: xml.Instance, schema, ward_id: int, *, uuid: str | None = None) -> dict:
    """The web phone's record for an XML instance (see instance.py)."""
    from survey_app.clock import local_zone

    raw = xml.raw_answers(schema, parsed.root)
    started = next((xml.moment(raw.get(f.name)) for f in schema.scope(None) if f.type == "start"), None)
    finished = next((xml.moment(raw.get(f.name)) for f in schema.scope(None) if f.type == "end"), None)
    visited = finished or started or utcnow()
    answers = xml.with_calculations(schema, raw, (started or visited).astimezone(local_zone()).date())
    payload = {
        "uuid": uuid or parsed.instance_id,
        "outcome": "interviewed",
        "visited_at": xml.iso(visited),
        "form_id": parsed.form_id,
        "form_version": parsed.version,
        "answers": answers,
    }
    if started is not None:
        payload["started_at"] = xml.iso(started)
    if finished is not None:
        payload["finished_at"] = xml.iso(finished)
    point = xml.location(schema, raw)
    if point is not None:
        payload["location"] = point
    code, address, head = answers.get("a1_group"), answers.get("a2_address"), answers.get("a3_head_name")
    group = (
        db.session.execute(
            sa.select(ResidentialGroup).where(ResidentialGroup.ward_id == ward_id, ResidentialGroup.code == code)
        ).scalar_one_or_none()
        if isinstance(code, str)
        else None
    )
    household = duplicates.listed_match(group.id, address, head) if group is not None else None
    if household is not None:
        payload["household_id"] = household.id
    else:
        payload["household"] = {
            "client_uuid": xml.household_uuid(ward_id, parsed.instance_id),
            "residential_group_id": group.id if group is not None else 0,  # 0: no group, refused as not the team's
            "address": _shown(address),
            "head_name": _shown(head),
        }
    return payload


def _shown(value) -> str:
    """A household's address or head as the instance gives it; "—" when missing (the form's check then
    holds the record for the ward staff, with the answers as sent)."""
    return value[:255] if isinstance(value, str) and value.strip() else "—"


def _remember(device, parsed, digest, record_uuid, result, submission_id) -> OpenRosaInstance:
    row = OpenRosaInstance(
        ward_id=device.ward_id,
        instance_id=parsed.instance_id,
        deprecated_id=parsed.deprecated_id,
        device_id=device.id,
        user_id=device.user_id,
        form_id=parsed.form_id,
        form_version=parsed.version,
        xml_sha256=digest,
        record_uuid=record_uuid,
        result=result,
        submission_id=submission_id,
    )
    db.session.add(row)
    db.session.flush()
    return row


def check_files(uploads: list[Upload], limit: int) -> RecordError | None:
    for upload in uploads:
        if len(upload.data) > limit:
            return RecordError(
                413, "too_large", _("The file is larger than %(mb)s MB: it cannot be sent.", mb=limit // (1024 * 1024))
            )
        if not upload.data or not media_name(upload.name):
            return RecordError(400, "bad_file", _("A file sent has no name or is empty."))
    return None


def media_name(name: str) -> bool:
    from survey_app.formdefs.fieldtypes import MediaFile

    return bool(name) and bool(MediaFile.NAME.match(name)) and ".." not in name


def _keep_files(row: OpenRosaInstance, uploads: list[Upload]) -> list[str]:
    """Keep the files not received before (bytes named by their hash); hand each to the submission's file
    row when there is one. The names newly stored."""
    have = {
        f.name: f for f in db.session.execute(sa.select(OpenRosaFile).where(OpenRosaFile.instance_row_id == row.id)).scalars()
    }
    stored = []
    for upload in uploads:
        sha256 = hashlib.sha256(upload.data).hexdigest()
        if upload.name in have:
            continue  # sent again (Collect resends what it is not sure arrived): the first copy stays
        media.write(row.ward_id, upload.data)
        db.session.add(
            OpenRosaFile(
                ward_id=row.ward_id,
                instance_row_id=row.id,
                name=upload.name,
                sha256=sha256,
                size=len(upload.data),
                content_type=upload.content_type,
            )
        )
        stored.append(upload.name)
    db.session.flush()
    if row.submission_id is not None:
        hand_over(row.submission_id, row.ward_id, row.record_uuid)
    return stored


def hand_over(submission_id: int, ward_id: int, record_uuid: str) -> int:
    """Give the submission's waiting file rows the bytes that came with its XML instances."""
    rows = {
        f.name: f
        for f in db.session.execute(
            sa.select(SubmissionFile).where(SubmissionFile.submission_id == submission_id, SubmissionFile.received_at.is_(None))
        ).scalars()
    }
    if not rows:
        return 0
    kept = db.session.execute(
        sa.select(OpenRosaFile)
        .join(OpenRosaInstance, OpenRosaInstance.id == OpenRosaFile.instance_row_id)
        .where(OpenRosaInstance.ward_id == ward_id, OpenRosaInstance.record_uuid == record_uuid)
        .order_by(OpenRosaFile.id.desc())
    ).scalars()
    count = 0
    for found in kept:
        row = rows.pop(found.name, None)
        if row is None:
            continue
        sent = found.content_type or ""
        media.receive(row, found.sha256, found.size, media.content_type_for(row, sent, _type_of(row)))
        count += 1
    return count


def _type_of(row: SubmissionFile) -> str | None:
    from survey_app.formdefs.queries import get_form

    submission = row.submission
    form = get_form(submission.ward_id, submission.form_id, submission.form_version)
    item = form.schema.by_name.get(row.field) if form is not None else None
    return item.type if item is not None else None


@records_stored.connect_via("visit")
def _stored(sender, receipts, submitter, **extra) -> None:
    """A record held for checking and accepted later by the ward staff: the files Collect sent with it
    reach its submission then."""
    if submitter.reviewer is None:
        return
    for receipt in receipts:
        if receipt.submission_id is None or receipt.uuid is None:
            continue
        rows = db.session.execute(
            sa.select(OpenRosaInstance).where(
                OpenRosaInstance.ward_id == submitter.ward_id, OpenRosaInstance.record_uuid == receipt.uuid
            )
        ).scalars()
        found = False
        for row in rows:
            row.submission_id, found = receipt.submission_id, True
        if found:
            hand_over(receipt.submission_id, submitter.ward_id, receipt.uuid)


# ---- edits (meta/deprecatedID) ---------------------------------------------------------------


def _edit(device: CollectDevice, parsed: xml.Instance, digest: str, uploads: list[Upload], schema) -> Outcome:
    """A corrected instance: the record sent back to its sender is fixed (the web phone's fix, through
    the sync core); a team leader's or ward admin's edit of a record of their area is a correction (as on
    the record's page); anything else is a conflict. The deprecatedID must be the record's latest."""
    user = device.user
    ward = device.ward_id
    earlier = _instance_row(ward, parsed.deprecated_id)
    if earlier is not None:
        submission = db.session.get(Submission, earlier.submission_id) if earlier.submission_id else None
        record_uuid = earlier.record_uuid
    else:
        submission = db.session.execute(
            sa.select(Submission).where(Submission.ward_id == ward, Submission.uuid == parsed.deprecated_id)
        ).scalar_one_or_none()
        record_uuid = parsed.deprecated_id
    if submission is None:
        return refuse(device, 404, "not_found", _("The record this edit corrects was not received here."))
    latest = db.session.execute(
        sa.select(OpenRosaInstance.instance_id)
        .where(OpenRosaInstance.ward_id == ward, OpenRosaInstance.record_uuid == record_uuid)
        .order_by(OpenRosaInstance.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if (latest or submission.uuid) != parsed.deprecated_id:
        return refuse(device, 409, "not_latest", _("This edit corrects an older version of the record: download it again."))
    payload = record_of(parsed, schema, ward, uuid=submission.uuid)
    if submission.sent_back and sent_by_user(submission, user):
        payload["fix_of"] = submission.version
        receipt = ingest(payload, Submitter.for_user(user))
        if receipt.status != 201:
            return refuse(device, openrosa_status(receipt.status), receipt.result, receipt.message or "")
        result = "fixed"
    elif user.role in (Role.WARD_ADMIN, Role.TEAM_LEADER) and _visible(submission, user):
        errors = corrections.correct(submission, payload["answers"], _("Edited in ODK Collect"), user, submission.version)
        if errors:
            return refuse(device, 400, "correction_refused", "; ".join(str(e.get("message")) for e in errors[:3]))
        result = "corrected"
    else:
        return refuse(device, 409, "not_sent_back", _("This record can be changed only once the ward staff send it back to you."))
    row = _remember(device, parsed, digest, submission.uuid, result, submission.id)
    stored = _keep_files(row, uploads)
    return Outcome(201, _("The corrected record was received."), result, stored)


def _visible(submission: Submission, user: User) -> bool:
    from survey_app.access import visible

    return (
        db.session.execute(sa.select(Submission.id).where(Submission.id == submission.id, visible(Submission, user))).first()
        is not None
    )
