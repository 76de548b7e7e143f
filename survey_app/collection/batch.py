"""A phone's batch of plain visits stored at once: the write path at city scale.

Most of what phones send is plain: a listed household of the sender's team, a UUID never seen in
the ward, answers that pass the form (which declares no entities and names no files). Those records
of a batch are checked and stored together, with a handful of statements for the whole batch
(lookups by UUID, household, group and person in one query each; one multi-row insert per table;
one executemany per update) instead of some twenty per record. Anything else (a re-send, a new
household, a correction, invalid answers, a form with entities or files, a household or UUID seen
twice in the batch) is left to the one-by-one path of survey_app.collection.operations, which the
sync core runs for every record this module returns None for. What is stored is the same either way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa

from survey_app.access import visible_household_rows
from survey_app.collection import entities, formlink, media, rules
from survey_app.collection.models import (
    Channel,
    Household,
    IllegalTransition,
    Person,
    QuarantinedSubmission,
    Submission,
    Visit,
    status_after,
)
from survey_app.collection.records import Record, RecordError, parse_record
from survey_app.extensions import db, utcnow
from survey_app.sync import outbox
from survey_app.sync.envelope import Receipt
from survey_app.wards.models import ResidentialGroup
from survey_app.wards.queries import round_starts


@dataclass
class Prepared:
    """What `prepare` found storable in a batch, for `write` to store once the write lock is held."""

    count: int
    submitter: object
    records: dict  # position in the batch -> Record
    households: dict  # id -> plain row
    resent: set  # positions whose UUID the ward already holds: maybe re-sends, answered before the lock


def prepare(payloads: list, submitter) -> Prepared | None:
    """Read and check what can be stored together (no writes, so no write lock yet: phones' batches
    are checked side by side on SQLite too); None when nothing can. The checks and the member
    matching are the one-by-one path's own (collection/rules.py)."""
    user = submitter.user
    if user is None or submitter.self_group is not None or submitter.reviewer is not None:
        return None
    parsed = _plain(payloads)
    records = _unseen(parsed, submitter.ward_id)
    resent = set(parsed) - set(records)
    households = _households(records, user)
    records = {i: r for i, r in records.items() if r.household_id in households}
    codes = _group_codes({h.residential_group_id for h in households.values()})
    records = _valid(records, submitter.ward_id, user, households, codes)
    return Prepared(len(payloads), submitter, records, households, resent) if records or resent else None


def write(prepared: Prepared) -> list[Receipt | None]:
    """Store the prepared records (the caller holds the write lock, inside a SAVEPOINT): a receipt
    (201) for each, None for every other position. A UUID another request stored since `prepare`
    raises IntegrityError (the caller then stores the batch one by one)."""
    receipts: list[Receipt | None] = [None] * prepared.count
    if prepared.records:
        _write(prepared.records, prepared.submitter, prepared.households, receipts)
    return receipts


def _plain(payloads: list) -> dict[int, Record]:
    """Records about a listed household, by position; one UUID and one household once per batch."""
    found = {}
    for index, payload in enumerate(payloads):
        try:
            record = parse_record(payload)
        except RecordError:
            continue  # the one-by-one path says why
        if record.new_household is None and record.household_id is not None and not record.roster_changes:
            found[index] = record  # a roster change (a later round) goes one by one, checked against the household
    uuids = Counter(r.uuid for r in found.values())
    households = Counter(r.household_id for r in found.values())
    return {i: r for i, r in found.items() if uuids[r.uuid] == 1 and households[r.household_id] == 1}


