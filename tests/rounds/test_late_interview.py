"""An interview of round 1 that reaches the server after round 2 began (the phone was offline since):
kept, counted in round 1's rows, never in round 2's figures, and it does not mark the household as
surveyed in round 2 nor hide the household's round-2 interview."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from survey_app.collection.models import Household, HouseholdStatus, Person, Submission
from survey_app.dashboard.indicators import derive_changes
from survey_app.dashboard.models import PersonIndicator
from survey_app.dashboard.tasks import derive_pending
from survey_app.extensions import db
from survey_app.rounds.models import RoundPerson
from survey_app.rounds.operations import start_round
from survey_app.wards.models import SurveyRound
from tests.collection.conftest import form_a, record, surveyor  # noqa: F401  (fixtures)

ROUND_ONE = {
    "visited_at": "2025-08-20T02:10:00Z",
    "started_at": "2025-08-20T02:11:00Z",
    "finished_at": "2025-08-20T02:25:00Z",
    "sent_at": "2026-03-06T02:30:00Z",
}
ROUND_TWO = {
    "visited_at": "2026-03-05T02:10:00Z",
    "started_at": "2026-03-05T02:11:00Z",
    "finished_at": "2026-03-05T02:25:00Z",
    "sent_at": "2026-03-05T02:30:00Z",
}


def second_round(world) -> None:
    world.ward_a.survey_starts_on = date(2025, 8, 1)
    start_round(world.ward_a, name="Đợt 2", starts_on=date(2026, 3, 1), ends_on=None, user=world.admin_a)
    db.session.commit()


def _round_one_id(world) -> int:
    return db.session.scalar(sa.select(SurveyRound.id).where(SurveyRound.ward_id == world.ward_a.id, SurveyRound.number == 1))


def rows_of(model, submission_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.submission_id == submission_id))


def test_a_late_round_one_interview_counts_in_round_one_only(world, form_a, surveyor):  # noqa: F811
    second_round(world)
    round_one = _round_one_id(world)
    late = record(world.hh_a1.id, **ROUND_ONE)
    response = surveyor.post("/api/submissions", late)
    assert response.status_code == 201, response.get_json()
    derive_pending()
    db.session.commit()
    db.session.expire_all()
    submission_id = response.get_json()["submission_id"]
    # round 2 has not surveyed the household: it is still to visit, and no figure of round 2 counts it
    assert db.session.get(Household, world.hh_a1.id).status == HouseholdStatus.NOT_VISITED
    assert rows_of(PersonIndicator, submission_id) == 0
    kept = db.session.scalars(sa.select(RoundPerson).where(RoundPerson.submission_id == submission_id)).all()
    assert kept and {r.round_id for r in kept} == {round_one}
    # its members are followed as the household's residents, by name and birth year, and not linked to it
    residents = dict(
        db.session.execute(sa.select(Person.full_name, Person.id).where(Person.household_id == world.hh_a1.id)).all()
    )
    assert {r.person_id for r in kept} <= set(residents.values()) and all(r.person_id for r in kept)
    assert db.session.scalar(sa.select(sa.func.count()).where(Person.submission_id == submission_id)) == 0
    # deriving the same records again changes nothing
    derive_changes({world.hh_a1.id}, set())
    db.session.commit()
    assert rows_of(RoundPerson, submission_id) == len(kept)


def test_a_late_round_one_interview_does_not_hide_the_households_round_two_interview(world, form_a, surveyor):  # noqa: F811
    second_round(world)
    now = surveyor.post("/api/submissions", record(world.hh_a1.id, **ROUND_TWO))
    assert now.status_code == 201
    derive_pending()
    db.session.commit()
    current = now.get_json()["submission_id"]
    counted = rows_of(PersonIndicator, current)
    assert counted > 0
    linked = db.session.execute(
        sa.select(Person.id, Person.submission_id, Person.answer_index)
        .where(Person.household_id == world.hh_a1.id)
        .order_by(Person.id)
    ).all()
    late = surveyor.post("/api/submissions", record(world.hh_a1.id, **ROUND_ONE))
    assert late.status_code == 201
    derive_pending()
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Household, world.hh_a1.id).status == HouseholdStatus.DONE  # round 2's interview
    assert rows_of(PersonIndicator, current) == counted  # still counted, received first or not
    assert rows_of(PersonIndicator, late.get_json()["submission_id"]) == 0
    assert db.session.get(Submission, late.get_json()["submission_id"]) is not None  # kept
    # no resident added twice, and each stays linked to round 2's interview
    assert (
        db.session.execute(
            sa.select(Person.id, Person.submission_id, Person.answer_index)
            .where(Person.household_id == world.hh_a1.id)
            .order_by(Person.id)
        ).all()
        == linked
    )
