"""A batch's plain records are stored together (collection/batch.py): the same rows as one by one,
far fewer statements, and every other record still goes the one-by-one way."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from survey_app.collection import batch
from survey_app.collection.models import Household, Person, QuarantinedSubmission, Submission, Visit
from survey_app.extensions import db
from survey_app.sync.outbox import OutboxEntry
from tests.collection.conftest import new_uuid, record
from tests.collection.forms import answers
from tests.factories import make_household

#: Statements per stored record in a batch of plain records (issue 16: aim for at most 8).
STATEMENT_BUDGET = 8


def _households(world, count):
    found = [make_household(world.group_a1, f"Số {n}, ngõ 9", "Nguyễn Văn An", members=3) for n in range(count)]
    db.session.commit()
    return [h.id for h in found]


def _roster():
    return [
        {"b0_name": "nguyễn  văn an", "b1_birth_year": 1971, "b2_sex": "male", "age": 54},
        {"b0_name": "Thành viên 2", "b1_birth_year": 1972, "b2_sex": "female", "age": 53},
        {"b0_name": "Lê Thị Mới", "b1_birth_year": 2001, "b2_sex": "female", "age": 24},
    ]


def _records(world, household_ids):
    """Interviews and misses, as a phone's queue: every second household nobody home."""
    return [
        record(
            hid,
            answers=answers(world.group_a1.code, members=_roster()),
            location={"latitude": 20.85, "longitude": 106.68, "accuracy_m": 9},
        )
        if n % 2 == 0
        else record(hid, outcome="nobody_home")
        for n, hid in enumerate(household_ids)
    ]


def _stored(household_id):
    """What storing left for one household, without ids and times."""
    db.session.expire_all()
    household = db.session.get(Household, household_id)
    visits = db.session.execute(sa.select(Visit).where(Visit.household_id == household_id)).scalars().all()
    submissions = db.session.execute(sa.select(Submission).where(Submission.household_id == household_id)).scalars().all()
    persons = (
        db.session.execute(sa.select(Person).where(Person.household_id == household_id).order_by(Person.line_no)).scalars().all()
    )
    keep = (
        "form_id",
        "form_version",
        "channel",
        "surveyor_id",
        "survey_team_id",
        "residential_group_id",
        "started_at",
        "finished_at",
        "latitude",
        "longitude",
        "accuracy_m",
        "answers",
        "review_status",
    )
    return {
        "status": household.status,
        "visits": [
            (
                v.outcome,
                v.surveyor_id,
                v.survey_team_id,
                v.residential_group_id,
                v.visited_at,
                v.latitude,
                v.accuracy_m,
                v.submission_id is not None,
            )
            for v in visits
        ],
        "submissions": [{k: getattr(s, k) for k in keep} for s in submissions],
        "persons": [
            (p.line_no, p.full_name, p.birth_year, p.sex, p.answer_index, p.submission_id is not None, p.residential_group_id)
            for p in persons
        ],
        "outbox": db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxEntry).where(OutboxEntry.household_id == household_id)
        ),
    }


def _one_by_one(monkeypatch):
    monkeypatch.setattr(batch, "prepare", lambda *args: None)


def _receipt_shape(result):
    return {k: (v if k in ("status", "result") else type(v).__name__) for k, v in result.items() if k != "uuid"}


def test_a_batch_stores_the_same_rows_together_as_one_by_one(surveyor, world, monkeypatch):
    one_by_one, together = _households(world, 4), _households(world, 4)
    with monkeypatch.context() as patch:
        _one_by_one(patch)
        slow = surveyor.post("/api/submissions/batch", {"items": _records(world, one_by_one)}).get_json()["results"]
    fast = surveyor.post("/api/submissions/batch", {"items": _records(world, together)}).get_json()["results"]
    assert [r["status"] for r in fast] == [201] * 4
    assert [_receipt_shape(r) for r in fast] == [_receipt_shape(r) for r in slow]
    for slow_household, fast_household in zip(one_by_one, together):
        assert _stored(fast_household) == _stored(slow_household)
    interviewed = _stored(together[0])
    assert [p[:5] for p in interviewed["persons"]] == [
        (1, "Nguyễn Văn An", 1971, "male", 0),
        (2, "Thành viên 2", 1972, "female", 1),
        (3, "Thành viên 3", 1973, "female", None),
        (4, "Lê Thị Mới", 2001, "female", 2),
    ]
    assert interviewed["status"] == "done" and _stored(together[1])["status"] == "revisit"


