"""Copies of the records the server refused: no phone record lives only on the phone.

Whatever a phone (or the self-survey page) sends and the sync core refuses (malformed, out of the
sender's area, an unknown form version, a UUID clash, too large) is kept here with its reason, so
"set aside" on the phone never destroys the only copy. Answers that fail the form are kept by the
household handler's own quarantine (collection), which ward staff fix and accept; the rows here are
listed beside it, retried as their sender once the cause is gone (a form version published, a
group assigned to the team), or marked handled with a note.

A record sent again with the same content finds its row (counted, not copied twice). A record over
the size limit keeps its reason and sender, not its body.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.audit.operations import record as audit
from survey_app.extensions import JSONType, UTCDateTime, WardScoped, db, utcnow
from survey_app.sync.envelope import Receipt, canonical_json, content_of

#: Refusals kept. Not a 409 "rejected" (the ward staff set that record aside themselves, and keep it),
#: nor a 422 "quarantined" (its handler keeps it as a record to fix); a 422 otherwise (a surveyor's fix
#: whose answers fail the form: the stored record is unchanged) is.
KEPT_STATUSES = frozenset({400, 403, 404, 409, 413, 422})
NOT_KEPT_RESULTS = frozenset({"rejected", "quarantined"})
#: The body is not kept past this size (the sync core refused it as too large, or a record near it).
MAX_BODY_CHARS = 2_000_000


class RefusedRecord(WardScoped, db.Model):
    """One refused record, as it was sent, with why; open until it is stored on retry or handled."""

    __tablename__ = "refused_records"
    __table_args__ = (sa.UniqueConstraint("ward_id", "body_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The record's own UUID when it had a valid one.
    uuid: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    #: The record kind it named ("visit", "support_event", or what it said, cut to 40 characters).
    kind: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[int] = mapped_column(sa.Integer)
    #: The refusal's machine code (malformed, forbidden, unknown_form, conflict, ...) and message.
    code: Mapped[str] = mapped_column(sa.String(40))
    message: Mapped[str | None] = mapped_column(sa.Text)
    errors: Mapped[list | None] = mapped_column(JSONType)
    #: The record as sent (transport fields removed), as JSON text; None when it was too large.
    body: Mapped[str | None] = mapped_column(sa.Text)
    #: sha256 of the body (of code and sender for a record too large to keep).
    body_hash: Mapped[str] = mapped_column(sa.String(64))
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    survey_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_teams.id"), index=True)
    #: The group of the self-survey link it came through (no sender then).
    self_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residential_groups.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    times_received: Mapped[int] = mapped_column(sa.Integer, default=1)
    #: Set once handled: "stored" (a retry stored it), "quarantined" (a retry found answers to fix, kept
    #: in collection's quarantine now) or "handled" (marked by ward staff), with who and why.
    resolution: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(sa.Text)

    sender = relationship("User", foreign_keys=[sender_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])

    @property
    def payload(self):
        """The record as sent (None when it was not kept)."""
        return json.loads(self.body) if self.body is not None else None


def is_kept(receipt: Receipt) -> bool:
    return receipt.status in KEPT_STATUSES and receipt.result not in NOT_KEPT_RESULTS


def _body(payload) -> str | None:
    try:
        text = canonical_json(content_of(payload) if isinstance(payload, dict) else payload)
    except (ValueError, TypeError):  # NaN, infinity or a value JSON cannot hold: keep what it said
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True, allow_nan=True, default=str)
    return text if len(text) <= MAX_BODY_CHARS else None


def keep(payload, receipt: Receipt, kind, submitter) -> int:
    """Keep a copy of a refused record (or count a re-send of one kept); its id. Flushes, in a SAVEPOINT."""
    body = None if receipt.result == "too_large" else _body(payload)
    sender_id = submitter.user.id if submitter.user is not None else None
    group_id = submitter.self_group.id if submitter.self_group is not None else None
    digest = hashlib.sha256(
        (body if body is not None else f"{receipt.result}|{sender_id}|{group_id}|{receipt.uuid}").encode()
    ).hexdigest()
    table = RefusedRecord.__table__
    existing = db.session.execute(
        sa.select(table.c.id).where(table.c.ward_id == submitter.ward_id, table.c.body_hash == digest)
    ).scalar_one_or_none()
    now = utcnow()
    if existing is not None:
        db.session.execute(
            sa.update(table).where(table.c.id == existing).values(last_received_at=now, times_received=table.c.times_received + 1)
        )
        return existing
    row = RefusedRecord(
        ward_id=submitter.ward_id,
        uuid=receipt.uuid,
        kind=str(kind)[:40] if kind is not None else None,
        status=receipt.status,
        code=receipt.result[:40],
        message=receipt.message,
        errors=list(receipt.errors) or None,
        body=body,
        body_hash=digest,
        sender_id=sender_id,
        survey_team_id=submitter.team_id,
        self_group_id=group_id,
        received_at=now,
        last_received_at=now,
        times_received=1,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except sa.exc.IntegrityError:  # the same record, kept by a concurrent request a moment ago
        return db.session.execute(
            sa.select(table.c.id).where(table.c.ward_id == submitter.ward_id, table.c.body_hash == digest)
        ).scalar_one()
    return row.id


def resolve(row: RefusedRecord, resolution: str, user, note: str | None = None) -> None:
    row.resolution, row.resolved_by_id, row.resolved_at, row.note = resolution, user.id if user else None, utcnow(), note


def page(user, open_only: bool, page_number: int, per_page: int = 50):
    """The refused records the user may see, newest first (open ones, or those handled)."""
    from survey_app.access import visible

    query = sa.select(RefusedRecord).where(visible(RefusedRecord, user))
    query = query.where(RefusedRecord.resolution.is_(None) if open_only else RefusedRecord.resolution.is_not(None))
    return db.paginate(
        query.order_by(RefusedRecord.last_received_at.desc(), RefusedRecord.id.desc()),
        page=page_number,
        per_page=per_page,
        error_out=False,
    )


def open_count(user) -> int:
    from survey_app.access import visible

    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RefusedRecord)
            .where(visible(RefusedRecord, user), RefusedRecord.resolution.is_(None))
        )
        or 0
    )


def retry(row: RefusedRecord, reviewer) -> Receipt:
    """Send a kept record through the sync core again, with the ward admin's authority (the sender
    stays its sender): stored, it is resolved "stored"; its answers failing the form, it moves to
    the quarantine to be fixed there ("quarantined"); refused, the row stays open and the receipt
    says why. Flushes; audited."""
    from survey_app.accounts.models import User
    from survey_app.sync.core import Submitter, ingest
    from survey_app.wards.models import ResidentialGroup

    if row.resolution is not None:
        raise ValueError("already resolved")
    payload = row.payload
    if payload is None:
        return Receipt(row.uuid, row.status, row.code, row.message)
    sender = db.session.get(User, row.sender_id) if row.sender_id else None
    group = db.session.get(ResidentialGroup, row.self_group_id) if row.self_group_id else None
    submitter = Submitter(
        ward_id=row.ward_id,
        user=sender,
        team_id=row.survey_team_id,
        channel="online" if group is not None else "door_to_door",
        self_group=group,
        reviewer=reviewer,
    )
    receipt = ingest(payload, submitter)
    if receipt.status in (200, 201):
        resolve(row, "stored", reviewer, receipt.result)
    elif receipt.result == "quarantined":
        resolve(row, "quarantined", reviewer, receipt.result)
    audit(
        "refused.retried",
        user=reviewer,
        ward_id=row.ward_id,
        object_type="refused_records",
        object_id=row.id,
        detail={"status": receipt.status, "result": receipt.result},
    )
    db.session.flush()
    return receipt


def mark_handled(row: RefusedRecord, reviewer, note: str) -> None:
    """Close a kept record with a note (what was done about it): audited."""
    if row.resolution is not None:
        raise ValueError("already resolved")
    resolve(row, "handled", reviewer, note)
    audit("refused.handled", user=reviewer, ward_id=row.ward_id, object_type="refused_records", object_id=row.id)
    db.session.flush()