def _unseen(records: dict, ward_id: int) -> dict:
    """The records whose UUID no submission, visit or quarantined record of the ward holds."""
    if not records:
        return records
    uuids = sorted(r.uuid for r in records.values())
    taken = set(
        db.session.scalars(
            sa.union_all(
                sa.select(Submission.uuid).where(Submission.ward_id == ward_id, Submission.uuid.in_(uuids)),
                sa.select(Visit.client_uuid).where(Visit.ward_id == ward_id, Visit.client_uuid.in_(uuids)),
                sa.select(QuarantinedSubmission.uuid).where(
                    QuarantinedSubmission.ward_id == ward_id, QuarantinedSubmission.uuid.in_(uuids)
                ),
            )
        )
    )
    return {i: r for i, r in records.items() if r.uuid not in taken}


def _households(records: dict, user) -> dict:
    """The records' households the user may write to, by id (plain rows)."""
    if not records:
        return {}
    rows = visible_household_rows(
        user, [r.household_id for r in records.values()], Household.ward_id, Household.status, Household.client_uuid
    )
    return {row.id: SimpleNamespace(**row._mapping) for row in rows}


def _group_codes(group_ids: set) -> dict:
    if not group_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(ResidentialGroup.id, ResidentialGroup.code).where(ResidentialGroup.id.in_(sorted(group_ids)))
        ).all()
    )


def _valid(records: dict, ward_id: int, user, households: dict, codes: dict) -> dict:
    """The records whose answers pass their form, a form with no entities or files to handle."""
    forms: dict = {}
    valid = {}
    for index, record in records.items():
        if record.form_id is not None:
            key = (record.form_id, record.form_version)
            if key not in forms:
                forms[key] = _plain_form(ward_id, *key, user)
            form = forms[key]
            if form is None or media.named_files(form.schema, record.answers):
                continue
            code = codes.get(households[record.household_id].residential_group_id)
            if formlink.validate_answers(form, record.answers, rules.filled_on(record)) or rules.group_errors(
                record.answers, code
            ):
                continue  # kept in the quarantine by the one-by-one path
        valid[index] = record
    return valid


def _plain_form(ward_id: int, form_id: str, version: str, user):
    """The form, when it is known and reads or writes no entity list; else None."""
    form = formlink.load_form(ward_id, form_id, version)
    if form is None or form.schema.entities or entities.served_form(form, ward_id, user) is not form:
        return None
    return form


def _write(records: dict, submitter, households: dict, receipts: list) -> None:
    """Insert the submissions, persons, visits and outbox rows of the records; move the households."""
    ward_id, user, now = submitter.ward_id, submitter.user, utcnow()
    surveyed = {i: r for i, r in records.items() if r.answers is not None}
    submission_ids = {}
    if surveyed:
        rows = [_submission_row(r, submitter, households[r.household_id], now) for r in surveyed.values()]
        # RETURNING the UUID beside the id (not in the rows' order): one multi-row INSERT, where
        # sort_by_parameter_order made SQLite's driver insert one row at a time.
        table = Submission.__table__
        ids = dict(db.session.execute(sa.insert(table).returning(table.c.uuid, table.c.id), rows).all())
        submission_ids = {index: ids[record.uuid] for index, record in surveyed.items()}
        _link_members(surveyed, submission_ids, households)
    visit_rows = []
    for index, record in records.items():
        household = households[record.household_id]
        latitude, longitude, accuracy = record.location or (None, None, None)
        visit_rows.append(
            {
                "client_uuid": record.uuid,
                "ward_id": household.ward_id,
                "household_id": household.id,
                "residential_group_id": household.residential_group_id,
                "surveyor_id": user.id,
                "survey_team_id": submitter.team_id,
                "outcome": record.outcome,
                "visited_at": record.visited_at or now,
                "latitude": latitude,
                "longitude": longitude,
                "accuracy_m": accuracy,
                "content_hash": record.content_hash,
                "submission_id": submission_ids.get(index),
            }
        )
    visits = Visit.__table__
    by_uuid = dict(db.session.execute(sa.insert(visits).returning(visits.c.client_uuid, visits.c.id), visit_rows).all())
    visit_ids = [by_uuid[record.uuid] for record in records.values()]
    _move_households(records, households)
    db.session.execute(
        sa.insert(outbox.OutboxEntry.__table__),
        [
            {"ward_id": ward_id, "household_id": r.household_id, "submission_id": None, "created_at": now}
            for r in records.values()
        ],
    )
    for (index, record), visit_id in zip(records.items(), visit_ids):
        household = households[record.household_id]
        receipts[index] = Receipt(
            record.uuid,
            201,
            "stored",
            submission_id=submission_ids.get(index),
            visit_id=visit_id,
            household_id=household.id,
            household_client_uuid=household.client_uuid,
        )