def test_a_batch_of_plain_records_keeps_within_the_statement_budget(surveyor, world):
    items = _records(world, _households(world, 20))
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = surveyor.post("/api/submissions/batch", {"items": items})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert [r["status"] for r in response.get_json()["results"]] == [201] * 20
    assert len(statements) <= STATEMENT_BUDGET * len(items), "\n".join(statements)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 20


def test_the_records_that_are_not_plain_still_go_one_by_one_in_order(surveyor, world):
    hids = _households(world, 3)
    stored = record(hids[0], outcome="nobody_home")
    assert surveyor.post("/api/submissions", stored).status_code == 201
    twice = record(hids[1], outcome="refused")
    items = [
        stored,  # a re-send: duplicate
        record(hids[2], answers=answers(a5_members=0)),  # invalid answers: quarantined
        twice,
        twice,  # the same UUID twice in one batch
        record(world.hh_a2.id),  # another team's household
        record(world.hh_a1.id, answers=answers(world.group_a1.code)),  # plain: stored together
        {"uuid": new_uuid(), "kind": "attendance_v9"},  # a kind nobody handles
    ]
    results = surveyor.post("/api/submissions/batch", {"items": items}).get_json()["results"]
    assert [(r["status"], r["result"]) for r in results] == [
        (200, "duplicate"),
        (422, "quarantined"),
        (201, "stored"),
        (200, "duplicate"),
        (403, "forbidden"),
        (201, "stored"),
        (400, "unknown_kind"),
    ]
    count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
    assert (count(Visit), count(Submission), count(QuarantinedSubmission)) == (3, 1, 1)


def test_a_batch_that_clashes_with_a_concurrent_request_is_stored_one_by_one(surveyor, world, monkeypatch):
    hids = _households(world, 3)
    real, calls = batch._write, []

    def clash(*args):
        calls.append(1)
        real(*args)  # the rows are written, then a concurrent request's commit wins a unique key
        raise IntegrityError("INSERT INTO visits", {}, Exception("duplicate key"))

    monkeypatch.setattr(batch, "_write", clash)
    results = surveyor.post("/api/submissions/batch", {"items": _records(world, hids)}).get_json()["results"]
    assert calls == [1]
    assert [r["status"] for r in results] == [201] * 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 3  # none twice
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEntry)) == 3


@pytest.mark.parametrize("outcome", ["refused", "moved"])
def test_a_late_miss_in_a_batch_never_reopens_a_household_done(surveyor, world, outcome):
    [hid] = _households(world, 1)
    assert surveyor.post("/api/submissions", record(hid, answers=answers(world.group_a1.code))).status_code == 201
    results = surveyor.post("/api/submissions/batch", {"items": [record(hid, outcome=outcome)]}).get_json()["results"]
    assert results[0]["status"] == 201
    db.session.expire_all()
    assert db.session.get(Household, hid).status == "done"


def test_a_batch_sent_again_is_answered_without_the_write_lock(surveyor, world, monkeypatch):
    """A phone whose reply was lost sends the whole batch again: finding what was stored only reads,
    so the answer never waits behind other phones' writes (SQLite's one writer at a time)."""
    items = _records(world, _households(world, 4))
    first = surveyor.post("/api/submissions/batch", {"items": items}).get_json()["results"]
    from survey_app.sync import core

    def locked():
        raise AssertionError("the write lock was taken for a batch that stores nothing")

    monkeypatch.setattr(core, "take_write_lock", locked)
    again = surveyor.post("/api/submissions/batch", {"items": items})
    assert again.status_code == 200
    results = again.get_json()["results"]
    assert [(r["status"], r["result"]) for r in results] == [(200, "duplicate")] * 4
    assert [r["uuid"] for r in results] == [r["uuid"] for r in first]
    assert [r.get("submission_id") for r in results] == [r.get("submission_id") for r in first]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 4
