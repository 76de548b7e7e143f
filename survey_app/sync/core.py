"""Storing phone records, one or a batch: one SAVEPOINT per record, race retries, refusal audits.

A handler per record kind says what the record is (`Handler`); this module owns the loop around it.
A refused record's work is undone, and never undoes the records stored before it in the same batch;
a copy of it is kept for the ward staff (sync/refused.py, `kept_id` in its receipt), so the phone's
"set aside" never destroys the only copy. A quarantined record (answers that fail the form, status
422) is kept by its handler as a record to fix. Functions only flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from survey_app.audit.operations import record as audit
from survey_app.extensions import db, take_write_lock
from survey_app.sync import refused
from survey_app.sync.envelope import Receipt, RecordError, payload_hash, uuid_or_none

#: Tries of one record when a concurrent request wins a race on a unique row (the phone drops a 409).
RACE_ATTEMPTS = 3
#: The kind of a record that names none: a household visit (the first kind phones sent).
DEFAULT_KIND = "visit"


@dataclass
class Submitter:
    """Who sends: a signed-in team member, or a resident through a group's self-survey link."""

    ward_id: int
    user: object | None = None
    team_id: int | None = None
    #: "door_to_door", "online" or "paper" (collection.models.Channel values).
    channel: str = "door_to_door"
    #: Set for the online self-survey: the only group the record may belong to.
    self_group: object | None = None
    #: A ward admin storing a corrected quarantined record on the sender's behalf.
    reviewer: object | None = None

    @classmethod
    def for_user(cls, user) -> Submitter:
        # current_user is a proxy that looks the user up again on every attribute read: keep the user
        user = user._get_current_object() if hasattr(user, "_get_current_object") else user
        return cls(ward_id=user.ward_id, user=user, team_id=user.survey_team_id)

    @classmethod
    def for_group(cls, group) -> Submitter:
        return cls(ward_id=group.ward_id, channel="online", self_group=group)


class Handler:
    """One kind of record. Subclasses set `kind` and the audit names, and implement the two methods."""

    kind: str = DEFAULT_KIND
    #: Audit action and object type of a refused record (403, or a UUID another sender holds).
    refused_action: str = "record.refused"
    refused_object_type: str = "records"

    def store(self, payload, submitter: Submitter) -> Receipt:
        """Check and store one record (or find it stored); raise RecordError to refuse it."""
        raise NotImplementedError

    def known(self, uuid: str, digest: str | None, submitter: Submitter) -> Receipt | None:
        """The first result for a UUID already received from this submitter; None when it is new."""
        raise NotImplementedError

    def refused_object_id(self, payload) -> int | None:
        return None

    def prepare_many(self, payloads: list, submitter: Submitter):
        """Read and check what of a batch can be stored at once, writing nothing (on SQLite the write
        lock is not held yet); None when nothing can (the default). What it returns goes to `write_many`."""
        return None

    def write_many(self, prepared) -> list[Receipt | None]:
        """Store what `prepare_many` found, under the write lock, in one SAVEPOINT: a receipt per record
        stored, None per record to store one by one with `store`."""
        raise NotImplementedError

    def resent_positions(self, prepared) -> set[int]:
        """The positions (in the list given to `prepare_many`) whose UUID is already stored: maybe
        re-sends, which the core answers before the write lock with `known`. None by default."""
        return set()


_HANDLERS: dict[str, Handler] = {}

#: Sent once records are stored (201 receipts), after their SAVEPOINT, in the caller's transaction:
#: sender is the records' kind, with `receipts` (a list: one per record, a batch's stored together in
#: one signal) and `submitter`. Another kind's records that name them (a support event naming a
#: household record by its UUID) are reconciled by a receiver of this.
records_stored = Namespace().signal("records-stored")


def register(handler: Handler) -> Handler:
    """Make a handler the one for its kind (called once at import of the handler's module)."""
    _HANDLERS[handler.kind] = handler
    return handler


def handler_for(payload) -> Handler:
    kind = payload.get("kind") if isinstance(payload, dict) else None
    handler = _HANDLERS.get(kind if isinstance(kind, str) else DEFAULT_KIND)
    if handler is None:
        raise RecordError(400, "unknown_kind", _("Unknown kind of record: %(kind)s.", kind=str(kind)[:40]))
    return handler


class _Undo(Exception):
    """Leave the record's savepoint, rolling back its work."""

    def __init__(self, receipt: Receipt):
        self.receipt = receipt