def _submission_row(record: Record, submitter, household, now) -> dict:
    latitude, longitude, accuracy = record.location or (None, None, None)
    return {
        "uuid": record.uuid,
        "ward_id": household.ward_id,
        "form_id": record.form_id,
        "form_version": record.form_version,
        "channel": Channel(submitter.channel),
        "surveyor_id": submitter.user.id,
        "survey_team_id": submitter.team_id,
        "household_id": household.id,
        "residential_group_id": household.residential_group_id,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "received_at": now,
        "latitude": latitude,
        "longitude": longitude,
        "accuracy_m": accuracy,
        "answers": record.answers,
        "content_hash": record.content_hash,
    }


def _link_members(surveyed: dict, submission_ids: dict, households: dict) -> None:
    """The Person rows of each interview: listed members linked, new members added (as link_members)."""
    table = Person.__table__
    persons: dict = {}
    for row in db.session.execute(
        sa.select(table.c.id, table.c.household_id, table.c.line_no, table.c.full_name, table.c.birth_year, table.c.submission_id)
        .where(table.c.household_id.in_(sorted(r.household_id for r in surveyed.values())))
        .order_by(table.c.household_id, table.c.line_no)
    ):
        persons.setdefault(row.household_id, []).append(row)
    updates, inserts = [], []
    starts = round_starts({h.ward_id for h in households.values()})
    for index, record in surveyed.items():
        household = households[record.household_id]
        if rules.of_an_earlier_round(household.ward_id, record.started_at or record.visited_at, starts):
            continue  # an earlier round's interview links nobody (operations.link_members)
        for person, fields in rules.plan_members(record.answers.get("members") or [], persons.get(household.id, [])):
            fields = {**fields, "submission_id": submission_ids[index]}
            if person is None:
                inserts.append(
                    {
                        "ward_id": household.ward_id,
                        "household_id": household.id,
                        "residential_group_id": household.residential_group_id,
                        "sex": None,
                        **fields,
                    }
                )
            else:
                updates.append({"id": person.id, **fields})
    for update in _uniform(updates):  # one executemany per set of columns, by primary key
        db.session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("p_id")),
            [{("p_id" if key == "id" else key): value for key, value in row.items()} for row in update],
        )
    if inserts:
        db.session.execute(sa.insert(table), inserts)


def _uniform(rows: list[dict]) -> list[list[dict]]:
    """Rows grouped by the set of their keys (one executemany per group)."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


def _move_households(records: dict, households: dict) -> None:
    """Each household's status after its visit (a late miss never reopens one already done), from
    the status as it is now, under the write lock (another request may have moved it since `prepare`)."""
    table = Household.__table__
    now = dict(db.session.execute(sa.select(table.c.id, table.c.status).where(table.c.id.in_(sorted(households)))).all())
    starts = round_starts({h.ward_id for h in households.values()})
    moves = []
    for record in records.values():
        household = households[record.household_id]
        if rules.of_an_earlier_round(household.ward_id, record.visited_at, starts):
            continue  # a visit of a closed round: the current round's status is not its to move
        current = now.get(household.id, household.status)
        try:
            status = status_after(current, record.outcome, household.id)
        except IllegalTransition:
            continue  # the visit is kept as a fact; the status stays where the guard left it
        if status != current:
            moves.append({"hid": household.id, "status": status.value})
    if moves:
        db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("hid")).values(status=sa.bindparam("status")), moves)