def ingest(payload, submitter: Submitter) -> Receipt:
    """Store one record of any kind (or find it already stored) and say what happened."""
    uuid = uuid_or_none(payload)
    try:
        handler = handler_for(payload)
    except RecordError as error:
        kind = payload.get("kind") if isinstance(payload, dict) else None
        return _kept(payload, Receipt(uuid, error.status, error.code, error.message), kind, submitter)
    for attempt in range(RACE_ATTEMPTS):
        try:
            with db.session.begin_nested():
                receipt = handler.store(payload, submitter)
                if receipt.status >= 400 and receipt.result != "quarantined":
                    raise _Undo(receipt)
        except _Undo as undo:
            receipt = undo.receipt
        except RecordError as error:
            receipt = Receipt(uuid, error.status, error.code, error.message, error.errors)
        except IntegrityError:
            # An identical request stored the same UUID between our lookup and our insert.
            receipt = handler.known(uuid, payload_hash(payload), submitter) if uuid else None
            if receipt is None and attempt < RACE_ATTEMPTS - 1:
                continue  # a concurrent request wrote another row first (a new household): again
            receipt = receipt or Receipt(uuid, 409, "conflict", _("This record clashes with one already stored."))
        break
    if receipt.status == 201:
        records_stored.send(handler.kind, receipts=[receipt], submitter=submitter)
    if receipt.status == 403 or receipt.result == "uuid_taken":
        audit(
            handler.refused_action,
            user=submitter.user,
            ward_id=submitter.ward_id,
            object_type=handler.refused_object_type,
            object_id=handler.refused_object_id(payload),
            detail={"uuid": uuid, "code": receipt.result},
        )
    return _kept(payload, receipt, handler.kind, submitter)


def _kept(payload, receipt: Receipt, kind, submitter: Submitter) -> Receipt:
    """The receipt, with a copy of the record kept first when it is a refusal (`kept_id`)."""
    if refused.is_kept(receipt) and submitter.reviewer is None:  # a reviewer's fix is refused on their page
        receipt.kept_id = refused.keep(payload, receipt, kind, submitter)
    return receipt


def ingest_batch(items: list, submitter: Submitter) -> list[Receipt]:
    """One receipt per item, in order; one bad item never fails the others.

    Each kind's handler first checks what it can store of the batch at once (`Handler.prepare_many`,
    before SQLite's write lock, so batches are checked side by side), then stores it under the lock
    in one SAVEPOINT (`write_many`: a clash with a concurrent request undoes it, and its records go
    one by one). Re-sent items (a UUID stored before with the same content) are answered before the
    lock, and a batch made only of them takes no lock at all. Every other item is stored by `ingest`,
    one SAVEPOINT each, after them.
    The caller's request must not hold the write lock yet (see `uploads.parses_upload`).
    """
    receipts: list[Receipt | None] = [None] * len(items)
    by_handler: dict = {}
    for index, item in enumerate(items):
        try:
            by_handler.setdefault(handler_for(item), []).append(index)
        except RecordError:
            continue  # ingest() says why
    prepared = {handler: handler.prepare_many([items[i] for i in indexes], submitter) for handler, indexes in by_handler.items()}
    for handler, indexes in by_handler.items():
        _answer_resends(handler, prepared[handler], indexes, items, submitter, receipts)
    if all(receipt is not None for receipt in receipts):
        return receipts  # a whole batch sent again: answered without waiting for the write lock
    take_write_lock()
    for handler, indexes in by_handler.items():
        if prepared[handler] is None:
            continue
        try:
            with db.session.begin_nested():
                stored = handler.write_many(prepared[handler])
        except IntegrityError:
            stored = [None] * len(indexes)  # a concurrent request won a race: one by one, with retries
        for index, receipt in zip(indexes, stored):
            if receipt is not None:
                receipts[index] = receipt
        new = [receipt for receipt in stored if receipt is not None and receipt.status == 201]
        if new:
            records_stored.send(handler.kind, receipts=new, submitter=submitter)
    return [receipt if receipt is not None else ingest(item, submitter) for receipt, item in zip(receipts, items)]


def _answer_resends(handler: Handler, prepared, indexes: list[int], items: list, submitter: Submitter, receipts: list) -> None:
    """Answer the re-sent records (same UUID, same content) before the write lock is taken: a phone
    whose reply was lost sends the whole batch again, and finding what was stored only reads."""
    for position in handler.resent_positions(prepared) if prepared is not None else ():
        index = indexes[position]
        uuid = uuid_or_none(items[index])
        try:
            receipt = handler.known(uuid, payload_hash(items[index]), submitter)
        except RecordError:
            continue  # ingest() says why
        if receipt is not None and receipt.result == "duplicate":
            receipts[index] = receipt
